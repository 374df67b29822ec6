"""The queue's units of work without the queue: leases, due feeds, the sweep, status; and the
race of two workers starting one series. On SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from tests.helpers import FeedSite, Story, make_context
from worker import jobs, leases, pipeline, store
from worker.article import Article
from worker.claims import Claim
from worker.db import ClaimRecord, FeedRecord, ItemRecord, SeriesRecord, session_scope, utcnow
from worker.status import read_status
from worker.series import Standing, update_series
from worker.watchlist import Watchlist


def test_a_lease_is_held_by_one_until_released_or_lapsed(engine: Engine) -> None:
    assert leases.acquire(engine, "feed x", "a", timedelta(seconds=30))
    assert not leases.acquire(engine, "feed x", "b", timedelta(seconds=30))
    leases.release(engine, "feed x", "b")  # not b's to give back
    assert not leases.acquire(engine, "feed x", "b", timedelta(seconds=30))
    leases.release(engine, "feed x", "a")
    assert leases.acquire(engine, "feed x", "b", timedelta(seconds=0))
    assert leases.acquire(engine, "feed x", "c", timedelta(seconds=30))  # b's lapsed at once


def test_a_failing_feed_is_not_due_until_its_backoff_ends_and_status_shows_it(
        make_watchlist: Callable[..., Watchlist], engine: Engine, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/down.xml").respond_with_data("no", status=503)
    site = FeedSite(httpserver)
    site.stories.append(Story("s1", "Kursk", "Ukraine's General Staff said its forces control 74 "
                              "settlements in the Kursk region.", datetime(2024, 8, 13, tzinfo=UTC)))
    down = httpserver.url_for("/down.xml")
    watchlist = make_watchlist(allow_private_addresses=True, feeds=[
        {"url": down, "every": "1m"}, {"url": site.feed_url, "every": "1m"}])
    ctx = make_context(watchlist, engine)

    for failures in (1, 2, 3):
        assert jobs.feed_is_due(ctx, watchlist.feeds[0], utcnow())
        assert jobs.poll_feed(ctx, down, "test") == []
        with session_scope(engine) as session:
            record = session.get(FeedRecord, down)
            assert record is not None and record.failures == failures and record.last_poll_at
            assert record.next_due_at - record.last_poll_at == timedelta(minutes=2 ** failures)
        # beat fires every minute: the feed is skipped until its back-off has run out
        assert not jobs.feed_is_due(ctx, watchlist.feeds[0], utcnow() + timedelta(minutes=1))
        assert jobs.poll_feed(ctx, down, "test") == []  # skipped, not polled
        assert jobs.feed_is_due(ctx, watchlist.feeds[0], record.next_due_at)
        with session_scope(engine) as session:  # let the test poll it again now
            record = session.get(FeedRecord, down)
            assert record is not None
            record.next_due_at = utcnow()
            session.add(record)
    assert len([r for r in httpserver.log if r[0].path == "/down.xml"]) == 3

    item_ids = jobs.poll_feed(ctx, site.feed_url, "test")
    assert len(item_ids) == 1
    with Session(engine) as session:
        report = read_status(session, watchlist)
    failing, healthy = report.feeds
    assert failing.url == down and failing.failures == 3 and "HTTP 503" in (failing.last_error or "")
    assert failing.last_success_at is None and failing.next_due_at is not None
    assert healthy.items_seen == 1 and healthy.last_error is None and healthy.last_success_at
    assert report.pending_items == 1 and report.undelivered_alerts == 0


def test_a_feed_held_by_another_worker_is_not_polled(
        make_watchlist: Callable[..., Watchlist], engine: Engine, httpserver: HTTPServer) -> None:
    site = FeedSite(httpserver)
    watchlist = make_watchlist(allow_private_addresses=True, feeds=[{"url": site.feed_url, "every": "1m"}])
    assert leases.acquire(engine, f"feed {site.feed_url}", "other", timedelta(minutes=2))
    assert jobs.poll_feed(make_context(watchlist, engine), site.feed_url, "me") == []
    assert site.feed_requests == []


def test_the_sweep_finds_items_left_pending(make_watchlist: Callable[..., Watchlist], engine: Engine) -> None:
    ctx = make_context(make_watchlist(), engine)
    idle_since = utcnow() - timedelta(minutes=30)
    long_ago = idle_since - timedelta(seconds=1)
    with session_scope(engine) as session:
        session.add_all([ItemRecord(key="old", source="seeds", found_at=long_ago),
                         ItemRecord(key="new", source="seeds", found_at=utcnow()),
                         ItemRecord(key="done", source="seeds", status="done", found_at=long_ago)])
    with session_scope(engine) as session:
        old = session.exec(select(ItemRecord).where(ItemRecord.key == "old")).one()
    assert jobs.stale_items(ctx, idle_since) == [old.id]


def test_two_workers_starting_one_series_at_once_make_one_series(postgres_url: str) -> None:
    from worker.db import create_schema, make_engine

    engine = make_engine(postgres_url)
    create_schema(engine)
    with session_scope(engine) as session:
        item = ItemRecord(key="k", source="seeds", found_at=utcnow())
        session.add(item)
        session.flush()
        claims = [ClaimRecord(item_id=item.id, region="Kursk", metric="settlements", actor="", value=v,
                              unit="count", qualifier="exact", kind="total", sentence=str(v))
                  for v in (74, 82)]
        session.add_all(claims)
        session.flush()
        figures = [Standing(c.id, c.region, c.metric, c.actor, c.value, c.qualifier, c.as_of)  # type: ignore[arg-type]
                   for c in claims]
    first, second = Session(engine, expire_on_commit=False), Session(engine, expire_on_commit=False)
    assert update_series(first.connection(), [figures[0]]) == []  # inserted, not yet committed
    second_pid = second.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    outcome: list[object] = []
    other = threading.Thread(target=lambda: outcome.append(_try_update(second, figures[1])))
    other.start()
    _wait_until_blocked(engine, second_pid)
    first.commit()
    other.join(timeout=30)
    second.commit()
    first.close()
    second.close()
    assert outcome and not isinstance(outcome[0], Exception), outcome
    with session_scope(engine) as session:
        series = session.exec(select(SeriesRecord)).all()
    assert [(s.value) for s in series] == [82]
    engine.dispose()


def _try_update(session: Session, claim: Standing) -> object:
    try:
        return update_series(session.connection(), [claim])
    except Exception as exc:  # reported to the test thread
        session.rollback()
        return exc


def _wait_until_blocked(engine: Engine, pid: int) -> None:
    """Until the second worker's connection waits for a lock (its insert of the same series)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            waiting = connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = :pid AND wait_event_type = 'Lock'"),
                {"pid": pid}).scalar_one()
        if waiting:
            return
        time.sleep(0.05)
    pytest.fail("the second worker never waited for the first")


def test_an_article_whose_worker_keeps_dying_is_given_up(
        make_watchlist: Callable[..., Watchlist], engine: Engine) -> None:
    ctx = make_context(make_watchlist(), engine)
    with session_scope(engine) as session:
        item = ItemRecord(key="killer", source="seeds", path="/nonexistent.txt", found_at=utcnow(),
                          attempts=pipeline.MAX_ITEM_ATTEMPTS - 1)
        session.add(item)
    assert item.id is not None
    jobs.process_item(ctx, item.id, redelivered=True)
    with session_scope(engine) as session:
        record = session.get(ItemRecord, item.id)
    assert record is not None and record.status == "failed" and "lost mid-task" in (record.error or "")


def _settlements(value: int) -> Claim:
    return Claim(region="Kursk", metric="settlements", value=value, unit="count", qualifier="exact",
                 kind="total", actor="Ukraine", sentence=f"Kyiv says it holds {value} settlements.")


def _queue(ctx: pipeline.Context, *days: int) -> list[int]:
    """Pending items published on these days of August 2024, in that order; their ids."""
    with session_scope(ctx.engine) as session:
        store.add_items(session, [store.NewItem(key=f"k{day}", source="feed",
                                                published=datetime(2024, 8, day, tzinfo=UTC))
                                  for day in days])
        ids = {i.key: i.id for i in session.exec(select(ItemRecord))}
    return [ids[f"k{day}"] for day in days]


def _read(ctx: pipeline.Context, item_id: int, value: int) -> list[tuple[float, float]]:
    """What a worker does once it has read an item's claims; the changes that made."""
    article = Article(key=str(item_id), title="Kursk", text="…", source="feed")
    changes = pipeline.record_outcome(ctx, item_id, article, [_settlements(value)])
    assert changes is not None
    return [(c.old_value, c.new_value) for c in changes]


def test_an_article_read_before_an_older_one_waits_for_it(
        make_watchlist: Callable[..., Watchlist], engine: Engine) -> None:
    ctx = make_context(make_watchlist(), engine)
    first, middle, newest = _queue(ctx, 10, 13, 15)
    assert _read(ctx, first, 60) == []  # the series starts
    assert _read(ctx, newest, 92) == []  # read early: waits for the article of the 13th
    with session_scope(engine) as session:
        assert session.get(ItemRecord, newest).status == "extracted"  # type: ignore[union-attr]
        assert read_status(session, ctx.watchlist).pending_items == 2
    assert _read(ctx, middle, 74) == [(60, 74), (74, 92)]
    assert pipeline.advance(ctx) == []  # nothing is moved on twice


def test_an_older_article_that_failed_does_not_hold_the_newer_ones_back(
        make_watchlist: Callable[..., Watchlist], engine: Engine) -> None:
    ctx = make_context(make_watchlist(), engine)
    first, failing, newest = _queue(ctx, 10, 13, 15)
    _read(ctx, first, 60)
    assert _read(ctx, newest, 92) == []
    with session_scope(engine) as session:
        store.mark_item_failed(session, failing, "HTTP 503", final=False)  # tried again later
    assert [(c.old_value, c.new_value) for c in pipeline.advance(ctx)] == [(60, 92)]
