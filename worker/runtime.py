"""What a long-running process needs, made on first use and kept: watchlist, database, HTTP client.

A worker runs for months, so the watchlist is read again when its file changes (a broken edit is
logged and the last good watchlist stays in force), while the engine and the HTTP client are made
once per process, after any fork.
"""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import Engine

from worker import notify, pipeline
from worker.db import create_schema, make_engine
from worker.errors import ConfigError
from worker.fetch import make_client
from worker.settings import resolve_database_url
from worker.watchlist import Watchlist, load_watchlist

log = logging.getLogger(__name__)
alerts = logging.getLogger("claimwatch.alerts")


def file_stamp(path: Path) -> tuple[int, int] | None:
    """What changes when the file is edited or replaced: modification time and size."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@dataclass
class _Loaded:
    stamp: tuple[int, int] | None
    watchlist: Watchlist


class Runtime:
    """One per process. `context()` is what tasks run the pipeline with."""

    def __init__(self, config_path: Path) -> None:
        self.config_path = config_path
        self._loaded: _Loaded | None = None
        self._engine: Engine | None = None
        self._client: httpx.Client | None = None

    def watchlist(self) -> Watchlist:
        """The watchlist, read again if the file changed; the first read must succeed."""
        stamp = file_stamp(self.config_path)
        if self._loaded is not None and stamp == self._loaded.stamp:
            return self._loaded.watchlist
        try:
            watchlist = load_watchlist(self.config_path)
        except ConfigError as exc:
            if self._loaded is None:
                raise
            log.error("%s\nthe watchlist read before stays in force until the file is fixed", exc)
            self._loaded.stamp = stamp  # report a broken edit once, not on every task
            return self._loaded.watchlist
        if self._loaded is not None:
            log.warning("%s changed: watchlist read again", self.config_path)
        self._loaded = _Loaded(stamp, watchlist)
        return watchlist

    def context(self) -> pipeline.Context:
        watchlist = self.watchlist()
        if self._engine is None:
            engine = make_engine(resolve_database_url(watchlist.database))
            try:
                create_schema(engine)
            except Exception:
                engine.dispose()  # kept only once it worked: a database still down is tried again
                raise
            self._engine = engine
        if self._client is None:
            self._client = make_client()
        return pipeline.Context(watchlist, self._engine, self._client,
                                notify.apprise_sender(watchlist.notify, _log_alert))

    def reset(self) -> None:
        """Forget connections inherited through fork: a child makes its own."""
        self._engine = None
        self._client = None


def settle_process() -> None:
    """For a worker process that has loaded what it keeps for life (modules, settings): the
    garbage collector stops walking those objects. Each full collection walked all of them while
    trafilatura's garbage triggered one every hundred or so articles: about 2% of a worker's time."""
    gc.freeze()


def _log_alert(text: str) -> None:
    # With no notify target the service has no console of its own: alerts go to the worker log.
    alerts.warning("%s", text)
