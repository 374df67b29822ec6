"""Beat's schedule: built from the watchlist, spread out, and following the file as it changes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from worker.celery_app import app, runtime
from worker.schedule import WatchlistScheduler, build_entries, spread
from worker.watchlist import Watchlist

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def first_fire(entry: dict[str, object]) -> timedelta:
    """How long after NOW beat first sends an entry it has just been given."""
    last_run_at = entry["last_run_at"]
    every = entry["schedule"]
    assert isinstance(last_run_at, datetime) and isinstance(every, timedelta)
    return last_run_at + every - NOW


def test_each_feed_at_its_own_interval_seeds_and_sweep_at_once(
        make_watchlist: Callable[..., Watchlist]) -> None:
    watchlist = make_watchlist(seeds_every="2m", feeds=[{"url": "https://a.example/rss", "every": "30s"},
                                                        {"url": "https://b.example/rss", "every": "2h"}])
    entries = build_entries(watchlist, NOW)
    assert set(entries) == {"seeds", "sweep", "feed https://a.example/rss", "feed https://b.example/rss"}
    assert entries["feed https://b.example/rss"]["schedule"] == timedelta(hours=2)
    assert entries["feed https://a.example/rss"]["args"] == ("https://a.example/rss",)
    assert entries["seeds"]["schedule"] == timedelta(minutes=2)
    assert first_fire(entries["seeds"]) == first_fire(entries["sweep"]) == timedelta(0)
    # A poll not taken within its interval is dropped: the next one is on its way.
    assert entries["feed https://a.example/rss"]["options"] == {"expires": 30.0}


def test_500_feeds_at_15m_are_spread_and_each_polled_within_a_minute(
        make_watchlist: Callable[..., Watchlist]) -> None:
    feeds = [{"url": f"https://news{i}.example/feed.xml", "every": "15m"} for i in range(500)]
    entries = build_entries(make_watchlist(feeds=feeds), NOW)
    fires = [first_fire(e) for name, e in entries.items() if name.startswith("feed ")]
    assert all(timedelta(0) <= f < timedelta(minutes=1) for f in fires)
    per_second = Counter(int(f.total_seconds()) for f in fires)
    assert len(per_second) >= 55 and max(per_second.values()) <= 25, per_second.most_common(3)


def test_spread_is_stable_and_within_the_interval() -> None:
    assert spread("https://a.example/rss", timedelta(seconds=30)) == spread("https://a.example/rss",
                                                                           timedelta(seconds=30))
    assert timedelta(0) <= spread("https://a.example/rss", timedelta(seconds=5)) < timedelta(seconds=5)


@pytest.fixture
def scheduler(write_watchlist: Callable[..., Path],
              monkeypatch: pytest.MonkeyPatch) -> Iterator[WatchlistScheduler]:
    config = write_watchlist(feeds=[{"url": "https://a.example/rss", "every": "15m"}])
    monkeypatch.setattr(runtime, "config_path", config)
    yield WatchlistScheduler(app=app)


def rewrite(path: Path, **changes: object) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump({**data, **changes}) + "\n# edited\n", encoding="utf-8")


def test_schedule_follows_the_watchlist_file(scheduler: WatchlistScheduler) -> None:
    assert set(scheduler.schedule) == {"seeds", "sweep", "feed https://a.example/rss"}
    rewrite(runtime.config_path, feeds=[{"url": "https://b.example/rss", "every": "30s"}], seeds=None)
    scheduler._follow_watchlist()
    assert set(scheduler.schedule) == {"sweep", "feed https://b.example/rss"}
    assert scheduler.schedule["feed https://b.example/rss"].schedule.run_every == timedelta(seconds=30)


def test_a_broken_edit_keeps_the_schedule_in_force(scheduler: WatchlistScheduler,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    runtime.config_path.write_text("regions: [\n", encoding="utf-8")
    scheduler._follow_watchlist()
    assert set(scheduler.schedule) == {"seeds", "sweep", "feed https://a.example/rss"}
    assert f"{runtime.config_path}:2" in caplog.text and "kept until the file is fixed" in caplog.text
