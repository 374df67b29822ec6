"""Splitting an article into paragraphs and sentences, and sentences into tokens."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Any

from worker.claims.vocabulary import words_of

# Words after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset((
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "mr", "mrs", "ms", "dr", "gen", "lt", "col", "maj", "capt", "sgt", "gov", "sen", "rep",
    "prof", "st", "no", "vs", "inc", "corp", "co", "ltd", "jr", "sr", "approx", "est", "fig",
    "u.s", "u.n", "u.k", "e.u", "a.m", "p.m", "e.g", "i.e", "etc", "adm", "pres", "rev", "mt",
))
_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]?[A-Z0-9])")
_PARAGRAPHS = re.compile(r"[^\n]+")
_TOKEN = re.compile(r"\d+(?:[.,:]\d+)*|[^\W\d_]+(?:['\u2019][^\W\d_]+)*|\S", re.UNICODE)


@dataclass(slots=True)
class Sentence:
    """One sentence: its text, where it is, and (filled in lazily) its tokens."""

    text: str
    paragraph: int
    index: int  # position in the article, over all paragraphs
    in_title: bool = False
    _starts: list[int] = field(default_factory=list, repr=False)
    _tokens: list[str] = field(default_factory=list, repr=False)
    _raw: list[str] = field(default_factory=list, repr=False)
    _words: frozenset[str] | None = field(default=None, repr=False)
    memo: dict[str, Any] = field(default_factory=dict, repr=False)  # per-sentence caches

    @property
    def words(self) -> frozenset[str]:
        """The sentence's case-folded words (computed once)."""
        if self._words is None:
            self._words = words_of(self.text)
        return self._words

    def tokens(self) -> list[str]:
        """Lower-cased tokens (words, numbers, punctuation marks)."""
        if not self._starts and self.text:
            matches = list(_TOKEN.finditer(self.text))
            self._starts = [m.start() for m in matches]
            self._raw = [m.group() for m in matches]
            self._tokens = [t.lower() for t in self._raw]
        return self._tokens

    def raw_tokens(self) -> list[str]:
        """The tokens as written."""
        self.tokens()
        return self._raw

    def token_at(self, offset: int) -> int:
        """Index of the token that contains (or last starts before) character `offset`."""
        if not self._starts:
            self.tokens()
        return max(bisect_right(self._starts, offset) - 1, 0)

    def token_from(self, offset: int) -> int:
        """Index of the first token starting at or after character `offset`."""
        self.tokens()
        return bisect_left(self._starts, offset)


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph; abbreviations such as 'Aug.' or 'U.S.' do not end one."""
    pieces, start = [], 0
    for match in _END.finditer(paragraph):
        if match.group().startswith(".") and _is_abbreviation(paragraph, match.start()):
            continue
        pieces.append(paragraph[start:match.end()].strip())
        start = match.end()
    pieces.append(paragraph[start:].strip())
    return [p for p in pieces if p]


def _is_abbreviation(text: str, dot: int) -> bool:
    word = re.search(r"([\w.]+)$", text[max(0, dot - 24):dot])
    if word is None:
        return False
    token = word.group(1).lower()
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def split_article(title: str, text: str) -> list[Sentence]:
    """The title (paragraph 0) then every sentence of the body, one line being one paragraph."""
    sentences: list[Sentence] = []
    if title.strip():
        sentences.append(Sentence(title.strip(), 0, 0, in_title=True))
    headline = " ".join(title.split()).casefold()
    number = 0
    for match in _PARAGRAPHS.finditer(text):
        line = " ".join(match.group().split())
        if not line or (number == 0 and headline and line.casefold() == headline):
            continue  # blank, or the headline repeated as the first line of the page's text
        number += 1
        for piece in split_sentences(match.group()):
            sentences.append(Sentence(piece, number, len(sentences)))
    return sentences
