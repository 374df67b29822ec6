"""Dates in a sentence: which spans are dates (never figures), and which date a report carries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from worker.claims.vocabulary import MONTHS, SPEECH, WEEKDAYS

_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_MONTH_DAY = re.compile(
    rf"\b(?P<m1>{_MONTH})\s+(?P<d1>{_DAY})\b(?:,?\s+(?P<y1>(?:19|20)\d\d)\b)?"
    rf"|\b(?P<d2>{_DAY})\s+(?:of\s+)?(?P<m2>{_MONTH})(?!\w)(?:,?\s+(?P<y2>(?:19|20)\d\d)\b)?",
    re.IGNORECASE,
)
_MONTH_WORDS = frozenset(MONTHS)
_OTHER_GATE = re.compile(r"\d[-/:]\d|(?<!\d)(?:19|20)\d\d(?!\d)")
_WEEKDAY = re.compile(r"\b(?P<w>" + "|".join(WEEKDAYS) + r")\b(?!['\u2019]s)", re.IGNORECASE)
# Other spans whose digits are not figures: ISO and slashed dates, clock times, years in "since".
_OTHER = re.compile(
    r"\b\d{4}-\d\d-\d\d\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b\d{1,2}:\d\d\b"
    r"|\b(?:in|since|of|from|until|by|before|after|year|early|late|mid-?)\s+(?:19|20)\d\d\b"
    rf"|\b{_MONTH}\s+(?:19|20)\d\d\b",
    re.IGNORECASE,
)
_SPEECH = "|".join(sorted(SPEECH, key=len, reverse=True))
# What makes a date the date of a report rather than of an event: "On 12 August, ...",
# "by Aug. 12", "as of Saturday", "claimed on Aug. 12", "said Sunday".
_ATTACHED = re.compile(
    rf"(?:\b(?:by|as\s+of|as\s+at)\s+$|\b(?:{_SPEECH})\b(?:\s+\S+){{0,4}}?\s+(?:on\s+)?$)",
    re.IGNORECASE,
)


# Words that make a count a standing toll, whatever day it is told on.
_TOLL = re.compile(r"\b(?:toll|tally|total|rose|risen|climbed|since|so\s+far|to\s+date|overall|"
                   r"in\s+all|altogether)\b", re.IGNORECASE)


# A strike, not a disaster: one of many events whose victims are counted day by day.
_STRIKE_WORDS = frozenset((
    "shelling", "shell", "shells", "strike", "strikes", "airstrike", "airstrikes", "attack",
    "attacks", "missile", "missiles", "drone", "drones", "bombing", "bombings", "bombardment",
    "bombardments", "raid", "raids", "rocket", "rockets", "artillery", "gunfire"))


def dated_strike(text: str, end: int, words: frozenset[str]) -> bool:
    """Whether the text counts the victims of a strike on a named day ('shelling killed 3 ... on
    Thursday', 'wounded 15 in a strike on May 2'): a count over that day, not a standing toll.
    A day the report is given on ('said on Thursday') does not date the strike, and a toll
    word up to the figure (ending at `end`) makes it a toll ('raising the death toll to 40')."""
    if _STRIKE_WORDS.isdisjoint(words) or _TOLL.search(text, 0, end):
        return False
    days = [*_WEEKDAY.finditer(text), *_MONTH_DAY.finditer(text)]
    return any(not _ATTACHED.search(text[max(0, m.start() - 60):m.start()]) for m in days)


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    day: date | None       # resolved against the publication date; None if it cannot be
    weekday: bool          # "on Saturday" (a weekday) rather than "12 August"
    attached: bool         # the date of a report, not of an event


def date_spans(text: str, words: frozenset[str] | None = None) -> list[tuple[int, int]]:
    """Character spans that are dates, times or years: numbers inside them are not figures.
    `words`, the lower-cased words of the text if known, lets most texts skip the month search."""
    spans = []
    if words is None or not _MONTH_WORDS.isdisjoint(words):
        spans = [m.span() for m in _MONTH_DAY.finditer(text)]
    if _OTHER_GATE.search(text):
        spans += [m.span() for m in _OTHER.finditer(text)]
    return spans


@lru_cache(maxsize=64)
def find_dates(text: str, published: date | None) -> tuple[DateMention, ...]:
    """Calendar and weekday dates in one sentence, resolved against `published` when known
    (cached: every figure of a sentence asks for the same dates)."""
    found: list[DateMention] = []
    for m in _MONTH_DAY.finditer(text):
        day = _resolve_month_day(m, published)
        found.append(DateMention(m.start(), m.end(), day, False, _is_attached(text, m.start())))
    for m in _WEEKDAY.finditer(text):
        day = _resolve_weekday(m.group("w"), published)
        found.append(DateMention(m.start(), m.end(), day, True, _is_attached(text, m.start())))
    return tuple(sorted(found, key=lambda d: d.start))


def _is_attached(text: str, start: int) -> bool:
    before = text[max(0, start - 60):start]
    if re.search(r"\bsince\s+$|\bfrom\s+$|\buntil\s+$|['\u2019]s\s+$", before, re.IGNORECASE):
        return False
    if re.fullmatch(r"\W*(?:on|by|as\s+of)?\s*", text[:start], re.IGNORECASE):
        return True  # "On 12 August, ..." / "Aug. 12: ..." opens the sentence
    return _ATTACHED.search(before) is not None


def _resolve_month_day(m: re.Match[str], published: date | None) -> date | None:
    month = MONTHS[(m.group("m1") or m.group("m2")).lower().rstrip(".")]
    day = int(re.sub(r"\D", "", m.group("d1") or m.group("d2")))
    year_text = m.group("y1") or m.group("y2")
    if year_text is None and published is None:
        return None
    year = int(year_text) if year_text else published.year  # type: ignore[union-attr]
    try:
        resolved = date(year, month, day)
    except ValueError:
        return None
    if year_text is None and published is not None and resolved > published + timedelta(days=31):
        resolved = resolved.replace(year=year - 1)  # "Dec. 30" in a January article
    return resolved


def _resolve_weekday(name: str, published: date | None) -> date | None:
    if published is None:
        return None
    back = (published.weekday() - WEEKDAYS[name.lower()]) % 7
    return published - timedelta(days=back)


_DATE_WORDS = frozenset(MONTHS) | frozenset(WEEKDAYS)


def report_date(text: str, published: date | None, before: int,
                words: frozenset[str] | None = None) -> date | None:
    """The date the sentence gives a report it repeats, if that date is before publication.

    A calendar date earlier than the publication day counts; a weekday must be two days or more
    earlier, because wire copy dates the day's own news by weekday and is often published the
    next day ("..., the minister said Sunday" in a Monday paper is not a back-reference).
    """
    if published is None or (words is not None and _DATE_WORDS.isdisjoint(words)):
        return None
    best: date | None = None
    for mention in find_dates(text, published):
        if not mention.attached or mention.day is None or mention.start > before + 80:
            continue
        limit = published - timedelta(days=2 if mention.weekday else 1)
        if mention.day <= limit:
            best = mention.day
    return best


_PAST_YEAR = re.compile(rf"\b(?:in|during)\s+(?:(?:early|late|mid-?)\s*)?(?:{_MONTH}\s+)?"
                        r"((?:19|20)\d\d)\b", re.IGNORECASE)


def looks_back(text: str, published: date | None) -> bool:
    """Whether the sentence is about an earlier year ('a quake killed 700 in 2016')."""
    if published is None:
        return False
    return any(int(m.group(1)) < published.year for m in _PAST_YEAR.finditer(text))
