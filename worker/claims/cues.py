"""Which metric a figure counts, read from the words around it.

A count takes its metric from its noun ("80 settlements", "51 Russian attacks") or, when it counts
people or stands alone, from the word that says what happened to them: after it ("588 were
injured", "231 people missing") or before it ("killed at least 272 people", "the death toll
stood at 443"). A measure takes its metric from its unit and the verb of the sentence ("seized
1,150 square km", "advanced 3 km"); sizes and distances are not claims.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from worker.claims.figures import Figure
from worker.claims.phrases import PhraseMatcher
from worker.claims.text import Sentence
from worker.claims.vocabulary import (
    ADVANCE,
    AGENTS,
    AREA_EVENT,
    CAPTURE,
    CONTROL_EVENT,
    CONTROL_STATE,
    DAMAGE,
    DISTANCE_AFTER,
    FUNCTION_WORDS,
    LINKING,
    METRIC_NOUNS,
    MODIFIERS,
    PERSON_NOUNS,
    PREDICATES,
    QUAKE,
    SIZE_BEFORE,
    SOLDIER_NOUNS,
    first_words,
    phrase_pattern,
)
from worker.watchlist import Watchlist

_RIGHT_STOP = frozenset((",", ";", ":", "(", ")", "and", "but", "while", "whereas", ".", "\u2014",
                         "\u2013", "whom", "than", "if"))
_QUALIFIER_WORDS = frozenset(("at", "least", "more", "than", "over", "about", "around", "some",
                              "nearly", "almost", "up", "to", "as", "many", "an", "estimated",
                              "roughly", "approximately", "close", "just", "under", "possibly",
                              "another", "a", "further", "additional", "the", "of", "only"))
# Before a count that borrows the metric of the previous one: "and another 13", "rise to 150".
_INCREMENT_BEFORE = re.compile(
    r"\b(?:another|a\s+further|further|additional|an\s+additional|and|plus|with|"
    r"(?:rise|rises|rose|risen|rising|climb|climbs|climbed|reach|reaches|reached|increase|"
    r"increased|grow|grew|hit|hits|top|tops|topped|exceed|exceeds|exceeded|jump|jumped|soar|"
    r"soared)(?:\s+to)?)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)


@dataclass(frozen=True)
class Cue:
    first: int   # token index of its first word
    last: int    # token index of its last word
    metric: str  # a metric name, or a role: "capture"
    words: str


@dataclass(frozen=True)
class Reading:
    """What a figure counts, and the cue that says so (for kind: state or event)."""

    metric: str
    cue: Cue | None


class CueIndex:
    """Compiled metric vocabulary of one watchlist (built-in metrics in force, custom metrics)."""

    def __init__(self, watchlist: Watchlist) -> None:
        units = watchlist.metric_units
        self.in_force = set(units)
        self._predicate_of: dict[str, str] = {}
        for metric, words in PREDICATES.items():
            for word in words:
                self._predicate_of.setdefault(word.lower(), metric)
        self._noun_of: dict[str, str] = {}
        for metric, words in METRIC_NOUNS.items():
            for word in words:
                self._noun_of.setdefault(word.lower(), metric)
        self._custom_measure: dict[str, list[str]] = {"km2": [], "km": []}
        for custom in watchlist.custom_metrics:
            for word in custom.words:
                if custom.unit in self._custom_measure:
                    self._custom_measure[custom.unit].append(word.lower())
                else:
                    self._predicate_of[word.lower()] = custom.name
                    self._noun_of[word.lower()] = custom.name
        self._custom_units = {c.name: c.unit for c in watchlist.custom_metrics}
        self._custom_measure_metric = {w: c.name for c in watchlist.custom_metrics
                                       for w in c.words if c.unit in ("km2", "km")}
        self._agent_of = {w.lower(): m for m, ws in AGENTS.items() for w in ws}
        self._predicates = PhraseMatcher([*self._predicate_of, *CAPTURE, *self._agent_of])
        self._capture = {w.lower() for w in CAPTURE}
        self._damage = PhraseMatcher(DAMAGE)
        self._control = PhraseMatcher([*CONTROL_EVENT, *CONTROL_STATE])
        self._state = {w.lower() for w in CONTROL_STATE}
        self._area = PhraseMatcher([*CONTROL_EVENT, *CONTROL_STATE, *AREA_EVENT])
        self._advance = PhraseMatcher(ADVANCE)
        self._size = re.compile(phrase_pattern(SIZE_BEFORE).pattern + r"(?:\s+\w+){0,3}\s*$",
                                re.IGNORECASE)
        self._distance = re.compile(r"\s*\)?\s*" + phrase_pattern(DISTANCE_AFTER).pattern,
                                    re.IGNORECASE)
        self._quake = PhraseMatcher(QUAKE)
        measure_words = [w for ws in self._custom_measure.values() for w in ws]
        self._custom_area = PhraseMatcher(self._custom_measure["km2"]) if measure_words else None
        self._custom_length = (PhraseMatcher(self._custom_measure["km"])
                               if self._custom_measure["km"] else None)
        self.first = first_words([
            *self._predicate_of, *self._noun_of, *CAPTURE, *DAMAGE, *CONTROL_EVENT,
            *CONTROL_STATE, *AREA_EVENT, *ADVANCE, *measure_words,
            "km", "kilometers", "kilometres", "miles", "hectares", "acres", "metres", "meters",
            "sq", "square", "km2", "km²", "ha",
        ])

    def unit_of(self, metric: str, builtin: dict[str, str]) -> str:
        return self._custom_units.get(metric) or builtin.get(metric, "count")

    # --- cues of a sentence ------------------------------------------------------------------
    def cues(self, sentence: Sentence) -> list[Cue]:
        """Predicate and capture cues of the sentence, in order."""
        found = []
        for m in self._predicates.finditer(sentence.text):
            word = re.sub(r"\s+", " ", m.group().lower())
            if word in self._agent_of:
                metric = "agent:" + self._agent_of[word]
            else:
                metric = "capture" if word in self._capture else self._predicate_of[word]
            found.append(Cue(sentence.token_at(m.start()), sentence.token_at(m.end() - 1),
                             metric, word))
        return found

    def control_cues(self, sentence: Sentence) -> list[Cue]:
        found = []
        for m in self._control.finditer(sentence.text):
            word = re.sub(r"\s+", " ", m.group().lower())
            role = "state" if word in self._state else "event"
            found.append(Cue(sentence.token_at(m.start()), sentence.token_at(m.end() - 1),
                             role, word))
        return found

    # --- measures ----------------------------------------------------------------------------
    def measure_metric(self, sentence: Sentence, figure: Figure) -> str | None:
        """area_km2 / advance_km (or a custom measure) for a figure with a unit, else None."""
        text = sentence.text
        before = text[max(0, figure.start - 50):figure.start]
        if self._size.search(before):
            return None
        if figure.dimension == "km2":
            custom = self._custom_match(self._custom_area, text)
            if custom:
                return custom
            return "area_km2" if self._area.search(text) else None
        if self._distance.match(text, figure.end) or self._quake.search(text):
            return None
        custom = self._custom_match(self._custom_length, text)
        if custom:
            return custom
        return "advance_km" if self._advance.search(text) else None

    def _custom_match(self, pattern: PhraseMatcher | None, text: str) -> str | None:
        if pattern is None:
            return None
        match = pattern.search(text)
        return self._custom_measure_metric.get(match.group().lower()) if match else None

    # --- counts ------------------------------------------------------------------------------
    def is_bare(self, sentence: Sentence, figure: Figure) -> bool:
        """Whether a count stands without a noun ('and another 13 near Toretsk')."""
        return self._head(sentence, sentence.token_from(figure.noun_from))[0] == "bare"

    def count_metric(self, sentence: Sentence, figure: Figure, cues: list[Cue],
                     used: set[Cue], bounds: list[int]) -> Reading | None:
        """The metric of a count, from its noun and the cues around it; None if it has none.

        `used` holds cues already taken by an earlier figure as their right-hand cue; `bounds`
        the token indices of the other figures, which a left-hand search does not cross.
        """
        tokens = sentence.tokens()
        head, head_at = self._head(sentence, sentence.token_from(figure.noun_from))
        if head == "unknown":
            return None
        if head not in ("person", "bare"):
            return self._noun_reading(sentence, head, cues, figure)
        start = sentence.token_at(figure.start)
        right = self._right_cue(tokens, cues, head_at + 1 if head_at >= 0 else
                                sentence.token_from(figure.noun_from), bounds)
        cue = right or self._left_cue(tokens, cues, start, used, bounds)
        if cue is None:
            return None
        if cue.metric == "capture":
            soldier = head_at >= 0 and tokens[head_at] in SOLDIER_NOUNS
            return Reading("prisoners", cue) if soldier else None
        if right is not None:
            used.add(right)
        return Reading(cue.metric.removeprefix("agent:"), cue)

    def _head(self, sentence: Sentence, i: int) -> tuple[str, int]:
        """The noun a count counts: a metric, 'person', 'bare' (none) or 'unknown'."""
        tokens, raw = sentence.tokens(), sentence.raw_tokens()
        for j in range(i, min(i + 4, len(tokens))):
            word = tokens[j]
            phrase = self._noun_phrase(tokens, j)
            if phrase:
                return phrase, j
            if word in self._noun_of and not (j == i and word in self._predicate_of
                                              and word not in ("deaths", "bodies", "fatalities",
                                                               "casualties", "injuries")):
                return self._noun_of[word], j
            if word in PERSON_NOUNS:
                return "person", j
            if not word[0].isalpha():
                return "bare", -1
            if j == i and (word in FUNCTION_WORDS
                           or word in self._predicate_of or word in self._capture):
                return "bare", -1
            if word in MODIFIERS or raw[j][0].isupper():
                continue  # "51 Russian attacks", "151 more buildings"
            return "unknown", -1
        return "bare", -1

    def _noun_phrase(self, tokens: list[str], j: int) -> str | None:
        """The metric of a noun of several words starting at token j ('poisoned wells')."""
        for n in (3, 2):
            metric = self._noun_of.get(" ".join(tokens[j:j + n]))
            if metric:
                return metric
        return None

    def _noun_reading(self, sentence: Sentence, metric: str, cues: list[Cue],
                      figure: Figure) -> Reading | None:
        text = sentence.text
        if metric == "settlements":
            return Reading(metric, None) if self._control.search(text) else None
        if metric == "buildings":
            return Reading(metric, None) if self._damage.search(text) else None
        if metric == "prisoners":
            noun = text[figure.noun_from:figure.noun_from + 40].lower()
            war = any(c.metric == "capture" for c in cues) or re.search(
                r"\b(?:of\s+war|pows?|captives)\b", noun)
            return Reading(metric, None) if war else None
        return Reading(metric, None)

    def _right_cue(self, tokens: list[str], cues: list[Cue], i: int,
                   bounds: list[int]) -> Cue | None:
        for j in range(i, min(i + 8, len(tokens))):
            if tokens[j] in _RIGHT_STOP or j in bounds:
                return None
            cue = next((c for c in cues if c.first == j and not c.metric.startswith("agent:")),
                       None)
            if cue is not None:
                return cue
        return None

    def _left_cue(self, tokens: list[str], cues: list[Cue], start: int, used: set[Cue],
                  bounds: list[int]) -> Cue | None:
        first = start - 1
        while first >= 0 and tokens[first] in _QUALIFIER_WORDS:
            first -= 1
        linked = first >= 0 and tokens[first] in LINKING
        for cue in reversed(cues):
            if cue.last >= start or cue in used:
                continue
            if any(cue.last < b < start for b in bounds) or start - cue.last > 15:
                return None
            between = tokens[cue.last + 1:start]
            near = first - cue.last <= 4 and not ({",", "and", ";", "."} & set(between))
            if near or (linked and ";" not in between and "." not in between):
                return cue
            return None
        return None


def elliptical(sentence: Sentence, figure: Figure) -> bool:
    """'... and another 13 near Toretsk': a count whose noun is the previous figure's."""
    return _INCREMENT_BEFORE.search(sentence.text[max(0, figure.start - 40):figure.start]) is not None
