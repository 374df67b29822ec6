"""Claim finding: article text → figures about watched regions. Pure functions, no I/O."""

from __future__ import annotations

from functools import lru_cache

from worker.article import Article
from worker.claims.finder import ClaimFinder
from worker.claims.model import PRECISION_RANK, Claim, Kind, Qualifier
from worker.watchlist import Watchlist

__all__ = ["PRECISION_RANK", "Claim", "ClaimFinder", "Kind", "Qualifier", "find_claims"]


@lru_cache(maxsize=16)
def _compiled(watchlist: Watchlist) -> ClaimFinder:
    return ClaimFinder(watchlist)


_last: list[tuple[Watchlist, ClaimFinder]] = []


def _finder(watchlist: Watchlist) -> ClaimFinder:
    """The matcher compiled for `watchlist`, built once: the same object is found without
    hashing it (hashing a watchlist model costs more than reading a short article)."""
    if _last and _last[0][0] is watchlist:
        return _last[0][1]
    finder = _compiled(watchlist)
    _last[:] = [(watchlist, finder)]
    return finder


def find_claims(article: Article, watchlist: Watchlist) -> list[Claim]:
    """Every claim `article` makes about `watchlist`'s regions, once per (region, metric, value).

    Pure and deterministic; never raises on any text (a sentence that cannot be read is skipped).
    """
    return _finder(watchlist).find(article)
