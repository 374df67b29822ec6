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
_CACHE: dict[str, list[tuple[int, int, str, str]]] = {}
_CACHE_SIZE = 256


def _words(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, case-folded, as written) for every word of `text`, cached per text."""
    found = _CACHE.get(text)
    if found is None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        found = [(m.start(), m.end(), m.group().casefold(), m.group()) for m in _WORD.finditer(text)]
        _CACHE[text] = found
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


class PhraseMatcher:
    """Whole-word matching of a list of phrases, case-insensitive unless `case_sensitive`."""

    def __init__(self, phrases: Iterable[str], *, case_sensitive: bool = False) -> None:
        self._exact = case_sensitive
        self._starts: dict[str, list[_Phrase]] = {}
        for phrase in phrases:
            spans = list(_WORD.finditer(phrase if case_sensitive else phrase.casefold()))
            if not spans:
                continue
            seps = tuple(_separator(phrase[a.end():b.start()]) for a, b in pairwise(spans))
            entry = _Phrase(tuple(m.group() for m in spans), seps)
            self._starts.setdefault(entry.words[0], []).append(entry)
        for entries in self._starts.values():
            entries.sort(key=lambda e: len(e.words), reverse=True)
        self.first_words = frozenset(w.casefold() for w in self._starts)

    def finditer(self, text: str) -> Iterator[PhraseMatch]:
        words = _words(text)
        i = 0
        while i < len(words):
            entries = self._starts.get(words[i][3] if self._exact else words[i][2])
            length = self._match(text, words, i, entries) if entries else 0
            if length:
                yield PhraseMatch(text, words[i][0], words[i + length - 1][1])
                i += length
            else:
                i += 1

    def search(self, text: str) -> PhraseMatch | None:
        return next(self.finditer(text), None)

    def _match(self, text: str, words: list[tuple[int, int, str, str]], i: int,
               entries: list[_Phrase]) -> int:
        """Number of words of the longest phrase matching at word i (0 if none)."""
        key = 3 if self._exact else 2
        for entry in entries:
            n = len(entry.words)
            if n == 1:  # most phrases are one word: only the hyphen rule is left to check
                start, end = words[i][0], words[i][1]
                if text[start - 1:start] != "-" and text[end:end + 1] != "-":
                    return 1
                continue
            if i + n > len(words):
                continue
            if any(words[i + j][key] != entry.words[j] for j in range(1, n)):
                continue
            if any(_separator(text[words[i + j][1]:words[i + j + 1][0]]) != entry.separators[j]
                   for j in range(n - 1)):
                continue
            start, end = words[i][0], words[i + n - 1][1]
            if text[start - 1:start] == "-" or text[end:end + 1] == "-":
                continue
            return n
        return 0
