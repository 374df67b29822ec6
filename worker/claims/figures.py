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

_QUALIFIER = {
    kind: re.compile(r"(?<![\w-])(?:" + "|".join(
        r"\s+".join(re.escape(w) for w in p.split()) for p in sorted(words, key=len, reverse=True)
    ) + r")\s*$", re.IGNORECASE)
    for kind, words in QUALIFIERS.items()
}
_QUALIFIER_AFTER = re.compile(r"\s*(?:(?P<min>or\s+more|and\s+more|plus\b|\+)|(?P<approx>or\s+so))",
                              re.IGNORECASE)
_BEFORE_SKIP = re.compile(
    r"(?:[$€£¥]|\b(?:us|usd|eur|rs|no|number|nos|magnitude|depth\s+of|aged|age|ages|code|"
    r"route|flight|article|resolution|page|chapter|level|category|grade|phase|platform|"
    r"a\s+magnitude|the\s+magnitude|scale\s+of)\.?)\s*[-#]?\s*$|[A-Za-z]-?$|#$",
    re.IGNORECASE,
)
_AGE = re.compile(r"[A-Z][\w\u2019'-]+,\s*$")
_RANGE_JOIN = re.compile(r"^\s*(?:-|\u2013|\u2014|to|and|or)\s*$", re.IGNORECASE)
_CHANGE_FROM = re.compile(
    r"\b(?:rose|risen|rising|rises|increased|increasing|climbed|jumped|grew|soared|up|down|fell|"
    r"dropped|revised|raised|lowered|went)\s+from\s*$", re.IGNORECASE)
_OF_TOTAL = re.compile(r"^\s*(?:out\s+)?of\s+(?:a\s+total\s+of\s+|the\s+|all\s+|some\s+|about\s+)?$",
                       re.IGNORECASE)
_CONVERSION = re.compile(r"^\s*[(\[]\s*(?:about|some|around|roughly|approximately|nearly|almost|"
                         r"more\s+than|over|at\s+least|up\s+to|or)?\s*$", re.IGNORECASE)
_YEAR = re.compile(r"^(?:1[89]|20)\d\d$")


@dataclass(frozen=True)
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


def read_figures(text: str) -> list[Figure]:
    """The figures of one sentence, in order."""
    blocked = date_spans(text)
    numbers = [n for n in find_numbers(text)
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
    digits = text[number.start:number.end]
    if _BEFORE_SKIP.search(before) or not_a_figure_after(text, number.end):
        return True
    if re.match(r"-\d+/\d|/\d|-[^\W\d_]", after) or (re.match(r"[-/]", after) and not re.match(
            r"[-\u2013]\s*\d", after)):
        return True  # fractions, "10-day", "7.8-magnitude"
    if _YEAR.match(digits) and not re.match(r"\s+(?:people|persons|[a-z]+s)\b", after):
        return True
    return bool(_AGE.search(before) and re.match(r"\s*,", after) and number.value < 120)


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
    for kind in ("approx", "max", "min"):
        match = _QUALIFIER[kind].search(before)
        if match is None:
            continue
        if match.group().strip().lower() == "over" and _over_means_across(before[:match.start()]):
            return "exact"
        return kind
    after = _QUALIFIER_AFTER.match(text, end)
    if after is not None:
        return "min" if after.group("min") else "approx"
    return "exact"


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
    for pattern in _QUALIFIER.values():
        match = pattern.search(before)
        if match is not None:
            return before[:match.start()]
    return before
