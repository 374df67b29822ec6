"""Delivery from the outbox: lease due rows, send one message per target, record the outcome.

Each delivery row goes pending → sending → sent. Leasing (status "sending" with a lease time and a
token) is committed before anything is sent, so a second worker skips those rows; the outcome is
recorded only by the holder of the lease. A worker that dies after the service accepted a message
but before recording it leaves the row "sending": once the lease runs out the row is sent again.
That window (one message, duplicated at most once per crash) is the one Apprise cannot close:
its services take no idempotency key.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, func, or_
from sqlmodel import Session, col, select

from worker.db import DeliveryRecord, session_scope, utcnow
from worker.notify import CONSOLE, Sender, load_alerts, message_for, targets_by_key
from worker.watchlist import NotifyTarget

MAX_ATTEMPTS = 10
BACKOFF_START = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
LEASE = timedelta(minutes=10)  # far longer than any send (Apprise's timeouts are seconds)
GONE = "target no longer in the watchlist"


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
        with session_scope(engine) as session:
            alerts = load_alerts(session, batch.change_ids)
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
    due = col(DeliveryRecord.status) == "pending"
    if respect_backoff:
        due = and_(due, or_(col(DeliveryRecord.next_attempt_at).is_(None),
                            col(DeliveryRecord.next_attempt_at) <= now))
    expired = and_(col(DeliveryRecord.status) == "sending", col(DeliveryRecord.lease_until) <= now)
    query = select(DeliveryRecord).where(or_(due, expired)).order_by(col(DeliveryRecord.id))
    batches: list[Batch] = []
    with session_scope(engine) as session:
        rows = session.exec(query.with_for_update(skip_locked=True)).all()
        held = held_targets(session, targets, now)
        for target in dict.fromkeys(r.target for r in rows if r.target not in held):
            mine = [r for r in rows if r.target == target]
            token = uuid.uuid4().hex
            for row in mine:
                row.status, row.lease_until, row.lease_token = "sending", now + LEASE, token
                row.attempts += 1
                session.add(row)
            batches.append(Batch(target, token, tuple(r.id for r in mine if r.id is not None),
                                 tuple(r.change_id for r in mine)))
    return batches


def held_targets(session: Session, targets: Sequence[NotifyTarget], now: datetime) -> set[str]:
    """Keys of targets that must wait: inside their quiet hours, or their digest is not yet due."""
    last_sent = dict(session.exec(
        select(DeliveryRecord.target, func.max(DeliveryRecord.sent_at))
        .where(DeliveryRecord.status == "sent").group_by(col(DeliveryRecord.target))).all())
    held = set()
    for key, target in targets_by_key(targets).items():
        if target.quiet_hours and target.quiet_hours.contains(now.astimezone(target.zone).time()):
            held.add(key)
        previous = last_sent.get(key)
        if target.digest and previous is not None and previous + target.digest > now:
            held.add(key)
    return held


def record_outcome(engine: Engine, batch: Batch, error: str | None, now: datetime,
                   final: bool = False) -> None:
    """Sent, or back to pending with a backoff, or failed; only rows this batch still holds."""
    with session_scope(engine) as session:
        rows = session.exec(select(DeliveryRecord).where(
            col(DeliveryRecord.id).in_(batch.row_ids), DeliveryRecord.status == "sending",
            DeliveryRecord.lease_token == batch.token).with_for_update()).all()
        for row in rows:
            row.lease_until = row.lease_token = None
            if error is None:
                row.status, row.sent_at, row.last_error = "sent", now, None
            else:
                row.last_error = error[:2000]
                row.next_attempt_at = now + backoff(row.attempts)
                row.status = "failed" if final or row.attempts >= MAX_ATTEMPTS else "pending"
            session.add(row)


def unsent(session: Session) -> list[DeliveryRecord]:
    """Rows not yet delivered (pending, sending or failed), oldest first."""
    return list(session.exec(select(DeliveryRecord).where(DeliveryRecord.status != "sent")
                             .order_by(col(DeliveryRecord.id))).all())


def reset_failed(session: Session, ids: Sequence[int] = ()) -> int:
    """Give failed rows (all, or those in `ids`) a fresh set of attempts; returns how many."""
    query = select(DeliveryRecord).where(DeliveryRecord.status == "failed")
    if ids:
        query = query.where(col(DeliveryRecord.id).in_(ids))
    rows = session.exec(query.with_for_update()).all()
    for row in rows:
        row.status, row.attempts, row.next_attempt_at = "pending", 0, None
        session.add(row)
    return len(rows)
