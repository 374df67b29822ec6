"""Shared fixtures: real databases (SQLite and PostgreSQL), a real HTTP site, a real receiver."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, create_engine, text

from tests.helpers import Site
from worker.db import create_schema, make_engine
from worker.watchlist import Watchlist, load_watchlist

FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_SERVER = os.environ.get("CLAIMWATCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_schema_url(schema: str) -> str:
    return f"{POSTGRES_SERVER}?options=-csearch_path%3D{schema}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a schema of this test's own, dropped afterwards."""
    schema = f"cw_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_SERVER)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # the machine's PostgreSQL is part of the test environment
        pytest.fail(f"PostgreSQL at {POSTGRES_SERVER} is not reachable: {exc}")
    yield _postgres_schema_url(schema)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'claimwatch.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def open_engine(url: str) -> Iterator[Engine]:
    """An engine on a database brought to the newest schema, disposed of afterwards."""
    engine = make_engine(url)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    yield from open_engine(database_url)


@pytest.fixture
def write_watchlist(tmp_path: Path) -> Callable[..., Path]:
    """Write a watchlist: the repository's regions and actors plus the given keys."""
    base = yaml.safe_load((Path(__file__).parents[1] / "config" / "watchlist.yaml").read_text())

    def write(**overrides: Any) -> Path:
        data = {**base, "seeds": str(tmp_path / "seeds"),
                "database": f"sqlite:///{tmp_path / 'claimwatch.db'}", **overrides}
        (tmp_path / "seeds").mkdir(exist_ok=True)
        path = tmp_path / "watchlist.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path

    return write


@pytest.fixture
def make_watchlist(write_watchlist: Callable[..., Path]) -> Callable[..., Watchlist]:
    return lambda **overrides: load_watchlist(write_watchlist(**overrides))


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records what Apprise's json:// and form:// POST to it."""

    port: int
    received: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0  # answer 500 to this many requests first (a target that is down)

    def url(self, scheme: str = "json", path: str = "notify") -> str:
        return f"{scheme}://127.0.0.1:{self.port}/{path}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(port=0)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if state.fail_next > 0:
                state.fail_next -= 1
                self.send_response(500)
                self.end_headers()
                return
            try:
                payload = json.loads(raw or b"{}")
            except ValueError:
                from urllib.parse import parse_qs
                payload = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            state.received.append(payload)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class MailBox:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts."""

    port: int
    messages: list[Any] = field(default_factory=list)

    def url(self, to: str = "ops@example.com") -> str:
        return f"mailto://127.0.0.1:{self.port}?to={to}&from=claimwatch@example.com"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def mailbox() -> Iterator[MailBox]:
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    box = MailBox(port=free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            box.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def site() -> Iterator[Site]:
    """A raw HTTP site on 127.0.0.1: set `routes[path]` to a handler."""
    s = Site()
    yield s
    s.server.shutdown()
    s.server.server_close()
