"""Message text: the title form, bodies in Markdown and plain text, escaping, templates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from worker.message import (
    Alert,
    Side,
    alert_title,
    escape,
    format_difference,
    format_message,
    safe_link,
)


def side(value: float, qualifier: str = "exact", sentence: str = "They control 92 settlements.",
         outlet: str | None = "Test Wire", url: str | None = "https://news.example/a",
         day: int = 20) -> Side:
    return Side(value, qualifier, sentence, "Kursk update", outlet, url, datetime(2024, 8, day, tzinfo=UTC))


ALERT = Alert("Kursk", "settlements", "Ukraine", side(82, sentence="They control 82 settlements.",
                                                      url="https://old.example/b", day=15),
              side(92), False)


@pytest.mark.parametrize(("old", "new", "expected"), [
    (82, 92, "+10, +12%"), (231, 130, "-101, -44%"), (1000, 1005, "+5, +0.5%"), (0, 4, "+4"),
    (1150, 1150.5, "+0.5, +0.04%"),
])
def test_difference_in_units_and_percent(old: float, new: float, expected: str) -> None:
    assert format_difference(old, new) == expected


def test_title_names_series_figures_and_difference() -> None:
    assert alert_title(ALERT) == "Kursk · settlements · Ukraine: 82 → 92 (+10, +12%)"
    qualified = replace(ALERT, old=replace(ALERT.old, value=80, qualifier="min"))
    assert alert_title(qualified) == "Kursk · settlements · Ukraine: more than 80 → 92 (+12, +15%)"
    fall = replace(ALERT, new=replace(ALERT.new, value=1150), old=replace(ALERT.old, value=1200),
                   revision=True, actor=None)
    assert alert_title(fall) == "Kursk · settlements: 1,200 → 1,150 (-50, -4.2%, revised down)"


@pytest.mark.parametrize("markdown", [False, True])
def test_body_quotes_new_sentence_with_source_and_the_previous_figure(markdown: bool) -> None:
    body = format_message([ALERT], markdown).body
    assert "They control 92 settlements" in body and "They control 82 settlements" in body
    assert "Test Wire" in body and "https://news.example/a" in body
    assert "2024-08-15" in body and "https://old.example/b" in body
    assert body.index("92 settlements") < body.index("Before") < body.index("82 settlements")
    assert ("[Test Wire](https://news.example/a)" in body) is markdown
    assert ("> They control 92" in body) is markdown


def test_digest_title_counts_the_rest() -> None:
    message = format_message([ALERT, ALERT, ALERT], markdown=False)
    assert message.title.endswith("(+2 more)") and message.body.count("Before:") == 3


@pytest.mark.parametrize("hostile", ["@everyone look", "<@123456> look", "<!channel> look", "@here look"])
@pytest.mark.parametrize("markdown", [False, True])
def test_mentions_in_article_text_cannot_ping(hostile: str, markdown: bool) -> None:
    alert = replace(ALERT, new=replace(ALERT.new, sentence=hostile, outlet=hostile))
    body = format_message([alert], markdown).body
    for mention in ("@everyone", "<@1", "<!channel", "@here"):
        assert mention not in body


def test_markdown_in_article_text_is_shown_not_rendered() -> None:
    sentence = "**Breaking** [click](https://evil.example) # Heading\n\n> fake quote"
    alert = replace(ALERT, new=replace(ALERT.new, sentence=sentence, outlet="[Wire](javascript:alert(1))"))
    body = format_message([alert], markdown=True).body
    assert "**Breaking**" not in body and "[click](" not in body and "\n> fake" not in body
    assert r"\*\*Breaking\*\*" in body
    assert "](javascript" not in body


def test_article_text_is_one_line_without_control_characters_and_bounded() -> None:
    hostile = "first line\nBefore: 1 → 2\u202e\x00" + "x" * 5000
    text = escape(hostile, markdown=False)
    assert "\n" not in text and "\u202e" not in text and "\x00" not in text and len(text) <= 400


@pytest.mark.parametrize(("url", "expected"), [
    ("javascript:alert(1)", None), ("file:///etc/passwd", None), ("data:text/html,x", None),
    ("https://a.example/x y)(z", "https://a.example/x%20y%29%28z"), (None, None),
])
def test_only_http_links_and_encoded(url: str | None, expected: str | None) -> None:
    assert safe_link(url) == expected


def test_templates_see_escaped_fields() -> None:
    alert = replace(ALERT, new=replace(ALERT.new, sentence="@everyone 92 *villages*"))
    message = format_message([alert], True, "{{ alert.region }}: {{ alert.new.figure }} ({{ count }})",
                             "{% for a in alerts %}{{ a.new.sentence }} — {{ a.difference }}{% endfor %}")
    assert message.title == "Kursk: 92 (1)"
    assert "@everyone" not in message.body and r"\*villages\*" in message.body and "+10" in message.body
