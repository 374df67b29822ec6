"""Where items come from: files in the seeds folder and entries of feeds.

Sources only name items; the pipeline fetches and extracts them. Feed entries carry their own
title, summary and date so that an entry whose page cannot be had still yields an article.
"""

from __future__ import annotations

import calendar
import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser

from worker.errors import FetchError

log = logging.getLogger(__name__)
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.I)
SEED_SUFFIXES = (".txt", ".md", ".html", ".htm")
MAX_FEED_ENTRIES = 500


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a feed, as the feed states it."""

    key: str
    link: str | None
    title: str
    summary: str
    published: datetime | None


def list_seed_files(folder: Path) -> list[Path]:
    """Article files in the seeds folder, by name; a missing folder holds none."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in SEED_SUFFIXES and not p.name.startswith("."))


def seed_key(path: Path, content: bytes) -> str:
    """A seed is the same item while its path and content are: an edited file is read again."""
    return f"seed:{path.resolve()}#{hashlib.sha256(content).hexdigest()[:16]}"


def parse_feed(content: bytes, feed_url: str) -> list[FeedEntry]:
    """Entries of an RSS or Atom document (bytes: feedparser fetches strings that look like URLs).

    A document declaring entities is refused before parsing: no feed needs them, and they are how
    billion-laughs (exponential expansion) and external-entity (local file) attacks work.
    """
    if _ENTITY_DECLARATION.search(content.replace(b"\x00", b"")):  # NULs dropped: UTF-16 too
        raise FetchError(f"{feed_url}: the feed declares XML entities (<!ENTITY>), refused as unsafe")
    parsed = feedparser.parse(content, sanitize_html=True, resolve_relative_uris=False)
    if parsed.bozo and not parsed.entries:
        raise FetchError(f"{feed_url}: not a feed ({parsed.get('bozo_exception')})")
    if len(parsed.entries) > MAX_FEED_ENTRIES:
        log.warning("%s: %d entries, only the first %d are read", feed_url, len(parsed.entries),
                    MAX_FEED_ENTRIES)
    return [_entry(e, feed_url) for e in parsed.entries[:MAX_FEED_ENTRIES]]


def _entry(raw: Any, feed_url: str) -> FeedEntry:
    link = raw.get("link") or None
    guid = raw.get("id") or link or hashlib.sha256(repr(raw.get("title")).encode()).hexdigest()
    when = raw.get("published_parsed") or raw.get("updated_parsed")
    published = datetime.fromtimestamp(calendar.timegm(when), UTC) if when else None
    return FeedEntry(key=f"feed:{feed_url}#{guid}", link=link, title=raw.get("title", ""),
                     summary=raw.get("summary", ""), published=published)
