"""Celery tasks: a thin shell over worker/jobs.py. Messages carry feed URLs and item ids only.

A feed poll, each article and each delivery run is a task of its own. The articles a poll found
are sent oldest first and run on every worker at once; each then moves on the series whose
articles are all read, in date order (`pipeline.advance`), and sends a delivery run when that made
a change. Every task is acknowledged only once done and is idempotent, and a
database that does not answer makes a task retry with exponential back-off.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import DisconnectionError, OperationalError

from worker import jobs, pipeline
from worker.celery_app import app, runtime
from worker.db import utcnow
from worker.settings import load_settings

RETRY: dict[str, Any] = {
    "bind": True,
    "autoretry_for": (OperationalError, DisconnectionError),
    "retry_backoff": 2,  # 2, 4, 8 … seconds, with jitter, capped below
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 12,  # about half an hour; after that the sweep picks the work up again
}


def task(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """`app.task` with retries on database errors, typed for mypy (celery has no type hints)."""
    decorator: Callable[[Callable[..., Any]], Any] = app.task(**RETRY, **options)
    return decorator


def _holder(task: Any) -> str:
    """Who holds a lease: this worker, process and task."""
    return f"{task.request.hostname}/{os.getpid()}/{task.request.id}"


def _send_items(item_ids: list[int]) -> None:
    for item_id in item_ids:
        process_item.delay(item_id)


@task(soft_time_limit=jobs.POLL_TIME_LIMIT - 15, time_limit=jobs.POLL_TIME_LIMIT)
def poll_feed(self: Any, url: str) -> int:
    """Poll one feed (if due and not being polled elsewhere) and send its new items."""
    item_ids = jobs.poll_feed(runtime.context(), url, _holder(self))
    _send_items(item_ids)
    return len(item_ids)


@task(soft_time_limit=60, time_limit=90)
def scan_seeds(self: Any) -> int:
    """Record new seed files and send them."""
    item_ids = jobs.scan_seeds(runtime.context())
    _send_items(item_ids)
    return len(item_ids)


@task(soft_time_limit=150, time_limit=180)
def process_item(self: Any, item_id: int) -> None:
    """Read one item's claims, once; move on the series whose turn it is and send their alerts."""
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    if jobs.process_item(runtime.context(), item_id, redelivered):
        deliver.delay()


@task(soft_time_limit=150, time_limit=180)
def deliver(self: Any) -> int:
    """Send due alerts from the outbox (its rows are leased, so two workers never send one twice)."""
    return pipeline.deliver(runtime.context())


@task(soft_time_limit=60, time_limit=90)
def sweep(self: Any) -> int:
    """Send again what a lost message left pending: idle items, series a lost worker did not move
    on, then whatever alerts are due."""
    # Waiting as long as Redis waits before it puts back a message a lost worker held: an item
    # still pending then has no message left, while a long backlog is not sent a second time.
    idle_since = utcnow() - timedelta(seconds=load_settings().visibility_timeout)
    item_ids = jobs.stale_items(runtime.context(), idle_since)
    _send_items(item_ids)
    pipeline.advance(runtime.context())
    deliver.delay()
    return len(item_ids)
