"""The claim: one figure about one watched region, as an article states it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

Qualifier = Literal["exact", "approx", "min", "max"]
Kind = Literal["total", "delta"]

# How precisely a qualifier pins a figure: lower is more precise (used to pick one figure per
# series per article).
PRECISION_RANK: dict[str, int] = {"exact": 0, "approx": 1, "min": 2, "max": 2}


@dataclass(frozen=True)
class Claim:
    """A figure an article states about a watched region.

    `as_of` is set when the text dates the figure itself ("On 12 August, Syrskyi reported ...");
    such a figure is `restated`: it repeats an earlier report and never stands as the newest.
    `forecast` marks projections ("could reach"). `claimant` holds the words that name who says
    it; `actor` is the watchlist actor those words map to, or None.
    """

    region: str
    metric: str
    value: float
    unit: str
    qualifier: Qualifier
    kind: Kind
    actor: str | None
    sentence: str
    claimant: str | None = None
    as_of: date | None = None
    restated: bool = False
    forecast: bool = False
    in_title: bool = False

    @property
    def may_stand(self) -> bool:
        """Whether this figure can become a series' standing figure."""
        return self.kind == "total" and not self.restated and not self.forecast
