"""Interim claim finder, replaced by the full extractor (issue 3) when it lands."""

from __future__ import annotations

import re

from worker.article import Article
from worker.claims.model import Claim
from worker.watchlist import Watchlist

_FIGURE = re.compile(r"(?P<q>more than |about |up to )?(?P<n>\d[\d,]*) (?P<w>settlements|attacks)")
_METRIC = {"settlements": "settlements", "attacks": "attacks"}
_QUALIFIER = {"more than ": "min", "about ": "approx", "up to ": "max"}


def find_claims(article: Article, watchlist: Watchlist) -> list[Claim]:
    claims = []
    for sentence in re.split(r"(?<=[.!?])\s+", article.text):
        region = next((r.name for r in watchlist.regions if r.name in sentence), None)
        for m in _FIGURE.finditer(sentence):
            if region:
                claims.append(Claim(region=region, metric=_METRIC[m["w"]],
                                    value=float(m["n"].replace(",", "")), unit="count",
                                    qualifier=_QUALIFIER.get(m["q"] or "", "exact"),  # type: ignore[arg-type]
                                    kind="total", actor=None, sentence=sentence))
    return claims
