"""`claimwatch run` and `claimwatch status`: the service as an operator starts and watches it."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from worker import service
from worker.cli_support import ConfigOption, JsonOption, friendly_errors, load_config, open_database, out
from worker.db import read_scope
from worker.settings import load_settings
from worker.status import FeedStatus, read_status
from worker.watchlist import load_watchlist


def run(config: ConfigOption = None,
        concurrency: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 2) -> None:
    """Run the service: poll feeds and the seeds folder on schedule until Ctrl-C."""
    with friendly_errors():
        path = config or load_settings().config
        open_database(load_watchlist(path)).dispose()
    loglevel = "INFO" if logging.getLogger().isEnabledFor(logging.INFO) else "WARNING"
    raise typer.Exit(service.run_worker(path, concurrency, loglevel))


def status(config: ConfigOption = None, json_out: JsonOption = False) -> None:
    """Each feed's last poll, last success, last error, next due and items seen; alerts waiting."""
    with friendly_errors():
        watchlist = load_config(config)
        engine = open_database(watchlist)
    with read_scope(engine) as session:
        report = read_status(session, watchlist)
    if json_out:
        for feed in report.feeds:
            print(json.dumps(_feed_json(feed), ensure_ascii=False))
        print(json.dumps({k: v for k, v in asdict(report).items() if k != "feeds"}))
        return
    out.print(_feeds_table(report.feeds))
    out.print(f"undelivered alerts: {report.undelivered_alerts} (given up: {report.failed_alerts}); "
              f"articles waiting: {report.pending_items} (failed: {report.failed_items})")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "never"


def _feed_json(feed: FeedStatus) -> dict[str, Any]:
    data = asdict(feed)
    data["every"] = feed.every.total_seconds() if feed.every else None
    for key in ("last_poll_at", "last_success_at", "next_due_at"):
        data[key] = data[key].isoformat() if data[key] else None
    return data


def _feeds_table(feeds: list[FeedStatus]) -> Table:
    table = Table(title=f"{len(feeds)} feed(s), times in UTC")
    for name in ("feed", "every", "last poll", "last success", "last error", "next due", "items seen"):
        table.add_column(name, overflow="fold")
    for feed in feeds:
        error = (feed.last_error or "").removeprefix(f"{feed.url}: ")
        error += f" ({feed.failures} in a row)" if feed.last_error else ""
        table.add_row(escape(feed.url), _interval(feed.every) if feed.every else "not in watchlist",
                      _when(feed.last_poll_at), _when(feed.last_success_at), escape(error),
                      _when(feed.next_due_at), str(feed.items_seen))
    return table


def _interval(every: timedelta) -> str:
    """As the watchlist writes it: 30s, 15m, 2h, 1d."""
    seconds = int(every.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
