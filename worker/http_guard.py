"""The HTTP transport under every fetch: addresses checked where the socket connects, and politeness.

Checking a host's addresses before a request is not enough: DNS can answer differently a moment
later (DNS rebinding). So the transport resolves the host itself, checks every address against the
fetch's policy and connects to the address it checked. It also keeps at most PER_HOST requests open
to one host at a time and, after a 429 or 503 with Retry-After, asks that host nothing until then.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpcore
import httpx

from worker.db import utcnow
from worker.errors import FetchError

PER_HOST = 2  # requests open at once to one host, per process
HOST_WAIT = 60.0  # seconds a request waits for its turn at a busy host before giving up
MAX_RETRY_AFTER = timedelta(days=1)
# Cloud metadata services: never fetched for a link found in a feed, whatever the watchlist allows
METADATA = {ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200",
                                               "fd00:ec2::254")}


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses a fetch may connect to. `trusted_host` (a watchlist feed's host) may be any."""

    allow_private: bool = False
    trusted_host: str | None = None


current_policy: ContextVar[AddressPolicy | None] = ContextVar("current_policy", default=None)


class RateLimited(FetchError):
    """The host asked us (Retry-After) to come back later."""

    def __init__(self, message: str, until: datetime) -> None:
        super().__init__(message)
        self.until = until


def refusal(host: str, address: str, policy: AddressPolicy) -> str | None:
    """Why `host` at `address` may not be fetched under `policy`, or None when it may."""
    if host == policy.trusted_host:
        return None
    ip = ipaddress.ip_address(address.split("%")[0])
    ip = getattr(ip, "ipv4_mapped", None) or ip
    if ip in METADATA:
        return f"{host} resolves to {ip}, a cloud metadata address, which is never fetched"
    if not policy.allow_private and (not ip.is_global or ip.is_multicast):
        return (f"{host} resolves to the non-public address {ip}; set allow_private_addresses: "
                "true to allow it")
    return None


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve {host} ({exc.strerror})") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def checked_addresses(host: str, port: int, policy: AddressPolicy) -> list[str]:
    """The addresses of `host`, or FetchError when any of them is refused."""
    addresses = resolve(host, port)
    for address in addresses:
        reason = refusal(host, address, policy)
        if reason is not None:
            raise FetchError(reason)
    return addresses


class CheckedBackend(httpcore.NetworkBackend):
    """Connects only to addresses it resolved and checked itself against the current policy."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        failure: Exception | None = None
        policy = current_policy.get() or AddressPolicy()  # outside fetch_url: the strictest
        for address in checked_addresses(host, port, policy):
            try:
                return self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"no address for {host}")

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise FetchError("unix sockets are never fetched")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class HostGate:
    """At most `per_host` requests open to one host; hosts that asked for a pause are left alone."""

    def __init__(self, per_host: int = PER_HOST, wait: float = HOST_WAIT) -> None:
        self._per_host, self._wait = per_host, wait
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._paused: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def enter(self, host: str) -> None:
        with self._lock:
            until = self._paused.get(host)
            slot = self._slots.setdefault(host, threading.BoundedSemaphore(self._per_host))
        if until is not None and until > utcnow():
            raise RateLimited(f"{host} asked to be left alone until {until.isoformat(timespec='seconds')} "
                              "(Retry-After); not asked again before then", until)
        if not slot.acquire(timeout=self._wait):
            raise FetchError(f"{host}: waited {self._wait:.0f} s for a free connection, gave up")

    def leave(self, host: str) -> None:
        self._slots[host].release()

    def pause(self, host: str, until: datetime) -> None:
        with self._lock:
            self._paused[host] = max(until, self._paused.get(host, until))


def retry_after(headers: httpx.Headers) -> datetime | None:
    """When a Retry-After header (seconds or an HTTP date) says to come back, capped at a day."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    now = utcnow()
    try:
        until = now + timedelta(seconds=max(float(value), 0))
    except ValueError:
        try:
            until = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return min(until, now + MAX_RETRY_AFTER)


class _ReleasingStream(httpx.SyncByteStream):
    """A response body that gives its host's slot back when it is closed."""

    def __init__(self, inner: httpx.SyncByteStream, release: Any) -> None:
        self._inner, self._release, self._released = inner, release, False

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            if not self._released:
                self._released = True
                self._release()


class GuardedTransport(httpx.HTTPTransport):
    """HTTP with addresses checked at connect time and per-host politeness; no proxies."""

    def __init__(self, gate: HostGate, max_connections: int = 20) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), max_connections=max_connections,
            network_backend=CheckedBackend())
        self._gate = gate

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        self._gate.enter(host)
        try:
            response = super().handle_request(request)
        except BaseException:
            self._gate.leave(host)
            raise
        until = retry_after(response.headers) if response.status_code in (429, 503) else None
        if until is not None:
            self._gate.pause(host, until)
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(response.status_code, headers=response.headers,
                              stream=_ReleasingStream(response.stream, lambda: self._gate.leave(host)),
                              extensions=response.extensions)
