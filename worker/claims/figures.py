"""Figures in one sentence: numbers that may be claims, with range, unit and qualifier.

A number is dropped here when its own context says it is not a figure: a date, a year, a time,
money, a percentage, a magnitude, an age, a fraction, an identifier ("COVID-19"), a hyphenated
adjective ("a 40-kilometer front"), a denominator ("1,500 of 6,142 buildings") or the second half
of a unit conversion ("1,150 square km (444 square miles)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from worker.claims.dates import date_spans
from worker.claims.numbers import Number, find_numbers
from worker.claims.units import not_a_figure_after, unit_after
from worker.claims.vocabulary import OVER_NOT_MIN, QUALIFIERS

# Qualifier phrases by their words, looked up on the last words before a number (cheaper than a
# regex anchored at the end of the text before every number).
_QUALIFIER: dict[str, str] = {
    " ".join(phrase.lower().split()): kind for kind, phrases in QUALIFIERS.items() for phrase in phrases
}
_QUALIFIER_LENGTHS = sorted({len(p.split()) for p in _QUALIFIER}, reverse=True)
_OPENERS = "([\"'\u201c\u2018"
# Words right before a number that make it an identifier, a magnitude or an age.
_LABELS = frozenset(("no", "no.", "nos", "nos.", "number", "magnitude", "aged", "age", "ages",
                     "code", "route", "flight", "article", "resolution", "page", "chapter",
                     "level", "category", "grade", "phase", "platform", "us", "usd", "eur",
                     "rs", "rs.", "scale", "model", "version", "room", "unit", "gate", "line"))
_LABEL_PAIRS = frozenset(("depth of", "scale of", "a magnitude", "the magnitude", "magnitude of"))
_QUALIFIER_AFTER = re.compile(r"\s*(?:(?P<min>or\s+more|and\s+more|plus\b|\+)|(?P<approx>or\s+so))",
                              re.IGNORECASE)
_RANGE_JOIN = re.compile(r"^\s*(?:-|\u2013|\u2014|to|and|or)\s*$", re.IGNORECASE)
_CHANGE_FROM = re.compile(
    r"\b(?:rose|risen|rising|rises|increased|increasing|climbed|jumped|grew|soared|up|down|fell|"
    r"dropped|revised|raised|lowered|went)\s+from\s*$", re.IGNORECASE)
_OF_TOTAL = re.compile(r"^\s*(?:out\s+)?of\s+(?:a\s+total\s+of\s+|the\s+|all\s+|some\s+|about\s+|its\s+|"
                       r"their\s+|his\s+|her\s+|an\s+estimated\s+|the\s+\w+['\u2019]s\s+)?$",
                       re.IGNORECASE)
_CONVERSION = re.compile(r"^\s*[(\[]\s*(?:about|some|around|roughly|approximately|nearly|almost|"
                         r"more\s+than|over|at\s+least|up\s+to|or)?\s*$", re.IGNORECASE)
_YEAR = re.compile(r"(?:1[89]|20)\d\d$")
_WORDS = re.compile(r"[a-z]+")
_AGE = re.compile(r"[A-Z][\w\u2019'-]+,\s*$")


@dataclass(slots=True)
class Figure:
    """A number that may be a claim. `start`..`end` spans the number (or range) and its unit."""

    start: int
    end: int
    num_end: int          # end of the (upper) number itself, before the unit
    value: float
    qualifier: str
    dimension: str | None  # "km2", "km" or None for a count
    noun_from: int         # where the counted noun may start (after the unit or denominator)
    is_range: bool = False
    change: bool = False  # "rose from 77 to 272": the old value is not a figure
    words: bool = False


def read_figures(text: str, words: frozenset[str] | None = None) -> list[Figure]:
    """The figures of one sentence, in order; `words` (its lower-cased words) gates costly
    searches that cannot match when their words are absent."""
    if words is None:
        words = word_set(text)
    blocked = date_spans(text, words)
    numbers = [n for n in find_numbers(text, words)
               if not any(s <= n.start < e or s < n.end <= e for s, e in blocked)
               and not _skip_number(text, n)]
    figures: list[Figure] = []
    skip: set[int] = set()
    for i, number in enumerate(numbers):
        if i in skip:
            continue
        upper, used = _range_end(text, numbers, i)
        if upper is None:
            continue
        skip.update(used)
        figure = _make_figure(text, number, upper, bool(used))
        if figure is None:
            continue
        follower = _dependent(text, figure, numbers, max(used, default=i) + 1)
        if follower is not None:
            skip.add(follower)
            if text[figure.end:numbers[follower].start].strip().lower().startswith("of"):
                figure = replace(figure, noun_from=_after_number(text, numbers[follower]))
        figures.append(figure)
    return figures


def _skip_number(text: str, number: Number) -> bool:
    before, after = text[max(0, number.start - 30):number.start], text[number.end:number.end + 30]
    if not_a_figure_after(text, number.end) or _labelled(before):
        return True
    first = after[:1]
    if first == "/" or (first and first in "-\u2013" and not after[1:2].isdigit()):
        return True  # "9/11", "10-day", "7.8-magnitude"
    if first == "-" and "/" in after[1:6]:
        return True  # "2-1/2 years"
    digits = text[number.start:number.end]
    if _YEAR.match(digits) and not re.match(r"\s+(?:people|persons|[a-z]+s)\b", after):
        return True
    return bool(number.value < 120 and after.lstrip().startswith(",") and _AGE.search(before))


def _labelled(before: str) -> bool:
    """A currency sign, a letter ('COVID-19', 'F-16') or a label ('No.', 'magnitude') before."""
    tail = before.rstrip()
    if not tail:
        return False
    if tail[-1] in "$\u20ac\u00a3\u00a5#" or (before[-1:].isalpha()) or (
            tail[-1] == "-" and tail[-2:-1].isalpha()):
        return True
    chunks = tail.lower().split()
    return chunks[-1].lstrip(_OPENERS) in _LABELS or " ".join(chunks[-2:]) in _LABEL_PAIRS


def _range_end(text: str, numbers: list[Number], i: int) -> tuple[Number | None, list[int]]:
    """The upper bound when numbers[i] starts a range ("1 to 3 km", "between 7 and 8"), and the
    indices of the numbers it uses; (numbers[i], []) when it does not start one."""
    number = numbers[i]
    if i + 1 >= len(numbers):
        return number, []
    nxt = numbers[i + 1]
    unit = unit_after(text, number.end)
    gap = text[unit.end if unit else number.end:nxt.start]
    if not _RANGE_JOIN.match(gap):
        return number, []
    joiner = gap.strip().lower()
    before = text[max(0, number.start - 40):number.start]
    if joiner == "and" and not re.search(r"\bbetween\s*$", before, re.IGNORECASE):
        return number, []
    if joiner == "or" and not unit:
        return number, []
    if not_a_figure_after(text, nxt.end):
        return None, [i + 1]  # "2 to 3 percentage points": neither end is a figure
    return nxt, [i + 1]


def _make_figure(text: str, low: Number, high: Number, is_range: bool) -> Figure | None:
    unit = unit_after(text, high.end)
    factor = unit.factor if unit else 1.0
    end = unit.end if unit else high.end
    change = is_range and _CHANGE_FROM.search(text[max(0, low.start - 30):low.start]) is not None
    start = low.start
    qualifier = _qualifier(text, start, end)
    if is_range and not change:
        qualifier = "max"
    return Figure(start, end, high.end, high.value * factor, qualifier,
                  unit.dimension if unit else None, end, is_range and not change, change,
                  high.words)


def _qualifier(text: str, start: int, end: int) -> str:
    before = text[max(0, start - 40):start]
    found = _qualifier_before(before)
    if found is not None:
        kind = found[0]
        if kind == "min" and _last_words(before, 1) == ["over"]:
            head = before.rstrip().rsplit(None, 1)[0] if len(before.split()) > 1 else ""
            if _over_means_across(head):
                return "exact"
        return kind
    after = _QUALIFIER_AFTER.match(text, end)
    if after is not None:
        return "min" if after.group("min") else "approx"
    return "exact"


def _last_words(before: str, n: int) -> list[str]:
    chunks = before.lower().split()[-n:]
    if chunks:
        chunks[0] = chunks[0].lstrip(_OPENERS)
    return chunks


def _qualifier_before(before: str) -> tuple[str, int] | None:
    """The qualifier the text ends with, and its number of words."""
    if not before[-1:].isspace() and before[-1:] not in _OPENERS:
        return None
    for n in _QUALIFIER_LENGTHS:
        kind = _QUALIFIER.get(" ".join(_last_words(before, n)))
        if kind is not None:
            return kind, n
    return None


def _over_means_across(before: str) -> bool:
    """'control over 1,000 km²' and '80 settlements over 1,150 km²' are not 'more than'."""
    words = re.findall(r"[\w,.]+", before.lower())
    if not words:
        return False
    if words[-1] in OVER_NOT_MIN:
        return True
    return any(re.fullmatch(r"\d[\d,.]*", w) for w in words[-3:])


def _dependent(text: str, figure: Figure, numbers: list[Number], j: int) -> int | None:
    """Index of a number that only restates `figure`: its conversion in brackets, or the
    denominator in "1,500 of a total of 6,142 buildings"."""
    if j >= len(numbers):
        return None
    nxt = numbers[j]
    gap = text[figure.end:nxt.start]
    if figure.dimension and _CONVERSION.match(gap):
        unit = unit_after(text, nxt.end)
        if unit is not None and unit.dimension == figure.dimension:
            return j
    if figure.dimension is None and _OF_TOTAL.match(gap):
        return j
    return None


def _after_number(text: str, number: Number) -> int:
    unit = unit_after(text, number.end)
    return unit.end if unit else number.end


def strip_qualifier(before: str) -> str:
    """`before` without the qualifier that ends it ('... rise to at least' → '... rise to')."""
    found = _qualifier_before(before)
    if found is None:
        return before
    parts = before.rstrip().rsplit(None, found[1])
    return parts[0] + " " if len(parts) > found[1] else ""


def word_set(text: str) -> frozenset[str]:
    """The lower-cased words of a text."""
    return frozenset(_WORDS.findall(text.lower()))
