"""Scenario 3, growth: the cost of 10,000 articles against the cost of the first 1,000.

Two worker processes (as `Workers` in contenders) process one feed's entries, `round_size` a
round, on one database. The time and the workers' peak RSS at the checkpoint (the first 1,000)
and at the end (10,000) show whether any step grows faster than the data (a quadratic query, a
list that keeps every article) or memory leaks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.child import Child
from bench.contenders import Workers, database_in
from bench.report import Row
from bench.server import SiteProcess
from bench.throughput import warm_urls

FEED = "growth"
TIME_LIMIT = 10.5  # 10 times the articles: at most 10.5 times the time
RSS_LIMIT = 1.25  # and at most 1.25 times the workers' peak memory


def run(site: SiteProcess, folder: Path, articles: int, checkpoint: int, round_size: int) -> list[Row]:
    if checkpoint % round_size or articles % round_size:
        raise ValueError("the checkpoint and the article count must be whole rounds")
    site.control("publish", feed=FEED, to=0, window=round_size)
    warm = warm_urls(site)
    rounds: list[dict[str, Any]] = []
    with Child(Workers, site.feed_url(FEED), database_in(folder, "growth"), warm) as workers:
        for _ in range(articles // round_size):
            site.control("publish", feed=FEED, add=round_size)
            rounds.append(workers.call("round"))
        totals = workers.call("totals")
    return _rows(rounds, checkpoint, round_size, totals)


def _rows(rounds: list[dict[str, Any]], checkpoint: int, round_size: int,
          totals: dict[str, int]) -> list[Row]:
    first = rounds[: checkpoint // round_size]
    items = sum(r["items"] for r in rounds)
    errors = [e for r in rounds for e in r["errors"]]
    rss_first, rss_last = first[-1]["worker_rss"], rounds[-1]["worker_rss"]
    small = Row(f"3 growth: first {checkpoint:,} articles, 2 workers", sum(r["items"] for r in first),
                sum(r["seconds"] for r in first), rss_first, sum(r["cpu"] for r in first), baseline="first")
    small.judge(small.seconds, target="baseline", ok=small.items == checkpoint)
    whole = Row(f"3 growth: {items:,} articles, 2 workers", items, sum(r["seconds"] for r in rounds),
                rss_last, sum(r["cpu"] for r in rounds), baseline="first",
                notes={"seconds_per_round": [round(r["seconds"], 2) for r in rounds],
                       "phases_per_round": [{k: round(v, 2) for k, v in r["phases"].items()} for r in rounds],
                       "stored": totals, **({"errors": errors[:5]} if errors else {})})
    complete = items == len(rounds) * round_size and not errors
    whole.judge(small.seconds, limit=TIME_LIMIT, target=f"time <= {TIME_LIMIT} x first", ok=complete)
    cpu_first = sum(r["cpu"] for r in first)
    work = Row(f"3 growth: CPU seconds of {items:,} vs {checkpoint:,}", items, whole.seconds, rss_last,
               whole.cpu_seconds, baseline="first CPU", notes={"cpu_seconds_first": cpu_first})
    # CPU seconds do not count the time other programs held the cores: the same ratio, without
    # the machine's noise (the wall-time ratio above is the target).
    work.judge(ratio=(whole.cpu_seconds or 0) / cpu_first, limit=TIME_LIMIT,
               target=f"CPU <= {TIME_LIMIT} x first", ok=complete)
    memory = Row(f"3 growth: worker peak RSS after {items:,} vs {checkpoint:,}", items, whole.seconds,
                 rss_last, baseline="first RSS", notes={"rss_after_checkpoint_mb": rss_first})
    memory.judge(ratio=rss_last / rss_first, limit=RSS_LIMIT,
                 target=f"RSS <= {RSS_LIMIT} x first", ok=complete)
    return [small, whole, work, memory]
