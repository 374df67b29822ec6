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
from worker.claims.kinds import KindReader
from worker.claims.model import PRECISION_RANK, Claim
from worker.claims.numbers import NUMBER_WORDS
from worker.claims.phrases import PhraseMatcher
from worker.claims.placement import coordinated, nearest, outside_part
from worker.claims.regions import ANAPHORA, Mention, RegionIndex, town_word
from worker.claims.text import Sentence, split_article
from worker.claims.vocabulary import (
    FORECAST,
    PRIOR_REPORT,
    SOLDIER_NOUNS,
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
_PRIOR = PhraseMatcher(PRIOR_REPORT)
_PRIOR_FIRST = _PRIOR.anchors
_FORECAST_WORDS = frozenset((
    "expected", "projected", "forecast", "predicted", "likely", "set", "feared", "estimated",
    "poised", "going", "will", "could", "may", "might", "would", "should", "can", "thinks",
    "fears", "predicts", "projects", "forecasts", "warns", "warned"))
# A sentence that opens on a whole and goes on about a part of it: "Of the 99 killed, 36 ...".
_PARTITIVE = re.compile(r"(?:Of|Among)\s+(?:the|those)\b[^,;]*\d[^,;]*,\s*", re.IGNORECASE)
# Counts of harm done to people and homes (whose claimant is not the side that did it).
_HARM = frozenset(("killed", "injured", "casualties", "missing", "displaced", "buildings"))
# Enemy soldiers killed are what the side that killed them reports: the agent may claim those.
_SOLDIERS = re.compile(r"\s*(?:[\w-]+\s+){0,2}?(?:" + "|".join(sorted(SOLDIER_NOUNS)) + r")\b",
                       re.IGNORECASE)


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
    _paragraphs: dict[int, list[Sentence]] = field(default_factory=dict)

    def paragraph(self, n: int) -> list[Sentence]:
        """The sentences of paragraph n (grouped once, on first use)."""
        if not self._paragraphs:
            for s in self.sentences:
                self._paragraphs.setdefault(s.paragraph, []).append(s)
        return self._paragraphs.get(n, [])

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
        self.kinds = KindReader(self.cues)
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
        if reading is not None or previous is None or self.units.get(previous.metric) in (
                "km", "km2"):
            return reading
        if elliptical(sentence, figure) and self.cues.is_bare(sentence, figure):
            return previous  # "51 attacks near Pokrovsk, and another 13 near Toretsk"
        opening = _PARTITIVE.match(sentence.text)
        if opening is not None and opening.end() <= figure.start:
            return previous  # "Of the 99 people killed, 36 were found in X": a part of them
        return None

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
        actor = self._actor(doc, sentence, figure, metric)
        as_of = report_date(sentence.text, doc.published, figure.start, sentence.words)
        restated = (as_of is not None or _prior_report(sentence, figure.start)
                    or _looks_back(sentence, doc.published))
        return Claim(
            region=region, metric=metric, value=round(figure.value, 3), unit=unit,
            qualifier=figure.qualifier,  # type: ignore[arg-type]
            kind=self.kinds.kind(doc.sentences, sentence, figure, reading, earlier),
            actor=actor.actor if actor else None, sentence=sentence.text,
            claimant=actor.words if actor else None, as_of=as_of, restated=restated,
            forecast=_forecast(sentence, figure.start), in_title=sentence.in_title,
        )

    # --- region -------------------------------------------------------------------------------
    def _region(self, doc: _Document, sentence: Sentence, figure: Figure) -> str | None:
        mentions = outside_part(doc.regions(sentence.index), sentence, figure)
        strong = [m for m in mentions if not m.weak]
        breaks = self._breaks(sentence)
        clause = bisect_right(breaks, figure.start)
        for pool in (strong, mentions):
            near = [m for m in pool if bisect_right(breaks, m.start) == clause
                    and (m.region or m.blocks)]
            if near:
                chosen = nearest(near, figure, sentence)
                return None if coordinated(chosen, mentions, sentence.text) else chosen.region
        for pool in (strong, mentions):
            watched = [m for m in pool if m.region]
            if watched:
                return nearest(watched, figure, sentence).region
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
    def _actor(self, doc: _Document, sentence: Sentence, figure: Figure,
               metric: str) -> ActorMention | None:
        """Who makes the claim: an actor named in the sentence (a speaker first), else one from
        the context, unless that is the side the sentence says did the harm counted ('Russian
        shelling killed 3': a side does not report the toll of its own strikes, except the
        enemy soldiers it killed)."""
        if not self.has_actors:
            return None
        harm = metric in _HARM and not _SOLDIERS.match(sentence.text, figure.noun_from)
        agents = self._agents(sentence) if harm else {}
        # "killed 120 Redland soldiers": a side named right after the count is its victims
        named = [m for m in doc.actors(sentence.index) if m.speaks or (
            m.start not in agents and not sentence.text[figure.end:m.start].isspace())]
        here = pick(named, figure.start, self._clause_span(sentence, figure))
        if here is not None or self._neutral(sentence):
            return here
        if "context" not in sentence.memo:  # the same for every figure of the sentence
            sentence.memo["context"] = self._context_actor(doc, sentence)
        found: ActorMention | None = sentence.memo["context"]
        if found is None or not harm:
            return found
        # nor is the side the paragraph names as the attacker ("Redland shelled X. Officials
        # said 6 were killed.")
        attackers = {a for s in doc.paragraph(sentence.paragraph) for a in self._agents(s).values()}
        return None if found.actor in attackers else found

    def _neutral(self, sentence: Sentence) -> bool:
        """Whether a neutral source gives the sentence's figures (read once per sentence)."""
        if "neutral" not in sentence.memo:
            sentence.memo["neutral"] = self.actors.neutral_speaks(sentence.text, sentence.words)
        return bool(sentence.memo["neutral"])

    def _agents(self, sentence: Sentence) -> dict[int, str]:
        if "agents" not in sentence.memo:
            sentence.memo["agents"] = self.actors.agents(sentence.text, sentence.words)
        agents: dict[int, str] = sentence.memo["agents"]
        return agents

    def _context_actor(self, doc: _Document, sentence: Sentence) -> ActorMention | None:
        """An actor named in the sentence's paragraph, else the speaker of one of the two
        paragraphs before (none if that is a neutral source such as the UN), else the article's
        lead speaker."""
        same = sorted((s for s in doc.paragraph(sentence.paragraph) if s.index != sentence.index),
                      key=lambda s: abs(s.index - sentence.index))
        for mentions in (doc.actors(s.index) for s in same):
            speaking = [m for m in mentions if m.speaks]
            if speaking:
                return speaking[0]
        for mentions in (doc.actors(s.index) for s in same):
            if mentions:
                return mentions[0]
        for paragraph in (sentence.paragraph - 1, sentence.paragraph - 2):
            before = [s for s in doc.paragraph(paragraph) if not s.in_title]
            for earlier in reversed(before):
                speaking = [m for m in doc.actors(earlier.index) if m.speaks]
                if speaking:
                    return speaking[-1]
                if self._neutral(earlier):
                    return None
        return doc.lead_actor()

def _looks_back(sentence: Sentence, published: date | None) -> bool:
    """looks_back, read once per sentence (it does not depend on the figure)."""
    if "back" not in sentence.memo:
        sentence.memo["back"] = looks_back(sentence.text, published)
    return bool(sentence.memo["back"])


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
