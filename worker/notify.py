"""Alerts: which targets a change goes to, what the message says, and delivery from the outbox.

Formatting is pure. Delivery sends one message per target with every change waiting for it,
through Apprise, and records the outcome on each outbox row.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from worker.db import ChangeRecord, ClaimRecord, DeliveryRecord, ItemRecord, utcnow
from worker.watchlist import NotifyTarget

log = logging.getLogger(__name__)

CONSOLE = "console"  # the target used when the watchlist names none: alerts go to the console
MAX_ATTEMPTS = 10
BACKOFF_START = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
_QUALIFIER_WORDS = {"min": "more than ", "max": "up to ", "approx": "about ", "exact": ""}


def target_key(target: NotifyTarget) -> str:
    """A stable name for a target that does not reveal the secrets in its URL."""
    return "t-" + hashlib.sha256(target.url.encode()).hexdigest()[:12]


def masked_url(url: str) -> str:
    """The URL as Apprise prints it with secrets hidden."""
    import apprise

    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    return str(plugin.url(privacy=True)) if plugin else "(unrecognised URL)"  # type: ignore[no-untyped-call]


def route(change: ChangeRecord, targets: Sequence[NotifyTarget]) -> list[str]:
    """The keys of the targets whose filters let this change through."""
    if not targets:
        return [CONSOLE]
    return [target_key(t) for t in targets if _passes(change, t)]


def _passes(change: ChangeRecord, target: NotifyTarget) -> bool:
    if target.regions is not None and change.region not in target.regions:
        return False
    if target.metrics is not None and change.metric not in target.metrics:
        return False
    if target.actors is not None and (change.actor or None) not in target.actors:
        return False
    return target.min_change is None or target.min_change.passes(change.old_value, change.new_value)


@dataclass(frozen=True)
class Side:
    """One figure of a change, with its sentence and source."""

    value: float
    qualifier: str
    sentence: str
    title: str
    outlet: str | None
    url: str | None
    published: datetime | None


@dataclass(frozen=True)
class Alert:
    region: str
    metric: str
    actor: str | None
    old: Side
    new: Side
    revision: bool


def format_value(value: float, qualifier: str) -> str:
    number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")
    return _QUALIFIER_WORDS.get(qualifier, "") + number


def alert_title(alert: Alert) -> str:
    names = " · ".join(p for p in (alert.region, alert.metric, alert.actor) if p)
    old = format_value(alert.old.value, alert.old.qualifier)
    new = format_value(alert.new.value, alert.new.qualifier)
    return f"{names}: {old} → {new}" + (" (revised down)" if alert.revision else "")


def _source_line(side: Side) -> str:
    when = side.published.date().isoformat() if side.published else "undated"
    where = side.outlet or side.title or "unknown source"
    return f"{where}, {when}" + (f" — {side.url}" if side.url else "")


def alert_body(alert: Alert) -> str:
    return "\n".join([
        alert_title(alert),
        f"  now: “{alert.new.sentence}”",
        f"       {_source_line(alert.new)}",
        f"  before: “{alert.old.sentence}”",
        f"       {_source_line(alert.old)}",
    ])


def format_message(alerts: Sequence[Alert]) -> tuple[str, str]:
    """One message for several alerts: title of the first (and how many more), every body."""
    title = alert_title(alerts[0])
    if len(alerts) > 1:
        title += f" (+{len(alerts) - 1} more)"
    return title, "\n\n".join(alert_body(a) for a in alerts)


def load_alerts(session: Session, change_ids: Sequence[int]) -> dict[int, Alert]:
    changes = session.exec(select(ChangeRecord).where(col(ChangeRecord.id).in_(change_ids))).all()
    claim_ids = {c.old_claim_id for c in changes} | {c.new_claim_id for c in changes}
    claims = {c.id: c for c in session.exec(
        select(ClaimRecord).where(col(ClaimRecord.id).in_(claim_ids)))}
    items = {i.id: i for i in session.exec(select(ItemRecord).where(
        col(ItemRecord.id).in_({c.item_id for c in claims.values()})))}

    def side(claim_id: int) -> Side:
        claim = claims[claim_id]
        item = items[claim.item_id]
        return Side(claim.value, claim.qualifier, claim.sentence, item.title, item.outlet,
                    item.url, item.published)

    return {c.id: Alert(c.region, c.metric, c.actor or None, side(c.old_claim_id),
                        side(c.new_claim_id), c.revision) for c in changes if c.id is not None}


Sender = Callable[[str, str, str], str | None]  # (target key, title, body) → error or None


def deliver_pending(session: Session, send: Sender, respect_backoff: bool = True) -> int:
    """Send every due outbox row, one message per target; returns how many alerts went out."""
    now = utcnow()
    query = select(DeliveryRecord).where(DeliveryRecord.status == "pending")
    rows = [r for r in session.exec(query.order_by(col(DeliveryRecord.id)))
            if not respect_backoff or r.next_attempt_at is None or r.next_attempt_at <= now]
    alerts = load_alerts(session, [r.change_id for r in rows])
    sent = 0
    for target in dict.fromkeys(r.target for r in rows):
        batch = [r for r in rows if r.target == target]
        title, body = format_message([alerts[r.change_id] for r in batch])
        error = send(target, title, body)
        for row in batch:
            _record_attempt(row, error, now)
            session.add(row)
        sent += 0 if error else len(batch)
    return sent


def _record_attempt(row: DeliveryRecord, error: str | None, now: datetime) -> None:
    row.attempts += 1
    if error is None:
        row.status, row.sent_at, row.last_error = "sent", now, None
        return
    row.last_error = error
    row.next_attempt_at = now + min(BACKOFF_START * 2 ** (row.attempts - 1), BACKOFF_CAP)
    if row.attempts >= MAX_ATTEMPTS:
        row.status = "failed"


def apprise_sender(targets: Sequence[NotifyTarget], echo: Callable[[str], None]) -> Sender:
    """A sender that delivers through Apprise, or to `echo` for the console target."""
    import apprise

    by_key = {target_key(t): t for t in targets}

    def send(key: str, title: str, body: str) -> str | None:
        if key == CONSOLE:
            echo(f"ALERT {body}")
            return None
        target = by_key.get(key)
        if target is None:
            return "target no longer in the watchlist"
        notifier = apprise.Apprise()
        notifier.add(target.url)
        if notifier.notify(title=title, body=body):
            return None
        log.warning("delivery to %s failed", masked_url(target.url))
        return f"{masked_url(target.url)} did not accept the message"

    return send
