"""`claimwatch run` as a new operator starts it: a fresh copy of the repository's config and seeds,
no broker and no database configured (the embedded broker and SQLite), stopped with Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.service_helpers import REPO, wait_for

LATER = ("---\ntitle: Later\ndate: 2024-08-20\n---\nUkraine's General Staff said its forces now control "
         "92 settlements in the Kursk region.\n")


def stored_values(database: Path) -> set[float]:
    if not database.exists():
        return set()
    try:
        with sqlite3.connect(database) as connection:
            return {row[0] for row in connection.execute("SELECT value FROM claims")}
    except sqlite3.OperationalError:  # the schema is being created
        return set()


def group_is_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def test_run_stores_the_seed_keeps_polling_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    shutil.copytree(REPO / "config", tmp_path / "config")
    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    env = {k: v for k, v in os.environ.items()
           if k not in ("CELERY_BROKER_URL", "REDIS_URL", "DATABASE_URL", "CLAIMWATCH_CONFIG")}
    log = tmp_path / "run.log"
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "worker.cli", "run"], cwd=tmp_path, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   env={**env, "PYTHONPATH": str(REPO)})
    try:
        database = tmp_path / "data" / "claimwatch.db"
        wait_for(lambda: 80 in stored_values(database) or process.poll() is not None, 60,
                 "the seed's claims")
        assert process.poll() is None, log.read_text()
        assert time.monotonic() - started < 60

        # Keeps polling, and follows the watchlist: look at the seeds folder every second from now on.
        config = tmp_path / "config" / "watchlist.yaml"
        config.write_text(config.read_text(encoding="utf-8") + "\nseeds_every: 1s\n", encoding="utf-8")
        (tmp_path / "seeds" / "later.md").write_text(LATER, encoding="utf-8")
        wait_for(lambda: 92 in stored_values(database), 45, "a seed added while it runs")

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0, log.read_text()
        wait_for(lambda: group_is_gone(process.pid), 30, "the pool and beat processes to end")
    finally:
        if process.poll() is None or not group_is_gone(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    output = log.read_text()
    assert "Traceback" not in output, output
    assert "ALERT" in output and "more than 80 → 92" in output  # no notify target: the log has it
