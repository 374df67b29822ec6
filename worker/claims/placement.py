"""Which of the places a sentence names a figure is about: the nearest in its own phrase, not
one of a list, not one named in a part of it ('including 5,762 from X')."""

from __future__ import annotations

import re

from worker.claims.figures import Figure
from worker.claims.regions import Mention
from worker.claims.text import Sentence


def coordinated(chosen: Mention, mentions: list[Mention], text: str) -> bool:
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


def nearest(mentions: list[Mention], figure: Figure, sentence: Sentence) -> Mention:
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
_PART_WORDS = frozenset(("including", "among", "them", "whom", "which"))
_PART = re.compile(r",\s+(?:including|among\s+them|of\s+(?:them|whom|which))\b", re.IGNORECASE)


def outside_part(mentions: list[Mention], sentence: Sentence, figure: Figure) -> list[Mention]:
    """The mentions that can govern a figure: places named in an 'including ...' part after
    it describe the part, not the whole ('8,000 evacuated, including 5,762 from X')."""
    if not mentions or _PART_WORDS.isdisjoint(sentence.words):
        return mentions
    part = _PART.search(sentence.text, figure.end)
    if part is None:
        return mentions
    return [m for m in mentions if m.start < part.start()]
