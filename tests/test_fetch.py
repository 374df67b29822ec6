"""Fetching from a real HTTP server on 127.0.0.1: limits, compression, addresses, politeness."""

from __future__ import annotations

import gzip
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.helpers import Route, Site, body, endless, redirect
from worker.db import utcnow
from worker.errors import FetchError
from worker.fetch import MAX_BYTES, USER_AGENT, FetchPolicy, fetch_url, make_client
from worker.http_guard import HostGate, RateLimited

TRUSTED = FetchPolicy(trusted_host="127.0.0.1")


def test_user_agent_names_the_project_and_gzip_is_decoded(site: Site) -> None:
    page = b"<html><body><p>Kursk</p></body></html>" * 100
    site.routes["/gz"] = body(gzip.compress(page), Content_Encoding="gzip")
    fetched = fetch_url(make_client(), site.url("/gz"), TRUSTED)
    assert fetched.content == page
    headers = site.requests[0][1]
    assert headers["User-Agent"] == USER_AGENT and "claimwatch" in USER_AGENT
    assert "gzip" in headers["Accept-Encoding"]


@pytest.mark.parametrize("route", [
    pytest.param(lambda: body(b"x" * (50 * 1024 * 1024)), id="50 MB page"),
    pytest.param(lambda: body(gzip.compress(b"\0" * (50 * 1024 * 1024)), Content_Encoding="gzip"),
                 id="gzip bomb"),
    pytest.param(lambda: endless(b"y" * 65536), id="endless chunked"),
])
def test_big_bodies_stop_at_the_limit_with_memory_bounded(site: Site, route: Callable[[], Route]) -> None:
    site.routes["/big"] = route()
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match=r"/big: larger than 5120 KB, not read further"):
            fetch_url(make_client(), site.url("/big"), TRUSTED)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * MAX_BYTES


def test_a_dripping_response_stops_at_the_total_time(site: Site) -> None:
    site.routes["/drip"] = endless(b"z", pause=0.05)
    started = time.monotonic()
    with pytest.raises(FetchError, match="took longer than 1 s"):
        fetch_url(make_client(), site.url("/drip"), FetchPolicy(trusted_host="127.0.0.1", max_seconds=1))
    assert time.monotonic() - started < 10


def test_at_most_five_redirects(site: Site) -> None:
    for hop in range(6):
        site.routes[f"/r{hop}"] = redirect(f"/r{hop + 1}")
    site.routes["/r5"] = body(b"<p>arrived</p>")
    assert fetch_url(make_client(), site.url("/r0"), TRUSTED).content == b"<p>arrived</p>"
    site.routes["/r5"] = redirect("/r6")
    site.routes["/r6"] = body(b"<p>too far</p>")
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch_url(make_client(), site.url("/r0"), TRUSTED)


@pytest.mark.parametrize(("url", "policy", "reason"), [
    ("http://localhost:{port}/page", FetchPolicy(trusted_host="127.0.0.1"), "non-public address"),
    ("http://127.0.0.2:{port}/page", FetchPolicy(trusted_host="127.0.0.1"), "non-public address 127.0.0.2"),
    ("http://[::ffff:127.0.0.1]:{port}/page", FetchPolicy(trusted_host="127.0.0.1"), "non-public"),
    ("http://169.254.169.254/latest/meta-data/", FetchPolicy(allow_private=True), "metadata address"),
    ("file:///etc/passwd", FetchPolicy(allow_private=True), "only http and https"),
    ("ftp://127.0.0.1/x", FetchPolicy(allow_private=True), "only http and https"),
])
def test_links_to_private_metadata_or_other_schemes_are_refused(
        site: Site, url: str, policy: FetchPolicy, reason: str) -> None:
    site.routes["/page"] = body(b"<p>internal</p>")
    with pytest.raises(FetchError, match=reason):
        fetch_url(make_client(), url.format(port=site.port), policy)
    assert site.requests == []


def test_a_redirect_to_a_private_host_is_refused_after_the_hop(site: Site) -> None:
    site.routes["/out"] = redirect(site.url("/secret", host="localhost"))
    site.routes["/secret"] = body(b"<p>internal</p>")
    with pytest.raises(FetchError, match="localhost resolves to the non-public address"):
        fetch_url(make_client(), site.url("/out"), TRUSTED)
    assert [path for path, _ in site.requests] == ["/out"]


def test_dns_rebinding_is_caught_where_the_socket_connects(
        site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """The name resolves to a public address when checked, then to loopback: never connected."""
    site.routes["/page"] = body(b"<p>internal</p>")
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34"])

    def rebinding(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.test":
            return real(host, port, *args, **kwargs)
        address = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with pytest.raises(FetchError, match="rebind.test resolves to the non-public address 127.0.0.1"):
        fetch_url(make_client(), f"http://rebind.test:{site.port}/page", FetchPolicy())
    assert site.requests == []


def test_at_most_two_requests_at_once_to_one_host(site: Site) -> None:
    def slow(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(0.3)
        body(b"<p>ok</p>")(handler)

    site.routes["/slow"] = slow
    client = make_client()
    threads = [threading.Thread(target=fetch_url, args=(client, site.url("/slow"), TRUSTED)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(site.requests) == 6 and site.most_open == 2


def test_retry_after_is_honoured_without_asking_again(site: Site) -> None:
    site.routes["/busy"] = body(b"slow down", status=429, Retry_After="120")
    client = make_client(HostGate())
    with pytest.raises(RateLimited) as first:
        fetch_url(client, site.url("/busy"), TRUSTED)
    assert timedelta(seconds=100) < first.value.until - utcnow() <= timedelta(seconds=120)
    with pytest.raises(RateLimited, match="asked to be left alone until"):
        fetch_url(client, site.url("/busy"), TRUSTED)
    assert len(site.requests) == 1
