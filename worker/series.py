"""Series move on: the standing claims of read articles, oldest article first, judged against the
standing figure of their series (worker/changes.py); the changes they make.

Several workers read articles at once and finish in any order; an article waits here while an
older one is still being read, so each series passes through its figures in date order. This runs
in the one step workers take in turns (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL),
so the last worker to finish always sees, and moves on, everything that became ready.

Statements are built once with bind parameters and executed as Core: building ORM objects and
expressions per article cost more here than the database's own work.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Insert,
    Select,
    Update,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    text,
    update,
)

from worker.changes import Figure, Verdict, judge
from worker.db import (
    ChangeRecord,
    ClaimRecord,
    ItemRecord,
    SeriesRecord,
    UTCDateTime,
    insert_ignoring_duplicates,
    table_of,
    utcnow,
)

QueuePosition = tuple[bool, datetime, int]
Key = tuple[str, str, str]  # region, metric, actor ("" for none): a series' unique key
_ITEMS, _CLAIMS, _SERIES, _CHANGES = (table_of(model) for model in (ItemRecord, ClaimRecord, SeriesRecord,
                                                                     ChangeRecord))


@dataclass(frozen=True)
class Standing:
    """A claim that stands for its article in its series: what the change check needs of it."""

    id: int
    region: str
    metric: str
    actor: str
    value: float
    qualifier: str
    as_of: datetime | None


def advance_series(connection: Connection) -> list[ChangeRecord]:
    """Move series on with the standing claims of every extracted item whose turn it is, mark
    those items done and return the changes they make."""
    if connection.dialect.name == "postgresql":
        connection.execute(text(
            "SELECT pg_advisory_xact_lock(hashtext('claimwatch advance ' || current_schema()))"))
    ready = ready_items(connection)
    if not ready:
        return []
    by_item: dict[int, list[Standing]] = {item_id: [] for item_id in ready}
    for row in connection.execute(_standing_claims(), {"ids": ready}):
        by_item[row.item_id].append(Standing(row.id, row.region, row.metric, row.actor, row.value,
                                             row.qualifier, row.as_of))
    changes = [change for item_id in ready for change in update_series(connection, by_item[item_id])]
    connection.execute(_mark_done(), {"ids": ready})
    return changes


def ready_items(connection: Connection) -> list[int]:
    """Extracted items that no item still waiting to be read precedes, oldest first.

    Only items never tried hold others back: one that failed is tried again on a later scan and
    must not stall every alert until then (a figure it brings late is kept as history)."""
    extracted = connection.execute(_extracted()).all()
    if not extracted:
        return []
    ordered = sorted(extracted, key=lambda row: queue_position(row.published, row.id))
    first_waiting = _first_waiting(connection)
    return [row.id for row in ordered
            if first_waiting is None or queue_position(row.published, row.id) < first_waiting]


def queue_position(published: datetime | None, item_id: int) -> QueuePosition:
    """The order items are read in: by publication, undated ones last, then as they arrived."""
    return published is None, published or datetime.min.replace(tzinfo=UTC), item_id


def _first_waiting(connection: Connection) -> QueuePosition | None:
    """The queue position of the first item not yet tried, read off the queue index."""
    dated = connection.execute(_first_waiting_dated()).first()
    if dated is not None:
        return queue_position(dated.published, dated.id)
    undated = connection.execute(_first_waiting_undated()).scalar()
    return None if undated is None else queue_position(None, undated)


def update_series(connection: Connection, claims: Sequence[Standing]) -> list[ChangeRecord]:
    """Judge standing claims, in order, against the standing figures of their series; record the
    changes and move the series on. Series are read eight keys a query and written once each."""
    if not claims:
        return []
    series = _read_series(connection, list(dict.fromkeys(map(_key, claims))))
    rows, moved = [], {}
    now = utcnow()
    for claim in claims:
        key = _key(claim)
        standing = series.get(key)
        if standing is None:
            started = _start_series(connection, claim)
            if started is not None:
                series[key] = _Series.held_by(started, claim)
                continue  # the first figure of a series is not a change
            standing = series[key] = _read_series(connection, [key])[key]  # another worker started it
        verdict = judge(Figure(standing.value, standing.qualifier, standing.as_of),
                        Figure(claim.value, claim.qualifier, claim.as_of))
        if verdict is Verdict.CHANGE:
            rows.append(_change_row(standing, claim, now))
            series[key] = moved[standing.id] = _Series.held_by(standing.id, claim)
    return _record_changes(connection, rows, moved.values())


@dataclass(frozen=True)
class _Series:
    """A series' standing figure as this step sees it."""

    id: int
    claim_id: int
    value: float
    qualifier: str
    as_of: datetime | None

    @classmethod
    def held_by(cls, series_id: int, claim: Standing) -> _Series:
        """The series once `claim` stands in it."""
        return cls(series_id, claim.id, claim.value, claim.qualifier, claim.as_of)


def _key(claim: Any) -> Key:
    return claim.region, claim.metric, claim.actor


def _read_series(connection: Connection, keys: Sequence[Key]) -> dict[Key, _Series]:
    """The series of these keys that exist, locked, a few keys a query."""
    found = {}
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[start:start + _KEYS_PER_QUERY]
        values = {f"{name}_{i}": value for i, key in enumerate(chunk)
                  for name, value in zip(_KEY, key, strict=True)}
        for row in connection.execute(_series_for_update(len(chunk)), values):
            found[_key(row)] = _Series(row.id, row.claim_id, row.value, row.qualifier, row.as_of)
    return found


def _change_row(series: _Series, claim: Standing, now: datetime) -> dict[str, Any]:
    return {"series_id": series.id, "region": claim.region, "metric": claim.metric, "actor": claim.actor,
            "old_claim_id": series.claim_id, "new_claim_id": claim.id, "old_value": series.value,
            "new_value": claim.value, "old_qualifier": series.qualifier, "new_qualifier": claim.qualifier,
            "revision": claim.value < series.value, "created_at": now}


def _record_changes(connection: Connection, rows: list[dict[str, Any]],
                    moved: Iterable[_Series]) -> list[ChangeRecord]:
    """The changes inserted in one statement, each moved series updated once to where it ends."""
    if not rows:
        return []
    # One INSERT for all rows; RETURNING order is not promised, but each change has its own new claim.
    ids = {row.new_claim_id: row.id for row in connection.execute(_insert_change(), rows)}
    connection.execute(_move_series(), [{"series_id": s.id, "new_claim_id": s.claim_id, "new_value": s.value,
                                         "new_qualifier": s.qualifier, "new_as_of": s.as_of} for s in moved])
    return [ChangeRecord(id=ids[row["new_claim_id"]], **row) for row in rows]


def _start_series(connection: Connection, claim: Standing) -> int | None:
    """Start the series with this claim unless it exists: its id, or None when another worker won
    the race.

    A plain INSERT would fail on the unique key when two workers start the same series at once
    (PostgreSQL waits for the first to commit, then reports the conflict); this one does nothing.
    RETURNING, not rowcount: psycopg reports -1 as the rowcount of this insert.
    """
    row = {"region": claim.region, "metric": claim.metric, "actor": claim.actor, "claim_id": claim.id,
           "value": claim.value, "qualifier": claim.qualifier, "as_of": claim.as_of}
    started = connection.execute(_insert_series(connection.dialect.name), row).first()
    return None if started is None else int(started.id)


@cache
def _extracted() -> Select[Any]:
    return select(_ITEMS.c.id, _ITEMS.c.published).where(_ITEMS.c.status == "extracted")


_FRESH = and_(_ITEMS.c.status == "pending", _ITEMS.c.attempts == 0)


@cache
def _first_waiting_dated() -> Select[Any]:
    # The index's own order (status, attempts, published, id): the first entry is the answer.
    return (select(_ITEMS.c.published, _ITEMS.c.id).where(_FRESH, _ITEMS.c.published.is_not(None))
            .order_by(_ITEMS.c.published, _ITEMS.c.id).limit(1))


@cache
def _first_waiting_undated() -> Select[Any]:
    return select(func.min(_ITEMS.c.id)).where(_FRESH, _ITEMS.c.published.is_(None))


@cache
def _standing_claims() -> Select[Any]:
    c = _CLAIMS.c
    return select(c.id, c.item_id, c.region, c.metric, c.actor, c.value, c.qualifier, c.as_of).where(
        c.item_id.in_(bindparam("ids", expanding=True)), c.stands.is_(True)).order_by(c.id)


@cache
def _mark_done() -> Update:
    return update(_ITEMS).where(_ITEMS.c.id.in_(bindparam("ids", expanding=True))).values(status="done")


_KEY = ("region", "metric", "actor")
_KEYS_PER_QUERY = 8  # statements for 1 to 8 keys, each built once


@cache
def _series_for_update(keys: int) -> Select[Any]:
    # An OR of whole-key equalities: each an index search of the unique key on both databases.
    # SQLite scans the table for a row-value IN list, and by region alone a query would read
    # every series of the region (all its metrics and actors).
    return select(_SERIES).where(or_(*(and_(*(_SERIES.c[name] == bindparam(f"{name}_{i}") for name in _KEY))
                                       for i in range(keys)))).with_for_update()


@cache
def _insert_series(dialect: str) -> Insert:
    return insert_ignoring_duplicates(dialect, _SERIES).returning(_SERIES.c.id)


@cache
def _insert_change() -> Insert:
    return insert(_CHANGES).returning(_CHANGES.c.id, _CHANGES.c.new_claim_id)


@cache
def _move_series() -> Update:
    s = _SERIES.c
    return update(_SERIES).where(s.id == bindparam("series_id")).values(
        claim_id=bindparam("new_claim_id"), value=bindparam("new_value"),
        qualifier=bindparam("new_qualifier"), as_of=bindparam("new_as_of", type_=UTCDateTime()))
