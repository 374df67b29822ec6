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
from worker.claims.phrases import PhraseMatcher, anchor_words
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
    LOSSES,
    METRIC_NOUNS,
    MODIFIERS,
    PERSON_NOUNS,
    PREDICATES,
    QUAKE,
    SIZE_BEFORE,
    SOLDIER_NOUNS,
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
    r"\b(?:another|a\s+further|further|additional|an\s+additional|and|plus|with|including|"
    r"(?:rise|rises|rose|risen|rising|climb|climbs|climbed|reach|reaches|reached|increase|"
    r"increased|grow|grew|hit|hits|top|tops|topped|exceed|exceeds|exceeded|jump|jumped|soar|"
    r"soared)(?:\s+to)?)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)


_ATTACK_VERB = re.compile(r"\b(?:attacked|shelled|struck|hit|targeted|bombed|bombarded|fired\s+on|"
                          r"fired\s+at|stormed|assaulted|raided)\b", re.IGNORECASE)
_AUXILIARIES = frozenset(("had", "have", "has", "were", "was", "are", "is", "will", "would",
                          "could", "may", "might", "remain", "remained"))
_OF_THEM = re.compile(r"\s+of\s+(?:them|whom|which|those|these)\b", re.IGNORECASE)
_GROUP = frozenset(("those", "them", "whom", "these"))
# "8 metres deep": a depth of debris or water, not an advance (which is counted in km).
_METRES_DEEP = re.compile(r"\s*(?:m|metres|meters|metre|meter)\s+(?:deep|thick)\b", re.IGNORECASE)
_TOTAL_TO = re.compile(r"\b(?:total|tally|toll|count|number)\b[^.;]*\bto\s+$", re.IGNORECASE)


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
        self._index_words(watchlist)
        self._agent_of = {w.lower(): m for m, ws in AGENTS.items() for w in ws}
        self._predicates = PhraseMatcher([*self._predicate_of, *CAPTURE, *self._agent_of,
                                          *LOSSES])
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
        area, length = self._custom_measure["km2"], self._custom_measure["km"]
        self._custom_area = PhraseMatcher(area) if area else None
        self._custom_length = PhraseMatcher(length) if length else None
        # a sentence is read in depth only if it has one of these words (and a number)
        self.first = anchor_words([
            *self._predicate_of, *self._noun_of, *self._agent_of, *CAPTURE, *DAMAGE, *CONTROL_EVENT,
            *CONTROL_STATE, *AREA_EVENT, *ADVANCE, *area, *length, *LOSSES, "times",
            "attacked", "shelled", "struck", "targeted", "bombed", "bombarded", "stormed",
            "km", "kilometers", "kilometres", "miles", "hectares", "acres", "metres", "meters",
            "sq", "square", "km2", "km\u00b2", "ha",
        ])

    def _index_words(self, watchlist: Watchlist) -> None:
        """Predicate and noun words by metric, the watchlist's custom metrics included."""
        self._predicate_of: dict[str, str] = {}
        for metric, words in PREDICATES.items():
            for word in words:
                self._predicate_of.setdefault(word.lower(), metric)
        self._noun_of: dict[str, str] = {}
        for metric, words in METRIC_NOUNS.items():
            for word in words:
                self._noun_of.setdefault(word.lower(), metric)
        self._custom_measure: dict[str, list[str]] = {"km2": [], "km": []}
        self._custom_measure_metric: dict[str, str] = {}
        for custom in watchlist.custom_metrics:
            for word in custom.words:
                if custom.unit in self._custom_measure:
                    self._custom_measure[custom.unit].append(word.lower())
                    self._custom_measure_metric[word.lower()] = custom.name
                else:
                    self._predicate_of[word.lower()] = custom.name
                    self._noun_of[word.lower()] = custom.name

    # --- cues of a sentence ------------------------------------------------------------------
    def cues(self, sentence: Sentence) -> list[Cue]:
        """Predicate and capture cues of the sentence, in order."""
        found = []
        for m in self._predicates.finditer(sentence.text):
            word = " ".join(m.group().lower().split())
            if word in self._agent_of:
                metric = "agent:" + self._agent_of[word]
            elif word in LOSSES:
                metric = "losses"
            else:
                metric = "capture" if word in self._capture else self._predicate_of[word]
            found.append(Cue(sentence.token_at(m.start()), sentence.token_at(m.end() - 1),
                             metric, word))
        return found

    def control_cues(self, sentence: Sentence) -> list[Cue]:
        found = []
        for m in self._control.finditer(sentence.text):
            word = " ".join(m.group().lower().split())
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
        if (self._distance.match(text, figure.end) or self._quake.search(text)
                or _METRES_DEEP.match(text, figure.num_end)):
            return None
        custom = self._custom_match(self._custom_length, text)
        if custom:
            return custom
        return "advance_km" if self._advance.search(text) else None

    def _custom_match(self, pattern: PhraseMatcher | None, text: str) -> str | None:
        if pattern is None:
            return None
        match = pattern.search(text)
        return self._custom_measure_metric.get(" ".join(match.group().lower().split())) if match else None

    # --- counts ------------------------------------------------------------------------------
    def is_bare(self, sentence: Sentence, figure: Figure) -> bool:
        """Whether a count stands without a noun or a verb of its own ('and another 13 near
        Toretsk', 'and 11,000 damaged'; not 'and 2.2 million had left')."""
        at = sentence.token_from(figure.noun_from)
        tokens = sentence.tokens()
        if at < len(tokens) and tokens[at] in _AUXILIARIES:
            return False
        return self._head(sentence, at)[0] == "bare"

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
        if head_at >= 0 and tokens[head_at] == "times":
            return self._times_reading(sentence, figure)
        start = sentence.token_at(figure.start)
        right = self._right_cue(tokens, cues, head_at + 1 if head_at >= 0 else
                                sentence.token_from(figure.noun_from), bounds)
        cue = right or self._left_cue(tokens, cues, start, used, bounds)
        if cue is None:
            return None
        soldier = head_at >= 0 and tokens[head_at] in SOLDIER_NOUNS
        if cue.metric == "capture":
            return Reading("prisoners", cue) if soldier else None
        if cue.metric == "losses":
            return Reading("casualties", cue) if soldier else None
        if right is not None:
            used.add(right)
        return Reading(cue.metric.removeprefix("agent:"), cue)

    def _head(self, sentence: Sentence, i: int) -> tuple[str, int]:
        """The noun a count counts: a metric, 'person', 'bare' (none) or 'unknown'."""
        tokens, raw = sentence.tokens(), sentence.raw_tokens()
        named = False  # a capitalised word seen: "51 Russian attacks", or "two Canadians were"
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
            if word in MODIFIERS:
                continue  # "151 more buildings", "13 more near Toretsk"
            if word in FUNCTION_WORDS or word in self._predicate_of or word in self._capture:
                return ("unknown" if named else "bare"), -1
            if raw[j][0].isupper():
                named = True
                continue  # "51 Russian attacks"
            return "unknown", -1
        return "bare", -1

    def _times_reading(self, sentence: Sentence, figure: Figure) -> Reading | None:
        """'attacked the region 45 times', 'shelled 12 times': a count of attacks."""
        before = sentence.text[max(0, figure.start - 60):figure.start]
        return Reading("attacks", None) if _ATTACK_VERB.search(before) else None

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
        aside = False  # one aside between commas may be skipped: "1.8 million people, nearly
        j, last = i, min(i + 8, len(tokens))  # 80% of the population, have been displaced"
        while j < last:
            if tokens[j] == "," and not aside:
                close = next((k for k in range(j + 1, min(j + 12, len(tokens)))
                              if tokens[k] in (",", ".", ";") or k in bounds), None)
                if close is not None and tokens[close] == ",":
                    aside, j, last = True, close + 1, min(close + 9, len(tokens))
                    continue
            if tokens[j] == "of" and j + 1 < len(tokens) and tokens[j + 1] in _GROUP:
                # "17 of those rescued were hurt": the group they come from is not their count
                j += 3 if any(c.first == j + 2 for c in cues) else 2
                continue
            if tokens[j] in ("and", "or") and j + 1 < len(tokens) and tokens[j + 1] in PERSON_NOUNS:
                j += 2  # "25,000 residents and visitors were evacuated"
                continue
            if tokens[j] in _RIGHT_STOP or (j in bounds and not _located(tokens, j)):
                return None
            cue = next((c for c in cues if c.first == j and not c.metric.startswith("agent:")),
                       None)
            if cue is not None:
                return cue
            j += 1
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


def _located(tokens: list[str], j: int) -> bool:
    """Whether the count at token j says where ('staying in some 370 shelters'): part of the
    phrase of the count before it, which may still find its cue after it."""
    return any(t in ("in", "at") for t in tokens[max(0, j - 3):j])


def elliptical(sentence: Sentence, figure: Figure) -> bool:
    """'... and another 13 near Toretsk', '... bringing the total to 9': a count whose noun is
    the previous figure's."""
    before = sentence.text[max(0, figure.start - 100):figure.start]
    return bool(_INCREMENT_BEFORE.search(before[-40:]) or _TOTAL_TO.search(before)
                or _OF_THEM.match(sentence.text, figure.end) or before.rstrip().endswith(","))
