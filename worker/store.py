"""Record items, claims and deliveries idempotently; read them back (series: worker/series.py).

Every write here is safe to repeat: a second scan of the same input, or a task delivered twice,
finds its rows already there and adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, Update, bindparam, insert, update
from sqlmodel import Session, col, func, select

from worker.article import Article
from worker.changes import standing_claims
from worker.claims import Claim
from worker.db import (
    ClaimRecord,
    DeliveryRecord,
    FeedRecord,
    ItemRecord,
    UTCDateTime,
    insert_ignoring_duplicates,
    table_of,
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


def add_items(session: Session, items: Sequence[NewItem]) -> int:
    """Insert items not seen before; returns how many were new."""
    if not items:
        return 0
    now = utcnow()
    rows = [{**item.__dict__, "status": "pending", "attempts": 0, "found_at": now} for item in items]
    # RETURNING, not rowcount: psycopg reports 0 rows for a multi-row INSERT … ON CONFLICT DO NOTHING.
    # Rows as parameters of one cached statement (SQLAlchemy batches them), not inlined as VALUES:
    # compiling an INSERT with a feed's 500 rows inlined cost more than the feed's parse.
    items_table = table_of(ItemRecord)
    statement = insert_ignoring_duplicates(_dialect(session), items_table).returning(items_table.c.id)
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


def read_item(connection: Connection, item_id: int) -> ItemRecord | None:
    """The item, read with one prepared statement: every article task starts here."""
    row = connection.execute(_item_query(), {"item_id": item_id}).first()
    return None if row is None else ItemRecord(**row._mapping)


@cache
def _item_query() -> Select[Any]:
    items = table_of(ItemRecord)
    query: Select[Any] = items.select().where(items.c.id == bindparam("item_id"))
    return query


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


def record_extraction(connection: Connection, item_id: int, article: Article,
                      claims: Sequence[Claim]) -> bool:
    """Store a pending item's article and claims and mark it extracted; False when it is no
    longer pending (another worker got there first). Its series move on in date order
    (worker/series.py). Core statements, not ORM objects: building a dozen ORM rows per article
    cost more than everything else claimwatch adds to trafilatura."""
    marked = connection.execute(_mark_extracted(), {
        "item_id": item_id, "new_title": article.title, "new_url": article.url,
        "new_outlet": article.outlet, "new_published": article.published, "now": utcnow()}).first()
    if marked is None:
        return False
    published = marked.published
    standing = standing_claims(claims)
    rows = [_claim_row(item_id, claim, published, stands=standing.get(
        (claim.region, claim.metric, claim.actor)) is claim) for claim in dict.fromkeys(claims)]
    if rows:
        connection.execute(insert(table_of(ClaimRecord)), rows)
    return True


@cache
def _mark_extracted() -> Update:
    items = table_of(ItemRecord)
    return update(items).where(items.c.id == bindparam("item_id"), items.c.status == "pending").values(
        title=bindparam("new_title"), url=func.coalesce(bindparam("new_url"), items.c.url),
        outlet=bindparam("new_outlet"), status="extracted", error=None,
        published=func.coalesce(bindparam("new_published", type_=UTCDateTime()), items.c.published),
        processed_at=bindparam("now", type_=UTCDateTime())).returning(items.c.published)


def _claim_row(item_id: int, claim: Claim, as_of: datetime | None, stands: bool) -> dict[str, Any]:
    # undated articles are ordered by arrival, not by an invented date
    dated = datetime(claim.as_of.year, claim.as_of.month, claim.as_of.day, tzinfo=UTC) \
        if claim.as_of else as_of
    return {"item_id": item_id, "region": claim.region, "metric": claim.metric,
            "actor": claim.actor or "", "value": claim.value, "unit": claim.unit,
            "qualifier": claim.qualifier, "kind": claim.kind, "claimant": claim.claimant,
            "sentence": claim.sentence, "as_of": dated, "restated": claim.restated,
            "forecast": claim.forecast, "in_title": claim.in_title, "stands": stands}


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def enqueue_deliveries(connection: Connection, pairs: Iterable[tuple[int, str]]) -> None:
    """Outbox rows for (change id, target key) pairs, once each."""
    rows = [{"change_id": change_id, "target": target, "status": "pending", "attempts": 0}
            for change_id, target in pairs]
    if rows:
        deliveries = insert_ignoring_duplicates(connection.dialect.name, table_of(DeliveryRecord))
        connection.execute(deliveries, rows)


def feed_record(session: Session, url: str) -> FeedRecord:
    return session.get(FeedRecord, url) or FeedRecord(url=url)


def conditional_headers(connection: Connection, url: str) -> dict[str, str]:
    """If-None-Match and If-Modified-Since from the feed's last successful answer."""
    row = connection.execute(_validators_query(), {"feed_url": url}).first()
    if row is None:
        return {}
    return {k: v for k, v in (("If-None-Match", row.etag), ("If-Modified-Since", row.last_modified)) if v}


def record_poll_success(connection: Connection, url: str, now: datetime, next_due: datetime, added: int,
                        validators: tuple[str | None, str | None] | None) -> None:
    """Times and counters of a successful poll and, when the feed was read, its new ETag and
    Last-Modified. Most polls are answered 304, so this is one prepared UPDATE (an INSERT only on
    a feed's first poll) on a plain connection: an ORM statement, or even an ORM session, per poll
    cost more than the HTTP request."""
    params = {"feed_url": url, "now": now, "next_due": next_due, "added": added}
    if validators is not None:
        params["etag"], params["last_modified"] = validators
    if connection.execute(_poll_update(validators is not None), params).rowcount == 0:
        etag, last_modified = validators or (None, None)  # a feed's first poll
        connection.execute(insert_ignoring_duplicates(connection.dialect.name, FeedRecord).values(
            url=url, etag=etag, last_modified=last_modified, last_poll_at=now, last_success_at=now,
            failures=0, next_due_at=next_due, items_seen=added))


@cache
def _validators_query() -> Select[tuple[str | None, str | None]]:
    feeds = table_of(FeedRecord)
    return select(feeds.c.etag, feeds.c.last_modified).where(feeds.c.url == bindparam("feed_url"))


@cache
def _poll_update(with_validators: bool) -> Update:
    feeds = table_of(FeedRecord)
    values: dict[str, Any] = {
        "last_poll_at": bindparam("now", type_=UTCDateTime()),
        "last_success_at": bindparam("now", type_=UTCDateTime()),
        "next_due_at": bindparam("next_due", type_=UTCDateTime()),
        "failures": 0, "last_error": None, "items_seen": feeds.c.items_seen + bindparam("added")}
    if with_validators:
        values.update(etag=bindparam("etag"), last_modified=bindparam("last_modified"))
    return update(feeds).where(feeds.c.url == bindparam("feed_url")).values(values)
