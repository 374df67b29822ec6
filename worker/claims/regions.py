"""Where a figure is: watched regions named in the text, and places that are not watched."""

from __future__ import annotations

import re
from dataclasses import dataclass

from worker.claims.phrases import PhraseMatcher, anchor_words
from worker.claims.vocabulary import COUNTRIES, words_of
from worker.watchlist import Watchlist

# A mention after these words names an example, not the place the figure is about.
_EXAMPLE = re.compile(r"\b(?:including|such\s+as|among\s+them)(?:\s+the\s+\w+\s+of)?\s*$",
                      re.IGNORECASE)
# A foreign place blocks a sentence's figures when the text puts them there: "in Greece".
_LOCATIVE = re.compile(
    r"\b(?:in|across|at|near|throughout|around|over|to|inside|within|hit|struck|shook)"
    r"(?:\s+(?:the|neighbou?ring|nearby|adjacent|northern|southern|eastern|western|central|"
    r"north-?eastern|north-?western|south-?eastern|south-?western|coastal|rural))*\s+$",
    re.IGNORECASE,
)
# "the city", "the coastal town", "the province": a place named before (see RegionIndex.refers_to).
ANAPHORA = re.compile(
    r"\bthe\s+(?:\w+\s+)?(?P<kind>city|town|village|port|settlement|municipality|province|region|"
    r"oblast|state|county|district)(?:['\u2019]s)?(?!\w|\s+of\b)",
    re.IGNORECASE,
)
_TOWN_WORDS = frozenset(("city", "town", "village", "port", "settlement", "municipality"))


_WHOLE_FRONT = re.compile(
    r"\b(?i:along|across|on)\s+(?i:the\s+)?(?i:entire\s+|whole\s+)?(?i:front)(?:\s*-?\s*(?i:lines?))?+\b"
    r"(?!\s+(?i:near|around|outside|at)\b|\s+(?i:in|of)\s+[A-Z])|\b(?i:on\s+all\s+fronts)\b")
_HYPHEN_PAIR = re.compile(r"\b([A-Z][\w']+)-([A-Z][\w']+)\b")
_MANY_WORDS = frozenset(("states", "countries", "provinces", "regions", "nations", "counties",
                         "districts", "oblasts", "islands"))
_MANY_PLACES = re.compile(r"\b(?:in|across|throughout)\s+(?:\w+\s+){0,2}(?:states|countries|provinces|"
                          r"regions|nations|counties|districts|oblasts|islands)\b(?!\s+of\b)",
                          re.IGNORECASE)
_PLACE_TYPES = frozenset(("county", "province", "oblast", "district", "region", "prefecture",
                          "governorate", "municipality", "state", "island", "islands", "parish",
                          "city", "town", "village"))
# A name used as an adjective of whoever speaks ("Hawaii Governor Josh Green", "Libyan Red
# Crescent") says who, not where: it governs a figure only when nothing else in the sentence does.
_ATTRIBUTIVE = re.compile(
    r"['\u2019]?s?\s+(?:(?:state|provincial|regional|local|county|city|national|eastern|western|"
    r"interim|acting|deputy|vice|prime|chief|foreign|defen[cs]e|interior|health)\s+)*"
    r"(?:governor|president|prime\s+minister|minister|ministry|mayor|sheriff|officials?|"
    r"authorities|government|police|army|military|forces|spokes(?:man|woman|person)|"
    r"red\s+c(?:ross|rescent)|agency|council|administration|leader|commander|governor's)\b",
    re.IGNORECASE,
)
# A dateline opens an article: "LAHAINA, Hawaii (Wire) -" says where the reporter is.
_DATELINE = re.compile(
    r"[A-Z][A-Z.'/ -]*[A-Z](?:,\s*[A-Z][\w.]*(?:\s+[A-Z][\w.]*)?)?\s*(?:\([^)]*\))?\s*"
    r"(?:[-\u2013\u2014]\s|(?=\s[A-Z]))")
# The longest gap between a place and one that describes it (", the provincial capital of ").
_ASIDE_REACH = 48
# A dateline names its places within the first words of an article.
_DATELINE_REACH = 80
# Places the watchlist does not name, written as "X County", "the city of X".
_OTHER_PLACE = re.compile(
    r"\b(?:[A-Z][\w'\u2019-]+\s+){1,3}(?:County|Province|Oblast|District|Region|Prefecture|"
    r"Governorate|Municipality|State|Island|Islands|Parish|county|province|oblast|district|"
    r"region|prefecture|governorate|municipality)\b"
    r"|\b(?:city|town|village|province|district|region|county)\s+of\s+(?:[A-Z][\w'\u2019-]+\s?){1,3}"
)


# Between a place and a second one that only describes it: "Antakya, the capital of Hatay",
# "X, a town in the Y region", "X, in northern Y", "X, near Y".
_APPOSITION = re.compile(
    r",\s+(?:(?:the|a|an)\s+)?(?:(?!(?:and|or|but|while|whereas|then)\b)[^\W\d][\w-]*\s+){0,3}?"
    r"(?:of|in|near|on)\s+(?:the\s+)?"
    r"(?:(?:north|south|east|west|central|northern|southern|eastern|western|"
    r"north-?eastern|north-?western|south-?eastern|south-?western)\s+)?$|,\s+$",
    re.IGNORECASE)
# What follows a describing place: the end of the aside ("..., about 900 ...") or "'s capital".
_APPOSITION_END = re.compile(
    r"(?:\s+(?:province|region|oblast|county|district|state))?\s*(?:[,.;)]|$)"
    r"|['\u2019]s\s+(?:[\w-]+\s+){0,2}?(?:capital|city|town|village|port|seat)\b",
    re.IGNORECASE)


_DIRECTION = (r"(?:(?:north|south|east|west|central|northern|southern|eastern|western|"
              r"north-?eastern|north-?western|south-?eastern|south-?western)\s+)?")
# "Papua New Guinea's Enga province": the owner only locates the place it owns.
_OWNER = re.compile(r"['\u2019]s\s+" + _DIRECTION)
# "the Evros region of northeastern Greece": the place after "of" only locates the region.
_PART_OF = re.compile(r"(?:\s+(?:region|province|oblast|county|district|prefecture|department|"
                      r"governorate))?\s+(?:of|in)\s+(?:the\s+)?" + _DIRECTION, re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    region: str | None  # None: a place that is not watched
    blocks: bool = True  # for unwatched places: the text puts figures there ("in Greece")
    weak: bool = False  # a watched name that says who speaks, or a dateline


class RegionIndex:
    """Compiled names of one watchlist's regions, and of countries it does not watch."""

    def __init__(self, watchlist: Watchlist) -> None:
        self._by_name: dict[str, str] = {}
        for region in watchlist.regions:
            for name in region.names:
                self._by_name[_key(name)] = region.name
        self._watched = PhraseMatcher(self._by_name)
        watched = set(self._by_name)
        self._foreign = PhraseMatcher((c for c in COUNTRIES if _key(c) not in watched),
                                      case_sensitive=True)
        self._parent = {r.name: r.within for r in watchlist.regions}
        self._names_of = {r.name: " ".join(r.names).casefold() for r in watchlist.regions}
        self._watched_first = anchor_words(self._by_name)
        self._places = set(self._by_name) | {_key(c) for c in COUNTRIES}
        # names the watchlist writes with a capital: matched in any case ("KURSK", "Kursk
        # region"), except all in lower case, which is how common words are written
        self._capitalised = {_key(n) for r in watchlist.regions for n in r.names if n[:1].isupper()}
        self._foreign_first = anchor_words(COUNTRIES)

    def root(self, region: str) -> str:
        seen = {region}
        while (parent := self._parent.get(region)) and parent not in seen:
            region = parent
            seen.add(region)
        return region

    def depth(self, region: str) -> int:
        """How many watched regions enclose this one."""
        depth, seen = 0, {region}
        while (parent := self._parent.get(region)) and parent not in seen:
            region, depth = parent, depth + 1
            seen.add(region)
        return depth

    def kind_names(self, region: str) -> str:
        """The region's names run together, to read its kind from ('Hatay province')."""
        return self._names_of.get(region, "")

    def within(self, region: str, ancestor: str) -> bool:
        """Whether `region` lies (at any depth) inside `ancestor`."""
        seen = {region}
        while (parent := self._parent.get(region)) and parent not in seen:
            if parent == ancestor:
                return True
            region = parent
            seen.add(region)
        return False

    def is_local(self, region: str) -> bool:
        """A town or province inside another watched region."""
        return self._parent.get(region) is not None

    def mentions(self, text: str, words: frozenset[str] | None = None) -> list[Mention]:
        """Watched regions (examples after 'including' left out) and unwatched countries.
        `words` (the text's words, if known) skips searches that cannot match."""
        words = words_of(text) if words is None else words
        found: list[Mention] = []
        if not self._watched_first.isdisjoint(words):
            found += self._watched_mentions(text)
        if not _PLACE_TYPES.isdisjoint(words):
            found += self._other_places(text)
        if not self._foreign_first.isdisjoint(words):
            found += self._countries(text)
        found += self._pairs(text, found)
        if len(found) > 1:
            found = self._describing(text, found)
        if not _MANY_WORDS.isdisjoint(words):
            # "across six states": a count for several regions, not for one
            found += [Mention(m.start(), m.end(), None) for m in _MANY_PLACES.finditer(text)]
        if "front" in words or "fronts" in words:
            # "along the entire front": a count for the whole front, not for one region
            found += [Mention(m.start(), m.end(), None) for m in _WHOLE_FRONT.finditer(text)]
        return sorted(found, key=lambda m: m.start)

    def _describing(self, text: str, found: list[Mention]) -> list[Mention]:
        """Watched places that only say where another watched place is are weak, so that a
        figure goes to the place described: the second of "Antakya, the capital of Hatay,"; the
        second of "the Evros region of Greece" and the first of "Papua New Guinea's Enga
        province" when the watchlist puts one in the other. A bare ", Y" is an aside only with
        a 'capital'-like word after Y ("Derna, Libya" names one place)."""
        found = sorted(found, key=lambda m: m.start)
        out = list(found)
        for n in range(1, len(found)):
            first, second = found[n - 1], found[n]
            if (first.region is None or second.region is None or first.weak
                    or second.start - first.end > _ASIDE_REACH):
                continue
            if _OWNER.fullmatch(text, first.end, second.start):
                if self.within(second.region, first.region):
                    out[n - 1] = _weakened(first)
            elif _aside(text, first, second) or (
                    _PART_OF.fullmatch(text, first.end, second.start)
                    and self.within(first.region, second.region)):
                out[n] = _weakened(second)
        return out

    def _pairs(self, text: str, found: list[Mention]) -> list[Mention]:
        """'Turkey-Syria': two places joined by a hyphen name both, so neither alone."""
        if "-" not in text:
            return []
        pairs = []
        for m in _HYPHEN_PAIR.finditer(text):
            left, right = m.group(1), m.group(2)
            if any(_key(n) in self._places for n in (left, right)):
                pairs.append(Mention(m.start(), m.end(), None))
        return pairs

    def _watched_mentions(self, text: str) -> list[Mention]:
        found = []
        dateline: list[int] = []  # where the dateline ends, read only for a name near the start
        for m in self._watched.finditer(text):
            name = m.group()
            key = _key(name)
            if name[0].islower() and key in self._capitalised:
                continue  # "a van", "nice weather": a common word, not the place Van or Nice
            if _after_example(text, m.start()):
                continue
            weak = bool(_ATTRIBUTIVE.match(text, m.end()))
            if not weak and m.start() < _DATELINE_REACH:
                if not dateline:
                    line = _DATELINE.match(text)
                    dateline.append(line.end() if line else -1)
                weak = m.end() <= dateline[0]
            found.append(Mention(m.start(), m.end(), self._by_name[key], weak=weak))
        return found

    def _other_places(self, text: str) -> list[Mention]:
        found = []
        for m in _OTHER_PLACE.finditer(text):
            if not self._watched.search(m.group()):
                blocks = _LOCATIVE.search(text[max(0, m.start() - 40):m.start()]) is not None
                found.append(Mention(m.start(), m.end(), None, blocks or "of" in m.group()))
        return found

    def _countries(self, text: str) -> list[Mention]:
        found = []
        for m in self._foreign.finditer(text):
            if text[m.end():m.end() + 2] in ("'s", "\u2019s"):
                continue  # "in Russia's Kursk region": a possessive names its part, not the place
            blocks = _LOCATIVE.search(text[max(0, m.start() - 40):m.start()]) is not None
            found.append(Mention(m.start(), m.end(), None, blocks))
        return found


def _aside(text: str, first: Mention, second: Mention) -> bool:
    """Whether `second` is named in an aside about `first` ("Antakya, the capital of Hatay,")."""
    gap = _APPOSITION.fullmatch(text, first.end, second.start)
    end = _APPOSITION_END.match(text, second.end)
    if gap is None or end is None:
        return False
    # "Derna, Libya" names one place; "Beira, Sofala's port" describes it
    return gap.group().strip() != "," or end.group()[:1] in ("'", "\u2019")


def _after_example(text: str, start: int) -> bool:
    """Whether the name at `start` follows 'including' or 'such as' (an example, not the place);
    a substring test first, since most names follow neither."""
    before = text[max(0, start - 40):start]
    if "nclud" not in before and "uch" not in before and "mong" not in before:  # any case
        return False
    return _EXAMPLE.search(before) is not None


def _weakened(mention: Mention) -> Mention:
    return Mention(mention.start, mention.end, mention.region, mention.blocks, weak=True)


def _key(name: str) -> str:
    """A name as looked up: case and runs of spaces do not matter."""
    return " ".join(name.split()).casefold()


def town_word(kind: str) -> bool:
    """'the city', 'the town': a word for a town rather than a province or region."""
    return kind.lower() in _TOWN_WORDS
