"""Kind of a claim: a standing total, or a delta (an increment, a count over a window)."""

from __future__ import annotations

import re

from worker.claims.cues import CueIndex, Reading
from worker.claims.dates import dated_strike
from worker.claims.figures import Figure, strip_qualifier
from worker.claims.model import Claim, Kind
from worker.claims.phrases import PhraseMatcher
from worker.claims.text import Sentence
from worker.claims.vocabulary import DAY_WINDOW, INCREMENT, SPEECH, TOTAL_CUES, phrase_pattern

_DAY_WINDOW = PhraseMatcher(DAY_WINDOW)
_TOTAL = PhraseMatcher(TOTAL_CUES)
_TOTAL_FIRST = _TOTAL.anchors
_WINDOW_FIRST = _DAY_WINDOW.anchors
_INCREMENT = frozenset(" ".join(p.split()) for p in INCREMENT)
_MORE_AFTER = re.compile(r"\s+more\b", re.IGNORECASE)
_SPEECH_BEFORE = re.compile(phrase_pattern(SPEECH).pattern + r"(?:\s+(?!that\b)\S+){0,4}\s*$",
                            re.IGNORECASE)
_ADVANCE_VERB = re.compile(r"\badvanc(?:ed|es|ing)\b(?:\s+\S+){0,5}\s*$", re.IGNORECASE)
# A recent span of several hours, days, weeks or months, or of named days: "in the past two
# months", "over the last 48 hours", "on Wednesday and Thursday".
_DAYS = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_SPAN = re.compile(r"\b(?:(?:in|over|during|within|for)\s+the\s+(?:past|last|previous)\s+"
                   r"(?:[\w-]+\s+){0,2}?(?:hours|days|weeks|months|day|week|month)"
                   r"|(?:on|between)\s+" + _DAYS + r"\s+and\s+" + _DAYS + r")\b", re.IGNORECASE)
_SPAN_FIRST = frozenset(("past", "last", "previous", "and"))
# A span in a sentence that calls its figure a toll, or counts it from a start, is the whole
# event or a part of it: "150 have died over the past two days, and the death toll continues to
# rise", "2,000 killed since October, most of them in the past month".
_WHOLE = frozenset(("toll", "tolls", "since"))
# Victims of a strike, counted by the day it hit.
_VICTIMS = frozenset(("killed", "injured", "casualties"))
# Counts split by category: "2,400 destroyed and another 9,100 damaged" is a second category.
_CATEGORIES = frozenset(("buildings",))
# Metrics that only grow by events in the field: an increment is always a delta.
_TERRITORY = frozenset(("area_km2", "settlements", "advance_km"))


class KindReader:
    """Reads the kind of a figure; holds the watchlist's cues (for what is held or taken)."""

    def __init__(self, cues: CueIndex) -> None:
        self.cues = cues

    def kind(self, sentences: list[Sentence], sentence: Sentence, figure: Figure,
             reading: Reading, earlier: list[Claim]) -> Kind:
        """Total (a standing figure) or delta (an increment, or a count over a window)."""
        metric, text = reading.metric, sentence.text
        if metric == "attacks":
            return "delta"
        before = strip_qualifier(text[max(0, figure.start - 80):figure.start])
        # "another 40 km²" adds to territory; "a further 800 missing" after a death toll is
        # another count, unless the same count was given just before
        increment = _ends_with(before, _INCREMENT) or _MORE_AFTER.match(text, figure.end)
        if increment and (metric in _TERRITORY or (metric not in _CATEGORIES and any(
                c.metric == metric and _same_paragraph(sentences, c, sentence) for c in earlier))):
            return "delta"
        if not _TOTAL_FIRST.isdisjoint(sentence.words) and _TOTAL.search(text):
            return "total"
        if metric in _VICTIMS and dated_strike(text, figure.end, sentence.words):
            return "delta"
        state = self._is_state(sentence, figure)
        if _has_window(sentence) and not state:
            return "delta"
        if metric == "advance_km" and "advanc" in before.lower() and _ADVANCE_VERB.search(before):
            return "delta"
        if metric in _TERRITORY and not state and _window_before(sentences, sentence):
            return "delta"
        return "total"

    def _is_state(self, sentence: Sentence, figure: Figure) -> bool:
        """Whether the nearest control word says what is held ('now control 82'), not taken."""
        controls = sentence.memo.get("controls")
        if controls is None:
            controls = sentence.memo["controls"] = self.cues.control_cues(sentence)
        if not controls:
            return False
        at = sentence.token_at(figure.start)
        nearest = min(controls, key=lambda c: min(abs(c.first - at), abs(c.last - at)))
        return nearest.metric == "state"


def _ends_with(text: str, phrases: frozenset[str]) -> bool:
    """Whether the last one to three words of `text` are one of `phrases`."""
    words = text.lower().split()[-3:]
    return any(" ".join(words[-n:]) in phrases for n in (1, 2, 3) if len(words) >= n)


def _same_paragraph(sentences: list[Sentence], claim: Claim, sentence: Sentence) -> bool:
    return any(s.text == claim.sentence and s.paragraph == sentence.paragraph
               for s in sentences)


def _has_window(sentence: Sentence) -> bool:
    """A day window, or a recent span of days or weeks, that dates the event, not the speaking
    ('said on TV today' is not)."""
    day = not _WINDOW_FIRST.isdisjoint(sentence.words)
    span = not _SPAN_FIRST.isdisjoint(sentence.words) and _WHOLE.isdisjoint(sentence.words)
    if not day and not span:
        return False
    if "window" not in sentence.memo:
        text = sentence.text
        spans = [*(_DAY_WINDOW.finditer(text) if day else ()),
                 *(_SPAN.finditer(text) if span else ())]
        sentence.memo["window"] = any(
            not _SPEECH_BEFORE.search(text[max(0, m.start() - 80):m.start()]) for m in spans)
    return bool(sentence.memo["window"])


def _window_before(sentences: list[Sentence], sentence: Sentence) -> bool:
    """A day window opened by an earlier sentence of the paragraph ('Over the past day, ...')."""
    for i in range(sentence.index - 1, -1, -1):
        previous = sentences[i]
        if previous.paragraph != sentence.paragraph:
            return False
        if _has_window(previous):
            return True
    return False
