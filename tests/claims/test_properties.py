"""Property tests: claim finding never raises, is deterministic, and numbers round-trip."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from worker.article import Article
from worker.claims import find_claims
from worker.claims.numbers import find_numbers, format_number, parse_words
from worker.watchlist import Watchlist

WATCHLIST = Watchlist.model_validate({
    "regions": [{"name": "Eastmark", "aliases": ["Eastmark Oblast"]},
                {"name": "Brightwater", "within": "Eastmark"}],
    "actors": [{"name": "Blueland", "aliases": ["Kovar"]}],
})
WORDS = st.sampled_from([
    "Eastmark", "Brightwater's", "Kovar", "said", "killed", "at least", "more than", "over",
    "square km", "km", "acres", "hectares", "(", ")", ",", ".", "\n", "\n\n", "another", "and",
    "1,150", "1 150", "2.5 million", "eighty-two", "a hundred", "between", "to", "-", "1-3",
    "On 12 August", "Aug.", "Saturday", "today", "villages", "attacks", "missing", "$", "%",
    "2-1/2", "1,000s", "the city", "including", "expected to rise to", "previous report",
])


def article(text: str, title: str = "") -> Article:
    return Article(key="k", title=title, text=text, published=datetime(2024, 8, 20, tzinfo=UTC))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400), st.text(max_size=80))
def test_never_raises_on_any_text(text: str, title: str) -> None:
    assert isinstance(find_claims(article(text, title), WATCHLIST), list)


@settings(max_examples=300)
@given(st.lists(WORDS, max_size=60), st.lists(st.integers(0, 10**7), max_size=5))
def test_never_raises_on_claim_like_text(words: list[str], numbers: list[int]) -> None:
    text = " ".join(words + [str(n) for n in numbers])
    first = find_claims(article(text), WATCHLIST)
    assert first == find_claims(article(text), WATCHLIST)  # deterministic
    for claim in first:
        assert claim.value > 0 and claim.region in ("Eastmark", "Brightwater")


@given(st.integers(0, 10**9), st.sampled_from(["comma", "space", "plain"]))
def test_digits_round_trip(value: int, style: str) -> None:
    text = f"about {format_number(value, style)} people"
    found = find_numbers(text)
    assert [n.value for n in found] == [value]


@given(st.integers(1, 999_999))
def test_words_round_trip(value: int) -> None:
    written = format_number(value, "words")
    assert parse_words(written) == value
    assert [n.value for n in find_numbers(f"some {written} people")] == [value]
