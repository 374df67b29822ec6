"""What is measured on a feed, one round at a time: each contender reads the round's new entries.

- `Script`: what a user would write instead of claimwatch: feedparser, an HTTP GET per new
  entry, trafilatura, one after another, with a set of seen links in memory.
- `Pipeline`: claimwatch in one process: `pipeline.run_once` (poll, fetch, extract, claims,
  store, changes, deliver).
- `Workers`: claimwatch as a deployment runs it: one process polls the feed and hands item ids
  to N worker processes that each run `pipeline.process_item`; it delivers the alerts made so far
  every second meanwhile (in a deployment, delivery tasks run between articles), and what is left
  once every item is done.

`Pipeline` also times, call by call, the two steps that are not claimwatch's own plumbing:
trafilatura's extraction (claimwatch's call, on the page already in memory) and claim finding.
Their sums are the floor (what no tool that reads pages avoids) and the cost of claims next to
it, measured on the very calls the pipeline made rather than in a pass of their own.

Every contender builds its process's state in `__init__` and warms up (imports, first
extraction, first connection) before any round, as a long-running worker would be.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import feedparser
import httpx
import trafilatura
import yaml
from sqlmodel import col, func, select

from bench.pages import CORPUS
from bench.report import peak_rss_mb
from worker import extract, fetch, notify, pipeline, store
from worker.claims import find_claims
from worker.db import ClaimRecord, ItemRecord, create_schema, make_engine, session_scope
from worker.fetch import make_client
from worker.runtime import settle_process
from worker.watchlist import Watchlist

MAX_ITEM_ATTEMPTS = pipeline.MAX_ITEM_ATTEMPTS
P = ParamSpec("P")
T = TypeVar("T")
DELIVER_EVERY = 1.0  # seconds: alerts go out while the workers read, as they do in a deployment


def bench_watchlist(feed_urls: list[str], database: str) -> Watchlist:
    """The evaluation corpus's regions and actors, reading the given feeds, alerts discarded."""
    data = yaml.safe_load((CORPUS / "watchlist.yaml").read_text(encoding="utf-8"))
    data.update(feeds=[{"url": url, "every": "1m"} for url in feed_urls], seeds=None,
                database=database, notify=[])
    return Watchlist.model_validate(data)


def pipeline_context(feed_urls: list[str], database: str, *, create: bool = True) -> pipeline.Context:
    watchlist = bench_watchlist(feed_urls, database)
    engine = make_engine(database)
    if create:
        create_schema(engine)
    # Alerts go to the console target; a no-op echo keeps the benchmark from holding them all.
    return pipeline.Context(watchlist, engine, make_client(),
                            notify.apprise_sender(watchlist.notify, lambda _text: None))


def warm_up(client: httpx.Client, warm_urls: list[str], watchlist: Watchlist | None) -> None:
    for url in warm_urls:
        page = fetch.fetch_url(client, url, fetch.FetchPolicy(allow_private=True))
        article = extract.article_from_page(page.content, url, url, "warm")
        if article is not None and watchlist is not None:
            find_claims(article, watchlist)


class Script:
    def __init__(self, feed_url: str, warm_urls: list[str]) -> None:
        self.feed_url = feed_url
        self.client = httpx.Client(timeout=30)
        self.seen: set[str] = set()
        for url in warm_urls:
            trafilatura.bare_extraction(self.client.get(url).content, url=url, with_metadata=True)

    def round(self) -> dict[str, Any]:
        start, cpu = time.perf_counter(), time.process_time()
        entries = feedparser.parse(self.client.get(self.feed_url).content).entries
        done = 0
        for entry in entries:
            if entry.link in self.seen:
                continue
            self.seen.add(entry.link)
            page = self.client.get(entry.link)
            document = trafilatura.bare_extraction(page.content, url=entry.link, with_metadata=True)
            done += document is not None
        return {"seconds": time.perf_counter() - start, "items": done, "rss": peak_rss_mb(),
                "cpu": time.process_time() - cpu}

    def close(self) -> None:
        self.client.close()


class Pipeline:
    def __init__(self, feed_url: str, database: str, warm_urls: list[str]) -> None:
        self.ctx = pipeline_context([feed_url], database)
        warm_up(self.ctx.client, warm_urls, self.ctx.watchlist)
        self.clock = StepClock()
        # Only this child process's references are replaced: the calls are the pipeline's own.
        extract.article_from_page = self.clock.timed("extract", extract.article_from_page)
        pipeline.find_claims = self.clock.timed("claims", find_claims)  # type: ignore[attr-defined]

    def round(self) -> dict[str, Any]:
        self.clock.reset()
        start, cpu = time.perf_counter(), time.process_time()
        report = pipeline.run_once(self.ctx)
        seconds = time.perf_counter() - start
        errors = [o.error for o in report.outcomes if o.error] + report.feed_errors
        return {"seconds": seconds, "items": len(report.outcomes) - len(errors), "errors": errors[:5],
                "changes": len(report.changes), "rss": peak_rss_mb(), "cpu": time.process_time() - cpu,
                "claims": sum(len(o.claims) for o in report.outcomes), **self.clock.totals()}

    def totals(self) -> dict[str, int]:
        return stored_totals(self.ctx)

    def close(self) -> None:
        self.ctx.client.close()
        self.ctx.engine.dispose()


class StepClock:
    """Seconds and calls of named steps, summed over a round."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def timed(self, name: str, step: Callable[P, T]) -> Callable[P, T]:
        def run(*args: P.args, **kwargs: P.kwargs) -> T:
            start = time.perf_counter()
            try:
                return step(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
                self.calls[name] = self.calls.get(name, 0) + 1
        return run

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()

    def totals(self) -> dict[str, float | int]:
        return {**{f"{name}_seconds": s for name, s in self.seconds.items()},
                **{f"{name}_calls": n for name, n in self.calls.items()}}


def stored_totals(ctx: pipeline.Context) -> dict[str, int]:
    with session_scope(ctx.engine) as session:
        items = session.exec(select(func.count()).select_from(ItemRecord)
                             .where(col(ItemRecord.status) == "done")).one()
        claims = session.exec(select(func.count()).select_from(ClaimRecord)).one()
    return {"items_done": items, "claims": claims}


def _work(tasks: Any, done: Any, feed_url: str, database: str, warm_urls: list[str]) -> None:
    """A worker process: process item ids from `tasks` until None, report each on `done`."""
    ctx = pipeline_context([feed_url], database, create=False)
    warm_up(ctx.client, warm_urls, ctx.watchlist)
    settle_process()  # as a Celery worker process does when it starts
    done.put(("ready", (os.getpid(), time.process_time())))
    while (item_id := tasks.get()) is not None:
        outcome = pipeline.process_item(ctx, item_id)
        done.put(("item", (os.getpid(), outcome.error, peak_rss_mb(), time.process_time())))
    done.put(("rss", peak_rss_mb()))


class Workers:
    def __init__(self, feed_url: str, database: str, warm_urls: list[str], count: int = 2) -> None:
        self.ctx = pipeline_context([feed_url], database)
        self.feed = self.ctx.watchlist.feeds[0]
        context = multiprocessing.get_context("spawn")
        self.tasks, self.done = context.Queue(), context.Queue()
        self.worker_rss: dict[int, float] = {}  # peak so far, by worker process id
        self.worker_cpu: dict[int, float] = {}  # CPU seconds so far, by worker process id
        self.processes = [context.Process(target=_work, args=(self.tasks, self.done, feed_url, database,
                                                             warm_urls)) for _ in range(count)]
        for process in self.processes:
            process.start()
        for _ in self.processes:
            _kind, (pid, cpu) = self.done.get(timeout=300)
            self.worker_cpu[pid] = cpu

    def round(self) -> dict[str, Any]:
        start, cpu = time.perf_counter(), time.process_time() + sum(self.worker_cpu.values())
        pipeline.poll_feed(self.ctx, self.feed)
        with session_scope(self.ctx.engine) as session:
            pending = store.pending_item_ids(session, max_attempts=MAX_ITEM_ATTEMPTS)
        polled = time.perf_counter()
        for item_id in pending:
            self.tasks.put(item_id)
        errors = []
        delivered = time.perf_counter()
        for _ in pending:
            _kind, (pid, error, rss, worker_cpu) = self.done.get(timeout=600)
            self.worker_rss[pid], self.worker_cpu[pid] = rss, worker_cpu
            if error:
                errors.append(error)
            if time.perf_counter() - delivered > DELIVER_EVERY:  # as delivery tasks run between items
                pipeline.deliver(self.ctx, respect_backoff=False)
                delivered = time.perf_counter()
        processed = time.perf_counter()
        pipeline.deliver(self.ctx, respect_backoff=False)
        end = time.perf_counter()
        return {"seconds": end - start, "items": len(pending) - len(errors),
                "phases": {"poll": polled - start, "items": processed - polled, "deliver": end - processed},
                "errors": errors[:5], "rss": peak_rss_mb(), "worker_rss": max(self.worker_rss.values()),
                "cpu": time.process_time() + sum(self.worker_cpu.values()) - cpu}

    def totals(self) -> dict[str, int]:
        return stored_totals(self.ctx)

    def finish(self) -> list[float]:
        """Stop the workers; their peak RSS."""
        for _ in self.processes:
            self.tasks.put(None)
        rss = [value for kind, value in (self.done.get(timeout=60) for _ in self.processes) if kind == "rss"]
        for process in self.processes:
            process.join(timeout=30)
        self.processes = []
        return rss

    def close(self) -> None:
        self.finish()
        self.ctx.client.close()
        self.ctx.engine.dispose()


def database_in(folder: Path, name: str) -> str:
    return f"sqlite:///{folder / name}.db"
