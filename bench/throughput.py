"""Scenario 1, article throughput, and the claim-finding cost of issue 3.

One feed publishes `articles` entries, `round_size` at a time, showing its newest 500 (feeds
overlap from one poll to the next, as real ones do). After each publication every contender
reads the round's new entries in turn, the order rotating, so that the machine's noise falls
on all of them alike and every ratio is measured side by side.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.child import Child
from bench.contenders import Pipeline, Script, Workers, database_in
from bench.report import Row
from bench.server import SiteProcess
from worker.sources import MAX_FEED_ENTRIES

FEED = "stream"
WARM_FEED = "warm"
WARM_COPY = 1_000_000
PIPELINE_LIMIT = 1.35  # claimwatch in one process: at most 35% over the plain script
WORKERS_SPEEDUP = 1.7  # two worker processes: at least 1.7 times as fast as the script
CLAIMS_LIMIT = 0.20  # claim finding: at most 20% of trafilatura's extraction of the same page


def warm_urls(site: SiteProcess, count: int = 3) -> list[str]:
    """Pages to warm up on, copies no scenario reads (the site serves any copy of any feed)."""
    return [f"{site.base}/a/{WARM_FEED}/{WARM_COPY + i}.html" for i in range(count)]


def run(site: SiteProcess, folder: Path, articles: int, round_size: int) -> list[Row]:
    site.control("publish", feed=FEED, to=0, window=MAX_FEED_ENTRIES)
    url, warm = site.feed_url(FEED), warm_urls(site)
    children = {"script": Child(Script, url, warm),
                "pipeline": Child(Pipeline, url, database_in(folder, "throughput-1"), warm),
                "workers": Child(Workers, url, database_in(folder, "throughput-2"), warm)}
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in children}
    site.control("stats", reset=1)
    try:
        published = 0
        while published < articles:
            step = min(round_size, articles - published)
            site.control("publish", feed=FEED, add=step)
            names = list(children)
            turn = (published // round_size) % len(names)
            for name in names[turn:] + names[:turn]:
                rounds[name].append(children[name].call("round"))
            published += step
        worker_rss = children["workers"].call("finish")
        totals = {name: children[name].call("totals") for name in ("pipeline", "workers")}
    finally:
        for child in children.values():
            child.close()
    server = site.control("stats", reset=1)
    return _rows(rounds, articles, worker_rss, totals, server)


def _sum(results: list[dict[str, Any]], key: str) -> Any:
    return sum(r[key] for r in results)


def _rows(rounds: dict[str, list[dict[str, Any]]], articles: int, worker_rss: list[float],
          totals: dict[str, dict[str, int]], server: dict[str, Any]) -> list[Row]:
    def row(name: str, label: str, seconds_key: str = "seconds", items_key: str = "items") -> Row:
        results = rounds[name]
        errors = [e for r in results for e in r.get("errors", [])]
        cpu = _sum(results, "cpu") if seconds_key == "seconds" else None
        return Row(label, _sum(results, items_key), _sum(results, seconds_key),
                   max(r["rss"] for r in results), cpu,
                   notes={"rounds": len(results), **({"errors": errors[:5]} if errors else {})})

    script = row("script", "1 plain script (feedparser+GET+trafilatura)")
    script.judge(script.seconds, target="baseline", ok=script.items == articles)
    script.baseline = "script"
    single = row("pipeline", "1 claimwatch, 1 process").judge(
        script.seconds, limit=PIPELINE_LIMIT, target=f"<= {PIPELINE_LIMIT} x script",
        ok=single_ok(rounds["pipeline"], articles))
    single.baseline, single.notes["stored"] = "script", totals["pipeline"]
    workers = row("workers", "1 claimwatch, 2 worker processes").judge(
        script.seconds, limit=round(1 / WORKERS_SPEEDUP, 3),
        target=f">= {WORKERS_SPEEDUP}x faster than script", ok=single_ok(rounds["workers"], articles))
    workers.baseline, workers.peak_rss_mb = "script", max(worker_rss)
    workers.notes.update(stored=totals["workers"], worker_rss_mb=worker_rss,
                         speedup=script.seconds / workers.seconds)
    floor = row("pipeline", "1 trafilatura only, pages in memory (its calls in the 1-process run)",
                "extract_seconds", "extract_calls").judge(script.seconds)
    floor.baseline, floor.peak_rss_mb = "script", None
    claims = row("pipeline", "claims: find_claims vs trafilatura (same run)", "claims_seconds",
                 "claims_calls").judge(floor.seconds, limit=CLAIMS_LIMIT,
                                       target=f"<= {CLAIMS_LIMIT} x trafilatura", ok=floor.items == articles)
    claims.baseline, claims.peak_rss_mb = "trafilatura", None
    claims.notes.update(claims_found=_sum(rounds["pipeline"], "claims"),
                        ms_per_article=1000 * claims.seconds / max(claims.items, 1))
    single.notes["server_cpu_seconds_whole_scenario"] = server["cpu_seconds"]
    return [script, single, workers, floor, claims]


def single_ok(results: list[dict[str, Any]], articles: int) -> bool:
    return _sum(results, "items") == articles and not any(r.get("errors") for r in results)
