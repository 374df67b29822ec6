"""Units written after a number, and their conversion to the catalogue's km² and km."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_SQ = r"(?:sq\.?|square)\s*"
_KM = r"(?:km|kms|kilomet(?:er|re)s?)"
_MI = r"(?:mi|miles?)"
_M = r"(?:m|met(?:er|re)s?)"
# Order matters: area before length, so "square km" is not read as "km".
_UNITS: tuple[tuple[str, str, float], ...] = (
    (rf"{_SQ}{_KM}|{_KM}\s*(?:2|²)|{_KM}\s*sq\.?(?!\w)", "km2", 1.0),
    (rf"{_SQ}{_MI}|{_MI}\s*(?:2|²)", "km2", 2.589988),
    (rf"{_SQ}{_M}|{_M}\s*(?:2|²)", "km2", 1e-6),
    (r"hectares?|ha(?!\w)", "km2", 0.01),
    (r"acres?", "km2", 1 / 247.105),
    (_KM, "km", 1.0),
    (_MI, "km", 1.609344),
    (_M, "km", 0.001),
    (r"feet|foot|ft(?!\w)", "km", 0.0003048),
)
_UNIT = re.compile(
    r"\s*(?:-\s*)?(?:" + "|".join(f"(?P<u{i}>{p})" for i, (p, _, _) in enumerate(_UNITS))
    + r")(?![\w²])",
    re.IGNORECASE,
)
# Quantities that are never figures of the catalogue: the number is skipped.
_NOT_A_FIGURE = re.compile(
    r"\s*(?:-\s*)?(?:%|per\s*cent|percent(?:age)?|pc\b|percentage\s+points?|"
    r"cubic|tonnes?|tons?|kg|kilograms?|litres?|liters?|gallons?|barrels?|degrees?|°|"
    r"(?:dollars?|euros?|pounds?|yuan|rubles?|roubles?|hryvnias?|usd|eur|gbp)\b|"
    r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|nights?|weeks?|months?|years?|"
    r"decades?|centuries|century)(?!\w)|"
    r"(?:a\.m\.|p\.m\.|am\b|pm\b|gmt\b|utc\b|et\b|local\s+time)|"
    r"(?:mph|km/h|kph|knots?|mm|cm|millimet(?:er|re)s?|centimet(?:er|re)s?|inch(?:es)?)(?!\w)|"
    r"-?year-old|-?years?-old|magnitude|on\s+the\s+richter|richter)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Unit:
    dimension: str  # "km2" or "km"
    factor: float   # multiply the written number by this to get the catalogue unit
    end: int        # offset just after the unit in the sentence


@lru_cache(maxsize=512)
def unit_after(text: str, pos: int) -> Unit | None:
    """The area or length unit starting at `pos` (after optional spaces or a hyphen), if any."""
    match = _UNIT.match(text, pos)
    if match is None:
        return None
    index = next(i for i, value in enumerate(match.groups()) if value is not None)
    _, dimension, factor = _UNITS[index]
    return Unit(dimension, factor, match.end())


def not_a_figure_after(text: str, pos: int) -> bool:
    """Whether what follows `pos` makes the number a percentage, money, a time or another unit."""
    return _NOT_A_FIGURE.match(text, pos) is not None
