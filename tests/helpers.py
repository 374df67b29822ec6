"""Helpers for tests: a feed site on 127.0.0.1 and a pipeline context."""

from __future__ import annotations

import email.utils
import html
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from pytest_httpserver import HTTPServer
from sqlmodel import select
from sqlalchemy import Engine
from werkzeug import Request, Response

from worker import notify, pipeline
from worker.fetch import make_client
from worker.watchlist import Watchlist


@dataclass
class Story:
    slug: str
    title: str
    body: str
    published: datetime
    page: bool = True  # False: the page answers 404 and only the feed summary is there


@dataclass
class FeedSite:
    """A news site: /feed.xml (with ETag and 304 answers) and one HTML page per story."""

    server: HTTPServer
    stories: list[Story] = field(default_factory=list)
    feed_requests: list[dict[str, str]] = field(default_factory=list)
    page_requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.server.expect_request("/feed.xml").respond_with_handler(self._feed)
        for prefix in ("/a/",):
            self.server.expect_request(__import__("re").compile(f"^{prefix}.*")).respond_with_handler(self._page)

    @property
    def feed_url(self) -> str:
        return self.server.url_for("/feed.xml")

    def _etag(self) -> str:
        return f'"v{len(self.stories)}"'

    def _feed(self, request: Request) -> Response:
        self.feed_requests.append(dict(request.headers))
        if request.headers.get("If-None-Match") == self._etag():
            return Response(status=304)
        items = "".join(
            f"<item><title>{html.escape(s.title)}</title><link>{self.server.url_for('/a/' + s.slug)}</link>"
            f"<guid>{s.slug}</guid><pubDate>{email.utils.format_datetime(s.published)}</pubDate>"
            f"<description>{html.escape(s.body)}</description></item>" for s in reversed(self.stories))
        body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Test news</title>'
                f"<link>{self.server.url_for('/')}</link>{items}</channel></rss>")
        return Response(body, content_type="application/rss+xml", headers={"ETag": self._etag()})

    def _page(self, request: Request) -> Response:
        self.page_requests.append(request.path)
        story = next((s for s in self.stories if request.path == f"/a/{s.slug}" and s.page), None)
        if story is None:
            return Response("not found", status=404)
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in story.body.split("\n\n"))
        page = (f"<html><head><title>{html.escape(story.title)}</title>"
                f'<meta property="article:published_time" content="{story.published.isoformat()}"></head>'
                f"<body><nav><a href='/'>Home</a> | <a href='/world'>World</a></nav>"
                f"<article><h1>{html.escape(story.title)}</h1>{paragraphs}</article>"
                f"<footer>&copy; 2024 Test News</footer></body></html>")
        return Response(page, content_type="text/html; charset=utf-8")


def make_context(watchlist: Watchlist, engine: Engine, echoed: list[str] | None = None) -> pipeline.Context:
    sink = echoed if echoed is not None else []
    return pipeline.Context(watchlist, engine, make_client(), notify.apprise_sender(watchlist.notify, sink.append))


def record_change(engine: Engine, old: float = 82, new: float = 92, region: str = "Kursk",
                  metric: str = "settlements", actor: str = "Ukraine", sentence: str | None = None,
                  title: str = "Kursk update", url: str | None = "https://news.example/kursk") -> int:
    """Store two claims of one series and the change between them, as an article would; its id."""
    from datetime import UTC

    from worker.db import ChangeRecord, ClaimRecord, ItemRecord, SeriesRecord, session_scope

    with session_scope(engine) as session:
        item = ItemRecord(key=f"test:{uuid.uuid4().hex}", source="seeds", title=title, url=url,
                          outlet="Test Wire", published=datetime(2024, 8, 20, tzinfo=UTC))
        session.add(item)
        session.flush()
        assert item.id is not None
        claims = [ClaimRecord(item_id=item.id, region=region, metric=metric, actor=actor, value=v,
                              unit="count", qualifier="exact", kind="total",
                              sentence=sentence or f"Forces control {v:.0f} settlements in {region}.")
                  for v in (old, new)]
        session.add_all(claims)
        session.flush()
        assert claims[0].id is not None and claims[1].id is not None
        series = session.exec(select(SeriesRecord).where(
            SeriesRecord.region == region, SeriesRecord.metric == metric,
            SeriesRecord.actor == actor)).first() or SeriesRecord(
            region=region, metric=metric, actor=actor, claim_id=claims[1].id, value=new, qualifier="exact")
        session.add(series)
        session.flush()
        assert series.id is not None
        change = ChangeRecord(series_id=series.id, region=region, metric=metric, actor=actor,
                              old_claim_id=claims[0].id, new_claim_id=claims[1].id, old_value=old,
                              new_value=new, old_qualifier="exact", new_qualifier="exact",
                              revision=new < old, created_at=datetime.now(UTC))
        session.add(change)
        session.flush()
        assert change.id is not None
        return change.id
