"""Bytes of a page, feed or file, within limits: size, time, redirects, schemes and addresses.

Feeds in the watchlist are trusted (the operator wrote them), as are links to their own host; any
other link is refused when it resolves to a private, loopback, link-local or reserved address,
checked after DNS and again after every redirect, unless the watchlist allows private addresses.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from worker import __version__
from worker.errors import FetchError

USER_AGENT = f"claimwatch/{__version__} (+https://github.com/claimwatch/claimwatch)"
MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
TIMEOUT = httpx.Timeout(20.0, connect=5.0)


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for one fetch. `trusted_host` is the host whose addresses are never refused."""

    allow_private: bool = False
    trusted_host: str | None = None
    max_bytes: int = MAX_BYTES


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def make_client() -> httpx.Client:
    """One HTTP client per process: connection reuse matters when polling many feeds."""
    return httpx.Client(timeout=TIMEOUT, headers={"User-Agent": USER_AGENT},
                        follow_redirects=False, limits=httpx.Limits(max_connections=20))


def fetch_url(client: httpx.Client, url: str, policy: FetchPolicy,
              conditional: dict[str, str] | None = None) -> Fetched:
    """GET `url`, following at most MAX_REDIRECTS redirects, each hop checked against `policy`."""
    headers = dict(conditional or {})
    for _ in range(MAX_REDIRECTS + 1):
        check_address(url, policy)
        try:
            with client.stream("GET", url, headers=headers) as response:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                content = _read_limited(response, policy.max_bytes, url)
                status = response.status_code
                response_headers = {k.lower(): v for k, v in response.headers.items()}
        except httpx.HTTPError as exc:
            raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from None
        if status >= 400:
            raise FetchError(f"{url}: HTTP {status}")
        return Fetched(url=url, status=status, content=content, headers=response_headers)
    raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")


def _read_limited(response: httpx.Response, max_bytes: int, url: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"{url}: larger than {max_bytes // 1024} KB, not read further")
        chunks.append(chunk)
    return b"".join(chunks)


def check_address(url: str, policy: FetchPolicy) -> None:
    """Refuse schemes other than http(s), and private addresses for untrusted hosts."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{url}: only http and https URLs are fetched")
    if policy.allow_private or parts.hostname == policy.trusted_host:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise FetchError(f"{url}: cannot resolve {parts.hostname} ({exc.strerror})") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise FetchError(f"{url}: {parts.hostname} resolves to the non-public address "
                             f"{address}; set allow_private_addresses: true to allow it")


def read_file(path: Path, max_bytes: int = MAX_BYTES) -> bytes:
    """Bytes of a seed file, refusing files larger than `max_bytes`."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise FetchError(f"{path}: larger than {max_bytes // 1024} KB, not read")
        return path.read_bytes()
    except OSError as exc:
        raise FetchError(f"{path}: cannot read ({exc.strerror})") from None
