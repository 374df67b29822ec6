"""Helpers for tests: a feed site and a raw HTTP site on 127.0.0.1, a pipeline context, a change."""

from __future__ import annotations

import email.utils
import html
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pytest_httpserver import HTTPServer
from sqlalchemy import Engine
from sqlmodel import select
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


Route = Callable[[BaseHTTPRequestHandler], None]


class Site:
    """Routes on a threaded server at 127.0.0.1; counts requests and how many were open at once."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.open = self.most_open = 0
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with site.lock:
                    site.requests.append((self.path, dict(self.headers)))
                    site.open += 1
                    site.most_open = max(site.most_open, site.open)
                try:
                    site.routes[self.path](self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading, as it should
                finally:
                    with site.lock:
                        site.open -= 1

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def body(content: bytes, status: int = 200, **headers: str) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in {"Content-Type": "text/html", **headers}.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)
    return route


def endless(chunk: bytes, pause: float = 0.0) -> Route:
    """A chunked response that never ends."""
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        while True:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            time.sleep(pause)
    return route


def redirect(to: str) -> Route:
    return body(b"", status=302, Location=to)
