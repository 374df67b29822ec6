"""Record items, claims, series, changes and deliveries idempotently; read them back.

Every write here is safe to repeat: a second scan of the same input, or a task delivered twice,
finds its rows already there and adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

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
    # RETURNING, not rowcount: psycopg reports -1 as the rowcount of these inserts
    statement = insert_ignoring_duplicates(session, ItemRecord).values(rows).returning(col(ItemRecord.id))
    return len(session.execute(statement).all())


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
    if item is None or item.status == "done":
        return
    item.attempts += 1
    item.error = error[:2000]
    item.status = "failed" if final else "pending"
    item.processed_at = utcnow()
    session.add(item)


def record_article(session: Session, item: ItemRecord, article: Article,
                   claims: Sequence[Claim]) -> list[ChangeRecord]:
    """Store an article's claims, update its series and return the changes it makes."""
    assert item.id is not None
    item.title, item.url, item.outlet = article.title, article.url or item.url, article.outlet
    item.published = article.published or item.published
    item.status, item.error, item.processed_at = "done", None, utcnow()
    session.add(item)
    as_of = item.published  # undated articles are ordered by arrival, not by an invented date
    standing = standing_claims(claims)
    records: dict[Claim, ClaimRecord] = {}
    for claim in dict.fromkeys(claims):
        record = _claim_record(item.id, claim, as_of, stands=standing.get(
            (claim.region, claim.metric, claim.actor)) is claim)
        session.add(record)
        records[claim] = record
    session.flush()
    changes = [_update_series(session, records[c]) for c in standing.values()]
    return [change for change in changes if change is not None]


def _claim_record(item_id: int, claim: Claim, as_of: datetime | None, stands: bool) -> ClaimRecord:
    dated = datetime(claim.as_of.year, claim.as_of.month, claim.as_of.day, tzinfo=UTC) \
        if claim.as_of else as_of
    return ClaimRecord(item_id=item_id, region=claim.region, metric=claim.metric,
                       actor=claim.actor or "", value=claim.value, unit=claim.unit,
                       qualifier=claim.qualifier, kind=claim.kind, claimant=claim.claimant,
                       sentence=claim.sentence, as_of=dated, restated=claim.restated,
                       forecast=claim.forecast, in_title=claim.in_title, stands=stands)


def _update_series(session: Session, claim: ClaimRecord) -> ChangeRecord | None:
    assert claim.id is not None
    series = _lock_series(session, claim)
    if series is None:
        if _insert_series(session, claim):
            return None  # the first figure of a series is not a change
        series = _lock_series(session, claim)  # another worker created it a moment ago
        assert series is not None
    new = Figure(claim.value, claim.qualifier, claim.as_of)
    verdict = judge(Figure(series.value, series.qualifier, series.as_of), new)
    if verdict is not Verdict.CHANGE:
        return None
    assert series.id is not None
    change = ChangeRecord(series_id=series.id, region=claim.region, metric=claim.metric,
                          actor=claim.actor, old_claim_id=series.claim_id, new_claim_id=claim.id,
                          old_value=series.value, new_value=claim.value,
                          old_qualifier=series.qualifier, new_qualifier=claim.qualifier,
                          revision=claim.value < series.value, created_at=utcnow())
    series.claim_id, series.value, series.qualifier = claim.id, claim.value, claim.qualifier
    series.as_of = claim.as_of
    session.add_all([series, change])
    session.flush()
    return change


def _insert_series(session: Session, claim: ClaimRecord) -> bool:
    """Start the series with this claim unless it exists; False when another worker won the race.

    A plain INSERT would fail on the unique key when two workers start the same series at once
    (PostgreSQL waits for the first to commit, then reports the conflict); this one does nothing.
    """
    row = {"region": claim.region, "metric": claim.metric, "actor": claim.actor,
           "claim_id": claim.id, "value": claim.value, "qualifier": claim.qualifier,
           "as_of": claim.as_of}
    statement = insert_ignoring_duplicates(session, SeriesRecord).values(row).returning(col(SeriesRecord.id))
    return session.execute(statement).first() is not None


def _lock_series(session: Session, claim: ClaimRecord) -> SeriesRecord | None:
    query = select(SeriesRecord).where(SeriesRecord.region == claim.region,
                                       SeriesRecord.metric == claim.metric,
                                       SeriesRecord.actor == claim.actor)
    return session.exec(query.with_for_update()).first()


def enqueue_deliveries(session: Session, pairs: Iterable[tuple[int, str]]) -> None:
    """Outbox rows for (change id, target key) pairs, once each."""
    rows = [{"change_id": change_id, "target": target, "status": "pending", "attempts": 0}
            for change_id, target in pairs]
    if rows:
        session.execute(insert_ignoring_duplicates(session, DeliveryRecord).values(rows))


def feed_record(session: Session, url: str) -> FeedRecord:
    return session.get(FeedRecord, url) or FeedRecord(url=url)
