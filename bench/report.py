"""Rows of the benchmark's result: printed as a table, written as JSON."""

from __future__ import annotations

import json
import os
import platform
import resource
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass
class Row:
    """One measured line. `ratio` is `seconds` over the baseline's seconds unless `ratio_of` says
    otherwise; `limit` is the target the ratio must stay at or under (None: no target)."""

    scenario: str
    items: int
    seconds: float
    peak_rss_mb: float | None = None
    cpu_seconds: float | None = None  # of every process that did the work: cores it kept busy
    baseline: str | None = None
    ratio: float | None = None
    limit: float | None = None
    target: str = ""
    met: bool | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else 0.0

    def judge(self, baseline_seconds: float | None = None, *, ratio: float | None = None,
              limit: float | None = None, target: str = "", ok: bool = True) -> Row:
        """Set the ratio (given, or from `baseline_seconds`) and whether the target is met;
        `ok` false (a check of correctness failed) fails the target whatever the ratio."""
        if ratio is not None:
            self.ratio = ratio
        elif baseline_seconds:
            self.ratio = self.seconds / baseline_seconds
        self.limit, self.target = limit, target
        if limit is not None and self.ratio is not None:
            self.met = self.ratio <= limit and ok
        elif target:
            self.met = ok
        return self


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                         if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        memory_kb = 0
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_gb": round(memory_kb / 1024 ** 2, 1),
            "python": platform.python_version(), "load_average": list(os.getloadavg())}


def table(rows: list[Row]) -> str:
    header = ("scenario", "items", "seconds", "items/s", "peak RSS MB", "cores", "ratio", "target", "met?")
    lines = [header] + [(
        r.scenario, f"{r.items:,}", f"{r.seconds:.2f}", f"{r.per_second:,.1f}",
        f"{r.peak_rss_mb:.0f}" if r.peak_rss_mb else "",
        f"{r.cpu_seconds / r.seconds:.2f}" if r.cpu_seconds and r.seconds else "",
        f"{r.ratio:.3f}" + (f" of {r.baseline}" if r.baseline else "") if r.ratio is not None else "",
        r.target, {True: "yes", False: "NO", None: ""}[r.met]) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = [" | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
           for line in lines]
    out.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(out)


def write_json(rows: list[Row], path: Path, mode: str, seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "mode": mode,
            "total_seconds": round(seconds, 1), "machine": machine(),
            "rows": [{**asdict(r), "items_per_second": r.per_second} for r in rows]}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
