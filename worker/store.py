"""Record items, claims, series, changes and deliveries idempotently; read them back.

Every write here is safe to repeat: a second scan of the same input, or a task delivered twice,
finds its rows already there and adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Insert, Select, Table, Update, and_, bindparam, insert, or_, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col, func, select

from worker.article import Article
from worker.changes import Figure, Verdict, judge, standing_claims
from worker.claims import Claim
from worker.db import (
    ChangeRecord,
    ClaimRecord,
    DeliveryRecord,
    FeedRecord,
    ItemRecord,
    SeriesRecord,
    UTCDateTime,
    utcnow,
)


@dataclass(frozen=True)
class NewItem:
    key: str
    source: str
    url: str | None = None
    path: str | None = None
    title: str = ""
    summary: str = ""
    published: datetime | None = None


def insert_ignoring_duplicates(session: Session, model: Any) -> Insert:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement: Insert = insert(model).on_conflict_do_nothing()
    return statement


def add_items(session: Session, items: Sequence[NewItem]) -> int:
    """Insert items not seen before; returns how many were new."""
    if not items:
        return 0
    now = utcnow()
    rows = [{**item.__dict__, "status": "pending", "attempts": 0, "found_at": now} for item in items]
    # RETURNING, not rowcount: psycopg reports 0 rows for a multi-row INSERT … ON CONFLICT DO NOTHING.
    # Rows as parameters of one cached statement (SQLAlchemy batches them), not inlined as VALUES:
    # compiling an INSERT with a feed's 500 rows inlined cost more than the feed's parse.
    items_table = _table(ItemRecord)
    statement = insert_ignoring_duplicates(session, items_table).returning(items_table.c.id)
    return len(session.connection().execute(statement, rows).all())


def known_keys(session: Session, keys: Iterable[str]) -> set[str]:
    keys = list(keys)
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        found.update(session.exec(select(ItemRecord.key).where(col(ItemRecord.key).in_(chunk))))
    return found


def pending_item_ids(session: Session, source: str | None = None, max_attempts: int = 5,
                     idle_since: datetime | None = None) -> list[int]:
    """Items still to process, oldest publication first so series advance in date order.

    `idle_since`: only items neither found nor tried since then.
    """
    query = select(ItemRecord.id).where(ItemRecord.status == "pending",
                                        ItemRecord.attempts < max_attempts)
    if source is not None:
        query = query.where(ItemRecord.source == source)
    if idle_since is not None:
        touched = func.coalesce(col(ItemRecord.processed_at), col(ItemRecord.found_at))
        query = query.where(touched < idle_since)
    query = query.order_by(col(ItemRecord.published).asc().nulls_last(), col(ItemRecord.id))
    return [i for i in session.exec(query) if i is not None]


def lock_item(session: Session, item_id: int) -> ItemRecord | None:
    """The item, locked for this transaction so two workers cannot process it together."""
    return session.exec(select(ItemRecord).where(ItemRecord.id == item_id).with_for_update()).first()


def mark_item_failed(session: Session, item_id: int, error: str, final: bool) -> None:
    item = lock_item(session, item_id)
    if item is None or item.status != "pending":
        return
    item.attempts += 1
    item.error = error[:2000]
    item.status = "failed" if final else "pending"
    item.processed_at = utcnow()
    session.add(item)


def record_extraction(session: Session, item_id: int, article: Article, claims: Sequence[Claim]) -> bool:
    """Store a pending item's article and claims and mark it extracted; False when it is no
    longer pending (another worker got there first). Its series move on later, in date order
    (`advance_series`). Core statements, not ORM objects: building a dozen ORM rows per article
    cost more than everything else claimwatch adds to trafilatura."""
    items = _table(ItemRecord)
    marked = session.connection().execute(
        update(items).where(items.c.id == item_id, items.c.status == "pending").values(
            title=article.title, url=func.coalesce(article.url, items.c.url), outlet=article.outlet,
            published=func.coalesce(bindparam("published", article.published, type_=UTCDateTime()),
                                    items.c.published),
            status="extracted", error=None, processed_at=utcnow()).returning(items.c.published)).first()
    if marked is None:
        return False
    published = marked.published
    standing = standing_claims(claims)
    rows = [_claim_row(item_id, claim, published, stands=standing.get(
        (claim.region, claim.metric, claim.actor)) is claim) for claim in dict.fromkeys(claims)]
    if rows:
        session.connection().execute(insert(_table(ClaimRecord)), rows)
    return True


def _claim_row(item_id: int, claim: Claim, as_of: datetime | None, stands: bool) -> dict[str, Any]:
    # undated articles are ordered by arrival, not by an invented date
    dated = datetime(claim.as_of.year, claim.as_of.month, claim.as_of.day, tzinfo=UTC) \
        if claim.as_of else as_of
    return {"item_id": item_id, "region": claim.region, "metric": claim.metric,
            "actor": claim.actor or "", "value": claim.value, "unit": claim.unit,
            "qualifier": claim.qualifier, "kind": claim.kind, "claimant": claim.claimant,
            "sentence": claim.sentence, "as_of": dated, "restated": claim.restated,
            "forecast": claim.forecast, "in_title": claim.in_title, "stands": stands}


def advance_series(session: Session) -> list[ChangeRecord]:
    """Move the series on with the standing claims of extracted items, oldest item first, mark
    those items done and return the changes they make.

    Several workers extract articles at once and finish in any order; an item waits here while
    an older one is still being read, so each series still passes through its figures in date
    order. Runs under one lock (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL), so
    the last worker to finish always sees, and advances, everything that became ready.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(text(
            "SELECT pg_advisory_xact_lock(hashtext('claimwatch advance ' || current_schema()))"))
    ready = _ready_items(session)
    if not ready:
        return []
    standing = session.exec(select(ClaimRecord).where(
        col(ClaimRecord.item_id).in_(ready), col(ClaimRecord.stands))).all()
    changes = []
    for item_id in ready:
        changes += _update_series(session, [c for c in standing if c.item_id == item_id])
    items = _table(ItemRecord)
    session.connection().execute(update(items).where(items.c.id.in_(ready)).values(status="done"))
    return changes


def _ready_items(session: Session) -> list[int]:
    """Extracted items that no item still waiting to be read precedes, oldest first.

    Only items never tried hold others back: one that failed is tried again on a later scan and
    must not stall every alert until then (a figure it brings late is kept as history)."""
    items = _table(ItemRecord)
    extracted = session.connection().execute(
        select(items.c.id, items.c.published).where(items.c.status == "extracted")).all()
    if not extracted:
        return []
    ordered = sorted(extracted, key=lambda row: _queue_position(row.published, row.id))
    first_waiting = _first_waiting(session)
    return [row.id for row in ordered
            if first_waiting is None or _queue_position(row.published, row.id) < first_waiting]


def _queue_position(published: datetime | None, item_id: int) -> tuple[bool, datetime, int]:
    """The order items are read in: by publication, undated ones last, then as they arrived."""
    return published is None, published or datetime.min.replace(tzinfo=UTC), item_id


def _first_waiting(session: Session) -> tuple[bool, datetime, int] | None:
    """The queue position of the first item not yet tried, read off the queue index."""
    items = _table(ItemRecord)
    fresh = and_(items.c.status == "pending", items.c.attempts == 0)
    connection = session.connection()
    published = connection.execute(select(func.min(items.c.published)).where(fresh)).scalar()
    if published is not None:
        same = connection.execute(select(func.min(items.c.id)).where(
            fresh, items.c.published == published)).scalar_one()
        return _queue_position(published, same)
    undated = connection.execute(select(func.min(items.c.id)).where(
        fresh, items.c.published.is_(None))).scalar()
    return None if undated is None else _queue_position(None, undated)


def _update_series(session: Session, claims: Sequence[ClaimRecord]) -> list[ChangeRecord]:
    """Judge each standing claim against its series (one per claim) and return the changes; the
    series are read in one query and written in one flush, not three round trips per claim."""
    found = _lock_series(session, claims)
    changes = []
    for claim in claims:
        assert claim.id is not None
        key = (claim.region, claim.metric, claim.actor)
        series = found.get(key)
        if series is None:
            if _insert_series(session, claim):
                continue  # the first figure of a series is not a change
            series = _lock_series(session, [claim]).get(key)  # another worker created it a moment ago
            assert series is not None
        verdict = judge(Figure(series.value, series.qualifier, series.as_of),
                        Figure(claim.value, claim.qualifier, claim.as_of))
        if verdict is not Verdict.CHANGE:
            continue
        assert series.id is not None
        changes.append(ChangeRecord(
            series_id=series.id, region=claim.region, metric=claim.metric, actor=claim.actor,
            old_claim_id=series.claim_id, new_claim_id=claim.id, old_value=series.value,
            new_value=claim.value, old_qualifier=series.qualifier, new_qualifier=claim.qualifier,
            revision=claim.value < series.value, created_at=utcnow()))
        series.claim_id, series.value, series.qualifier = claim.id, claim.value, claim.qualifier
        series.as_of = claim.as_of
    session.add_all(changes)
    session.flush()
    return changes


def _insert_series(session: Session, claim: ClaimRecord) -> bool:
    """Start the series with this claim unless it exists; False when another worker won the race.

    A plain INSERT would fail on the unique key when two workers start the same series at once
    (PostgreSQL waits for the first to commit, then reports the conflict); this one does nothing.
    """
    row = {"region": claim.region, "metric": claim.metric, "actor": claim.actor,
           "claim_id": claim.id, "value": claim.value, "qualifier": claim.qualifier,
           "as_of": claim.as_of}
    # RETURNING, not rowcount: psycopg reports -1 as the rowcount of this insert
    statement = insert_ignoring_duplicates(session, SeriesRecord).values(row)
    return session.execute(statement.returning(col(SeriesRecord.id))).first() is not None


def _lock_series(session: Session, claims: Sequence[ClaimRecord]) -> dict[tuple[str, str, str], SeriesRecord]:
    """The series of `claims`, locked for this transaction, by (region, metric, actor)."""
    if not claims:
        return {}
    # OR of equalities rather than a row-value IN: SQLite answers the latter with a table scan,
    # the former with one lookup in the unique index per series.
    wanted = or_(*(and_(col(SeriesRecord.region) == c.region, col(SeriesRecord.metric) == c.metric,
                        col(SeriesRecord.actor) == c.actor) for c in claims))
    query = select(SeriesRecord).where(wanted).with_for_update()
    return {(s.region, s.metric, s.actor): s for s in session.exec(query)}


def enqueue_deliveries(session: Session, pairs: Iterable[tuple[int, str]]) -> None:
    """Outbox rows for (change id, target key) pairs, once each."""
    rows = [{"change_id": change_id, "target": target, "status": "pending", "attempts": 0}
            for change_id, target in pairs]
    if rows:
        session.connection().execute(insert_ignoring_duplicates(session, _table(DeliveryRecord)), rows)


def feed_record(session: Session, url: str) -> FeedRecord:
    return session.get(FeedRecord, url) or FeedRecord(url=url)


def conditional_headers(session: Session, url: str) -> dict[str, str]:
    """If-None-Match and If-Modified-Since from the feed's last successful answer."""
    row = session.connection().execute(_validators_query(), {"feed_url": url}).first()
    if row is None:
        return {}
    return {k: v for k, v in (("If-None-Match", row.etag), ("If-Modified-Since", row.last_modified)) if v}


def record_poll_success(session: Session, url: str, now: datetime, next_due: datetime, added: int,
                        validators: tuple[str | None, str | None] | None) -> None:
    """Times and counters of a successful poll and, when the feed was read, its new ETag and
    Last-Modified. Most polls are answered 304, so this is one prepared UPDATE (an INSERT only on
    a feed's first poll): building an ORM statement per poll cost more than the HTTP request."""
    params = {"feed_url": url, "now": now, "next_due": next_due, "added": added}
    if validators is not None:
        params["etag"], params["last_modified"] = validators
    connection = session.connection()
    if connection.execute(_poll_update(validators is not None), params).rowcount == 0:
        etag, last_modified = validators or (None, None)  # a feed's first poll
        session.execute(insert_ignoring_duplicates(session, FeedRecord).values(
            url=url, etag=etag, last_modified=last_modified, last_poll_at=now, last_success_at=now,
            failures=0, next_due_at=next_due, items_seen=added))


@cache
def _validators_query() -> Select[tuple[str | None, str | None]]:
    feeds = _table(FeedRecord)
    return select(feeds.c.etag, feeds.c.last_modified).where(feeds.c.url == bindparam("feed_url"))


def _table(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


@cache
def _poll_update(with_validators: bool) -> Update:
    feeds = _table(FeedRecord)
    values: dict[str, Any] = {
        "last_poll_at": bindparam("now", type_=UTCDateTime()),
        "last_success_at": bindparam("now", type_=UTCDateTime()),
        "next_due_at": bindparam("next_due", type_=UTCDateTime()),
        "failures": 0, "last_error": None, "items_seen": feeds.c.items_seen + bindparam("added")}
    if with_validators:
        values.update(etag=bindparam("etag"), last_modified=bindparam("last_modified"))
    return update(feeds).where(feeds.c.url == bindparam("feed_url")).values(values)
