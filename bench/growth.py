"""Scenario 3, growth: the cost of 10,000 articles against the cost of 1,000.

Two worker processes (as `Workers` in contenders) process one feed's entries, `round_size` a
round, on one database, until it holds 10,000 articles. The cost of 1,000 is measured three
times on a fresh database: the big run's own first 1,000, and the same 1,000 pages (a page's
content depends on its copy number alone) read by new workers on databases of their own, once
halfway through the big run and once after it. The baseline is their mean.

Why three: this machine's speed drifts by ±10% over minutes (the same trafilatura call on the
same page, in one process), so a single measurement at the start judges the drift as much as
claimwatch; spread over the run, the baseline meets the same drift as the big run. The workers'
peak RSS after the big run's first 1,000 and after 10,000 shows whether memory leaks.
"""

from __future__ import annotations

from pathlib import Path
from statistics import mean
from typing import Any

from bench.child import Child
from bench.contenders import Workers, database_in
from bench.report import Row
from bench.server import SiteProcess
from bench.throughput import warm_urls

FEED = "growth"
TIME_LIMIT = 10.5  # 10 times the articles: at most 10.5 times the time
RSS_LIMIT = 1.25  # and at most 1.25 times the workers' peak memory

Round = dict[str, Any]


def run(site: SiteProcess, folder: Path, articles: int, checkpoint: int, round_size: int) -> list[Row]:
    if checkpoint % round_size or articles % round_size:
        raise ValueError("the checkpoint and the article count must be whole rounds")
    warm = warm_urls(site)
    rounds: list[Round] = []
    fresh: list[list[Round]] = []
    with Child(Workers, _new_feed(site, FEED, round_size), database_in(folder, "growth"), warm) as workers:
        for number in range(articles // round_size):
            if number == articles // round_size // 2:
                fresh.append(_fresh_run(site, folder, warm, checkpoint, round_size, "middle"))
            site.control("publish", feed=FEED, add=round_size)
            rounds.append(workers.call("round"))
        totals = workers.call("totals")
    fresh.append(_fresh_run(site, folder, warm, checkpoint, round_size, "end"))
    return _rows(rounds, fresh, checkpoint, round_size, totals)


def _new_feed(site: SiteProcess, name: str, window: int) -> str:
    site.control("publish", feed=name, to=0, window=window)
    return site.feed_url(name)


def _fresh_run(site: SiteProcess, folder: Path, warm: list[str], articles: int, round_size: int,
               when: str) -> list[Round]:
    """The first `articles` pages again, read by new workers into a new database."""
    feed = f"{FEED}-fresh-{when}"
    with Child(Workers, _new_feed(site, feed, round_size), database_in(folder, feed), warm) as workers:
        results = []
        for _ in range(articles // round_size):
            site.control("publish", feed=feed, add=round_size)
            results.append(workers.call("round"))
    return results


def _total(rounds: list[Round], key: str) -> Any:
    return sum(r[key] for r in rounds)


def _rows(rounds: list[Round], fresh: list[list[Round]], checkpoint: int, round_size: int,
          totals: dict[str, int]) -> list[Row]:
    first = rounds[: checkpoint // round_size]
    samples = [first, *fresh]
    items = _total(rounds, "items")
    errors = [e for r in rounds + [r for s in fresh for r in s] for e in r["errors"]]
    complete = items == len(rounds) * round_size and not errors and \
        all(_total(s, "items") == checkpoint for s in samples)
    rss_first, rss_last = first[-1]["worker_rss"], rounds[-1]["worker_rss"]

    own = Row(f"3 growth: first {checkpoint:,} articles, 2 workers", _total(first, "items"),
              _total(first, "seconds"), rss_first, _total(first, "cpu"))
    baseline = Row(f"3 growth: {checkpoint:,} articles, fresh database, mean of 3",
                   checkpoint, mean(_total(s, "seconds") for s in samples),
                   max(s[-1]["worker_rss"] for s in samples), mean(_total(s, "cpu") for s in samples),
                   baseline="1,000", notes={"seconds": [round(_total(s, "seconds"), 2) for s in samples],
                                            "cpu_seconds": [round(_total(s, "cpu"), 2) for s in samples]})
    baseline.judge(baseline.seconds, target="baseline", ok=complete)
    own.judge(baseline.seconds)
    own.baseline = "1,000"
    whole = Row(f"3 growth: {items:,} articles, 2 workers", items, _total(rounds, "seconds"),
                rss_last, _total(rounds, "cpu"), baseline="1,000",
                notes={"seconds_per_round": [round(r["seconds"], 2) for r in rounds],
                       "cpu_seconds_per_round": [round(r["cpu"], 2) for r in rounds],
                       "phases_per_round": [{k: round(v, 2) for k, v in r["phases"].items()} for r in rounds],
                       "stored": totals, **({"errors": errors[:5]} if errors else {})})
    whole.judge(baseline.seconds, limit=TIME_LIMIT, target=f"time <= {TIME_LIMIT} x 1,000", ok=complete)
    work = Row(f"3 growth: CPU seconds of {items:,} vs {checkpoint:,}", items, whole.seconds, rss_last,
               whole.cpu_seconds, baseline="1,000 CPU")
    # CPU seconds leave out the time other programs held the cores: the same ratio, with less of
    # the machine's noise (the wall-time ratio above is the target).
    work.judge(ratio=(whole.cpu_seconds or 0) / (baseline.cpu_seconds or 1), limit=TIME_LIMIT,
               target=f"CPU <= {TIME_LIMIT} x 1,000", ok=complete)
    memory = Row(f"3 growth: worker peak RSS after {items:,} vs {checkpoint:,}", items, whole.seconds,
                 rss_last, baseline="first RSS", notes={"rss_after_checkpoint_mb": rss_first})
    memory.judge(ratio=rss_last / rss_first, limit=RSS_LIMIT,
                 target=f"RSS <= {RSS_LIMIT} x first", ok=complete)
    return [own, baseline, whole, work, memory]
