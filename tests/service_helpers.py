"""Helpers for queue tests: real `celery worker` processes on a real broker, stopped by pid.

Each test run has a queue name and a Redis key prefix of its own, so tests of other people on the
same Redis never see its messages, and only its own keys are deleted afterwards.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from celery import Celery
from sqlalchemy import Engine
from sqlmodel import select
from werkzeug import Request, Response

from tests.helpers import FeedSite
from worker.db import ItemRecord, session_scope

REPO = Path(__file__).parents[1]
REDIS_DB = 11  # the queue tests' own database number on the machine's Redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
    """Poll until `condition()` is truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


@dataclass
class Broker:
    """A queue and key prefix of this test run's own on a Redis server."""

    url: str
    queue: str = field(default_factory=lambda: f"cwtest-{uuid.uuid4().hex[:10]}")

    @property
    def prefix(self) -> str:
        return f"{self.queue}:"

    def env(self) -> dict[str, str]:
        return {"CELERY_BROKER_URL": self.url, "CLAIMWATCH_QUEUE": self.queue,
                "CLAIMWATCH_BROKER_PREFIX": self.prefix, "CLAIMWATCH_VISIBILITY_TIMEOUT": "6"}

    def send(self, task: str, *args: Any) -> None:
        """Send a task by name, as beat would."""
        client = Celery(broker=self.url, broker_transport_options={"global_keyprefix": self.prefix})
        try:
            client.send_task(task, args=args, queue=self.queue)
        finally:
            client.close()

    def delete_keys(self) -> None:
        client = redis.Redis.from_url(self.url)
        keys = list(client.scan_iter(match=f"{self.prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


@dataclass
class Worker:
    """A `celery worker` process (with beat inside when asked), its output in a log file."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def ask_to_stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once: a machine that dies."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM); SIGKILL if it does not end within 20 s."""
        self.ask_to_stop()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # pool or beat processes left behind
        self.process.wait(timeout=10)


def start_worker(tmp_path: Path, name: str, env: dict[str, str], beat: bool = False,
                 concurrency: int = 2) -> Worker:
    log = tmp_path / f"{name}.log"
    args = [sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker", "-n", f"{name}@%h",
            "--concurrency", str(concurrency), "--loglevel", "INFO",
            "--without-mingle"]  # saves a second at start: there is no state to sync with
    if beat:
        args += ["--beat", "--schedule", str(tmp_path / f"{name}-beat")]
    with log.open("wb") as out:
        process = subprocess.Popen(args, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True,
                                   env={**os.environ, "PYTHONPATH": str(REPO), **env})
    worker = Worker(name, process, log)
    wait_for(lambda: "ready." in worker.output() or process.poll() is not None, 60, f"{name} to start")
    assert process.poll() is None, worker.output()
    return worker


def items_done(engine: Engine) -> list[ItemRecord]:
    with session_scope(engine) as session:
        return list(session.exec(select(ItemRecord).where(ItemRecord.status == "done")))


class GatedSite(FeedSite):
    """A FeedSite whose feed can fail, be slow or be held, whose pages in `held_pages` wait for
    `release`, and which counts feed requests in flight at once."""

    feed_status: int = 200
    feed_delay: float = 0.0
    hold_feed: bool = False  # the feed answers only once `release` is set
    in_flight: int = 0
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self.held_pages: set[str] = set()
        self.waiting: list[str] = []
        self.release = threading.Event()
        self.feed_times: list[float] = []
        self._lock = threading.Lock()
        super().__post_init__()

    def _feed(self, request: Request) -> Response:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.feed_times.append(time.monotonic())
        try:
            if self.hold_feed:
                self.waiting.append(request.path)
                self.release.wait(timeout=60)
            time.sleep(self.feed_delay)
            if self.feed_status != 200:
                return Response("down", status=self.feed_status)
            return super()._feed(request)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _page(self, request: Request) -> Response:
        if request.path in self.held_pages:
            self.waiting.append(request.path)
            self.release.wait(timeout=60)
        return super()._page(request)


class PostgresProxy:
    """A TCP proxy on 127.0.0.1 to PostgreSQL that the test can take down and bring back."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        """Refuse new connections and cut the open ones, as a database restart does."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self._sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
