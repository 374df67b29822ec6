"""The stages in order: sources → fetch → extract → claims → store → changes → notify.

Each function here is one unit of work that a Celery task can run alone (poll a feed, process an
item, deliver alerts); `run_once` runs them all in one pass. A failing item is recorded on that
item and never stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Connection, Engine

from worker import extract, fetch, notify, outbox, series, sources, store
from worker.article import Article
from worker.claims import Claim, find_claims
from worker.db import ChangeRecord, ItemRecord, read_connection, read_scope, session_scope, utcnow
from worker.errors import ClaimwatchError, ExtractError, FetchError
from worker.http_guard import RateLimited
from worker.watchlist import Feed, Watchlist

log = logging.getLogger(__name__)

MAX_ITEM_ATTEMPTS = 5
FEED_BACKOFF_CAP = timedelta(hours=6)


@dataclass
class Context:
    """What the stages need, made once per process and passed in."""

    watchlist: Watchlist
    engine: Engine
    client: httpx.Client
    send: notify.Sender


@dataclass
class ItemOutcome:
    item_id: int
    article: Article | None = None
    claims: list[Claim] = field(default_factory=list)
    changes: list[ChangeRecord] = field(default_factory=list)
    error: str | None = None


@dataclass
class ScanReport:
    outcomes: list[ItemOutcome] = field(default_factory=list)
    feed_errors: list[str] = field(default_factory=list)
    alerts_sent: int = 0

    @property
    def changes(self) -> list[ChangeRecord]:
        return [c for o in self.outcomes for c in o.changes]


def discover_seeds(ctx: Context) -> int:
    """Queue seed files not seen with their current content; returns how many are new."""
    folder = ctx.watchlist.seeds
    if folder is None:
        return 0
    new = []
    for path in sources.list_seed_files(Path(folder)):
        try:
            content = fetch.read_file(path)
        except FetchError as exc:
            log.warning("%s", exc)
            continue
        new.append(store.NewItem(key=sources.seed_key(path, content), source="seeds",
                                 path=str(path.resolve()), title=path.name))
    with session_scope(ctx.engine) as session:
        return store.add_items(session, new)


def poll_feed(ctx: Context, feed: Feed) -> int:
    """Fetch a feed with conditional GET and queue its new entries; returns how many are new."""
    with read_connection(ctx.engine) as connection:
        conditional = store.conditional_headers(connection, feed.url)
    now = utcnow()
    try:
        fetched = fetch.fetch_url(ctx.client, feed.url, _feed_policy(ctx, feed.url), conditional)
        entries = [] if fetched.not_modified else sources.parse_feed(fetched.content, feed.url)
    except ClaimwatchError as exc:
        with session_scope(ctx.engine) as session:
            record = store.feed_record(session, feed.url)
            record.failures += 1
            record.last_poll_at, record.last_error = now, str(exc)
            record.next_due_at = now + min(feed.every * 2 ** record.failures, FEED_BACKOFF_CAP)
            if isinstance(exc, RateLimited):  # the host said when; never ask before that
                record.next_due_at = max(record.next_due_at, exc.until)
            session.add(record)
        raise
    if fetched.not_modified:  # most polls: one UPDATE on a plain connection
        with ctx.engine.begin() as connection:
            store.record_poll_success(connection, feed.url, now, now + feed.every, 0, None)
        return 0
    with session_scope(ctx.engine) as session:
        known = store.known_keys(session, [e.key for e in entries])
        unseen = [e for e in entries if e.key not in known]
        added = store.add_items(session, [
            store.NewItem(key=e.key, source=feed.url, url=e.link, title=e.title,
                          summary=e.summary, published=e.published) for e in unseen])
        validators = (fetched.headers.get("etag"), fetched.headers.get("last-modified"))
        store.record_poll_success(session.connection(), feed.url, now, now + feed.every, added, validators)
    return added


def _feed_policy(ctx: Context, feed_url: str) -> fetch.FetchPolicy:
    return fetch.FetchPolicy(allow_private=ctx.watchlist.allow_private_addresses,
                             trusted_host=urlsplit(feed_url).hostname)


def process_item(ctx: Context, item_id: int) -> ItemOutcome:
    """Fetch, extract and find the claims of one item, once; store them and move on every series
    whose articles are all read (this one's, and any that waited for it), queueing their alerts.

    Workers run this on many items at once: only the storing step is taken in turns, and it is
    short."""
    with read_connection(ctx.engine) as connection:
        item = store.read_item(connection, item_id)
    if item is None or item.status in ("done", "failed"):
        return ItemOutcome(item_id)
    if item.status == "extracted":  # its worker was lost before its series moved on
        return ItemOutcome(item_id, changes=advance(ctx))
    try:
        article = read_article(ctx, item)
        claims = find_claims(article, ctx.watchlist)
    except Exception as exc:  # any failure of one item is recorded on it, never fatal to the run
        outcome = _fail(ctx, item, exc)
        outcome.changes = advance(ctx)  # newer items may have been waiting for this one
        return outcome
    changes = record_outcome(ctx, item_id, article, claims)
    if changes is None:
        return ItemOutcome(item_id)
    return ItemOutcome(item_id, article, claims, changes)


def record_outcome(ctx: Context, item_id: int, article: Article,
                   claims: list[Claim]) -> list[ChangeRecord] | None:
    """Store an item's article and claims, move series on and queue the alerts, in one
    transaction; None when another worker got there first."""
    with ctx.engine.begin() as connection:
        if not store.record_extraction(connection, item_id, article, claims):
            return None
        return _advance(ctx, connection)


def advance(ctx: Context) -> list[ChangeRecord]:
    """Move series on with every extracted item whose turn it is and queue their alerts."""
    with ctx.engine.begin() as connection:
        return _advance(ctx, connection)


def _advance(ctx: Context, connection: Connection) -> list[ChangeRecord]:
    changes = series.advance_series(connection)
    store.enqueue_deliveries(connection, [(c.id, key) for c in changes if c.id is not None
                                       for key in notify.route(c, ctx.watchlist.notify)])
    return changes


def _fail(ctx: Context, item: ItemRecord, exc: Exception) -> ItemOutcome:
    expected = isinstance(exc, ClaimwatchError)
    message = str(exc) if expected else f"{type(exc).__name__}: {exc}"
    if not expected:
        log.exception("unexpected error on item %s", item.key)
    final = isinstance(exc, ExtractError) or item.attempts + 1 >= MAX_ITEM_ATTEMPTS
    assert item.id is not None
    with session_scope(ctx.engine) as session:
        store.mark_item_failed(session, item.id, message, final)
    return ItemOutcome(item.id, error=message)


def read_article(ctx: Context, item: ItemRecord) -> Article:
    """The item's article: a seed file from disk, or a feed entry's page (or its summary)."""
    if item.path is not None:
        path = Path(item.path)
        return extract.article_from_file(path, fetch.read_file(path), item.key)
    entry = sources.FeedEntry(key=item.key, link=item.url, title=item.title,
                              summary=item.summary, published=item.published)
    article, problem, fetch_error = None, "the entry has no link", None
    if item.url:
        try:
            page = fetch.fetch_url(ctx.client, item.url, _feed_policy(ctx, item.source))
            article = extract.article_from_page(page.content, page.url, item.key, item.source, entry)
            problem = "the page holds no article text"
        except (FetchError, ExtractError) as exc:
            problem = str(exc)
            fetch_error = exc if isinstance(exc, FetchError) else None
            log.info("falling back to the feed summary: %s", exc)
    article = article or extract.article_from_entry(entry, item.source)
    if article is None and fetch_error is not None:
        raise fetch_error  # perhaps passing (network, Retry-After): tried again on later scans
    if article is None:
        raise ExtractError(f"{item.url or item.key}: no article text in the feed entry, and {problem}")
    return article


def deliver(ctx: Context, respect_backoff: bool = True) -> int:
    """Send what the outbox holds; a scan passes respect_backoff=False to retry failures at once."""
    return outbox.deliver_pending(ctx.engine, ctx.watchlist.notify, ctx.send, respect_backoff)


def run_once(ctx: Context, on_item: Callable[[ItemOutcome], None] | None = None,
             on_total: Callable[[int], None] | None = None) -> ScanReport:
    """One pass: seeds and every feed, all pending items in date order, then alerts."""
    report = ScanReport()
    discover_seeds(ctx)
    for feed in ctx.watchlist.feeds:
        try:
            poll_feed(ctx, feed)
        except ClaimwatchError as exc:
            report.feed_errors.append(str(exc))
    with read_scope(ctx.engine) as session:
        pending = store.pending_item_ids(session, max_attempts=MAX_ITEM_ATTEMPTS)
    if on_total:
        on_total(len(pending))
    for item_id in pending:
        outcome = process_item(ctx, item_id)
        report.outcomes.append(outcome)
        if on_item:
            on_item(outcome)
    report.alerts_sent = deliver(ctx, respect_backoff=False)
    return report
