"""Benchmark (not a test): claim finding next to trafilatura's extraction of the same page.

    PYTHONPATH=. python tests/claims/bench_find_claims.py [ARTICLES_FOLDER ...]

Each article file (front matter + text; the held-out fixtures by default) is wrapped in an HTML
page with the usual navigation, sidebar and footer; trafilatura extracts it, then find_claims
reads the extracted article. Prints the median time per article of each and their ratio.
"""

from __future__ import annotations

import html
import statistics
import sys
import time
from pathlib import Path

import trafilatura

from worker.claims import find_claims
from worker.extract import article_from_file
from worker.watchlist import Watchlist, load_watchlist

HERE = Path(__file__).parents[1] / "fixtures" / "articles"
# What surrounds an article on a typical news page: menus, teasers, scripts, a footer. Real pages
# are larger still (often 100-300 KB); this keeps the comparison on the conservative side.
MENU = "".join(f"<li><a href='/section/{i}'>Section {i}</a></li>" for i in range(60))
TEASERS = "".join(
    f"<div class='teaser'><a href='/news/{i}'><img src='/img/{i}.jpg' alt='Teaser {i}'>"
    f"<h3>Related story number {i} about the region</h3></a><p>A short summary of related story "
    f"{i}, with a few words of context for the reader.</p><span class='date'>2 hours ago</span>"
    "</div>" for i in range(20))
SCRIPT = "<script>window.dataLayer = window.dataLayer || [];" + "var x = 1;" * 800 + "</script>"
FOOTER = "".join(f"<a href='/about/{i}'>Link {i}</a> " for i in range(40))


def page(title: str, text: str) -> str:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
    return (f"<html><head><title>{html.escape(title)}</title>{SCRIPT}</head><body>"
            f"<header><nav><ul>{MENU}</ul></nav></header><main><article>"
            f"<h1>{html.escape(title)}</h1><div class='byline'>By Staff</div>{paragraphs}"
            f"<div class='share'>Share this article</div></article><section class='related'>"
            f"{TEASERS}</section></main><aside><ul>{MENU}</ul></aside>"
            f"<footer>{FOOTER}<p>Copyright. All rights reserved.</p></footer></body></html>")


def best_of(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def bench(folder: Path, watchlist: Watchlist) -> tuple[list[float], list[float], int]:
    extract_times, claim_times, size = [], [], 0
    for path in sorted(folder.glob("*.txt")):
        source = article_from_file(path, path.read_bytes(), path.name)
        document = page(source.title, source.text)
        size += len(source.text)
        extract_times.append(best_of(lambda d=document: trafilatura.extract(d), 5))
        find_claims(source, watchlist)  # the first call compiles the watchlist's matcher
        claim_times.append(best_of(lambda a=source: find_claims(a, watchlist), 20))
    return extract_times, claim_times, size


def main(folders: list[Path]) -> None:
    for folder in folders:
        config = folder / "watchlist.yaml"
        watchlist = load_watchlist(config if config.exists() else HERE / "watchlist.yaml")
        articles = folder / "articles" if (folder / "articles").is_dir() else folder
        extract, claims, size = bench(articles, watchlist)
        e, c = statistics.median(extract), statistics.median(claims)
        print(f"{folder}: {len(claims)} articles, {size / len(claims) / 1000:.1f} KB of text each "
              f"(pages of about {len(page('t', 'x' * (size // len(claims)))) // 1000} KB)")
        print(f"  trafilatura.extract  median {e * 1000:.2f} ms")
        print(f"  find_claims          median {c * 1000:.3f} ms (max {max(claims) * 1000:.3f} ms)")
        print(f"  ratio                {c / e:.1%}")


if __name__ == "__main__":
    main([Path(a) for a in sys.argv[1:]] or [HERE])
