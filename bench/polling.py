"""Scenario 2, polling many feeds: a round where nothing changed, and one where every feed did.

The unchanged round is compared with the same number of bare HTTP requests (the same
conditional GETs, answered 304) from the same client, alternating a few times; medians count.
The changed round checks that exactly the new entries are queued and that no page is fetched
while polling (pages are fetched when items are processed, once each).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from bench.child import Child
from bench.contenders import database_in, pipeline_context
from bench.report import Row, peak_rss_mb
from bench.server import SiteProcess
from worker import pipeline
from worker.db import FeedRecord, ItemRecord, session_scope
from worker.http_guard import AddressPolicy, current_policy

PREFIX = "poll"
ENTRIES = 20
REPEATS = 5
ROUND_LIMIT_SECONDS = 15.0
BARE_LIMIT = 2.0


class Poller:
    def __init__(self, feed_urls: list[str], database: str) -> None:
        self.ctx = pipeline_context(feed_urls, database)

    def poll_all(self) -> dict[str, Any]:
        start = time.perf_counter()
        added = errors = 0
        for feed in self.ctx.watchlist.feeds:
            try:
                added += pipeline.poll_feed(self.ctx, feed)
            except Exception:  # counted: a failed poll must fail the check, not the benchmark
                errors += 1
        return {"seconds": time.perf_counter() - start, "added": added, "errors": errors,
                "rss": peak_rss_mb()}

    def bare(self) -> dict[str, Any]:
        """The same conditional GETs the polls send, with nothing around them."""
        with session_scope(self.ctx.engine) as session:
            etags = {f.url: f.etag for f in session.exec(select(FeedRecord))}
        requests = [(feed.url, {"If-None-Match": etags[feed.url] or ""}) for feed in self.ctx.watchlist.feeds]
        token = current_policy.set(AddressPolicy(allow_private=True))  # what poll_feed sets per fetch
        try:
            start = time.perf_counter()
            statuses = [self.ctx.client.get(url, headers=headers).status_code for url, headers in requests]
            seconds = time.perf_counter() - start
        finally:
            current_policy.reset(token)
        return {"seconds": seconds, "not_modified": statuses.count(304)}

    def pending_urls(self) -> list[str]:
        with session_scope(self.ctx.engine) as session:
            query = select(ItemRecord.url).where(col(ItemRecord.status) == "pending")
            return [url for url in session.exec(query) if url]

    def close(self) -> None:
        self.ctx.client.close()
        self.ctx.engine.dispose()


def run(site: SiteProcess, folder: Path, feeds: int) -> list[Row]:
    site.control("publish", prefix=PREFIX, count=feeds, to=ENTRIES)
    urls = [site.feed_url(f"{PREFIX}{i}") for i in range(feeds)]
    with Child(Poller, urls, database_in(folder, "polling")) as poller:
        first = poller.call("poll_all")
        bare, unchanged = [], []
        for _ in range(REPEATS):
            bare.append(poller.call("bare"))
            unchanged.append(poller.call("poll_all"))
        site.control("stats", reset=1)
        site.control("publish", prefix=PREFIX, count=feeds, add=ENTRIES)
        changed = poller.call("poll_all")
        server = site.control("stats", reset=1)
        pending = set(poller.call("pending_urls"))
    expected = {f"{site.base}/a/{PREFIX}{i}/{n}.html" for i in range(feeds) for n in range(ENTRIES * 2)}
    return _rows(feeds, first, bare, unchanged, changed, server, pending == expected)


def _rows(feeds: int, first: dict[str, Any], bare: list[dict[str, Any]], unchanged: list[dict[str, Any]],
          changed: dict[str, Any], server: dict[str, Any], queued_right: bool) -> list[Row]:
    bare_seconds = statistics.median(r["seconds"] for r in bare)
    all_304 = all(r["not_modified"] == feeds for r in bare)
    base = Row(f"2 bare conditional GETs ({REPEATS} runs, median)", feeds, bare_seconds,
               baseline="bare", notes={"runs": [r["seconds"] for r in bare]})
    base.judge(bare_seconds, target="baseline", ok=all_304)
    idle_seconds = statistics.median(r["seconds"] for r in unchanged)
    idle = Row(f"2 poll {feeds:,} unchanged feeds (304, median)", feeds, idle_seconds,
               max(r["rss"] for r in unchanged), baseline="bare",
               notes={"runs": [r["seconds"] for r in unchanged], "first_poll_seconds": first["seconds"]})
    quiet = not any(r["added"] or r["errors"] for r in unchanged)
    idle.judge(bare_seconds, limit=BARE_LIMIT,
               target=f"<= {ROUND_LIMIT_SECONDS:.0f} s and <= {BARE_LIMIT} x bare",
               ok=idle_seconds <= ROUND_LIMIT_SECONDS and quiet)
    fetched_only_new = (changed["added"] == feeds * ENTRIES and server.get("page", 0) == 0
                        and server.get("feed_200", 0) == feeds and queued_right)
    moved = Row(f"2 poll {feeds:,} changed feeds (+{ENTRIES} each)", changed["added"], changed["seconds"],
                changed["rss"], notes={"server_requests": server, "pending_are_the_new_entries_and_earlier":
                                       queued_right})
    moved.judge(target="only new entries queued, no page fetched", ok=fetched_only_new)
    return [base, idle, moved]
