"""Fast phrase matching on words instead of characters.

A regex alternation of hundreds of phrases is tried at every character of every sentence; here a
sentence is split into words once (shared by every phrase list that reads it) and each word is
looked up in a dictionary of the phrases it can start. Matches behave like regex matches of the
whole phrase as whole words: leftmost, longest first, not overlapping, and not glued to a hyphen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise

_WORD = re.compile(r"\w+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})
Word = tuple[int, int, str, str]  # start, end, case-folded, as written
_CACHE: dict[str, tuple[list[Word], dict[str, list[int]]]] = {}
_CACHE_SIZE = 256


def _words(text: str) -> tuple[list[Word], dict[str, list[int]]]:
    """Every word of `text`, and where each case-folded word occurs; cached per text, since
    every phrase list reads the same sentences."""
    found = _CACHE.get(text)
    if found is None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        words = [(m.start(), m.end(), m.group().casefold(), m.group()) for m in _WORD.finditer(text)]
        where: dict[str, list[int]] = {}
        for i, word in enumerate(words):
            where.setdefault(word[2], []).append(i)
        found = _CACHE[text] = (words, where)
    return found


def _separator(text: str) -> str:
    return " " if not text or text.isspace() else " ".join(text.split()).translate(_APOSTROPHES)


@dataclass(frozen=True)
class PhraseMatch:
    """The part of a text a phrase matched (the regex match methods claim finding uses)."""

    text: str
    begin: int
    finish: int

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.finish

    def group(self) -> str:
        return self.text[self.begin:self.finish]

    def span(self) -> tuple[int, int]:
        return self.begin, self.finish


@dataclass(frozen=True)
class _Phrase:
    words: tuple[str, ...]
    separators: tuple[str, ...]
    anchor: int  # index of the word looked up first: the longest, so the rarest


def _anchor(words: tuple[str, ...]) -> int:
    return max(range(len(words)), key=lambda i: (len(words[i]), -i))


def anchor_words(phrases: Iterable[str]) -> frozenset[str]:
    """The word each phrase is found by (case-folded): a text without any of them cannot
    contain any of the phrases, which makes these words a cheap gate."""
    found = set()
    for phrase in phrases:
        words = tuple(_WORD.findall(phrase.casefold()))
        if words:
            found.add(words[_anchor(words)])
    return frozenset(found)


class PhraseMatcher:
    """Whole-word matching of a list of phrases, case-insensitive unless `case_sensitive`.

    Each phrase is indexed by its longest word: a phrase such as "the day before" is only
    tried where "before" occurs, not at every "the"."""

    def __init__(self, phrases: Iterable[str], *, case_sensitive: bool = False) -> None:
        self._exact = case_sensitive
        self._by_anchor: dict[str, list[_Phrase]] = {}
        for phrase in phrases:
            spans = list(_WORD.finditer(phrase if case_sensitive else phrase.casefold()))
            if not spans:
                continue
            seps = tuple(_separator(phrase[a.end():b.start()]) for a, b in pairwise(spans))
            words = tuple(m.group() for m in spans)
            entry = _Phrase(words, seps, _anchor(words))
            self._by_anchor.setdefault(words[entry.anchor].casefold(), []).append(entry)
        self.anchors = frozenset(self._by_anchor)

    def finditer(self, text: str) -> Iterator[PhraseMatch]:
        """Matches in order; where several overlap, the leftmost (then the longest) wins."""
        words, where = _words(text)
        keys = self.anchors & where.keys()
        if not keys:
            return
        found = []
        for key in keys:
            for entry in self._by_anchor[key]:
                single = len(entry.words) == 1 and not self._exact
                for pos in where[key]:
                    if single:  # the common case, inline: only the hyphen test is left
                        start, end = words[pos][0], words[pos][1]
                        if text[start - 1:start] != "-" and text[end:end + 1] != "-":
                            found.append((pos, 1))
                    elif self._fits(text, words, pos - entry.anchor, entry):
                        found.append((pos - entry.anchor, len(entry.words)))
        found.sort(key=lambda f: (f[0], -f[1]))
        free = 0  # matches do not overlap
        for start, length in found:
            if start >= free:
                yield PhraseMatch(text, words[start][0], words[start + length - 1][1])
                free = start + length

    def search(self, text: str) -> PhraseMatch | None:
        return next(self.finditer(text), None)

    def _fits(self, text: str, words: list[Word], i: int, entry: _Phrase) -> bool:
        """Whether the phrase matches the words from word i on."""
        n = len(entry.words)
        if i < 0 or i + n > len(words):
            return False
        key = 3 if self._exact else 2
        if n == 1:
            if self._exact and words[i][3] != entry.words[0]:
                return False
        elif any(words[i + j][key] != entry.words[j] for j in range(n)) or any(
                _separator(text[words[i + j][1]:words[i + j + 1][0]]) != entry.separators[j]
                for j in range(n - 1)):
            return False
        start, end = words[i][0], words[i + n - 1][1]
        return text[start - 1:start] != "-" and text[end:end + 1] != "-"
