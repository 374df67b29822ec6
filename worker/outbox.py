"""Delivery from the outbox: lease due rows, send one message per target, record the outcome.

Each delivery row goes pending → sending → sent. Leasing (status "sending" with a lease time and a
token) is committed before anything is sent, so a second worker skips those rows; the outcome is
recorded only by the holder of the lease. A worker that dies after the service accepted a message
but before recording it leaves the row "sending": once the lease runs out the row is sent again.
That window (one message, duplicated at most once per crash) is the one Apprise cannot close:
its services take no idempotency key.

Statements are built once and run as Core: delivery runs every few seconds beside the workers,
and on SQLite it holds the one write lock while it leases and records.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, Select, Update, and_, bindparam, func, or_, select, update
from sqlmodel import Session, col
from sqlmodel import select as model_select

from worker.db import DeliveryRecord, UTCDateTime, read_connection, table_of, utcnow
from worker.notify import CONSOLE, Sender, load_alerts, message_for, targets_by_key
from worker.watchlist import NotifyTarget

MAX_ATTEMPTS = 10
BACKOFF_START = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
LEASE = timedelta(minutes=10)  # far longer than any send (Apprise's timeouts are seconds)
GONE = "target no longer in the watchlist"
_DELIVERIES = table_of(DeliveryRecord)


@dataclass(frozen=True)
class Batch:
    """Rows for one target, leased together under one token."""

    target: str
    token: str
    row_ids: tuple[int, ...]
    change_ids: tuple[int, ...]


def backoff(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: 30 s, 1 min, 2 min … capped at one hour."""
    wait: timedelta = BACKOFF_START * 2 ** min(max(attempts - 1, 0), 16)  # the cap is long reached
    return min(wait, BACKOFF_CAP)


def deliver_pending(engine: Engine, targets: Sequence[NotifyTarget], send: Sender,
                    respect_backoff: bool = True, now: datetime | None = None) -> int:
    """Send every due row, one message per target; returns how many alerts were accepted."""
    now = now or utcnow()
    by_key = targets_by_key(targets)
    sent = 0
    for batch in lease_due(engine, targets, now, respect_backoff):
        if batch.target != CONSOLE and batch.target not in by_key:
            record_outcome(engine, batch, GONE, now, final=True)
            continue
        with read_connection(engine) as connection:
            alerts = load_alerts(connection, batch.change_ids)
        message = message_for(by_key.get(batch.target), [alerts[i] for i in batch.change_ids])
        try:
            error = send(batch.target, message)
        except Exception as exc:  # a sender bug must not leave the rows leased until the lease ends
            error = f"{type(exc).__name__}: {exc}"
        record_outcome(engine, batch, error, now)
        sent += 0 if error else len(batch.row_ids)
    return sent


def lease_due(engine: Engine, targets: Sequence[NotifyTarget], now: datetime,
              respect_backoff: bool = True) -> list[Batch]:
    """Lease every row that is due, for targets not held by quiet hours or a digest interval."""
    batches: list[Batch] = []
    with engine.begin() as connection:
        rows = connection.execute(_due(respect_backoff), {"now": now}).all()
        held = held_targets(connection, targets, now)
        for target in dict.fromkeys(r.target for r in rows if r.target not in held):
            mine = [r for r in rows if r.target == target]
            batch = Batch(target, uuid.uuid4().hex, tuple(r.id for r in mine),
                          tuple(r.change_id for r in mine))
            connection.execute(_lease(), {"ids": batch.row_ids, "token": batch.token, "until": now + LEASE})
            batches.append(batch)
    return batches


def held_targets(connection: Connection, targets: Sequence[NotifyTarget], now: datetime) -> set[str]:
    """Keys of targets that must wait: inside their quiet hours, or their digest is not yet due.

    The last sending time is looked up per digest target (an index lookup), never for the whole
    table: the outbox keeps every sent row, and delivery runs every few seconds for months."""
    held = set()
    for key, target in targets_by_key(targets).items():
        if target.quiet_hours and target.quiet_hours.contains(now.astimezone(target.zone).time()):
            held.add(key)
        elif target.digest:
            previous = connection.execute(_last_sent(), {"target": key}).scalar()
            if previous is not None and previous + target.digest > now:
                held.add(key)
    return held


def record_outcome(engine: Engine, batch: Batch, error: str | None, now: datetime,
                   final: bool = False) -> None:
    """Sent, or back to pending with a backoff, or failed; only rows this batch still holds."""
    held = {"ids": batch.row_ids, "token": batch.token}
    with engine.begin() as connection:
        if error is None:
            connection.execute(_mark_sent(), {**held, "now": now})
            return
        rows = [{"row_id": row.id, "error": error[:2000], "next_at": now + backoff(row.attempts),
                 "new_status": "failed" if final or row.attempts >= MAX_ATTEMPTS else "pending"}
                for row in connection.execute(_held(), held)]
        if rows:
            connection.execute(_mark_failed(), rows)


def unsent(session: Session) -> list[DeliveryRecord]:
    """Rows not yet delivered (pending, sending or failed), oldest first."""
    return list(session.exec(model_select(DeliveryRecord).where(DeliveryRecord.status != "sent")
                             .order_by(col(DeliveryRecord.id))).all())


def reset_failed(session: Session, ids: Sequence[int] = ()) -> int:
    """Give failed rows (all, or those in `ids`) a fresh set of attempts; returns how many."""
    query = model_select(DeliveryRecord).where(DeliveryRecord.status == "failed")
    if ids:
        query = query.where(col(DeliveryRecord.id).in_(ids))
    rows = session.exec(query.with_for_update()).all()
    for row in rows:
        row.status, row.attempts, row.next_attempt_at = "pending", 0, None
        session.add(row)
    return len(rows)


_D = _DELIVERIES.c
_IDS = _D.id.in_(bindparam("ids", expanding=True))
_HELD = and_(_IDS, _D.status == "sending", _D.lease_token == bindparam("token"))


@cache
def _due(respect_backoff: bool) -> Select[Any]:
    now = bindparam("now", type_=UTCDateTime())
    due = _D.status == "pending"
    if respect_backoff:
        due = and_(due, or_(_D.next_attempt_at.is_(None), _D.next_attempt_at <= now))
    expired = and_(_D.status == "sending", _D.lease_until <= now)
    return (select(_D.id, _D.target, _D.change_id).where(or_(due, expired)).order_by(_D.id)
            .with_for_update(skip_locked=True))


@cache
def _lease() -> Update:
    return update(_DELIVERIES).where(_IDS).values(
        status="sending", attempts=_D.attempts + 1, lease_token=bindparam("token"),
        lease_until=bindparam("until", type_=UTCDateTime()))


@cache
def _last_sent() -> Select[Any]:
    return select(func.max(_D.sent_at)).where(_D.target == bindparam("target"), _D.status == "sent")


@cache
def _mark_sent() -> Update:
    return update(_DELIVERIES).where(_HELD).values(
        status="sent", sent_at=bindparam("now", type_=UTCDateTime()), last_error=None,
        lease_until=None, lease_token=None)


@cache
def _held() -> Select[Any]:
    return select(_D.id, _D.attempts).where(_HELD).with_for_update()


@cache
def _mark_failed() -> Update:
    return update(_DELIVERIES).where(_D.id == bindparam("row_id")).values(
        status=bindparam("new_status"), last_error=bindparam("error"), lease_until=None, lease_token=None,
        next_attempt_at=bindparam("next_at", type_=UTCDateTime()))
