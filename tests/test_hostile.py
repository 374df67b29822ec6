"""Hostile input in a real scan: each bad item gets a readable error, the rest of the scan goes on."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from tests.helpers import Site, body, endless, make_context
from worker import pipeline, sources
from worker.db import FeedRecord, ItemRecord, session_scope, utcnow
from worker.http_guard import RateLimited
from worker.watchlist import Feed, Watchlist

GOOD = "<html><body><article><h1>Kursk</h1><p>Ukraine's General Staff said on Tuesday that its " \
       "forces now control 92 settlements in the Kursk region, up from earlier counts.</p>" \
       "<p>Fighting continued along the whole front line in the region.</p></article></body></html>"
LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;">]>
<rss version="2.0"><channel><title>&d;</title><item><title>&d;</title><link>http://x.example/</link></item>
</channel></rss>"""
EXTERNAL = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>t</title><item><title>&xxe;</title><description>&xxe;</description>
</item></channel></rss>"""


def rss(links: list[str]) -> bytes:
    items = "".join(f"<item><title>story {i}</title><link>{link}</link><guid>g{i}</guid></item>"
                    for i, link in enumerate(links))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


@pytest.fixture
def hostile_site() -> Iterator[Site]:
    site = Site()
    cyrillic = GOOD.replace("</p>", " Курська область.</p>", 1)
    site.routes.update({
        "/good": body(GOOD.encode()),
        "/cp1251": body(cyrillic.encode("cp1251"), Content_Type="text/html; charset=windows-1251"),
        "/notext": body(b"<html><body><nav><a href='/'>Home</a></nav></body></html>"),
        "/binary": body(bytes(range(256)) * 400, Content_Type="text/html"),
        "/big": body(b"<p>" + b"x" * (50 * 1024 * 1024)),
        "/endless": endless(b"<p>more</p>" * 5000),
        "/laughs.xml": body(LAUGHS, Content_Type="application/rss+xml"),
        "/xxe.xml": body(EXTERNAL, Content_Type="application/rss+xml"),
    })
    links = [site.url(p) for p in ("/good", "/cp1251", "/notext", "/binary", "/big", "/endless")]
    links += [site.url("/good", host="localhost"), "http://169.254.169.254/latest/meta-data/",
              "file:///etc/passwd"]
    site.routes["/feed.xml"] = body(rss(links), Content_Type="application/rss+xml")
    yield site
    site.server.shutdown()
    site.server.server_close()


def test_hostile_documents_fail_one_by_one(make_watchlist: Callable[..., Watchlist], engine: Engine,
                                           hostile_site: Site) -> None:
    feeds = [{"url": hostile_site.url(p)} for p in ("/feed.xml", "/laughs.xml", "/xxe.xml")]
    watchlist = make_watchlist(feeds=feeds, allow_private_addresses=False)
    report = pipeline.run_once(make_context(watchlist, engine))
    with session_scope(engine) as session:
        errors = {i.key.rpartition("#")[2]: i.error for i in session.exec(select(ItemRecord))}
        feed_errors = {f.url: f.last_error for f in session.exec(select(FeedRecord))}
    url = hostile_site.url
    expected = {  # by the entry's guid, in the order of the feed
        "g2": "no article text in the feed entry, and the page holds no article text",
        "g3": "binary content served as a page",
        "g4": "larger than 5120 KB",
        "g5": "larger than 5120 KB",
        "g6": "localhost resolves to the non-public address",
        "g7": "cloud metadata address",
        "g8": "only http and https",
    }
    for guid, reason in expected.items():
        assert reason in (errors[guid] or ""), (guid, errors[guid])
    assert errors["g0"] is None and errors["g1"] is None
    found = [(o.article.url, c.value) for o in report.outcomes if o.article for c in o.claims]
    assert (url("/good"), 92) in found and (url("/cp1251"), 92) in found
    assert "declares XML entities" in (feed_errors[url("/laughs.xml")] or "")
    assert "declares XML entities" in (feed_errors[url("/xxe.xml")] or "")


def test_a_feed_of_ten_thousand_entries_is_read_in_part_and_quickly(
        make_watchlist: Callable[..., Watchlist], engine: Engine, site: Site) -> None:
    site.routes["/huge.xml"] = body(rss([f"http://news.example/{i}" for i in range(10_000)]),
                                    Content_Type="application/rss+xml")
    watchlist = make_watchlist(feeds=[{"url": site.url("/huge.xml")}])
    started = time.monotonic()
    added = pipeline.poll_feed(make_context(watchlist, engine), Feed(url=site.url("/huge.xml")))
    assert added == sources.MAX_FEED_ENTRIES and time.monotonic() - started < 30


def test_a_seed_file_in_another_encoding_is_read_and_a_binary_one_is_refused(
        make_watchlist: Callable[..., Watchlist], engine: Engine) -> None:
    watchlist = make_watchlist()
    folder = Path(str(watchlist.seeds))
    (folder / "latin1.txt").write_bytes("Kursk — café\n\nUkraine's General Staff said its forces "
                                        "control 92 settlements in the Kursk region.".encode("cp1252"))
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(2000))
    report = pipeline.run_once(make_context(watchlist, engine))
    errors = [o.error for o in report.outcomes if o.error]
    assert len(errors) == 1 and "image.txt: binary file, not an article" in errors[0]
    assert [c.value for o in report.outcomes for c in o.claims if c.metric == "settlements"] == [92]


def test_a_feed_answering_retry_after_is_not_polled_before_then(
        make_watchlist: Callable[..., Watchlist], engine: Engine, site: Site) -> None:
    site.routes["/busy.xml"] = body(b"later", status=503, Retry_After="600")
    feed = Feed(url=site.url("/busy.xml"), every=timedelta(seconds=30))
    with pytest.raises(RateLimited):
        pipeline.poll_feed(make_context(make_watchlist(), engine), feed)
    with session_scope(engine) as session:
        record = session.get_one(FeedRecord, feed.url)
    assert record.next_due_at is not None and record.next_due_at - utcnow() > timedelta(seconds=590)
    assert "HTTP 503, asked to come back after" in (record.last_error or "")
