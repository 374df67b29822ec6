"""Real deliveries on 127.0.0.1: json:// and form:// to an HTTP receiver, mailto:// to an SMTP server,
and the `deliveries`, `deliveries retry` and `notify-test` commands as an operator runs them."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from tests.conftest import MailBox, Receiver, free_port
from tests.helpers import make_context, record_change
from tests.test_cli import claimwatch
from worker import pipeline
from worker.db import DeliveryRecord, make_engine, session_scope
from worker.store import enqueue_deliveries
from worker.watchlist import Watchlist

HOSTILE = "@everyone **92** settlements [win](https://evil.example) in Kursk"


def queue_hostile_change(engine: Engine, watchlist: Watchlist) -> None:
    from worker import notify
    from worker.db import ChangeRecord

    change_id = record_change(engine, sentence=HOSTILE)
    with session_scope(engine) as session:
        record = session.get_one(ChangeRecord, change_id)
        enqueue_deliveries(session.connection(), [(change_id, k) for k in notify.route(record, watchlist.notify)])


@pytest.mark.parametrize("scheme", ["json", "form"])
def test_webhooks_get_plain_text_with_title_and_escaped_quote(
        scheme: str, make_watchlist: Callable[..., Watchlist], engine: Engine, receiver: Receiver) -> None:
    watchlist = make_watchlist(notify=[{"url": receiver.url(scheme)}])
    queue_hostile_change(engine, watchlist)
    assert pipeline.deliver(make_context(watchlist, engine)) == 1
    [payload] = receiver.received
    assert payload["title"] == "Kursk · settlements · Ukraine: 82 → 92 (+10, +12%)"
    assert "**92** settlements" in payload["message"] and "@everyone" not in payload["message"]
    assert "Test Wire, 2024-08-20: https://news.example/kursk" in payload["message"]


def test_markdown_targets_get_markdown_with_article_text_escaped(
        make_watchlist: Callable[..., Watchlist], engine: Engine, receiver: Receiver) -> None:
    watchlist = make_watchlist(notify=[{"url": receiver.url(), "format": "markdown"}])
    queue_hostile_change(engine, watchlist)
    pipeline.deliver(make_context(watchlist, engine))
    message = receiver.received[0]["message"]
    assert "[Test Wire](https://news.example/kursk)" in message
    assert r"\*\*92\*\*" in message and r"\[win\]" in message and "@everyone" not in message


def test_email_gets_plain_text_through_a_real_smtp_server(
        make_watchlist: Callable[..., Watchlist], engine: Engine, mailbox: MailBox) -> None:
    watchlist = make_watchlist(notify=[{"url": mailbox.url()}])
    queue_hostile_change(engine, watchlist)
    assert pipeline.deliver(make_context(watchlist, engine)) == 1
    [mail] = mailbox.messages
    assert mail["Subject"] == "Kursk · settlements · Ukraine: 82 → 92 (+10, +12%)"
    assert mail["To"].endswith("ops@example.com")
    body = mail.get_body(preferencelist=("plain", "html")).get_content()
    assert "**92** settlements" in body and "@everyone" not in body and "Before: 82" in body


def test_templates_shape_the_message(
        make_watchlist: Callable[..., Watchlist], engine: Engine, receiver: Receiver) -> None:
    watchlist = make_watchlist(notify=[{
        "url": receiver.url(), "title_template": "{{ alert.region }} now {{ alert.new.figure }}",
        "body_template": "{% for a in alerts %}{{ a.metric }} {{ a.difference }}: {{ a.new.url }}{% endfor %}"}])
    queue_hostile_change(engine, watchlist)
    pipeline.deliver(make_context(watchlist, engine))
    assert receiver.received[0]["title"] == "Kursk now 92"
    assert receiver.received[0]["message"] == "settlements +10, +12%: https://news.example/kursk"


def test_secrets_never_reach_the_outbox_the_log_or_the_commands(
        write_watchlist: Callable[..., Path], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    secret = "tok3nS3cretValue"
    (tmp_path / "hook.secret").write_text(f"json://bot:{secret}@127.0.0.1:{free_port()}/{secret}\n")
    config = write_watchlist(notify=[{"url": f"${{file:{tmp_path / 'hook.secret'}}}", "name": "ops"}])
    from worker.watchlist import load_watchlist

    watchlist = load_watchlist(config)
    assert secret in watchlist.notify[0].url  # read from the file
    engine = make_engine(f"sqlite:///{tmp_path / 'claimwatch.db'}")
    from worker.db import create_schema

    create_schema(engine)
    queue_hostile_change(engine, watchlist)
    with caplog.at_level(logging.INFO):
        assert pipeline.deliver(make_context(watchlist, engine)) == 0  # nothing listens on that port
    with session_scope(engine) as session:
        error = session.exec(select(DeliveryRecord)).one().last_error
    assert error and "did not accept" in error
    listing = claimwatch("deliveries", "--config", str(config), cwd=tmp_path)
    test = claimwatch("notify-test", "--config", str(config), cwd=tmp_path)
    check = claimwatch("check-config", "--config", str(config), cwd=tmp_path)
    assert test.returncode == 1 and "refused" in test.stdout and listing.returncode == 0
    for text in (error, caplog.text, listing.stdout, listing.stderr, test.stdout, test.stderr, check.stdout):
        assert secret not in text


def test_deliveries_lists_failures_and_retry_sends_them_once(
        write_watchlist: Callable[..., Path], tmp_path: Path, receiver: Receiver) -> None:
    config = write_watchlist(notify=[{"url": receiver.url(), "name": "ops-room"}])
    from worker.db import create_schema
    from worker.watchlist import load_watchlist

    watchlist = load_watchlist(config)
    engine = make_engine(f"sqlite:///{tmp_path / 'claimwatch.db'}")
    create_schema(engine)
    queue_hostile_change(engine, watchlist)
    with session_scope(engine) as session:
        row = session.exec(select(DeliveryRecord)).one()
        row.status, row.attempts, row.last_error = "failed", 10, "HTTP 500"
        session.add(row)
    listing = claimwatch("deliveries", "--config", str(config), "--json", cwd=tmp_path)
    [entry] = [json.loads(line) for line in listing.stdout.splitlines()]
    assert entry["status"] == "failed" and entry["target"] == "ops-room" and entry["last_error"] == "HTTP 500"
    assert entry["alert"].startswith("Kursk · settlements · Ukraine: 82 → 92")
    retry = claimwatch("deliveries", "retry", "--config", str(config), cwd=tmp_path)
    assert retry.returncode == 0, retry.stderr
    assert "1 failed alert(s) queued again; 1 alert(s) sent" in retry.stderr
    assert len(receiver.received) == 1
    again = claimwatch("deliveries", "retry", "--config", str(config), cwd=tmp_path)
    assert "0 failed alert(s) queued again; 0 alert(s) sent" in again.stderr and len(receiver.received) == 1
    empty = claimwatch("deliveries", "--config", str(config), "--json", cwd=tmp_path)
    assert empty.stdout == ""


def test_notify_test_says_which_targets_accepted(
        write_watchlist: Callable[..., Path], tmp_path: Path, receiver: Receiver, mailbox: MailBox) -> None:
    config = write_watchlist(notify=[{"url": receiver.url(), "name": "hook"},
                                     {"url": mailbox.url(), "name": "mail"},
                                     {"url": f"json://127.0.0.1:{free_port()}/x", "name": "down"}])
    result = claimwatch("notify-test", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("accepted hook") for line in lines)
    assert any(line.startswith("accepted mail") for line in lines)
    assert any(line.startswith("refused") and "down" in line for line in lines)
    assert len(receiver.received) == 1 and len(mailbox.messages) == 1
    one = claimwatch("notify-test", "hook", "--config", str(config), cwd=tmp_path)
    assert one.returncode == 0 and len(receiver.received) == 2 and len(mailbox.messages) == 1
    unknown = claimwatch("notify-test", "nosuch", "--config", str(config), cwd=tmp_path)
    assert unknown.returncode == 2 and "hook, mail, down" in unknown.stderr
