"""Claim finding for one watchlist: article → claims, with region, actor, kind and flags."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date

from worker.article import Article
from worker.claims.actors import ActorIndex, ActorMention, pick
from worker.claims.cues import Cue, CueIndex, Reading, elliptical
from worker.claims.dates import looks_back, report_date
from worker.claims.figures import Figure, read_figures, strip_qualifier
from worker.claims.model import PRECISION_RANK, Claim, Kind
from worker.claims.numbers import NUMBER_WORDS
from worker.claims.phrases import PhraseMatcher
from worker.claims.regions import ANAPHORA, Mention, RegionIndex, town_word
from worker.claims.text import Sentence, split_article
from worker.claims.vocabulary import (
    DAY_WINDOW,
    FORECAST,
    INCREMENT,
    PRIOR_REPORT,
    SPEECH,
    TOTAL_CUES,
    phrase_pattern,
)
from worker.metrics import WHOLE_UNITS
from worker.watchlist import Watchlist

_DIGIT = re.compile(r"\d")
# Substrings every number word contains one of (a fast test before splitting into words).
_NUMBER_STEMS = ("one", "two", "thr", "thir", "fif", "four", "five", "six", "seven", "eight",
                 "nine", "ten", "eleven", "twelve", "twenty", "forty", "hundred", "thousand",
                 "million", "billion", "zero")
_CLAUSE_BREAK = re.compile(r";|,\s+(?:and|while|but|whereas)\b|\s(?:while|whereas|but)\s",
                           re.IGNORECASE)
_DAY_WINDOW = PhraseMatcher(DAY_WINDOW)
_TOTAL = PhraseMatcher(TOTAL_CUES)
_PRIOR = PhraseMatcher(PRIOR_REPORT)
_TOTAL_FIRST = _TOTAL.anchors
_PRIOR_FIRST = _PRIOR.anchors
_WINDOW_FIRST = _DAY_WINDOW.anchors
_FORECAST_WORDS = frozenset((
    "expected", "projected", "forecast", "predicted", "likely", "set", "feared", "estimated",
    "poised", "going", "will", "could", "may", "might", "would", "should", "can", "thinks",
    "fears", "predicts", "projects", "forecasts", "warns", "warned"))
_INCREMENT = frozenset(" ".join(p.split()) for p in INCREMENT)
_MORE_AFTER = re.compile(r"\s+more\b", re.IGNORECASE)
_SPEECH_BEFORE = re.compile(phrase_pattern(SPEECH).pattern + r"(?:\s+(?!that\b)\S+){0,4}\s*$",
                            re.IGNORECASE)
_ADVANCE_VERB = re.compile(r"\badvanc(?:ed|es|ing)\b(?:\s+\S+){0,5}\s*$", re.IGNORECASE)
# Metrics that only grow by events in the field: an increment is always a delta.
_TERRITORY = frozenset(("area_km2", "settlements", "advance_km"))


@dataclass
class _Document:
    """One article being read: its sentences and what each names, computed once when needed."""

    finder: ClaimFinder
    sentences: list[Sentence]
    published: date | None
    _regions: dict[int, list[Mention]] = field(default_factory=dict)
    _actors: dict[int, list[ActorMention]] = field(default_factory=dict)
    _default: list[str | None] = field(default_factory=list)
    _lead: list[ActorMention | None] = field(default_factory=list)

    def regions(self, i: int) -> list[Mention]:
        if i not in self._regions:
            sentence = self.sentences[i]
            self._regions[i] = self.finder.regions.mentions(sentence.text, sentence.words)
        return self._regions[i]

    def actors(self, i: int) -> list[ActorMention]:
        if i not in self._actors:
            sentence = self.sentences[i]
            self._actors[i] = self.finder.actors.mentions(sentence.text, sentence.words)
        return self._actors[i]

    def default_region(self) -> str | None:
        """The article's own region, for figures whose paragraph names none: the headline's
        first watched region, narrowed to the first one the lead paragraph names when that lies
        inside it ('Brazil floods ...' then 'in the state of Rio Grande do Sul'); without one in
        the headline, the widest region around the first one the body names."""
        if not self._default:
            index = self.finder.regions
            title = next((m.region for s in self.sentences if s.in_title
                          for m in self.regions(s.index) if m.region), None)
            lead = next((m.region for s in self.sentences if s.paragraph == 1
                         for m in self.regions(s.index) if m.region and not m.weak), None)
            if title is not None:
                narrower = lead is not None and index.within(lead, title)
                self._default.append(lead if narrower else title)
            else:
                body = next((m.region for i in range(len(self.sentences))
                             for m in self.regions(i) if m.region and not m.weak), None)
                self._default.append(index.root(body) if body else None)
        return self._default[0]

    def lead_actor(self) -> ActorMention | None:
        """Who speaks in the headline and the first paragraphs (the article's main source)."""
        if not self._lead:
            lead = [s for s in self.sentences if s.paragraph <= 3]
            mentions = [m for s in lead for m in self.actors(s.index)]
            self._lead.append(next((m for m in mentions if m.speaks), None)
                              or (mentions[0] if mentions else None))
        return self._lead[0]


class ClaimFinder:
    """Everything compiled for one watchlist; `find` reads one article."""

    def __init__(self, watchlist: Watchlist) -> None:
        self.regions = RegionIndex(watchlist)
        self.actors = ActorIndex(watchlist)
        self.cues = CueIndex(watchlist)
        self.units = watchlist.metric_units
        self.has_actors = bool(watchlist.actors)

    def find(self, article: Article) -> list[Claim]:
        published = article.published.date() if article.published else None
        doc = _Document(self, split_article(article.title or "", article.text or ""), published)
        claims: list[Claim] = []
        for sentence in doc.sentences:
            if self._worth_reading(sentence):
                try:
                    claims.extend(self._sentence_claims(doc, sentence, claims))
                except (ValueError, IndexError, KeyError, OverflowError, RecursionError):
                    # the contract is to never fail on text: a sentence this code cannot
                    # read (a bug, not a property of the text) is skipped, the rest kept
                    continue
        return _dedupe(claims)

    def _worth_reading(self, sentence: Sentence) -> bool:
        """Only sentences with a number and a metric word are read in depth (most are not:
        cheap substring tests come before splitting the sentence into words)."""
        text = sentence.text
        if not _DIGIT.search(text):
            lower = text.lower()
            if not any(word in lower for word in _NUMBER_STEMS):
                return False
            if NUMBER_WORDS.isdisjoint(sentence.words):
                return False
        return not self.cues.first.isdisjoint(sentence.words)

    # --- one sentence -------------------------------------------------------------------------
    def _sentence_claims(self, doc: _Document, sentence: Sentence,
                         earlier: list[Claim]) -> list[Claim]:
        figures = read_figures(sentence.text)
        if not figures:
            return []
        cues = self.cues.cues(sentence)
        starts = [sentence.token_at(f.start) for f in figures]
        used: set[Cue] = set()
        out: list[Claim] = []
        previous: Reading | None = None
        for n, figure in enumerate(figures):
            bounds = starts[:n] + starts[n + 1:]
            reading = self._reading(sentence, figure, cues, used, bounds, previous)
            if reading is None:
                continue
            previous = reading
            claim = self._claim(doc, sentence, figure, reading, [*earlier, *out])
            if claim is not None:
                out.append(claim)
        return out

    def _reading(self, sentence: Sentence, figure: Figure, cues: list[Cue], used: set[Cue],
                 bounds: list[int], previous: Reading | None) -> Reading | None:
        if figure.dimension is not None:
            metric = self.cues.measure_metric(sentence, figure)
            return Reading(metric, None) if metric else None
        reading = self.cues.count_metric(sentence, figure, cues, used, bounds)
        if (reading is None and previous is not None and elliptical(sentence, figure)
                and self.cues.is_bare(sentence, figure)
                and self.units.get(previous.metric) not in ("km", "km2")):
            return previous  # "51 attacks near Pokrovsk, and another 13 near Toretsk"
        return reading

    def _claim(self, doc: _Document, sentence: Sentence, figure: Figure, reading: Reading,
               earlier: list[Claim]) -> Claim | None:
        metric = reading.metric
        if metric not in self.units:
            return None
        unit = self.units[metric]
        if figure.value <= 0 or (unit in WHOLE_UNITS and not float(figure.value).is_integer()):
            return None
        region = self._region(doc, sentence, figure)
        if region is None:
            return None
        actor = self._actor(doc, sentence, figure)
        as_of = report_date(sentence.text, doc.published, figure.start, sentence.words)
        restated = (as_of is not None or _prior_report(sentence, figure.start)
                    or looks_back(sentence.text, doc.published))
        return Claim(
            region=region, metric=metric, value=round(figure.value, 3), unit=unit,
            qualifier=figure.qualifier,  # type: ignore[arg-type]
            kind=self._kind(doc, sentence, figure, reading, earlier),
            actor=actor.actor if actor else None, sentence=sentence.text,
            claimant=actor.words if actor else None, as_of=as_of, restated=restated,
            forecast=_forecast(sentence, figure.start), in_title=sentence.in_title,
        )

    # --- region -------------------------------------------------------------------------------
    def _region(self, doc: _Document, sentence: Sentence, figure: Figure) -> str | None:
        mentions = _outside_part(doc.regions(sentence.index), sentence.text, figure)
        strong = [m for m in mentions if not m.weak]
        breaks = self._breaks(sentence)
        clause = bisect_right(breaks, figure.start)
        for pool in (strong, mentions):
            near = [m for m in pool if bisect_right(breaks, m.start) == clause
                    and (m.region or m.blocks)]
            if near:
                chosen = _nearest(near, figure, sentence)
                return None if _coordinated(chosen, mentions, sentence.text) else chosen.region
        for pool in (strong, mentions):
            watched = [m for m in pool if m.region]
            if watched:
                return _nearest(watched, figure, sentence).region
        if any(m.blocks for m in mentions):
            return None
        anaphora = ANAPHORA.search(sentence.text)
        if anaphora:
            named = self._referent(doc, sentence, anaphora.group("kind"))
            if named:
                return named
        for i in range(sentence.index - 1, -1, -1):
            previous = doc.sentences[i]
            if previous.paragraph != sentence.paragraph:
                break
            if doc.regions(i):
                carried = [m for m in doc.regions(i) if not m.weak] or doc.regions(i)
                return carried[-1].region
        return doc.default_region()

    def _clause_span(self, sentence: Sentence, figure: Figure) -> tuple[int, int]:
        """The character span of the clause holding the figure."""
        breaks = self._breaks(sentence)
        at = bisect_right(breaks, figure.start)
        return (breaks[at - 1] if at else 0, breaks[at] if at < len(breaks) else len(sentence.text))

    @staticmethod
    def _breaks(sentence: Sentence) -> list[int]:
        breaks: list[int] | None = sentence.memo.get("breaks")
        if breaks is None:
            breaks = sentence.memo["breaks"] = [m.start() for m in
                                                _CLAUSE_BREAK.finditer(sentence.text)]
        return breaks

    def _referent(self, doc: _Document, sentence: Sentence, kind: str) -> str | None:
        """The watched place 'the city' (the most nested town named last) or 'the province'
        (a region whose names say it is a province) refers to, in the nearest earlier sentence
        naming one."""
        for i in range(sentence.index - 1, -1, -1):
            named = [m.region for m in doc.regions(i) if m.region]
            if town_word(kind):
                local = [r for r in named if self.regions.is_local(r)]
                if local:
                    return max(local, key=self.regions.depth)
            else:
                typed = [r for r in named if kind.lower() in self.regions.kind_names(r)]
                if typed:
                    return typed[-1]
        return None

    # --- actor --------------------------------------------------------------------------------
    def _actor(self, doc: _Document, sentence: Sentence, figure: Figure) -> ActorMention | None:
        """Who makes the claim: an actor named in the sentence (a speaker first), else in its
        paragraph, else the speaker of one of the two paragraphs before (none if that is a
        neutral source such as the UN), else the article's lead speaker."""
        if not self.has_actors:
            return None
        here = pick(doc.actors(sentence.index), figure.start, self._clause_span(sentence, figure))
        if here is not None or self.actors.neutral_speaks(sentence.text, sentence.words):
            return here
        same = sorted((s for s in doc.sentences if s.paragraph == sentence.paragraph
                       and s.index != sentence.index), key=lambda s: abs(s.index - sentence.index))
        for mentions in (doc.actors(s.index) for s in same):
            speaking = [m for m in mentions if m.speaks]
            if speaking:
                return speaking[0]
        for mentions in (doc.actors(s.index) for s in same):
            if mentions:
                return mentions[0]
        for paragraph in (sentence.paragraph - 1, sentence.paragraph - 2):
            before = [s for s in doc.sentences if s.paragraph == paragraph and not s.in_title]
            for earlier in reversed(before):
                speaking = [m for m in doc.actors(earlier.index) if m.speaks]
                if speaking:
                    return speaking[-1]
                if self.actors.neutral_speaks(earlier.text, earlier.words):
                    return None
        return doc.lead_actor()

    # --- kind ---------------------------------------------------------------------------------
    def _kind(self, doc: _Document, sentence: Sentence, figure: Figure, reading: Reading,
              earlier: list[Claim]) -> Kind:
        metric, text = reading.metric, sentence.text
        if metric == "attacks":
            return "delta"
        before = strip_qualifier(text[max(0, figure.start - 80):figure.start])
        # "another 40 km²" adds to territory; "a further 800 missing" after a death toll is
        # another count, unless the same count was given just before
        increment = _ends_with(before, _INCREMENT) or _MORE_AFTER.match(text, figure.end)
        if increment and (metric in _TERRITORY or any(
                c.metric == metric and _same_paragraph(doc, c, sentence) for c in earlier)):
            return "delta"
        if not _TOTAL_FIRST.isdisjoint(sentence.words) and _TOTAL.search(text):
            return "total"
        state = self._is_state(sentence, figure)
        if _has_window(sentence) and not state:
            return "delta"
        if metric == "advance_km" and "advanc" in before.lower() and _ADVANCE_VERB.search(before):
            return "delta"
        if metric in _TERRITORY and not state and self._window_before(doc, sentence):
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

    def _window_before(self, doc: _Document, sentence: Sentence) -> bool:
        """A day window opened by an earlier sentence of the paragraph ('Over the past day, ...')."""
        for i in range(sentence.index - 1, -1, -1):
            previous = doc.sentences[i]
            if previous.paragraph != sentence.paragraph:
                return False
            if _has_window(previous):
                return True
        return False


def _ends_with(text: str, phrases: frozenset[str]) -> bool:
    """Whether the last one to three words of `text` are one of `phrases`."""
    words = text.lower().split()[-3:]
    return any(" ".join(words[-n:]) in phrases for n in (1, 2, 3) if len(words) >= n)


def _same_paragraph(doc: _Document, claim: Claim, sentence: Sentence) -> bool:
    return any(s.text == claim.sentence and s.paragraph == sentence.paragraph
               for s in doc.sentences)


def _has_window(sentence: Sentence) -> bool:
    """A one-day window that dates the event, not the speaking ('said on TV today' is not)."""
    if _WINDOW_FIRST.isdisjoint(sentence.words):
        return False
    if "window" not in sentence.memo:
        text = sentence.text
        sentence.memo["window"] = any(
            not _SPEECH_BEFORE.search(text[max(0, m.start() - 80):m.start()])
            for m in _DAY_WINDOW.finditer(text))
    return bool(sentence.memo["window"])


def _coordinated(chosen: Mention, mentions: list[Mention], text: str) -> bool:
    """Whether the place is one of a pair or list ('in Turkey and Syria', 'Greece, Turkey and
    Bulgaria'): a figure for the list as a whole is about none of them alone. ('Derna, Libya'
    names one place.)"""
    for other in mentions:
        if other is chosen:
            continue
        lo, hi = (chosen, other) if chosen.end <= other.start else (other, chosen)
        if lo.end <= hi.start and _AND_BETWEEN.fullmatch(text[lo.end:hi.start]):
            return True
    return False


_AND_BETWEEN = re.compile(r"(?:['\u2019]s)?,?\s+(?:and|or|as\s+well\s+as)\s+(?:the\s+)?")
# Words that tie a figure to the place after it ("30 in the town of X") cost nothing.
_PLACE_LINK = frozenset(("in", "near", "at", "around", "outside", "across", "the", "town", "city",
                         "village", "of", "province", "region", "district", "oblast"))


def _nearest(mentions: list[Mention], figure: Figure, sentence: Sentence) -> Mention:
    """The mention closest to the figure in words, a comma counting as three words (a figure
    belongs with its own phrase: 'kills at least 157, many in remote X' is not about X)."""
    tokens = sentence.tokens()
    at, end = sentence.token_at(figure.start), sentence.token_at(max(figure.end - 1, 0))

    def distance(m: Mention) -> tuple[int, int]:
        first, last = sentence.token_at(m.start), sentence.token_at(max(m.end - 1, 0))
        lo, hi = (last, at) if last < at else (end, first)
        between = [t for t in tokens[lo + 1:hi] if t not in _PLACE_LINK]
        cost = len(between) + 3 * between.count(",") + between.count("and")  # a new conjunct
        return (cost, 1 if m.start > figure.start else 0)
    return min(mentions, key=distance)


# ", including 5,762 from X": a part of the figure before it, not the whole.
_PART = re.compile(r",\s+(?:including|among\s+them|of\s+(?:them|whom|which))\b", re.IGNORECASE)


def _outside_part(mentions: list[Mention], text: str, figure: Figure) -> list[Mention]:
    """The mentions that can govern a figure: places named in an 'including ...' part after
    it describe the part, not the whole ('8,000 evacuated, including 5,762 from X')."""
    if not mentions or "," not in text:
        return mentions
    part = _PART.search(text, figure.end)
    if part is None:
        return mentions
    return [m for m in mentions if m.start < part.start()]


def _prior_report(sentence: Sentence, start: int) -> bool:
    if _PRIOR_FIRST.isdisjoint(sentence.words):
        return False
    return any(m.start() < start for m in _PRIOR.finditer(sentence.text))


def _forecast(sentence: Sentence, start: int) -> bool:
    """'expected to rise to 900', 'could exceed 50,000' (the verb may double as qualifier)."""
    if _FORECAST_WORDS.isdisjoint(sentence.words):
        return False
    before = sentence.text[max(0, start - 100):start]
    return any(FORECAST.search(b) for b in (before.rstrip(), strip_qualifier(before)))


def _dedupe(claims: list[Claim]) -> list[Claim]:
    """One claim per (region, metric, value): a body one over the headline's, a current one over
    a repeated or projected one, the most precise qualifier. Body claims come first."""
    best: dict[tuple[str, str, float], tuple[tuple[int, int, int], int]] = {}
    for order, claim in enumerate(claims):
        key = (claim.region, claim.metric, claim.value)
        rank = (int(claim.in_title), int(claim.restated or claim.forecast),
                PRECISION_RANK[claim.qualifier])
        if key not in best or rank < best[key][0]:
            best[key] = (rank, order)
    keep = sorted(best.values(), key=lambda item: (claims[item[1]].in_title, item[1]))
    return [claims[order] for _, order in keep]
