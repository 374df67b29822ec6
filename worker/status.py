"""What the service is doing, read from the database: each feed's polls, and work still waiting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select

from worker.db import DeliveryRecord, FeedRecord, ItemRecord
from worker.watchlist import Watchlist


@dataclass(frozen=True)
class FeedStatus:
    url: str
    every: timedelta | None  # None: polled once, no longer in the watchlist
    last_poll_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    failures: int
    next_due_at: datetime | None
    items_seen: int


@dataclass(frozen=True)
class ServiceStatus:
    feeds: list[FeedStatus]
    undelivered_alerts: int  # outbox rows still to send (backing off, or being sent)
    failed_alerts: int  # outbox rows given up on
    pending_items: int  # still to read, or read and waiting for an older article
    failed_items: int


def read_status(session: Session, watchlist: Watchlist) -> ServiceStatus:
    records = {r.url: r for r in session.exec(select(FeedRecord))}
    every = {f.url: f.every for f in watchlist.feeds}
    urls = [*every, *sorted(set(records) - set(every))]
    return ServiceStatus(
        feeds=[_feed_status(url, every.get(url), records.get(url)) for url in urls],
        undelivered_alerts=_count(session, DeliveryRecord,
                                  col(DeliveryRecord.status).in_(("pending", "sending"))),
        failed_alerts=_count(session, DeliveryRecord, col(DeliveryRecord.status) == "failed"),
        pending_items=_count(session, ItemRecord, col(ItemRecord.status).in_(("pending", "extracted"))),
        failed_items=_count(session, ItemRecord, col(ItemRecord.status) == "failed"))


def _feed_status(url: str, every: timedelta | None, record: FeedRecord | None) -> FeedStatus:
    if record is None:
        return FeedStatus(url, every, None, None, None, 0, None, 0)
    return FeedStatus(url, every, record.last_poll_at, record.last_success_at, record.last_error,
                      record.failures, record.next_due_at, record.items_seen)


def _count(session: Session, model: type[DeliveryRecord] | type[ItemRecord],
           where: ColumnElement[bool]) -> int:
    count: int = session.exec(select(func.count()).select_from(model).where(where)).one()
    return count
