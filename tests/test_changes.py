"""Change semantics, one case a line: (standing value, qualifier), (new value, qualifier) → verdict."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from worker.changes import Figure, Verdict, judge, standing_claims
from worker.claims import Claim

DAY1, DAY2 = datetime(2024, 8, 12, tzinfo=UTC), datetime(2024, 8, 13, tzinfo=UTC)

CASES = [
    # standing         new               verdict
    ((82, "exact"), (80, "min"), Verdict.CONSISTENT),  # "more than 80" after 82 agrees
    ((80, "min"), (92, "exact"), Verdict.CHANGE),  # 92 after "more than 80" is news
    ((80, "min"), (80, "exact"), Verdict.CONSISTENT),  # same number: nothing to alert
    ((231, "exact"), (100, "min"), Verdict.CONSISTENT),
    ((231, "exact"), (130, "exact"), Verdict.CHANGE),  # a fall is a change too
    ((1000, "exact"), (1050, "approx"), Verdict.CONSISTENT),  # within 10% of "about 1,050"
    ((1000, "exact"), (1150, "approx"), Verdict.CHANGE),
    ((3, "exact"), (5, "max"), Verdict.CONSISTENT),  # "up to 5" admits 3
    ((6, "exact"), (5, "max"), Verdict.CHANGE),
    ((2000, "min"), (2000, "exact"), Verdict.CONSISTENT),
]


@pytest.mark.parametrize(("old", "new", "verdict"), CASES)
def test_change_or_not(old: tuple[float, str], new: tuple[float, str], verdict: Verdict) -> None:
    assert judge(Figure(old[0], old[1], DAY1), Figure(new[0], new[1], DAY2)) is verdict


def test_first_figure_of_a_series_is_not_a_change() -> None:
    assert judge(None, Figure(74, "exact", DAY1)) is Verdict.FIRST


def test_figure_dated_before_the_standing_one_is_history() -> None:
    assert judge(Figure(82, "exact", DAY2), Figure(74, "exact", DAY1)) is Verdict.OLDER


def test_undated_figures_compare_by_value() -> None:
    assert judge(Figure(80, "min", None), Figure(92, "exact", DAY1)) is Verdict.CHANGE


def claim(value: float, qualifier: str, **flags: object) -> Claim:
    return Claim(region="Kursk", metric="settlements", value=value, unit="count",
                 qualifier=qualifier, kind=flags.pop("kind", "total"), actor="Ukraine",  # type: ignore[arg-type]
                 sentence="s", **flags)  # type: ignore[arg-type]


def test_most_precise_total_stands_for_the_article() -> None:
    chosen = standing_claims([claim(400, "min"), claim(443, "exact"), claim(450, "approx")])
    assert [c.value for c in chosen.values()] == [443]


def test_tightest_bound_stands_when_no_exact_figure() -> None:
    chosen = standing_claims([claim(400, "min"), claim(500, "min")])
    assert [c.value for c in chosen.values()] == [500]


def test_deltas_restated_and_forecast_figures_never_stand() -> None:
    chosen = standing_claims([claim(40, "exact", kind="delta"), claim(74, "exact", restated=True),
                              claim(90, "exact", forecast=True)])
    assert chosen == {}
