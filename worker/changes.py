"""Change detection, pure: is a new figure a change from the standing figure of its series?

A qualified figure is an interval: "more than 80" after 82 agrees with 82 and is not a change,
92 after "more than 80" is. A figure that agrees with the standing one does not replace it, and a
figure dated before the standing one is history, not news.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from worker.claims import PRECISION_RANK, Claim

SeriesKey = tuple[str, str, str | None]  # region, metric, actor
APPROX_TOLERANCE = 0.10


@dataclass(frozen=True)
class Figure:
    value: float
    qualifier: str
    as_of: datetime | None


class Verdict(Enum):
    FIRST = "first"  # the series had no figure: this one stands, nothing to alert
    CONSISTENT = "consistent"  # agrees with the standing figure, which stays
    OLDER = "older"  # dated before the standing figure: kept as history only
    CHANGE = "change"  # replaces the standing figure and is alerted


def series_key(claim: Claim) -> SeriesKey:
    return (claim.region, claim.metric, claim.actor)


def is_consistent(new: Figure, old_value: float) -> bool:
    """Whether the new figure's interval admits the old value."""
    if new.value == old_value:
        return True
    if new.qualifier == "min":
        return old_value > new.value
    if new.qualifier == "max":
        return old_value <= new.value
    if new.qualifier == "approx":
        return abs(old_value - new.value) <= APPROX_TOLERANCE * new.value
    return False


def judge(standing: Figure | None, new: Figure) -> Verdict:
    if standing is None:
        return Verdict.FIRST
    if new.as_of and standing.as_of and new.as_of < standing.as_of:
        return Verdict.OLDER
    if is_consistent(new, standing.value):
        return Verdict.CONSISTENT
    return Verdict.CHANGE


def standing_claims(claims: Iterable[Claim]) -> dict[SeriesKey, Claim]:
    """The one figure per series that stands for an article: its most precise total."""
    best: dict[SeriesKey, Claim] = {}
    for claim in claims:
        if not claim.may_stand:
            continue
        key = series_key(claim)
        if key not in best or _precision(claim) < _precision(best[key]):
            best[key] = claim
    return best


def _precision(claim: Claim) -> tuple[int, float]:
    """Sort key, lower is more precise: exact, approx, then the tightest bound."""
    tightness = -claim.value if claim.qualifier == "min" else claim.value
    return (PRECISION_RANK[claim.qualifier], tightness if claim.qualifier in ("min", "max") else 0)
