"""Beat's schedule, built from the watchlist and rebuilt when the file changes.

Each feed is polled at its own `every`; its first poll after beat starts is put off by up to a
minute, by a fraction fixed by a hash of its URL, so 500 feeds at 15m are spread over a minute
instead of firing in the same second, and each is polled within a minute of a start. The seeds
folder is looked at when beat starts and then every `seeds_every`; the sweep (which resends work
a lost message left pending) runs every minute.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from celery.beat import Scheduler

from worker.errors import ConfigError
from worker.runtime import file_stamp
from worker.watchlist import Watchlist, load_watchlist

log = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(minutes=1)
SPREAD = timedelta(minutes=1)


def spread(url: str, every: timedelta) -> timedelta:
    """A stable offset in [0, min(every, SPREAD)) drawn from the URL's hash."""
    fraction = int(hashlib.sha256(url.encode()).hexdigest()[:8], 16) / 2 ** 32
    return min(every, SPREAD) * fraction


def build_entries(watchlist: Watchlist, now: datetime) -> dict[str, dict[str, Any]]:
    """Beat entries for a watchlist. `last_run_at` only matters for entries beat has not got yet."""
    entries: dict[str, dict[str, Any]] = {
        "sweep": _entry("worker.tasks.sweep", SWEEP_EVERY, now - SWEEP_EVERY)}
    if watchlist.seeds is not None:
        entries["seeds"] = _entry("worker.tasks.scan_seeds", watchlist.seeds_every,
                                  now - watchlist.seeds_every)
    for feed in watchlist.feeds:
        entries[f"feed {feed.url}"] = _entry("worker.tasks.poll_feed", feed.every,
                                             now - feed.every + spread(feed.url, feed.every),
                                             args=(feed.url,))
    return entries


def _entry(task: str, every: timedelta, last_run_at: datetime,
           args: tuple[str, ...] = ()) -> dict[str, Any]:
    # A message older than its interval is dropped: the next one is already on its way, and a
    # backlog of stale polls must not pile up while the workers are down.
    return {"task": task, "schedule": every, "args": args, "last_run_at": last_run_at,
            "options": {"expires": every.total_seconds()}}


class WatchlistScheduler(Scheduler):  # type: ignore[misc]  # celery has no type hints
    """Celery beat scheduler whose entries follow the watchlist file."""

    _stamp: tuple[int, int] | None = None

    def setup_schedule(self) -> None:
        self._stamp = file_stamp(self._config_path)
        self._apply(load_watchlist(self._config_path))  # a broken file at start is fatal

    def tick(self, *args: Any, **kwargs: Any) -> float:
        self._follow_watchlist()
        interval: float = super().tick(*args, **kwargs)
        return interval

    @property
    def _config_path(self) -> Path:
        from worker.celery_app import runtime  # the app imports this module by name

        return runtime.config_path

    def _follow_watchlist(self) -> None:
        stamp = file_stamp(self._config_path)
        if stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            watchlist = load_watchlist(self._config_path)
        except ConfigError as exc:
            log.error("%s\nthe schedule in force is kept until the file is fixed", exc)
            return
        self._apply(watchlist)
        log.warning("%s changed: schedule rebuilt", self._config_path)

    def _apply(self, watchlist: Watchlist) -> None:
        self.merge_inplace(build_entries(watchlist, self.app.now()))
        self._heap = None  # entries changed in place keep their old time in the heap otherwise
        names = ", ".join(sorted(self.schedule))
        log.info("beat: %d entries: %s", len(self.schedule), names)
