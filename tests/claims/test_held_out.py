"""Whole articles written for these tests (other events than the dev corpus), scored like the
evaluation: every labelled claim found, nothing else, and qualifier, kind and actor agreeing."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pytest

from worker.article import Article
from worker.claims import Claim, find_claims
from worker.extract import article_from_file, article_from_page
from worker.watchlist import load_watchlist

FOLDER = Path(__file__).parents[1] / "fixtures" / "articles"


def same(claim: Claim, gold: dict[str, Any]) -> bool:
    a, b = claim.value, float(gold["value"])
    whole = float(a).is_integer() and b.is_integer()
    close = abs(a - b) <= max(0.5 if whole else 0.05, 0.01 * max(abs(a), abs(b)))
    return (claim.region, claim.metric) == (gold["region"], gold["metric"]) and close


def as_page(article: Article) -> Article:
    """The article as a web page would deliver it: HTML with a menu, read by trafilatura."""
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in article.text.split("\n") if p.strip())
    menu = "".join(f"<li><a href='/s/{i}'>Section {i}</a></li>" for i in range(12))
    page = (f"<html><head><title>{html.escape(article.title)}</title></head><body><nav><ul>{menu}"
            f"</ul></nav><article><h1>{html.escape(article.title)}</h1>{paragraphs}</article>"
            "<footer>All rights reserved.</footer></body></html>")
    read = article_from_page(page.encode(), url="https://example.org/a.html", key=article.key,
                             source="feed")
    assert read is not None
    return Article(read.key, read.title, read.text, read.url, article.published, read.outlet)


@pytest.mark.parametrize("via_page", [False, True], ids=["file", "page"])
def test_held_out_articles(via_page: bool) -> None:
    watchlist = load_watchlist(FOLDER / "watchlist.yaml")
    gold = [json.loads(line) for line in (FOLDER / "expected.jsonl").read_text().splitlines()]
    problems: list[str] = []
    for path in sorted(FOLDER.glob("*.txt")):
        article = article_from_file(path, path.read_bytes(), path.name)
        if via_page:
            article = as_page(article)
        wanted = [g for g in gold if g["file"] == path.name]
        for claim in find_claims(article, watchlist):
            match = next((g for g in wanted if same(claim, g)), None)
            if match is None:
                problems.append(f"extra {path.name}: {claim}")
                continue
            wanted.remove(match)
            for key in ("qualifier", "kind", "actor"):
                if not match.get("optional") and getattr(claim, key) != match[key]:
                    problems.append(f"{key} {path.name}: {claim} vs {match[key]}")
        problems += [f"missed {path.name}: {g}" for g in wanted if not g.get("optional")]
    assert not problems, "\n".join(problems)
