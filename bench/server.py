"""The news site the benchmark reads: feeds and pages on 127.0.0.1, in a process of its own.

A separate process so that serving never takes the measured process's interpreter lock. A
feed's newly published pages are built when they are published, as a news site's pages sit
ready in its cache, so that serving one costs the site little CPU: on this 2-core machine the
site's CPU is taken from the measured processes, which a remote site's is not. Every page is
still a page no client has seen. Feeds answer 304 to a conditional GET whose ETag or
Last-Modified still holds. `/_control/...` lets the benchmark
publish entries and read request counts; the measured code never calls it.

Feeds are named; a feed shows its newest `window` entries of the `published` ones so far.
"""

from __future__ import annotations

import email.utils
import json
import multiprocessing
import os
import re
import threading
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from bench.pages import EPOCH, Entry, feed_xml, page_html

_PAGE = re.compile(r"^/a/([\w-]+)/(\d+)\.html$")
_FEED = re.compile(r"^/feed/([\w-]+)\.xml$")


@dataclass
class FeedState:
    published: int = 0
    window: int = 500

    @property
    def etag(self) -> str:
        return f'"p{self.published}w{self.window}"'

    @property
    def last_modified(self) -> str:
        return email.utils.format_datetime(EPOCH + timedelta(hours=self.published), usegmt=True)


class Site:
    """Feeds, counters and the lock that guards them (requests arrive on many threads)."""

    def __init__(self) -> None:
        self.feeds: dict[str, FeedState] = {}
        self.pages: dict[str, bytes] = {}  # path → page, for the pages of the newest publications
        self.counts: dict[str, int] = {}
        self.cpu_mark = 0.0
        self.lock = threading.Lock()

    def count(self, what: str) -> None:
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def _build_pages(self, feed: str, first: int, last: int) -> None:
        """Pages of copies first..last-1 of `feed`, ready to serve; older publications are let
        go (every reader has read them by the next publication)."""
        self.pages = {path: page for path, page in self.pages.items() if not path.startswith(f"/a/{feed}/")}
        for copy in range(first, last):
            entry = Entry(feed, copy)
            self.pages[entry.path] = page_html(entry)

    def page(self, feed: str, copy: int) -> bytes:
        entry = Entry(feed, copy)
        with self.lock:
            ready = self.pages.get(entry.path)
        return ready if ready is not None else page_html(entry)

    def control(self, action: str, query: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            if action == "publish":  # set or advance feeds whose name starts with `prefix`
                names = [query["feed"]] if "feed" in query else \
                    [f"{query['prefix']}{i}" for i in range(int(query["count"]))]
                for name in names:
                    state = self.feeds.setdefault(name, FeedState())
                    before = state.published
                    state.window = int(query.get("window", state.window))
                    state.published = int(query["to"]) if "to" in query else \
                        state.published + int(query.get("add", "0"))
                    if len(names) == 1:  # a feed whose pages are read (many feeds: only polled)
                        self._build_pages(name, before, state.published)
                return {"feeds": len(names)}
            if action == "stats":  # requests and CPU seconds since the last reset
                cpu = sum(os.times()[:2])
                stats = dict(self.counts, cpu_seconds=round(cpu - self.cpu_mark, 2))
                if query.get("reset"):
                    self.counts.clear()
                    self.cpu_mark = cpu
                return stats
        raise KeyError(action)


def make_handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: clients reuse their connections
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path.startswith("/_control/"):
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                self._send(200, json.dumps(site.control(parts.path[10:], query)).encode(),
                           "application/json")
            elif match := _FEED.match(parts.path):
                self._feed(match.group(1))
            elif match := _PAGE.match(parts.path):
                site.count("page")
                self._send(200, site.page(match.group(1), int(match.group(2))), "text/html; charset=utf-8")
            else:
                self._send(404, b"not found", "text/plain")

        def _feed(self, name: str) -> None:
            with site.lock:
                state = site.feeds.get(name)
                snapshot = None if state is None else FeedState(state.published, state.window)
            if snapshot is None:
                self._send(404, b"no such feed", "text/plain")
                return
            headers = {"ETag": snapshot.etag, "Last-Modified": snapshot.last_modified}
            if self.headers.get("If-None-Match") == snapshot.etag or (
                    "If-None-Match" not in self.headers
                    and self.headers.get("If-Modified-Since") == snapshot.last_modified):
                site.count("feed_304")
                self._send(304, b"", None, headers)
                return
            site.count("feed_200")
            base = f"http://{self.headers.get('Host')}"
            first = max(0, snapshot.published - snapshot.window)
            self._send(200, feed_xml(base, name, first, snapshot.published),
                       "application/rss+xml; charset=utf-8", headers)

        def _send(self, status: int, body: bytes, content_type: str | None,
                  headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

    return Handler


def _serve(ready: Any) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(Site()))
    server.daemon_threads = True
    ready.put(server.server_address[1])
    server.serve_forever()


class SiteProcess:
    """The site running in a child process; `control` publishes entries and reads counters."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        ready = context.Queue()
        self.process = context.Process(target=_serve, args=(ready,), daemon=True, name="bench-site")
        self.process.start()
        self.base = f"http://127.0.0.1:{ready.get(timeout=30)}"
        self.client = httpx.Client(base_url=self.base, timeout=30)

    def control(self, action: str, **query: Any) -> dict[str, Any]:
        response = self.client.get(f"/_control/{action}", params={k: str(v) for k, v in query.items()})
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def feed_url(self, name: str) -> str:
        return f"{self.base}/feed/{name}.xml"

    def close(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.join(timeout=10)
