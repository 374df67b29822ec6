"""The outbox on SQLite and PostgreSQL: leases, retries with backoff, digests, quiet hours, routing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, event
from sqlmodel import select

from tests.conftest import Receiver
from tests.helpers import make_context, record_change
from worker import notify, outbox, pipeline
from worker.db import ChangeRecord, DeliveryRecord, session_scope
from worker.message import Message
from worker.store import enqueue_deliveries
from worker.watchlist import Watchlist

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def queue(engine: Engine, watchlist: Watchlist, **change: object) -> int:
    """A change routed to the watchlist's targets, as process_item does; its id."""
    change_id = record_change(engine, **change)  # type: ignore[arg-type]
    with session_scope(engine) as session:
        record = session.get(ChangeRecord, change_id)
        assert record is not None
        enqueue_deliveries(session.connection(), [(change_id, k) for k in notify.route(record, watchlist.notify)])
    return change_id


def rows(engine: Engine) -> list[DeliveryRecord]:
    with session_scope(engine) as session:
        return list(session.exec(select(DeliveryRecord).order_by(DeliveryRecord.id)).all())  # type: ignore[arg-type]


class Recorder:
    """A sender that records messages and fails while `failures` lasts."""

    def __init__(self, failures: int = 0, delay: float = 0.0) -> None:
        self.sent: list[tuple[str, Message]] = []
        self.failures, self.delay = failures, delay
        self.lock = threading.Lock()

    def __call__(self, key: str, message: Message) -> str | None:
        time.sleep(self.delay)
        with self.lock:
            if self.failures > 0:
                self.failures -= 1
                return "HTTP 500"
            self.sent.append((key, message))
        return None


def test_failures_back_off_exponentially_then_the_alert_is_sent_once(
        make_watchlist: Callable[..., Watchlist], engine: Engine, receiver: Receiver) -> None:
    watchlist = make_watchlist(notify=[{"url": receiver.url()}])
    queue(engine, watchlist)
    send = Recorder(failures=3)
    assert outbox.deliver_pending(engine, watchlist.notify, send, now=T0) == 0
    assert rows(engine)[0].next_attempt_at == T0 + timedelta(seconds=30)
    assert outbox.deliver_pending(engine, watchlist.notify, send, now=T0 + timedelta(seconds=29)) == 0
    assert rows(engine)[0].attempts == 1  # not due: nothing attempted
    outbox.deliver_pending(engine, watchlist.notify, send, now=T0 + timedelta(seconds=30))
    assert rows(engine)[0].attempts == 2
    assert rows(engine)[0].next_attempt_at == T0 + timedelta(seconds=90)
    outbox.deliver_pending(engine, watchlist.notify, send, now=T0 + timedelta(seconds=90))
    assert outbox.deliver_pending(engine, watchlist.notify, send, now=T0 + timedelta(hours=1)) == 1
    assert outbox.deliver_pending(engine, watchlist.notify, send, now=T0 + timedelta(hours=9)) == 0
    row = rows(engine)[0]
    assert len(send.sent) == 1 and row.status == "sent" and row.attempts == 4 and row.last_error is None


def test_backoff_is_capped() -> None:
    assert outbox.backoff(1) == timedelta(seconds=30)
    assert outbox.backoff(3) == timedelta(minutes=2)
    assert outbox.backoff(9) == outbox.backoff(500) == timedelta(hours=1)


def test_after_the_last_attempt_the_row_fails_and_retry_revives_it(
        make_watchlist: Callable[..., Watchlist], engine: Engine, receiver: Receiver) -> None:
    watchlist = make_watchlist(notify=[{"url": receiver.url()}])
    queue(engine, watchlist)
    send = Recorder(failures=outbox.MAX_ATTEMPTS)
    for _ in range(outbox.MAX_ATTEMPTS + 2):
        outbox.deliver_pending(engine, watchlist.notify, send, respect_backoff=False)
    row = rows(engine)[0]
    assert row.status == "failed" and row.attempts == outbox.MAX_ATTEMPTS and row.last_error == "HTTP 500"
    with session_scope(engine) as session:
        assert outbox.reset_failed(session) == 1
    assert outbox.deliver_pending(engine, watchlist.notify, send) == 1 and len(send.sent) == 1


def test_a_leased_row_is_not_sent_by_another_worker_until_its_lease_runs_out(
        make_watchlist: Callable[..., Watchlist], engine: Engine, receiver: Receiver) -> None:
    watchlist = make_watchlist(notify=[{"url": receiver.url()}])
    queue(engine, watchlist)
    crashed = outbox.lease_due(engine, watchlist.notify, T0)  # a worker leases, then dies
    assert len(crashed) == 1 and rows(engine)[0].status == "sending"
    send = Recorder()
    assert outbox.deliver_pending(engine, watchlist.notify, send, now=T0 + timedelta(minutes=1)) == 0
    assert outbox.deliver_pending(engine, watchlist.notify, send, now=T0 + outbox.LEASE) == 1
    outbox.record_outcome(engine, crashed[0], "late failure", T0 + outbox.LEASE)  # the dead worker's lease
    assert rows(engine)[0].status == "sent" and len(send.sent) == 1


def test_two_workers_at_once_send_each_alert_once(
        make_watchlist: Callable[..., Watchlist], engine: Engine, receiver: Receiver) -> None:
    watchlist = make_watchlist(notify=[{"url": receiver.url(path="a")}, {"url": receiver.url(path="b")}])
    for value in (92, 95, 99):
        queue(engine, watchlist, new=value)
    send = Recorder(delay=0.3)
    workers = [threading.Thread(target=outbox.deliver_pending, args=(engine, watchlist.notify, send))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(key for key, _ in send.sent) == sorted(notify.targets_by_key(watchlist.notify))
    assert all(r.status == "sent" and r.attempts == 1 for r in rows(engine)) and len(rows(engine)) == 6


def test_digest_sends_one_message_per_interval(
        make_watchlist: Callable[..., Watchlist], engine: Engine, receiver: Receiver) -> None:
    watchlist = make_watchlist(notify=[{"url": receiver.url(), "digest": "1h"}])
    send = Recorder()
    queue(engine, watchlist, new=92)
    assert outbox.deliver_pending(engine, watchlist.notify, send, now=T0) == 1
    queue(engine, watchlist, new=95)
    assert outbox.deliver_pending(engine, watchlist.notify, send, now=T0 + timedelta(minutes=10)) == 0
    queue(engine, watchlist, new=99)
    assert outbox.deliver_pending(engine, watchlist.notify, send, now=T0 + timedelta(minutes=59)) == 0
    assert outbox.deliver_pending(engine, watchlist.notify, send, now=T0 + timedelta(hours=1)) == 2
    assert len(send.sent) == 2 and send.sent[1][1].title.endswith("(+1 more)")


def test_a_digest_targets_last_sending_is_read_through_an_index(
        make_watchlist: Callable[..., Watchlist], engine: Engine, receiver: Receiver) -> None:
    """Every delivery run asks it, and the outbox keeps every row it sent: a scan would grow
    without end (the query is caught as it runs and its plan read; PostgreSQL is told to avoid
    scans, as it would on a large table)."""
    watchlist = make_watchlist(notify=[{"url": receiver.url(), "digest": "1h"}])
    queue(engine, watchlist, new=92)
    asked: list[tuple[str, Any]] = []

    def catch(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "max(deliveries.sent_at)" in statement:
            asked.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", catch)
    try:
        outbox.deliver_pending(engine, watchlist.notify, Recorder(), now=T0)
    finally:
        event.remove(engine, "before_cursor_execute", catch)
    assert asked, "the digest's last sending time was not looked up"
    statement, parameters = asked[0]
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET enable_seqscan = off")
            plan = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        else:
            plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    assert "ix_deliveries_last_sent" in " ".join(str(row[-1]) for row in plan)


def test_quiet_hours_hold_alerts_until_they_end(
        make_watchlist: Callable[..., Watchlist], engine: Engine, receiver: Receiver) -> None:
    watchlist = make_watchlist(notify=[{"url": receiver.url(), "quiet_hours": "22:00-07:00",
                                        "timezone": "Europe/Kyiv"}])
    queue(engine, watchlist)
    send = Recorder()
    night = datetime(2026, 11, 25, 21, 30, tzinfo=UTC)  # 23:30 in Kyiv
    assert outbox.deliver_pending(engine, watchlist.notify, send, now=night) == 0
    assert outbox.deliver_pending(engine, watchlist.notify, send, now=night + timedelta(hours=7)) == 0
    assert outbox.deliver_pending(engine, watchlist.notify, send, now=night + timedelta(hours=8)) == 1


def test_revisions_pass_min_change_unless_muted(
        make_watchlist: Callable[..., Watchlist], engine: Engine, receiver: Receiver) -> None:
    watchlist = make_watchlist(notify=[
        {"url": receiver.url(path="always"), "min_change": "50%"},
        {"url": receiver.url(path="filtered"), "min_change": "50%", "revisions": "filtered"},
        {"url": receiver.url(path="muted"), "revisions": "muted"},
        {"url": receiver.url(path="donetsk"), "regions": ["Donetsk"]}])
    keys = list(notify.targets_by_key(watchlist.notify))
    rise, fall = record_change(engine, 82, 84), record_change(engine, 84, 83)
    with session_scope(engine) as session:
        routed = {c: notify.route(session.get_one(ChangeRecord, c), watchlist.notify) for c in (rise, fall)}
    assert routed[rise] == [keys[2]]  # +2% is below both 50% thresholds
    assert routed[fall] == [keys[0]]  # a fall passes min_change, but not a muted or other-region target


def test_rows_for_a_target_removed_from_the_watchlist_fail_at_once(
        make_watchlist: Callable[..., Watchlist], engine: Engine, receiver: Receiver) -> None:
    old = make_watchlist(notify=[{"url": receiver.url(path="old")}])
    queue(engine, old)
    new = make_watchlist(notify=[{"url": receiver.url(path="new")}])
    assert outbox.deliver_pending(engine, new.notify, Recorder()) == 0
    row = rows(engine)[0]
    assert row.status == "failed" and row.last_error == outbox.GONE


def test_scan_retries_a_receiver_that_was_down_and_the_alert_arrives_once(
        make_watchlist: Callable[..., Watchlist], engine: Engine, receiver: Receiver) -> None:
    watchlist = make_watchlist(notify=[{"url": receiver.url()}])
    queue(engine, watchlist)
    receiver.fail_next = 2
    ctx = make_context(watchlist, engine)
    assert [pipeline.deliver(ctx, respect_backoff=False) for _ in range(4)] == [0, 0, 1, 0]
    assert len(receiver.received) == 1 and "Kursk" in receiver.received[0]["title"]
