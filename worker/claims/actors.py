"""Who makes a claim: watchlist actors named in the text, preferring those who speak."""

from __future__ import annotations

import re
from dataclasses import dataclass

from worker.claims.phrases import PhraseMatcher, anchor_words
from worker.claims.vocabulary import NEUTRAL_SOURCES, SPEECH
from worker.watchlist import Watchlist

_SPEECH = PhraseMatcher(SPEECH)
# Between a speech verb and a name after it: "claimed on Aug. 12 that Ukraine" names the object.
# Verbs whose speaker comes after them only: "X, according to Y" is Y's claim.
_SOURCE_ONLY = frozenset(("according to", "citing", "cited"))
# A country actor after a locative names a place: "in Russia's Kursk region", "into Ukraine".
_PLACE_BEFORE = re.compile(r"\b(?:in|into|inside|across|throughout|near)\s+$",
                           re.IGNORECASE)
# After an inverted speaker the clause ends: "..., said Ukraine's General Staff."
_ENDS_CLAUSE = re.compile(r"(?:['\u2019]s)?(?:\s+[\w-]+){0,3}\s*(?:[.,;:!?)\"\u201d](?:\s|$)|$)")
_TITLES_ONLY = re.compile(r"\s*(?:the\s+|by\s+)?(?:[A-Z][\w.-]*\s+){0,3}")
# What a side's weapons or troops do to others: "Russian shelling killed 3", "Redland's drones".
_HARM_BY = (r"(?:(?:['\u2019]s)?\s+(?:[\w-]+\s+){0,2}?(?i:shelling|shells|strikes?|airstrikes?|"
            r"air\s+strikes?|attacks?|missiles?|drones?|bombing|bombardment|raids?|rockets?|"
            r"artillery|forces|troops|fire|gunfire)"
            # or the side as the subject of a strike: "Redland shelled Brightwater"
            r"|\s+(?i:shelled|struck|attacked|bombed|bombarded|fired\s+on|fired\s+at))\b")
_LAST_WORD = re.compile(r"(\w+)(?:['\u2019]s)?\s+$")
# A side named as the patron of officials: "Moscow-installed officials", "Kremlin-backed
# authorities" (the names it applies to are added before it).
_PATRON = (r"-(?:installed|backed|appointed|controlled|run|led|aligned|allied|imposed)"
           r"(?:\s+[\w-]+){0,2}?\s+(?:officials?|authorities|administration|governor|"
           r"leaders?|head|chief|mayor|separatists|media|government)\b")


@dataclass(frozen=True)
class ActorMention:
    start: int
    end: int
    actor: str
    words: str
    speaks: bool  # subject or source of a speech verb: "Zelensky said", "according to Kyiv"


class ActorIndex:
    """Compiled names of one watchlist's actors."""

    def __init__(self, watchlist: Watchlist) -> None:
        self._by_name: dict[str, str] = {}
        for actor in watchlist.actors:
            for name in actor.names:
                self._by_name[_key(name)] = actor.name
        self._pattern = PhraseMatcher(self._by_name) if self._by_name else None
        self._neutral = PhraseMatcher(NEUTRAL_SOURCES, case_sensitive=True)
        self._first = anchor_words(self._by_name)
        self._neutral_first = anchor_words(NEUTRAL_SOURCES)
        self._adjectives = _adjectives(watchlist)
        self._adjective_words = frozenset(w.casefold().split("'")[0].split("\u2019")[0]
                                          for w in self._adjectives)
        patrons = sorted({*self._adjectives, *(n for n in self._by_name if " " not in n)},
                         key=len, reverse=True)
        self._patron_of = {p.casefold(): a for p, a in self._adjectives.items()}
        self._patron_of.update({n: a for n, a in self._by_name.items() if " " not in n})
        self._patron = re.compile(r"\b(" + "|".join(map(re.escape, patrons)) + ")" + _PATRON,
                                  re.IGNORECASE) if patrons else None
        self._harm = re.compile(r"\b(" + "|".join(map(re.escape, sorted(self._adjectives)))
                                + ")" + _HARM_BY) if self._adjectives else None

    def agents(self, text: str, words: frozenset[str]) -> dict[int, str]:
        """Actors whose weapons or troops the text (whose words are `words`) names as doing
        harm ('Russian shelling'), by where the name starts."""
        if self._harm is None or self._adjective_words.isdisjoint(words):
            return {}
        return {m.start(): self._adjectives[m.group(1)] for m in self._harm.finditer(text)}

    def neutral_speaks(self, text: str, words: frozenset[str]) -> bool:
        """Whether a source that is no side ('the United Nations said') gives the figures."""
        if self._neutral_first.isdisjoint(words):
            return False
        speech = _speech(text)
        return any(_speaks(text, m.start(), _abbreviation_end(text, m.end()), speech)
                   for m in self._neutral.finditer(text) if not self._sides(text, m.start()))

    def _sides(self, text: str, start: int) -> bool:
        """Whether a side names the source just before it: 'Redland's state media'."""
        before = _LAST_WORD.search(text, max(0, start - 30), start)
        return before is not None and (before.group(1).casefold() in self._adjective_words
                                       or before.group(1).casefold() in self._by_name)

    def mentions(self, text: str, words: frozenset[str]) -> list[ActorMention]:
        """Actors named in `text` (whose words are `words`), and whether each speaks."""
        patrons = self._patrons(text)
        if self._pattern is None or (self._first.isdisjoint(words) and not patrons):
            return []
        found = [(m.start(), m.end(), self._by_name[_key(m.group())])
                 for m in self._pattern.finditer(text)
                 if not _PLACE_BEFORE.search(text[max(0, m.start() - 12):m.start()])]
        if patrons:
            found = sorted([*patrons, *(f for f in found if not any(
                p[0] <= f[0] < p[1] for p in patrons))])
        speech = _speech(text) if found else []
        return [ActorMention(start, end, actor, text[start:end],
                             _speaks(text, start, end, speech)) for start, end, actor in found]

    def _patrons(self, text: str) -> list[tuple[int, int, str]]:
        """Officials named by the side that placed them: 'Moscow-installed officials'."""
        if self._patron is None or "-" not in text:
            return []
        return [(m.start(), m.end(), self._patron_of[m.group(1).casefold()])
                for m in self._patron.finditer(text)]


def _adjectives(watchlist: Watchlist) -> dict[str, str]:
    """The words that name each actor as an adjective: its name, and the first word of an alias
    that shares the name's stem ('Russian' from 'Russian officials' for Russia)."""
    found: dict[str, str] = {}
    for actor in watchlist.actors:
        found[actor.name] = actor.name
        for name in actor.names:
            first = name.split()[0]
            if len(name.split()) > 1 and first[:4].casefold() == actor.name[:4].casefold():
                found.setdefault(first, actor.name)
    return found


def _abbreviation_end(text: str, end: int) -> int:
    """The end of a name, past the last dot of an abbreviation ('U.N.'), which ends no clause."""
    if text.startswith(".", end) and "." in text[max(0, end - 4):end]:
        return end + 1
    return end


def _speech(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group().lower()) for m in _SPEECH.finditer(text)]


def _speaks(text: str, start: int, end: int, speech: list[tuple[int, int, str]]) -> bool:
    """A speech verb shortly after the name ('Syrskyi reported', 'Kyiv claiming') or just before
    it ('said Zelensky', 'according to the General Staff')."""
    for s_start, s_end, verb in speech:
        gap = text[end:s_start]
        if verb not in _SOURCE_ONLY and 0 <= s_start - end <= 45 and not re.search(r"[.\"]", gap):
            return True
        between = text[s_end:start]
        if 0 <= start - s_end <= 25 and _TITLES_ONLY.fullmatch(between) and (
                verb in _SOURCE_ONLY or _ENDS_CLAUSE.match(text, end)):
            return True
    return False


def pick(mentions: list[ActorMention], near: int | None = None,
         clause: tuple[int, int] | None = None) -> ActorMention | None:
    """Who makes a claim at `near`: a speaker in its clause (`clause`, a character span), else
    anyone named in its clause, else a speaker elsewhere, else anyone; the nearest first."""
    if not mentions:
        return None
    inside = [m for m in mentions if clause is None or clause[0] <= m.start < clause[1]]
    for pool in ([m for m in inside if m.speaks], inside,
                 [m for m in mentions if m.speaks], mentions):
        if pool:
            return pool[0] if near is None else min(pool, key=lambda m: abs(m.start - near))
    return None


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()
