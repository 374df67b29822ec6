"""The metric catalogue: what claimwatch counts, and in which unit."""

from __future__ import annotations

# Names and units follow the labelling rules the extractor is scored against.
BUILTIN_METRICS: dict[str, str] = {
    "area_km2": "km2",
    "settlements": "count",
    "advance_km": "km",
    "attacks": "count",
    "killed": "people",
    "injured": "people",
    "casualties": "people",
    "missing": "people",
    "displaced": "people",
    "prisoners": "people",
    "buildings": "count",
    "rescued": "people",
}

# Metrics counted in whole units: their values are never fractional.
WHOLE_UNITS = frozenset({"count", "people"})
