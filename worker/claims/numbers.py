"""Numbers written in news text: digits with separators, decimals, scale words and number words.

`find_numbers` returns every cardinal it can read in a sentence with its character span; whether a
number is a *figure* (not a year, a date, a time, money...) is decided later, from its context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9,
}
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
NUMBER_WORDS = frozenset({*_UNITS, *_TEENS, *_TENS, *_SCALES})

_WORD = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
# "and" only joins after a scale word ("two hundred and fifty"); "seven and eight" are two numbers.
_WORD_RUN = re.compile(
    rf"\b(?:(?P<a>an?)\s+(?=(?:hundred|thousand|million|billion)\b))?"
    rf"(?:{_WORD})(?:(?:[\s-]+|(?:(?<=hundred)|(?<=thousand)|(?<=million))\s+and\s+)(?:{_WORD}))*\b",
    re.IGNORECASE,
)
# Digits: "1,150", "1 150" (thin or plain space between thousands), "1.5", "2.5 million".
_DIGITS = re.compile(
    r"(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d,])|\d+)(?:\.\d+)?"
    r"(?:\s+(?:hundred|thousand|million|billion)\b)?(?![\w/]|[.,]\d)",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Number:
    """A cardinal read from text: `start`/`end` are character offsets, `words` if spelled out."""

    start: int
    end: int
    value: float
    words: bool = False


def parse_digits(text: str) -> float | None:
    """'1,150' → 1150, '1 150' → 1150, '2.5 million' → 2500000; None if not a number."""
    parts = text.lower().split()
    scale = 1
    if parts and parts[-1] in _SCALES:
        scale = _SCALES[parts.pop()]
    digits = "".join(parts).replace(",", "").replace("\u00a0", "").replace("\u202f", "")
    try:
        return float(digits) * scale
    except ValueError:
        return None


def parse_words(text: str) -> float | None:
    """'eighty-two' → 82, 'a hundred' → 100, 'two thousand' → 2000; None if not well formed."""
    words = [w for w in re.split(r"[\s-]+", text.lower()) if w and w != "and"]
    if words and words[0] in ("a", "an"):
        words[0] = "one"
    total, current, last = 0, 0, ""
    for word in words:
        if not _may_follow(last, word):
            return None
        if word in _SCALES:
            scale = _SCALES[word]
            if scale == 100:
                current = (current or 1) * 100
            else:
                total += (current or 1) * scale
                current = 0
        else:
            current += _UNITS.get(word) or _TEENS.get(word) or _TENS.get(word, 0)
        last = word
    return float(total + current) if words else None


def _may_follow(last: str, word: str) -> bool:
    """Whether `word` may come right after `last` in a spelled-out number."""
    if not last:
        return True
    if word in _SCALES:
        return True
    if last in _TENS:
        return word in _UNITS and word != "zero"
    return last in _SCALES  # "hundred and five", "thousand two"; not "seven eight"


def find_numbers(text: str, words: frozenset[str] | None = None) -> list[Number]:
    """Every cardinal in `text`, in order, non-overlapping. `words`, the lower-cased words of
    the text if known, lets a text without number words skip their search."""
    # the regex starts with a digit so the engine can skip ahead to digits; what may not come
    # before a number (a letter, a decimal point, a slash) is checked here
    found = []
    for m in _DIGITS.finditer(text):
        start = m.start()
        if start and (text[start - 1].isalnum() or text[start - 1] in "_.,/"):
            continue
        value = parse_digits(m.group())
        if value is not None:
            found.append(Number(start, m.end(), value))
    if words is None or not NUMBER_WORDS.isdisjoint(words):
        for m in _WORD_RUN.finditer(text):
            found.extend(_word_numbers(text, m))
    found.sort(key=lambda n: n.start)
    return [n for i, n in enumerate(found) if i == 0 or n.start >= found[i - 1].end]


def _word_numbers(text: str, match: re.Match[str]) -> list[Number]:
    """Numbers in a run of number words; a bare scale word ('thousand', 'several hundred') is not one."""
    words = match.group()
    first = words.split()[0].lower().split("-")[0]
    if first in _SCALES and not match.group("a"):
        return []
    value = parse_words(words)
    if value is None:
        return []
    return [Number(match.start(), match.end(), value, words=True)]


def format_number(value: int, style: str) -> str:
    """Write `value` as news text does: 'comma' (1,150), 'space' (1 150), 'plain', 'words'."""
    if style == "comma":
        return f"{value:,}"
    if style == "space":
        return f"{value:,}".replace(",", " ")
    if style == "words":
        return _to_words(value)
    return str(value)


def _to_words(value: int) -> str:
    names = {v: k for k, v in {**_UNITS, **_TEENS, **_TENS}.items()}
    if value < 20:
        return names[value]
    if value < 100:
        tens, rest = divmod(value, 10)
        return names[tens * 10] + (f"-{names[rest]}" if rest else "")
    for scale, word in ((1_000_000_000, "billion"), (1_000_000, "million"), (1_000, "thousand"),
                        (100, "hundred")):
        if value >= scale:
            head, rest = divmod(value, scale)
            text = f"{_to_words(head)} {word}"
            return text + (f" {_to_words(rest)}" if rest else "")
    raise ValueError(value)
