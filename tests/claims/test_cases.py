"""The data-driven cases of tests/fixtures/claim_cases.yaml, one test each."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from worker.article import Article
from worker.claims import Claim, find_claims
from worker.watchlist import Watchlist

CASES_FILE = Path(__file__).parents[1] / "fixtures" / "claim_cases.yaml"
DATA = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
WATCHLISTS = {name: Watchlist.model_validate(body) for name, body in DATA["watchlists"].items()}


def same_value(a: float, b: float) -> bool:
    return abs(a - b) <= max(0.05, 0.01 * max(abs(a), abs(b)))


def matches(claim: Claim, want: dict[str, Any]) -> bool:
    if (claim.region, claim.metric) != (want["region"], want["metric"]):
        return False
    return same_value(claim.value, float(want["value"]))


def article_for(case: dict[str, Any]) -> Article:
    day = case.get("date", date(2024, 6, 1))
    published = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    return Article(key=case["name"], title=case.get("title", ""), text=case["text"],
                   published=published)


@pytest.mark.parametrize("case", DATA["cases"], ids=[c["name"] for c in DATA["cases"]])
def test_case(case: dict[str, Any]) -> None:
    claims = find_claims(article_for(case), WATCHLISTS[case["watchlist"]])
    remaining = list(claims)
    for want in case["claims"]:
        found = next((c for c in remaining if matches(c, want)), None)
        assert found is not None, f"missing {want}; found {claims}"
        remaining.remove(found)
        for key, value in want.items():
            if key in ("region", "metric", "value"):
                continue
            got = getattr(found, key)
            assert got == value, f"{key}: got {got!r}, want {value!r} in {found}"
    assert not remaining, f"unexpected claims: {remaining}"
