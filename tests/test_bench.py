"""The benchmark keeps working: `python -m bench --quick` runs every scenario end to end.

Times are not asserted (they depend on the machine and its load); what is asserted is that every
scenario ran on all of its items and that the checks of correctness inside it held.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.pages import MAX_PAGE, MIN_PAGE, Entry, page_html, vary_numbers
from worker.extract import article_from_page

REPO = Path(__file__).parents[1]


def test_pages_weigh_what_news_pages_weigh_and_keep_their_text() -> None:
    for copy in range(5):
        entry = Entry("test", copy)
        page = page_html(entry)
        assert MIN_PAGE <= len(page) <= MAX_PAGE + 10_000
        article = article_from_page(page, "http://127.0.0.1/x", "k", "s")
        assert article is not None
        first = vary_numbers(entry.source.paragraphs[0], copy)
        assert first[:60] in article.text


def test_copies_differ_in_their_figures_but_not_in_their_years() -> None:
    text = "In 2024, 1,150 square km and 80 settlements; 3 days."
    assert vary_numbers(text, 0) == text
    varied = vary_numbers(text, 5)
    assert "2024" in varied and "3 days" in varied
    assert "1,155 square km" in varied and "85 settlements" in varied


@pytest.mark.timeout(300)
def test_quick_benchmark_runs_every_scenario(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run([sys.executable, "-m", "bench", "--quick", "--json", str(out)], cwd=REPO,
                            capture_output=True, text=True, timeout=280)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = json.loads(out.read_text())["rows"]
    names = " ".join(r["scenario"] for r in rows)
    for scenario in ("1 plain script", "1 claimwatch, 1 process", "2 worker processes", "claims:",
                     "2 poll", "3 growth", "4 change check, sqlite", "4 change check, postgresql"):
        assert scenario in names
    for row in rows:
        assert row["items"] > 0 and row["seconds"] > 0, row
        if row["limit"] is None and row["target"]:  # a check of correctness, not of time
            assert row["met"], row
    assert "scenario" in result.stdout and "met?" in result.stdout
