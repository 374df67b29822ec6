"""Measured code runs in child processes of its own: a clean interpreter, its own peak RSS.

A `Child` builds one object in a fresh (spawned) process and calls its methods on request, so
several contenders can take turns on the same input, round after round, side by side in time.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import traceback
from multiprocessing.connection import Connection
from typing import Any


class ChildError(RuntimeError):
    """The child raised; the message carries its traceback."""


def _serve(conn: Connection, factory: Any, args: tuple[Any, ...]) -> None:
    try:
        target = factory(*args)
    except Exception:
        conn.send(("error", traceback.format_exc()))
        return
    conn.send(("ok", None))
    while (request := conn.recv()) is not None:
        name, call_args = request
        try:
            conn.send(("ok", getattr(target, name)(*call_args)))
        except Exception:
            conn.send(("error", traceback.format_exc()))
    close = getattr(target, "close", None)
    if close is not None:
        close()


class Child:
    def __init__(self, factory: Any, *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, theirs = context.Pipe()
        # Not a daemon: a child may start worker processes of its own.
        self.process = context.Process(target=_serve, args=(theirs, factory, args),
                                       name=f"bench-{getattr(factory, '__name__', 'child')}")
        self.process.start()
        self._answer()

    def call(self, name: str, *args: Any) -> Any:
        self.conn.send((name, args))
        return self._answer()

    def _answer(self) -> Any:
        if not self.conn.poll(3600):
            raise ChildError(f"{self.process.name} did not answer within an hour")
        status, value = self.conn.recv()
        if status == "error":
            raise ChildError(f"{self.process.name} failed:\n{value}")
        return value

    def close(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(OSError):
                self.conn.send(None)
            self.process.join(timeout=60)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=10)
        self.conn.close()

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
