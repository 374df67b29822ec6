"""`claimwatch run`: one process with a Celery worker, beat inside it and, without a configured
broker, kombu's filesystem broker; the same tasks the deployed workers run."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from celery.signals import worker_shutting_down


def run_worker(config: Path, concurrency: int, loglevel: str) -> int:
    """Run until Ctrl-C or SIGTERM (a warm shutdown: running tasks finish); the exit status."""
    from worker.celery_app import app, runtime  # configures Celery: only this command needs it

    runtime.config_path = config
    asked: list[str] = []

    def note_shutdown(how: str, **_: Any) -> None:
        asked.append(how)

    worker_shutting_down.connect(note_shutdown, weak=False)
    worker = app.Worker(hostname=f"claimwatch@{socket.gethostname()}", beat=True,
                        concurrency=concurrency, loglevel=loglevel)
    worker.start()
    # Celery exits 1 after Ctrl-C; here Ctrl-C is how the service is meant to stop, so a warm
    # shutdown the operator asked for is a success.
    code: int = 0 if asked == ["Warm"] else worker.exitcode or 0
    return code
