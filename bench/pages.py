"""News pages and feeds for the benchmark: real article texts in generated site boilerplate.

The texts are the evaluation corpus's articles, read at run time from `../shared` beside the
repository (they are not copied into it). Each copy of an article gets its own figures, date,
title and boilerplate, so no layer (trafilatura, HTTP, the database) can reuse an earlier answer,
and its page weighs what a real news page weighs (30 to 150 KB, mostly scripts, styles and links).
"""

from __future__ import annotations

import email.utils
import html
import random
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "eval" / "corpus" / "dev"
MIN_PAGE, MAX_PAGE = 30_000, 150_000
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_TITLE = re.compile(r"^title:\s*(.+)$", re.M)
_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?![\w,])|(?<![\w.,])\d+(?![\w,.])")
_SECTIONS = ("World", "Europe", "Americas", "Africa", "Middle East", "Business", "Markets",
             "Climate", "Science", "Technology", "Sport", "Culture", "Opinion", "Video")


@dataclass(frozen=True)
class Source:
    """One corpus article: its title and body paragraphs."""

    name: str
    title: str
    paragraphs: tuple[str, ...]


@cache
def load_sources(corpus: Path = CORPUS) -> tuple[Source, ...]:
    folder = corpus / "articles"
    if not folder.is_dir():
        raise SystemExit(f"bench: the corpus is not at {folder} (it is read from ../shared "
                         "beside the repository)")
    sources = []
    for path in sorted(folder.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        match = _FRONT_MATTER.match(text)
        head, body = (match.group(1), text[match.end():]) if match else ("", text)
        title = _TITLE.search(head)
        paragraphs = tuple(p.strip() for p in body.splitlines() if p.strip())
        sources.append(Source(path.stem, title.group(1).strip().strip("'\"") if title else path.stem,
                              paragraphs))
    return tuple(sources)


def vary_numbers(text: str, copy: int) -> str:
    """Shift every figure of 10 or more by an amount that depends on the copy; years stay."""
    def shift(match: re.Match[str]) -> str:
        token = match.group(0)
        value = int(token.replace(",", ""))
        if value < 10 or 1900 <= value <= 2100:
            return token
        value += copy % 97 + copy // 97
        return f"{value:,}" if "," in token else str(value)
    return _NUMBER.sub(shift, text)


@dataclass(frozen=True)
class Entry:
    """Copy `copy` of a corpus article as published by feed `feed`. What a page holds depends on
    the copy alone: copy k is the same work on every feed, so runs on different feeds compare."""

    feed: str
    copy: int

    @property
    def source(self) -> Source:
        sources = load_sources()
        return sources[self.copy % len(sources)]

    @property
    def path(self) -> str:
        return f"/a/{self.feed}/{self.copy}.html"

    @property
    def title(self) -> str:
        return f"{vary_numbers(self.source.title, self.copy)} (update {self.copy})"

    @property
    def published(self) -> datetime:
        return EPOCH + timedelta(hours=self.copy, minutes=zlib.crc32(self.feed.encode()) % 60)

    def summary(self) -> str:
        return vary_numbers(self.source.paragraphs[0], self.copy)[:300]


def feed_xml(base: str, feed: str, first: int, last: int) -> bytes:
    """RSS 2.0 with entries first..last-1 of `feed`, newest first, as news sites publish."""
    items = "".join(_item_xml(base, feed, copy) for copy in range(last - 1, first - 1, -1))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Bench Herald: {feed}</title><link>{base}/</link>"
            f"<description>Latest news</description>{items}</channel></rss>").encode()


@lru_cache(maxsize=100_000)  # an entry stays in its feed for many polls: build its XML once
def _item_xml(base: str, feed: str, copy: int) -> str:
    entry = Entry(feed, copy)
    return (f"<item><title>{html.escape(entry.title)}</title><link>{base}{entry.path}</link>"
            f"<guid isPermaLink=\"true\">{base}{entry.path}</guid>"
            f"<pubDate>{email.utils.format_datetime(entry.published)}</pubDate>"
            f"<description>{html.escape(entry.summary())}</description></item>")


def page_html(entry: Entry) -> bytes:
    """A whole news page for `entry`, between MIN_PAGE and MAX_PAGE bytes."""
    rng = random.Random(zlib.crc32(f"copy {entry.copy}".encode()))
    target = rng.randint(MIN_PAGE, MAX_PAGE)
    title = html.escape(entry.title)
    body = "".join(f"<p>{html.escape(vary_numbers(p, entry.copy))}</p>\n"
                   for p in entry.source.paragraphs)
    when = entry.published.isoformat()
    head = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | Bench Herald'
            f'</title><meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta property="og:title" content="{title}"><meta property="og:type" content="article">'
            f'<meta property="article:published_time" content="{when}">'
            f'<link rel="canonical" href="https://herald.example{entry.path}">')
    article = (f'<main id="content"><article class="story"><h1 class="headline">{title}</h1>'
               f'<div class="byline">By Staff Reporter · <time datetime="{when}">{when[:10]}</time>'
               f'</div><div class="story-body" data-build="{rng.getrandbits(48):x}">\n{body}</div>'
               f"</article>")
    parts = [head, "</head><body>", _nav(rng), article, _related(rng, entry), "</main>",
             _footer(rng), "</body></html>"]
    size = sum(len(p) for p in parts)
    blocks: list[str] = []
    while size < target:  # most of a real page is scripts and styles, the rest markup
        block = _cards(rng, entry) if rng.random() < 0.2 else (
            _script(rng) if rng.random() < 0.7 else _style(rng))
        blocks.append(block)
        size += len(block)
    cards = [b for b in blocks if b.startswith("<section")]
    assets = [b for b in blocks if not b.startswith("<section")]
    parts[-3:-3] = cards  # after the article, before the footer
    parts[1:1] = assets[: len(assets) // 2]
    parts[-1:-1] = assets[len(assets) // 2:]
    return "".join(parts).encode()


@cache
def _chunks(kind: str) -> tuple[str, ...]:
    """A pool of script or style blocks; pages draw from it and add their own identifiers."""
    rng = random.Random(kind)
    words = ("analytics", "consent", "adSlot", "paywall", "video", "carousel", "lazyImage",
             "newsletter", "share", "comments", "metrics", "prefetch", "experiment", "tracker")
    chunks = []
    for _ in range(48):
        if kind == "script":
            lines = [f"  var {rng.choice(words)}{rng.randint(0, 999)} = function(e, t) {{ "
                     f"if (!e) return null; var n = t.{rng.choice(words)} || {rng.randint(0, 9999)}; "
                     f"return window.__bh && window.__bh.push({{k: '{rng.choice(words)}', v: n * e}}); }};"
                     for _ in range(rng.randint(15, 40))]
            chunks.append("(function(){\n" + "\n".join(lines) + "\n})();")
        else:
            rules = [f".{rng.choice(words)}-{rng.randint(0, 999)} {{ margin: {rng.randint(0, 40)}px; "
                     f"color: #{rng.getrandbits(24):06x}; font-size: {rng.randint(10, 30)}px; "
                     f"display: {rng.choice(('block', 'flex', 'grid', 'none'))}; }}"
                     for _ in range(rng.randint(20, 50))]
            chunks.append("\n".join(rules))
    return tuple(chunks)


def _script(rng: random.Random) -> str:
    return f"<script>/* build {rng.getrandbits(40):x} */\n{rng.choice(_chunks('script'))}</script>\n"


def _style(rng: random.Random) -> str:
    return f"<style>/* theme {rng.getrandbits(40):x} */\n{rng.choice(_chunks('style'))}</style>\n"


def _nav(rng: random.Random) -> str:
    links = "".join(f'<li><a href="/{s.lower().replace(" ", "-")}/{rng.randint(1, 99)}">{s}</a></li>'
                    for s in rng.sample(_SECTIONS, len(_SECTIONS)) for _ in range(rng.randint(3, 6)))
    return (f'<header class="site-header"><a class="logo" href="/">Bench Herald</a>'
            f'<nav class="menu"><ul>{links}</ul></nav><div class="ad-slot" id="ad-{rng.getrandbits(32):x}">'
            f"Advertisement</div></header>")


def _related(rng: random.Random, entry: Entry) -> str:
    return _cards(rng, entry, "More on this story", rng.randint(4, 8))


def _cards(rng: random.Random, entry: Entry, heading: str | None = None, count: int = 0) -> str:
    """A section of story cards (image, headline, teaser): the markup that fills a page's rails."""
    sources = load_sources()
    heading = heading or rng.choice(("Most read", "Editor's picks", "Latest", "In pictures",
                                     "Analysis", "From our correspondents", "Trending"))
    cards = []
    for _ in range(count or rng.randint(6, 14)):
        other = rng.choice(sources)
        slug = rng.randint(0, 99999)
        cards.append(
            f'<div class="card card--{rng.choice(("wide", "small", "video"))}" data-id="{slug}">'
            f'<a class="card__link" href="/a/{entry.feed}/{slug}.html"><figure class="card__media">'
            f'<img src="/img/{slug}-640.jpg" srcset="/img/{slug}-320.jpg 320w, /img/{slug}-640.jpg 640w"'
            f' alt="" loading="lazy" width="640" height="360"></figure><div class="card__text">'
            f'<h3 class="card__title">{html.escape(other.title)}</h3>'
            f'<p class="card__teaser">{html.escape(rng.choice(other.paragraphs)[:140])}</p>'
            f'<span class="card__meta">{rng.randint(2, 59)} min read · {rng.choice(_SECTIONS)}'
            f"</span></div></a></div>")
    return (f'<section class="rail"><h2 class="rail__title">{heading}</h2>'
            f'<div class="rail__cards">{"".join(cards)}</div></section>\n')


def _footer(rng: random.Random) -> str:
    links = "".join(f'<a href="/about/{rng.randint(1, 999)}">{w}</a> '
                    for w in ("About us", "Contact", "Careers", "Privacy", "Cookies", "Terms",
                              "Accessibility", "Advertise", "Newsletters", "Archive"))
    return (f'<footer class="site-footer"><div class="links">{links}</div>'
            f"<p>&copy; {EPOCH.year} Bench Herald. All rights reserved.</p></footer>")
