"""`python -m bench [--quick | --full] [--only NAME ...] [--json PATH]`: run, print, write JSON."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench import growth, history, polling, throughput
from bench.report import Row, machine, table, write_json
from bench.server import SiteProcess

RESULTS = Path(__file__).parent / "results"

# Sizes per mode. Full: the sizes. Quick: every scenario end to end in under a minute.
SIZES = {
    "full": {"articles": 2000, "round": 250, "feeds": 1000,
             "growth": 10_000, "checkpoint": 1000, "growth_round": 500,
             "claims_small": 1000, "claims_large": 1_000_000, "history_articles": 200},
    "quick": {"articles": 100, "round": 50, "feeds": 100,
              "growth": 300, "checkpoint": 30, "growth_round": 30,
              "claims_small": 1000, "claims_large": 20_000, "history_articles": 40},
}

Scenario = Callable[[SiteProcess, Path, dict[str, int]], list[Row]]
SCENARIOS: dict[str, Scenario] = {
    "throughput": lambda site, folder, size: throughput.run(site, folder, size["articles"], size["round"]),
    "polling": lambda site, folder, size: polling.run(site, folder, size["feeds"]),
    "growth": lambda site, folder, size: growth.run(site, folder, size["growth"], size["checkpoint"],
                                                    size["growth_round"]),
    "history": lambda _site, folder, size: history.run(folder, size["claims_small"], size["claims_large"],
                                                       size["history_articles"]),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="small sizes, under a minute (CI)")
    mode.add_argument("--full", action="store_true", help="the issue's sizes (default)")
    parser.add_argument("--only", nargs="+", choices=list(SCENARIOS), help="run these scenarios only")
    parser.add_argument("--json", type=Path, help="where to write the results "
                        "[default: bench/results/<mode>-<time>.json]")
    args = parser.parse_args(argv)
    name = "quick" if args.quick else "full"
    size = SIZES[name]
    started = time.perf_counter()
    print(f"claimwatch benchmark ({name}) on {machine()}", flush=True)
    rows: list[Row] = []
    site = SiteProcess()
    try:
        with tempfile.TemporaryDirectory(prefix="claimwatch-bench-") as folder:
            for scenario in args.only or list(SCENARIOS):
                began = time.perf_counter()
                new = SCENARIOS[scenario](site, Path(folder), size)
                rows.extend(new)
                print(f"\n{scenario}: {time.perf_counter() - began:.0f} s\n{table(new)}", flush=True)
    finally:
        site.close()
    seconds = time.perf_counter() - started
    print(f"\nall scenarios ({name}, {seconds:.0f} s):\n{table(rows)}")
    path = args.json or RESULTS / f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    write_json(rows, path, name, seconds)
    print(f"\nwritten to {path}")
    missed = [r.scenario for r in rows if r.met is False]
    if missed:
        print(f"targets not met: {', '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
