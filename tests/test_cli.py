"""The `claimwatch` command as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).parents[1]
SEED = REPO / "seeds" / "kursk_reuters_2024-08-17.txt"


def claimwatch(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "worker.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})})


def test_extract_prints_one_json_claim_a_line() -> None:
    result = claimwatch("extract", "--config", "config/watchlist.yaml", "--json", str(SEED))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and all({"file", "region", "metric", "value", "qualifier", "kind", "actor", "sentence"} <= r.keys()
                        for r in rows)
    assert {"region": "Kursk", "metric": "settlements", "value": 80.0} in [
        {k: r[k] for k in ("region", "metric", "value")} for r in rows]


def test_bad_watchlist_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("regions:\n  - name: Kursk\n    alias: [Kursk Oblast]\n", encoding="utf-8")
    result = claimwatch("check-config", "--config", str(bad))
    assert result.returncode == 2
    assert f"{bad}:3" in result.stderr and "regions[0].alias" in result.stderr
    assert "Traceback" not in result.stderr


def test_scan_then_claims_and_changes(write_watchlist: Callable[..., Path], tmp_path: Path) -> None:
    config = write_watchlist()
    shutil.copy(SEED, tmp_path / "seeds")
    scan = claimwatch("scan", "--config", str(config), cwd=tmp_path)
    assert scan.returncode == 0, scan.stderr
    assert "Kursk" in scan.stdout and "1 new article(s)" in scan.stderr
    (tmp_path / "seeds" / "later.md").write_text(
        "---\ntitle: Later\ndate: 2024-08-20\n---\nUkraine's General Staff said its forces now control "
        "92 settlements in the Kursk region.\n", encoding="utf-8")
    again = claimwatch("scan", "--config", str(config), cwd=tmp_path)
    assert "Kursk · settlements · Ukraine: more than 80 → 92" in again.stdout, again.stdout
    stored = claimwatch("claims", "--config", str(config), "--json", cwd=tmp_path)
    assert any(json.loads(line)["value"] == 92 for line in stored.stdout.splitlines())
    changes = [json.loads(line) for line in
               claimwatch("changes", "--config", str(config), "--json", cwd=tmp_path).stdout.splitlines()]
    assert [(c["region"], c["metric"], c["old_value"], c["new_value"]) for c in changes] == [
        ("Kursk", "settlements", 80, 92)]
    assert changes[0]["old_article"]["sentence"] and changes[0]["new_article"]["sentence"]


def test_check_config_masks_secrets(write_watchlist: Callable[..., Path]) -> None:
    config = write_watchlist(notify=[{"url": "json://user:s3cretpass@127.0.0.1:9/hook"}],
                             database="postgresql+psycopg://u:dbs3cret@127.0.0.1/x")
    result = claimwatch("check-config", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "s3cretpass" not in result.stdout and "dbs3cret" not in result.stdout
