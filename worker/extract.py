"""Readable articles from fetched bytes: trafilatura for HTML, front matter for text files."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import trafilatura
import yaml
from dateutil import parser as dateparser

from worker.article import Article
from worker.errors import ExtractError
from worker.sources import FeedEntry

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_PLAIN_LINE = re.compile(r"^([A-Za-z_][\w-]*):\s*(.*)$")
_TAG = re.compile(r"<[^>]+>")
MIN_PAGE_TEXT = 40  # characters: less is a menu or a caption ("Home"), not an article
# A page with no date would otherwise get the footer's copyright year as an invented 1 January.
_DATE_PARAMS = {"extensive_search": False, "original_date": True}


def looks_binary(content: bytes) -> bool:
    """NUL bytes near the start: an image, archive or executable, not text (UTF-16 aside)."""
    return b"\x00" in content[:4096]


def decode_text(content: bytes, where: str) -> str:
    """Text of a seed file; binary files are refused rather than read as noise."""
    if looks_binary(content):
        raise ExtractError(f"{where}: binary file, not an article")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def article_from_file(path: Path, content: bytes, key: str) -> Article:
    """A seed file: HTML through trafilatura; text with optional YAML front matter."""
    if path.suffix.lower() in (".html", ".htm"):
        article = article_from_page(content, url=None, key=key, source="seeds")
        if article is None:
            raise ExtractError(f"{path}: no article text found in this HTML file")
        return article
    text = decode_text(content, str(path))
    meta, body = _split_front_matter(text, path)
    lines = [line.strip() for line in body.strip().splitlines()]
    title = str(meta.get("title") or (lines[0] if lines else ""))
    if not meta.get("title") and lines:
        body = "\n".join(lines[1:])
    if not body.strip():
        raise ExtractError(f"{path}: the file holds no article text")
    return Article(key=key, title=title, text=body.strip(), url=meta.get("url") or None,
                   published=parse_date(meta.get("date")), outlet=meta.get("outlet") or None,
                   source="seeds")


def _split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str]:
    match = _FRONT_MATTER.match(text)
    if match is None:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        meta = _plain_front_matter(match.group(1))
        if meta is None:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 2}" if mark else str(path)
            raise ExtractError(f"{where}: front matter is not valid YAML ({getattr(exc, 'problem', exc)}); "
                               "write one 'key: value' a line and quote values with special "
                               "characters") from None
    if not isinstance(meta, dict):
        raise ExtractError(f"{path}: front matter must be a mapping (title:, date:, url:, outlet:)")
    return meta, text[match.end():]


def _plain_front_matter(block: str) -> dict[str, Any] | None:
    """Front matter read as plain 'key: value' lines, for values YAML refuses unquoted
    ("title: Spain floods: toll rises"); None when a line is not of that form."""
    meta: dict[str, Any] = {}
    for line in block.splitlines():
        if not line.strip():
            continue
        match = _PLAIN_LINE.match(line)
        if match is None:
            return None
        meta[match.group(1)] = match.group(2).strip()
    return meta


def parse_date(value: Any) -> datetime | None:
    """A timezone-aware UTC datetime from a front-matter or metadata date, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    try:
        return parse_date(dateparser.parse(str(value)))
    except (ValueError, OverflowError):
        return None


def article_from_page(content: bytes, url: str | None, key: str, source: str,
                      entry: FeedEntry | None = None) -> Article | None:
    """The main text of an HTML page, or None when the page has none."""
    if looks_binary(content):
        raise ExtractError(f"{url or key}: binary content served as a page, not read")
    try:
        document = trafilatura.bare_extraction(
            content, url=url, with_metadata=True, include_comments=False, include_tables=False,
            date_extraction_params=_DATE_PARAMS)
    except Exception:  # trafilatura raises assorted parser errors on hostile markup
        return None
    if not isinstance(document, trafilatura.settings.Document) or \
            len((document.text or "").strip()) < MIN_PAGE_TEXT:
        return None
    published = parse_date(document.date)
    if entry is not None and entry.published is not None:
        published = entry.published
    title = document.title or (entry.title if entry else "")
    return Article(key=key, title=title, text=page_paragraphs(document.text or "", title), url=url,
                   published=published, outlet=document.sitename or None, source=source)


def page_paragraphs(text: str, title: str) -> str:
    """trafilatura's text as an article body: paragraphs apart by blank lines, as in text files,
    and without the headline the page repeats above the body (it is the article's title)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and title and lines[0].casefold() == title.strip().casefold():
        lines = lines[1:]
    return "\n\n".join(lines)


def article_from_entry(entry: FeedEntry, source: str) -> Article | None:
    """The feed's own summary, for when the entry's page cannot be had."""
    text = html.unescape(_TAG.sub(" ", entry.summary)).strip()
    if not text:
        return None
    return Article(key=entry.key, title=entry.title, text=text, url=entry.link,
                   published=entry.published, source=source)
