"""The article: what the extract stage hands to claim finding and storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Article:
    """Readable text of one news item, with what is known of where and when it came from.

    `key` identifies the item across scans (feed guid or link, or the seed file's path);
    `published` is timezone-aware UTC or None when the source gives no date. `text` holds the
    body only, paragraphs apart by blank lines, whatever the source's format.
    """

    key: str
    title: str
    text: str
    url: str | None = None
    published: datetime | None = None
    outlet: str | None = None
    source: str = "seeds"
