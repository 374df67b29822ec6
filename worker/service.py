"""`claimwatch run`: one process with a Celery worker, beat inside it and, without a configured
broker, kombu's filesystem broker; the same tasks the deployed workers run."""

from __future__ import annotations

import socket
from pathlib import Path


def run_worker(config: Path, concurrency: int, loglevel: str) -> int:
    """Run until SIGINT or SIGTERM (a warm shutdown: running tasks finish); the exit status."""
    from worker.celery_app import app, runtime  # configures Celery: only this command needs it

    runtime.config_path = config
    worker = app.Worker(hostname=f"claimwatch@{socket.gethostname()}", beat=True,
                        concurrency=concurrency, loglevel=loglevel)
    worker.start()
    code: int = worker.exitcode or 0
    return code
