"""The service on a real queue: `celery worker` processes on Redis with PostgreSQL, started here
and stopped by pid. Never task_always_eager: that would not be a test of the queue."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import func, select

from tests.conftest import Receiver, open_engine
from tests.helpers import Story
from tests.service_helpers import (
    REDIS_DB,
    REPO,
    Broker,
    GatedSite,
    PostgresProxy,
    Worker,
    free_port,
    items_done,
    start_worker,
    wait_for,
)
from worker.db import (
    ChangeRecord,
    ClaimRecord,
    DeliveryRecord,
    FeedRecord,
    ItemRecord,
    session_scope,
)

SEED = REPO / "seeds" / "kursk_reuters_2024-08-17.txt"


def story(slug: str, settlements: int, day: int) -> Story:
    return Story(slug, f"Kursk: {settlements} settlements",
                 f"Ukraine's General Staff said its forces now control {settlements} settlements "
                 "in the Kursk region.", datetime(2024, 8, day, 12, tzinfo=UTC))


@pytest.fixture
def site() -> Iterator[GatedSite]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)  # a held page must not block the feed
    server.start()
    gated = GatedSite(server)
    yield gated
    gated.release.set()
    server.clear()
    server.stop()


@pytest.fixture
def other_site() -> Iterator[GatedSite]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield GatedSite(server)
    server.clear()
    server.stop()


@pytest.fixture
def broker() -> Iterator[Broker]:
    broker = Broker(f"redis://127.0.0.1:6379/{REDIS_DB}")
    yield broker
    broker.delete_keys()


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.ask_to_stop()  # all at once: each warm shutdown takes a few seconds
    for worker in started:
        worker.stop()


@pytest.fixture
def db(postgres_url: str) -> Iterator[Engine]:
    yield from open_engine(postgres_url)


def service_env(broker: Broker, database: str, config: Path) -> dict[str, str]:
    return {**broker.env(), "DATABASE_URL": database, "CLAIMWATCH_CONFIG": str(config)}


def count(engine: Engine, model: type[ChangeRecord] | type[DeliveryRecord]) -> int:
    with session_scope(engine) as session:
        total: int = session.exec(select(func.count()).select_from(model)).one()
        return total


def assert_no_duplicate_claims(engine: Engine) -> None:
    with session_scope(engine) as session:
        claims = session.exec(select(ClaimRecord)).all()
    assert claims and len(claims) == len({(c.item_id, c.region, c.metric, c.value, c.sentence)
                                          for c in claims})


def test_worker_killed_mid_task_loses_nothing_and_repeats_nothing(
        tmp_path: Path, site: GatedSite, broker: Broker, db: Engine, postgres_url: str,
        receiver: Receiver, write_watchlist: Callable[..., Path], workers: list[Worker]) -> None:
    site.stories += [story("s1", 74, 13), story("s2", 82, 15)]
    config = write_watchlist(feeds=[{"url": site.feed_url, "every": "1h"}], seeds=None,
                             allow_private_addresses=True, notify=[{"url": receiver.url()}])
    env = service_env(broker, postgres_url, config)
    site.held_pages.add("/a/s2")  # its worker is mid-task, waiting for the page, when killed
    workers.append(start_worker(tmp_path, "first", env))
    broker.send("worker.tasks.poll_feed", site.feed_url)
    wait_for(lambda: "/a/s2" in site.waiting, 30, "the second page to be requested")
    wait_for(lambda: len(items_done(db)) == 1, 30, "the first story, read beside it, to be stored")
    workers[0].kill()

    site.release.set()
    workers.append(start_worker(tmp_path, "second", env))
    wait_for(lambda: len(items_done(db)) == 2, 45, "the redelivered task to store the second story")
    wait_for(lambda: receiver.received, 30, "the alert")
    assert_no_duplicate_claims(db)
    assert count(db, ChangeRecord) == 1 and count(db, DeliveryRecord) == 1
    with session_scope(db) as session:  # the lost run counts as an attempt: no endless crash loop
        assert sorted(i.attempts for i in session.exec(select(ItemRecord))) == [0, 1]
    assert len(receiver.received) == 1 and "74 → 82" in receiver.received[0]["title"]
    assert "worker.tasks.process_item" in workers[1].output()  # redelivered by the broker


def test_two_workers_with_beat_store_each_claim_change_and_alert_once(
        tmp_path: Path, site: GatedSite, broker: Broker, db: Engine, postgres_url: str,
        receiver: Receiver, write_watchlist: Callable[..., Path], workers: list[Worker]) -> None:
    site.stories += [story("s1", 74, 13), story("s2", 82, 15), story("s3", 92, 20)]
    site.feed_delay = 0.5  # long enough for two polls to overlap if the lease let them
    config = write_watchlist(feeds=[{"url": site.feed_url, "every": "2s"}], seeds_every="1s",
                             allow_private_addresses=True, notify=[{"url": receiver.url()}])
    (tmp_path / "seeds" / "donetsk.md").write_text(  # a series of its own: no cross-source ordering
        "---\ntitle: Donetsk\ndate: 2024-08-18\n---\nThe General Staff said its forces control 14 "
        "settlements in the Donetsk region.\n", encoding="utf-8")
    env = service_env(broker, postgres_url, config)
    workers += [start_worker(tmp_path, name, env, beat=True) for name in ("left", "right")]

    wait_for(lambda: len(items_done(db)) == 4, 60, "three stories and the seed to be stored")
    wait_for(lambda: len(site.feed_times) >= 4, 30, "a few more polls from both beats")
    sent = lambda: sum(m["message"].count(" → ") for m in receiver.received)  # noqa: E731
    wait_for(lambda: sent() >= 2, 30, "two alerts")
    assert_no_duplicate_claims(db)
    with session_scope(db) as session:
        changes = session.exec(select(ChangeRecord)).all()
    assert sorted((c.old_value, c.new_value) for c in changes) == [(74, 82), (82, 92)]
    assert sent() == 2 and count(db, DeliveryRecord) == 2
    assert site.max_in_flight == 1, "a feed was polled by two workers at once"
    both = workers[0].output() + workers[1].output()
    polls = len(re.findall(r"worker\.tasks\.poll_feed\[[^]]+\] received", both))
    assert polls > len(site.feed_times), "two beats, yet no poll was found to be not due"
    assert "Traceback" not in both, both


def test_articles_read_out_of_order_still_move_their_series_in_date_order(
        tmp_path: Path, site: GatedSite, broker: Broker, db: Engine, postgres_url: str,
        receiver: Receiver, write_watchlist: Callable[..., Path], workers: list[Worker]) -> None:
    site.stories += [story("s1", 74, 13), story("s2", 82, 15), story("s3", 92, 20)]
    site.held_pages.add("/a/s2")  # the middle figure is read last, after the newest
    config = write_watchlist(feeds=[{"url": site.feed_url, "every": "2s"}], seeds=None,
                             allow_private_addresses=True, notify=[{"url": receiver.url()}])
    env = service_env(broker, postgres_url, config)
    workers += [start_worker(tmp_path, "left", env, beat=True), start_worker(tmp_path, "right", env)]

    wait_for(lambda: len(items_done(db)) == 1 and "/a/s2" in site.waiting, 60,
             "the first story stored while the second one's page is held")
    wait_for(lambda: statuses(db).get("s3") == "extracted", 30, "the newest story to be read")
    assert count(db, ChangeRecord) == 0 and receiver.received == []  # 92 waits for 82
    site.release.set()
    sent = lambda: sum(m["message"].count(" → ") for m in receiver.received)  # noqa: E731
    wait_for(lambda: sent() == 2, 60, "both changes to be sent")
    with session_scope(db) as session:
        changes = session.exec(select(ChangeRecord).order_by(ChangeRecord.id)).all()  # type: ignore[arg-type]
    assert [(c.old_value, c.new_value) for c in changes] == [(74, 82), (82, 92)]
    assert set(statuses(db).values()) == {"done"}


def statuses(engine: Engine) -> dict[str, str]:
    """Each item's status, by the slug of its page."""
    with session_scope(engine) as session:
        return {(i.url or "").rsplit("/", 1)[-1]: i.status for i in session.exec(select(ItemRecord))}


def test_workers_carry_on_after_redis_restarts(
        tmp_path: Path, site: GatedSite, db: Engine, postgres_url: str,
        write_watchlist: Callable[..., Path], workers: list[Worker]) -> None:
    port = free_port()
    data = tmp_path / "redis"
    data.mkdir()
    command = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", str(data),
               "--save", "", "--appendonly", "yes", "--appendfsync", "always"]

    def start_redis() -> subprocess.Popen[bytes]:
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        wait_for(lambda: subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True)
                 .stdout.strip() == b"PONG", 20, "redis to answer")
        return server

    server = start_redis()
    try:
        site.stories.append(story("s1", 74, 13))
        site.held_pages.add("/a/s1")  # a task is running, unacknowledged, when Redis goes away
        config = write_watchlist(seeds_every="1s", allow_private_addresses=True,
                                 feeds=[{"url": site.feed_url, "every": "1h"}])
        shutil.copy(SEED, tmp_path / "seeds")
        own = Broker(f"redis://127.0.0.1:{port}/0")
        workers.append(start_worker(tmp_path, "steady", service_env(own, postgres_url, config), beat=True))
        own.send("worker.tasks.poll_feed", site.feed_url)
        # the seed is read, and waits (undated, it comes after the dated story) for the held page
        wait_for(lambda: site.waiting and "extracted" in statuses(db).values(), 30,
                 "the seed read, a page held")

        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
        server = start_redis()
        site.release.set()
        (tmp_path / "seeds" / "later.md").write_text(
            "---\ntitle: Later\ndate: 2024-08-20\n---\nUkraine's General Staff said its forces now "
            "control 92 settlements in the Kursk region.\n", encoding="utf-8")
        wait_for(lambda: len(items_done(db)) == 3, 60, "the held story and a seed added after the restart")
        assert workers[0].process.poll() is None
        assert "Unrecoverable" not in workers[0].output()
    finally:
        server.kill()
        server.wait(timeout=10)


def test_tasks_retry_with_backoff_while_postgresql_is_down(
        tmp_path: Path, broker: Broker, db: Engine, postgres_url: str,
        write_watchlist: Callable[..., Path], workers: list[Worker]) -> None:
    real = make_url(postgres_url)
    proxy = PostgresProxy((real.host or "127.0.0.1", real.port or 5432))
    proxied = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    config = write_watchlist()
    shutil.copy(SEED, tmp_path / "seeds")
    workers.append(start_worker(tmp_path, "patient", service_env(broker, proxied, config)))
    try:
        broker.send("worker.tasks.scan_seeds")
        wait_for(lambda: workers[0].output().count("Retry in") >= 2, 40, "two retries")
        proxy.up()
        wait_for(lambda: len(items_done(db)) == 1, 60, "the seed to be stored once PostgreSQL is back")
    finally:
        proxy.down()
    log = workers[0].output()
    assert "OperationalError" in log and "succeeded" in log


def test_failing_feed_is_backed_off_shown_in_status_and_sends_no_alert(
        tmp_path: Path, site: GatedSite, broker: Broker, db: Engine, postgres_url: str,
        receiver: Receiver, write_watchlist: Callable[..., Path], workers: list[Worker]) -> None:
    site.feed_status = 500
    config = write_watchlist(seeds=None, allow_private_addresses=True, notify=[{"url": receiver.url()}])
    env = service_env(broker, postgres_url, config)
    workers.append(start_worker(tmp_path, "beat", env, beat=True))
    # The feed is added while beat runs: the schedule follows the file without a restart.
    watchlist = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump({**watchlist, "feeds": [{"url": site.feed_url, "every": "1s"}]}))
    wait_for(lambda: len(site.feed_times) >= 3, 45, "three failed polls")

    gaps = [b - a for a, b in zip(site.feed_times, site.feed_times[1:], strict=False)]
    # 2 s, then 4 s (beat fires every second; a poll runs within half an interval of due)
    assert 1.2 < gaps[0] < gaps[1] and gaps[1] > 2.5, f"not backed off: {gaps}"
    with session_scope(db) as session:
        record = session.get(FeedRecord, site.feed_url)
    assert record is not None and record.failures >= 3 and record.next_due_at is not None
    status = subprocess.run([sys.executable, "-m", "worker.cli", "status", "--json"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(REPO), **env})
    assert status.returncode == 0, status.stderr
    lines = [json.loads(line) for line in status.stdout.splitlines()]
    feed = next(line for line in lines if line.get("url") == site.feed_url)
    assert "HTTP 500" in feed["last_error"] and feed["failures"] >= 3 and feed["last_success_at"] is None
    assert feed["next_due_at"] > feed["last_poll_at"] and feed["every"] == 1
    assert lines[-1]["undelivered_alerts"] == 0
    assert receiver.received == []


def test_a_hanging_feed_blocks_neither_the_other_feeds_nor_a_worker_process(
        tmp_path: Path, site: GatedSite, other_site: GatedSite, broker: Broker, db: Engine,
        postgres_url: str, write_watchlist: Callable[..., Path], workers: list[Worker]) -> None:
    site.hold_feed = True
    config = write_watchlist(seeds=None, allow_private_addresses=True, feeds=[
        {"url": site.feed_url, "every": "1s"}, {"url": other_site.feed_url, "every": "1s"}])
    workers.append(start_worker(tmp_path, "busy", service_env(broker, postgres_url, config),
                                beat=True, concurrency=2))
    wait_for(lambda: site.waiting, 60, "the hanging feed to be requested")
    polled = len(other_site.feed_times)
    # Beat sends the hanging feed every second too: those polls find its lease taken and end at
    # once, so the second worker process keeps polling the other feed.
    wait_for(lambda: len(other_site.feed_times) >= polled + 4, 30, "the other feed to be polled on")
    assert site.max_in_flight == 1 and site.waiting == ["/feed.xml"]
    site.release.set()
    assert "is being polled by another worker" in workers[0].output()
