"""Bytes of a page, feed or file, within limits: size, time, redirects, schemes and addresses.

Feeds in the watchlist are trusted (the operator wrote them), as are links to their own host; any
other link is refused when it resolves to a private, loopback, link-local or reserved address,
checked before each request and after every redirect, and again where the socket connects
(`worker/http_guard.py`), unless the watchlist allows private addresses. Cloud metadata addresses
are refused for such links even then.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from worker import __version__
from worker.errors import FetchError
from worker.http_guard import (
    AddressPolicy,
    GuardedTransport,
    HostGate,
    RateLimited,
    checked_addresses,
    current_policy,
    retry_after,
)

USER_AGENT = f"claimwatch/{__version__} (+https://github.com/claimwatch/claimwatch)"
MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
MAX_SECONDS = 60.0  # a whole fetch, however steadily the server drips bytes
TIMEOUT = httpx.Timeout(20.0, connect=5.0)
_WBITS = {"gzip": 31, "x-gzip": 31, "deflate": 15}  # zlib window bits: gzip header, zlib header


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for one fetch. `trusted_host` is the host whose addresses are never refused."""

    allow_private: bool = False
    trusted_host: str | None = None
    max_bytes: int = MAX_BYTES
    max_seconds: float = MAX_SECONDS

    @property
    def addresses(self) -> AddressPolicy:
        return AddressPolicy(self.allow_private, self.trusted_host)


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def make_client(gate: HostGate | None = None) -> httpx.Client:
    """One HTTP client per process: connection reuse matters when polling many feeds."""
    return httpx.Client(timeout=TIMEOUT, transport=GuardedTransport(gate or HostGate()),
                        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
                        follow_redirects=False, trust_env=False)


def fetch_url(client: httpx.Client, url: str, policy: FetchPolicy,
              conditional: dict[str, str] | None = None) -> Fetched:
    """GET `url`, following at most MAX_REDIRECTS redirects, each hop checked against `policy`."""
    headers = dict(conditional or {})
    deadline = time.monotonic() + policy.max_seconds
    token = current_policy.set(policy.addresses)
    try:
        for _ in range(MAX_REDIRECTS + 1):
            check_address(url, policy)
            try:
                with client.stream("GET", url, headers=headers) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    _refuse_status(response, url)
                    content = _read_limited(response, policy, url, deadline)
                    response_headers = {k.lower(): v for k, v in response.headers.items()}
            except httpx.HTTPError as exc:
                raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from None
            except RateLimited:
                raise
            except FetchError as exc:  # from the body's limits or the connect-time address check
                raise FetchError(f"{url}: {exc}") from None
            return Fetched(url=url, status=response.status_code, content=content, headers=response_headers)
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")
    finally:
        current_policy.reset(token)


def _refuse_status(response: httpx.Response, url: str) -> None:
    if response.status_code < 400:
        return
    until = retry_after(response.headers) if response.status_code in (429, 503) else None
    if until is not None:
        raise RateLimited(f"{url}: HTTP {response.status_code}, asked to come back after "
                          f"{until.isoformat(timespec='seconds')}", until)
    raise FetchError(f"HTTP {response.status_code}")


def _read_limited(response: httpx.Response, policy: FetchPolicy, url: str, deadline: float) -> bytes:
    """The body, decompressed as it comes, refused past `max_bytes` (after decompression: no
    gzip bomb gets through) or past the deadline (an endless or dripping response)."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "", *_WBITS):
        raise FetchError(f"content encoding {encoding!r} is not supported")
    decoder = zlib.decompressobj(_WBITS[encoding]) if encoding in _WBITS else None
    chunks: list[bytes] = []
    size = 0
    for raw in response.iter_raw():
        if time.monotonic() > deadline:
            raise FetchError(f"took longer than {policy.max_seconds:.0f} s, not read further")
        chunk = _inflate(decoder, raw, policy.max_bytes - size + 1) if decoder else raw
        size += len(chunk)
        if size > policy.max_bytes:
            raise FetchError(f"larger than {policy.max_bytes // 1024} KB, not read further")
        chunks.append(chunk)
    return b"".join(chunks)


def _inflate(decoder: zlib._Decompress, raw: bytes, room: int) -> bytes:
    """Decompress `raw` but never produce more than `room` bytes (the rest would be over the limit)."""
    try:
        return decoder.decompress(raw, room)
    except zlib.error as exc:
        raise FetchError(f"the compressed body is corrupt ({exc})") from None


def check_address(url: str, policy: FetchPolicy) -> None:
    """Refuse schemes other than http(s), and private addresses for untrusted hosts."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{url}: only http and https URLs are fetched")
    if parts.hostname == policy.trusted_host:
        return  # any address of it may be fetched: no need to resolve it before each request
    try:
        checked_addresses(parts.hostname, parts.port or 443, policy.addresses)
    except FetchError as exc:
        raise FetchError(f"{url}: {exc}") from None


def read_file(path: Path, max_bytes: int = MAX_BYTES) -> bytes:
    """Bytes of a seed file, refusing files larger than `max_bytes`."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise FetchError(f"{path}: larger than {max_bytes // 1024} KB, not read")
        return path.read_bytes()
    except OSError as exc:
        raise FetchError(f"{path}: cannot read ({exc.strerror})") from None
