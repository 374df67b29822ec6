"""The units of work the queue runs, over the pipeline: each safe to run twice or on two machines.

A feed is polled under a lease (one worker at a time) and only when due, so the back-off the
pipeline records for a failing feed holds whatever beat sends. Items and alerts are rows before
any message names them, so a message that is lost (a broker restarted without persistence, the
embedded broker's worker killed) only delays work: the sweep sends it again. Delivery needs no
lock here: the outbox leases its rows (worker/outbox.py).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from worker import leases, pipeline, store
from worker.db import FeedRecord, read_scope, session_scope, utcnow
from worker.errors import ClaimwatchError
from worker.watchlist import Feed

log = logging.getLogger(__name__)

POLL_TIME_LIMIT = 90  # seconds; the feed's lease outlives a poll killed at this limit
SEEDS = "seeds"  # the source name of seed-file items


def poll_feed(ctx: pipeline.Context, url: str, holder: str) -> list[int]:
    """Poll the feed if it is due and free; the ids of its items waiting to be processed."""
    feed = next((f for f in ctx.watchlist.feeds if f.url == url), None)
    if feed is None:
        log.info("%s is no longer in the watchlist: not polled", url)
        return []
    lease = timedelta(seconds=POLL_TIME_LIMIT + 30)
    with leases.held(ctx.engine, f"feed {url}", holder, lease) as mine:
        if not mine:
            log.info("%s is being polled by another worker", url)
            return []
        if not feed_is_due(ctx, feed, utcnow()):
            return []
        try:
            pipeline.poll_feed(ctx, feed)
        except ClaimwatchError as exc:  # recorded on the feed with its back-off; status shows it
            log.warning("feed failed: %s", exc)
            return []
    return pending_items(ctx, url)


def feed_is_due(ctx: pipeline.Context, feed: Feed, now: datetime) -> bool:
    """Due unless its next poll is more than half an interval away (beat fires every interval,
    so half an interval of slack absorbs the time messages spend in flight)."""
    with read_scope(ctx.engine) as session:
        record = session.get(FeedRecord, feed.url)
    if record is None or record.next_due_at is None:
        return True
    return record.next_due_at - now <= feed.every / 2


def scan_seeds(ctx: pipeline.Context) -> list[int]:
    """Record new or edited seed files; the ids of seed items waiting to be processed."""
    pipeline.discover_seeds(ctx)
    return pending_items(ctx, SEEDS)


def pending_items(ctx: pipeline.Context, source: str) -> list[int]:
    with read_scope(ctx.engine) as session:
        return store.pending_item_ids(session, source=source, max_attempts=pipeline.MAX_ITEM_ATTEMPTS)


def process_item(ctx: pipeline.Context, item_id: int, redelivered: bool = False) -> int:
    """Process one item; how many changes it (or items that waited for it) made."""
    if redelivered:
        count_lost_attempt(ctx, item_id)
    outcome = pipeline.process_item(ctx, item_id)
    if outcome.error:
        log.warning("item %s failed: %s", item_id, outcome.error)
    elif outcome.article is not None:
        log.info("item %s: %d claim(s); %d change(s) as series moved on", item_id, len(outcome.claims),
                 len(outcome.changes))
    return len(outcome.changes)


def count_lost_attempt(ctx: pipeline.Context, item_id: int) -> None:
    """The worker that had this item's message died before it was done: that counts as a failed
    attempt, so an article that kills its worker every time (a crash, memory) is given up after
    MAX_ITEM_ATTEMPTS instead of being handed from worker to worker forever."""
    with session_scope(ctx.engine) as session:
        item = store.lock_item(session, item_id)
        if item is not None and item.status == "pending":
            store.mark_item_failed(session, item_id, "the worker processing it was lost mid-task",
                                   final=item.attempts + 1 >= pipeline.MAX_ITEM_ATTEMPTS)


def stale_items(ctx: pipeline.Context, idle_since: datetime) -> list[int]:
    """Pending items nobody touched since `idle_since`: their message was lost, or they failed."""
    with read_scope(ctx.engine) as session:
        return store.pending_item_ids(session, max_attempts=pipeline.MAX_ITEM_ATTEMPTS,
                                      idle_since=idle_since)
