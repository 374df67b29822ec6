"""Load the watchlist YAML once, validate it, and hand out frozen models.

Every error names the file, the line and the key path, and says what to fix, because the person
reading it is editing that file.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from worker.config_file import describe, dotted, interpolate, where
from worker.errors import ConfigError
from worker.message import check_template
from worker.metrics import BUILTIN_METRICS

_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_CLOCK = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


def parse_interval(value: Any) -> timedelta:
    """'30s', '15m', '2h', '1d' or a number of seconds → timedelta."""
    if isinstance(value, timedelta):
        return value
    match = _INTERVAL.match(str(value))
    if match is None or isinstance(value, bool):
        raise ValueError(f"{value!r} is not an interval: write a number with s, m, h or d, e.g. 15m")
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]
    if seconds < 1:
        raise ValueError("an interval must be at least 1 second")
    return timedelta(seconds=seconds)


Interval = Annotated[timedelta, BeforeValidator(parse_interval)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Region(_Frozen):
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    within: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


class Actor(_Frozen):
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


class CustomMetric(_Frozen):
    """A metric the catalogue lacks: figures near one of `words` are counted in `unit`."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    unit: str = "count"
    words: tuple[str, ...] = Field(min_length=1)


class Feed(_Frozen):
    url: str = Field(pattern=r"^https?://")
    every: Interval = timedelta(minutes=15)


class MinChange(_Frozen):
    """Smallest change worth an alert: an absolute amount or a percentage of the old figure."""

    amount: float
    percent: bool

    def passes(self, old: float, new: float) -> bool:
        diff = abs(new - old)
        if self.percent:
            return old == 0 or diff * 100 >= self.amount * abs(old)
        return diff >= self.amount


def parse_min_change(value: Any) -> MinChange | None:
    if value is None or isinstance(value, MinChange):
        return value
    text = str(value).strip()
    percent = text.endswith("%")
    try:
        amount = float(text.rstrip("%").strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a number or a percentage such as 5 or 5%") from None
    if amount < 0:
        raise ValueError("min_change cannot be negative")
    return MinChange(amount=amount, percent=percent)


class QuietHours(_Frozen):
    """A daily window, in the target's time zone, during which alerts wait; it may cross midnight."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


def parse_quiet_hours(value: Any) -> QuietHours | None:
    if value is None or isinstance(value, QuietHours):
        return value
    match = _CLOCK.match(str(value))
    if match is None:
        raise ValueError(f"{value!r} is not a daily window: write HH:MM-HH:MM, e.g. 22:00-07:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if (h1, m1) == (h2, m2):
        raise ValueError("quiet_hours starts and ends at the same time: remove it or widen it")
    return QuietHours(start=time(h1, m1), end=time(h2, m2))


class NotifyTarget(_Frozen):
    url: str = Field(min_length=1)
    name: str | None = Field(default=None, min_length=1)
    regions: tuple[str, ...] | None = None
    metrics: tuple[str, ...] | None = None
    actors: tuple[str, ...] | None = None
    min_change: Annotated[MinChange | None, BeforeValidator(parse_min_change)] = None
    revisions: Literal["always", "filtered", "muted"] = "always"
    digest: Interval | None = None
    quiet_hours: Annotated[QuietHours | None, BeforeValidator(parse_quiet_hours)] = None
    timezone: str = "UTC"
    format: Literal["auto", "markdown", "text"] = "auto"
    title_template: str | None = None
    body_template: str | None = None

    @field_validator("url")
    @classmethod
    def _apprise_knows_url(cls, url: str) -> str:
        import apprise  # imported here: loading its plugins costs time every command does not need

        if apprise.Apprise.instantiate(url, suppress_exceptions=True) is None:
            raise ValueError("Apprise does not recognise this URL (see the Apprise wiki for URL forms)")
        return url

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r}: use an IANA name such as Europe/Kyiv") from None
        return name

    @field_validator("title_template", "body_template")
    @classmethod
    def _template_renders(cls, source: str | None) -> str | None:
        if source is not None:
            check_template(source)
        return source

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Watchlist(_Frozen):
    regions: tuple[Region, ...] = Field(min_length=1)
    actors: tuple[Actor, ...] = ()
    metrics: tuple[str | CustomMetric, ...] | None = None
    feeds: tuple[Feed, ...] = ()
    seeds: Path | None = Path("seeds")
    seeds_every: Interval = timedelta(minutes=1)
    notify: tuple[NotifyTarget, ...] = ()
    database: str | None = None
    allow_private_addresses: bool = False

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, metrics: tuple[str | CustomMetric, ...] | None) -> Any:
        for metric in metrics or ():
            if isinstance(metric, str) and metric not in BUILTIN_METRICS:
                known = ", ".join(BUILTIN_METRICS)
                raise ValueError(f"unknown metric {metric!r}: use one of {known}, or declare it "
                                 "with name, unit and words")
        return metrics

    @model_validator(mode="after")
    def _names_are_consistent(self) -> Watchlist:
        for kind, group in (("regions", self.regions), ("actors", self.actors)):
            seen: dict[str, str] = {}
            for member in group:
                for name in member.names:
                    owner = seen.setdefault(name.casefold(), member.name)
                    if owner != member.name:
                        raise ValueError(f"the name {name!r} is used by both {kind} {owner!r} and "
                                         f"{member.name!r}: give it to one only")
        region_names = {r.name for r in self.regions}
        for region in self.regions:
            if region.within is not None and region.within not in region_names:
                raise ValueError(f"region {region.name!r} is within {region.within!r}, which is "
                                 "not a region of this watchlist: add it or fix the name")
        return self

    @property
    def metric_units(self) -> dict[str, str]:
        """Every metric in force, with its unit."""
        if self.metrics is None:
            return dict(BUILTIN_METRICS)
        return {m if isinstance(m, str) else m.name:
                BUILTIN_METRICS[m] if isinstance(m, str) else m.unit for m in self.metrics}

    @property
    def custom_metrics(self) -> tuple[CustomMetric, ...]:
        return tuple(m for m in self.metrics or () if isinstance(m, CustomMetric))

    def region(self, name: str) -> Region:
        return next(r for r in self.regions if r.name == name)


def load_watchlist(path: Path) -> Watchlist:
    """Read, interpolate and validate the watchlist at `path`, or raise ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the watchlist ({exc.strerror}); pass --config FILE "
                          "or set CLAIMWATCH_CONFIG") from None
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the watchlist must be a mapping with at least a 'regions' key")
    data = interpolate(data, path, root, ())
    try:
        watchlist = Watchlist.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe(exc, path, root)) from None
    _check_references(watchlist, path, root)
    return watchlist


def _check_references(watchlist: Watchlist, path: Path, root: yaml.Node | None) -> None:
    """Names a notify target filters on must exist: a misspelt region would silence it forever."""
    known = {"regions": {r.name for r in watchlist.regions},
             "metrics": set(watchlist.metric_units), "actors": {a.name for a in watchlist.actors}}
    names: set[str] = set()
    for index, target in enumerate(watchlist.notify):
        for key, allowed in known.items():
            for name in getattr(target, key) or ():
                if name not in allowed:
                    loc = ("notify", index, key)
                    raise ConfigError(f"{where(path, root, loc)}: {dotted(loc)}: {name!r} is not "
                                      f"one of the watchlist's {key} ({', '.join(sorted(allowed))})")
        if target.name is not None and target.name in names:
            loc = ("notify", index, "name")
            raise ConfigError(f"{where(path, root, loc)}: {dotted(loc)}: another target is "
                              f"already named {target.name!r}: names must be unique")
        names.add(target.name or "")
