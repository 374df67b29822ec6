"""The whole path on real files, a real feed site on 127.0.0.1 and a real notification receiver."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine
from sqlmodel import select

from tests.conftest import Receiver
from tests.helpers import FeedSite, Story, make_context
from worker import pipeline
from worker.db import ChangeRecord, ClaimRecord, DeliveryRecord, ItemRecord, session_scope
from worker.watchlist import Watchlist

REPO = Path(__file__).parents[1]
LATER_ARTICLE = """---
title: Kyiv says its troops hold 92 villages in Kursk
date: 2024-08-20
outlet: Test Wire
url: https://news.example/kursk-92
---
Ukraine's General Staff said on Tuesday that its forces now control 92 settlements in the Kursk region.
"""


def seed_folder(watchlist: Watchlist) -> Path:
    assert watchlist.seeds is not None
    return Path(watchlist.seeds)


def test_seed_article_then_a_later_one_alerts_once(
        make_watchlist: Callable[..., Watchlist], engine: Engine, receiver: Receiver) -> None:
    watchlist = make_watchlist(notify=[{"url": receiver.url()}])
    shutil.copy(REPO / "seeds" / "kursk_reuters_2024-08-17.txt", seed_folder(watchlist))
    ctx = make_context(watchlist, engine)

    first = pipeline.run_once(ctx)
    found = {(c.region, c.metric, c.value, c.qualifier) for c in first.outcomes[0].claims}
    assert ("Kursk", "settlements", 80, "min") in found
    assert first.changes == [] and receiver.received == []

    (seed_folder(watchlist) / "later.md").write_text(LATER_ARTICLE, encoding="utf-8")
    second = pipeline.run_once(ctx)
    assert len(second.changes) == 1
    assert len(receiver.received) == 1
    title = receiver.received[0]["title"]
    assert title.startswith("Kursk · settlements · Ukraine: more than 80 → 92")
    assert "92 settlements" in receiver.received[0]["message"]
    assert "news.example/kursk-92" in receiver.received[0]["message"]

    third = pipeline.run_once(ctx)
    assert third.outcomes == [] and len(receiver.received) == 1


def test_scanning_twice_stores_nothing_twice(make_watchlist: Callable[..., Watchlist], engine: Engine) -> None:
    watchlist = make_watchlist()
    shutil.copy(REPO / "seeds" / "kursk_reuters_2024-08-17.txt", seed_folder(watchlist))
    ctx = make_context(watchlist, engine)
    pipeline.run_once(ctx)
    pipeline.run_once(ctx)
    with session_scope(engine) as session:
        assert len(session.exec(select(ItemRecord)).all()) == 1
        claims = session.exec(select(ClaimRecord)).all()
    assert len(claims) == len({(c.region, c.metric, c.value) for c in claims}) > 0


def test_edited_seed_file_is_read_again(make_watchlist: Callable[..., Watchlist], engine: Engine) -> None:
    watchlist = make_watchlist()
    path = seed_folder(watchlist) / "note.md"
    path.write_text(LATER_ARTICLE, encoding="utf-8")
    ctx = make_context(watchlist, engine)
    assert len(pipeline.run_once(ctx).outcomes) == 1
    path.write_text(LATER_ARTICLE.replace("92 settlements", "95 settlements"), encoding="utf-8")
    again = pipeline.run_once(ctx)
    assert len(again.outcomes) == 1 and len(again.changes) == 1


def test_without_targets_alerts_go_to_the_console(make_watchlist: Callable[..., Watchlist], engine: Engine) -> None:
    watchlist = make_watchlist()
    echoed: list[str] = []
    ctx = make_context(watchlist, engine, echoed)
    folder = seed_folder(watchlist)
    shutil.copy(REPO / "seeds" / "kursk_reuters_2024-08-17.txt", folder)
    pipeline.run_once(ctx)
    (folder / "later.md").write_text(LATER_ARTICLE, encoding="utf-8")
    pipeline.run_once(ctx)
    assert len(echoed) == 1 and "more than 80 → 92" in echoed[0]


def test_a_bad_seed_file_is_recorded_and_the_rest_goes_on(
        make_watchlist: Callable[..., Watchlist], engine: Engine) -> None:
    watchlist = make_watchlist()
    folder = seed_folder(watchlist)
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02 not text")
    (folder / "later.md").write_text(LATER_ARTICLE, encoding="utf-8")
    report = pipeline.run_once(make_context(watchlist, engine))
    errors = [o.error for o in report.outcomes if o.error]
    assert len(errors) == 1 and "binary" in errors[0]
    assert sum(len(o.claims) for o in report.outcomes) >= 1
    assert pipeline.run_once(make_context(watchlist, engine)).outcomes == []  # not retried forever


def test_feed_entries_are_fetched_once_with_conditional_get(
        make_watchlist: Callable[..., Watchlist], engine: Engine, httpserver: HTTPServer,
        receiver: Receiver) -> None:
    site = FeedSite(httpserver)
    site.stories.append(Story("s1", "Kursk update", "Ukraine's General Staff said its forces control "
                              "74 settlements in the Kursk region.", datetime(2024, 8, 13, 12, tzinfo=UTC)))
    watchlist = make_watchlist(feeds=[{"url": site.feed_url, "every": "30s"}], allow_private_addresses=True,
                               notify=[{"url": receiver.url()}])
    ctx = make_context(watchlist, engine)
    first = pipeline.run_once(ctx)
    assert [c.value for o in first.outcomes for c in o.claims if c.metric == "settlements"] == [74]

    idle = pipeline.run_once(ctx)
    assert idle.outcomes == [] and site.feed_requests[-1].get("If-None-Match") == '"v1"'
    assert site.page_requests == ["/a/s1"]

    site.stories.append(Story("s2", "Kursk: 82 settlements", "Ukraine's General Staff said on Thursday "
                              "that its forces now control 82 settlements in the Kursk region.",
                              datetime(2024, 8, 15, 12, tzinfo=UTC), page=False))
    third = pipeline.run_once(ctx)
    assert len(third.changes) == 1 and third.changes[0].new_value == 82  # from the feed summary
    assert len(receiver.received) == 1 and site.page_requests == ["/a/s1", "/a/s2"]


def test_failed_delivery_is_kept_and_sent_on_the_next_scan(
        make_watchlist: Callable[..., Watchlist], engine: Engine, receiver: Receiver) -> None:
    watchlist = make_watchlist(notify=[{"url": receiver.url()}])
    folder = seed_folder(watchlist)
    shutil.copy(REPO / "seeds" / "kursk_reuters_2024-08-17.txt", folder)
    ctx = make_context(watchlist, engine)
    pipeline.run_once(ctx)
    receiver.fail_next = 1
    (folder / "later.md").write_text(LATER_ARTICLE, encoding="utf-8")
    assert pipeline.run_once(ctx).alerts_sent == 0
    with session_scope(engine) as session:
        row = session.exec(select(DeliveryRecord)).one()
        assert row.status == "pending" and row.attempts == 1 and row.last_error
    assert pipeline.run_once(ctx).alerts_sent == 1
    assert pipeline.run_once(ctx).alerts_sent == 0
    assert len(receiver.received) == 1
    with session_scope(engine) as session:
        assert len(session.exec(select(ChangeRecord)).all()) == 1


@pytest.mark.parametrize("order", [["late", "early"]])
def test_an_article_scanned_late_does_not_alert_as_newest(
        make_watchlist: Callable[..., Watchlist], engine: Engine, order: list[str]) -> None:
    watchlist = make_watchlist()
    folder = seed_folder(watchlist)
    echoed: list[str] = []
    ctx = make_context(watchlist, engine, echoed)
    texts = {"late": LATER_ARTICLE, "early": LATER_ARTICLE.replace("2024-08-20", "2024-08-14")
             .replace("92 settlements", "74 settlements")}
    for name in order:
        (folder / f"{name}.md").write_text(texts[name], encoding="utf-8")
        pipeline.run_once(ctx)
    assert echoed == []
