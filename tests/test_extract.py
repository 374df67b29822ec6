"""Articles from pages and files read alike: same body, paragraphs apart, no repeated headline."""

from __future__ import annotations

from pathlib import Path

import pytest

from worker.errors import ExtractError
from worker.extract import article_from_file, article_from_page

PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><title>Floods hit the valley | Daily Test</title>
<meta property="og:title" content="Floods hit the valley">
<meta property="article:published_time" content="2024-05-02T08:00:00+00:00"></head>
<body><nav><a href="/">Home</a> | <a href="/world">World</a></nav>
<main><article><h1>Floods hit the valley</h1>
<p>Rescuers reached the last cut-off villages of the valley on Thursday after days of rain.</p>
<p>The regional governor said 41 people had died and another 300 were missing.</p>
</article></main><footer>&copy; 2024 Daily Test</footer></body></html>"""

TEXT = """---
title: Floods hit the valley
date: 2024-05-02
---
Rescuers reached the last cut-off villages of the valley on Thursday after days of rain.

The regional governor said 41 people had died and another 300 were missing.
"""


def test_page_body_has_paragraphs_and_no_headline() -> None:
    article = article_from_page(PAGE, "https://news.example/floods", "k", "feed")
    assert article is not None
    assert article.title == "Floods hit the valley"
    assert article.text.split("\n\n") == [
        "Rescuers reached the last cut-off villages of the valley on Thursday after days of rain.",
        "The regional governor said 41 people had died and another 300 were missing."]
    assert article.published is not None and article.published.isoformat().startswith("2024-05-02")


def test_page_and_text_file_give_the_same_body(tmp_path: Path) -> None:
    path = tmp_path / "floods.md"
    path.write_text(TEXT, encoding="utf-8")
    from_file = article_from_file(path, path.read_bytes(), "k")
    from_page = article_from_page(PAGE, None, "k", "feed")
    assert from_page is not None and from_page.text == from_file.text


def test_text_file_without_front_matter_takes_its_first_line_as_title(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_text("Floods hit the valley\n\nThe governor said 41 people had died.\n", encoding="utf-8")
    article = article_from_file(path, path.read_bytes(), "k")
    assert article.title == "Floods hit the valley"
    assert article.text == "The governor said 41 people had died."


def test_front_matter_with_an_unquoted_colon_is_read_as_plain_lines(tmp_path: Path) -> None:
    path = tmp_path / "colon.md"
    path.write_text("---\ntitle: Floods: the toll rises\ndate: 2024-05-03\n---\n"
                    "The governor said 44 had died.\n", encoding="utf-8")
    article = article_from_file(path, path.read_bytes(), "k")
    assert article.title == "Floods: the toll rises"
    assert article.published is not None and article.published.day == 3


def test_broken_front_matter_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.md"
    path.write_text("---\ntitle: Floods\n- tags: [a, b\n---\nText.\n", encoding="utf-8")
    with pytest.raises(ExtractError, match=r"broken.md:\d+: front matter is not valid YAML"):
        article_from_file(path, path.read_bytes(), "k")
