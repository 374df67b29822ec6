from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from worker.errors import ConfigError
from worker.watchlist import load_watchlist, parse_interval

REPO = Path(__file__).parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "w.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_repository_watchlist_is_valid() -> None:
    watchlist = load_watchlist(REPO / "config" / "watchlist.yaml")
    assert [r.name for r in watchlist.regions] == ["Kursk", "Donetsk", "Pokrovsk", "Toretsk"]
    assert watchlist.region("Pokrovsk").within == "Donetsk"
    assert {a.name for a in watchlist.actors} == {"Ukraine", "Russia"}


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("15m", 900), ("2h", 7200), (45, 45), ("1d", 86400)])
def test_intervals_parse(text: object, seconds: int) -> None:
    assert parse_interval(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(("body", "expected"), [
    ("regions:\n  - name: Kursk\n    colour: red\n", ["w.yaml:3", "regions[0].colour", "unknown key"]),
    ("regions:\n  - name: Kursk\nfeeds:\n  - url: https://a.example/rss\n    every: soon\n",
     ["w.yaml:5", "feeds[0].every", "not an interval"]),
    ("regions:\n  - name: Kursk\nmetrics: [settlements, rainfall]\n", ["metrics", "unknown metric 'rainfall'"]),
    ("regions:\n  - name: Kursk\n    aliases: [Kursk Oblast]\n  - name: Oblast\n    aliases: [kursk oblast]\n",
     ["used by both regions"]),
    ("regions:\n  - name: Pokrovsk\n    within: Donetsk\n", ["not a region of this watchlist"]),
    ("regions:\n  - name: Kursk\nnotify:\n  - url: nosuchscheme://x\n", ["w.yaml:4", "notify[0].url", "Apprise"]),
    ("regions:\n  - name: Kursk\nnotify:\n  - url: json://127.0.0.1/x\n    min_change: lots\n",
     ["notify[0].min_change", "percentage"]),
    ("regions: [\n", ["w.yaml:", "not valid YAML"]),
    ("- just a list\n", ["must be a mapping"]),
    ("actors: []\n", ["regions", "required key is missing"]),
    ("regions: Kursk\n", ["w.yaml:1", "regions", "valid tuple"]),
    ("regions:\n  - name: Kursk\nallow_private_addresses: sometimes\n", ["w.yaml:3", "allow_private_addresses"]),
    ("regions:\n  - name: Kursk\nseeds_every: 5 minutes\n", ["seeds_every", "not an interval"]),
    ("regions:\n  - name: Kursk\nnotify:\n  - url: json://127.0.0.1/x\n    body_template: |\n      ok\n"
     "      {{ alert.region }\n", ["w.yaml:5", "notify[0].body_template", "template error on its line 2"]),
    ("regions:\n  - name: Kursk\nnotify:\n  - url: json://127.0.0.1/x\n    title_template: '{{ alert.nope }}'\n",
     ["w.yaml:5", "notify[0].title_template", "cannot be rendered", "nope"]),
    ("regions:\n  - name: Kursk\nnotify:\n  - url: json://127.0.0.1/x\n    quiet_hours: nights\n",
     ["notify[0].quiet_hours", "HH:MM-HH:MM"]),
    ("regions:\n  - name: Kursk\nnotify:\n  - url: json://127.0.0.1/x\n    timezone: Mars/Olympus\n",
     ["notify[0].timezone", "unknown time zone"]),
    ("regions:\n  - name: Kursk\nnotify:\n  - url: json://127.0.0.1/x\n    digest: weekly\n",
     ["notify[0].digest", "not an interval"]),
    ("regions:\n  - name: Kursk\nnotify:\n  - url: json://127.0.0.1/x\n    format: html\n",
     ["notify[0].format", "'markdown'"]),
    ("regions:\n  - name: Kursk\nnotify:\n  - url: json://127.0.0.1/x\n    regions: [Kurks]\n",
     ["w.yaml:5", "notify[0].regions", "'Kurks' is not one of the watchlist's regions"]),
    ("regions:\n  - name: Kursk\nnotify:\n  - url: json://127.0.0.1/x\n    metrics: [rainfall]\n",
     ["notify[0].metrics", "'rainfall'"]),
    ("regions:\n  - name: Kursk\nnotify:\n  - {url: 'json://127.0.0.1/x', name: ops}\n"
     "  - {url: 'json://127.0.0.1/y', name: ops}\n", ["w.yaml:5", "notify[1].name", "already named 'ops'"]),
    ("regions:\n  - name: Kursk\nactors:\n  - {name: Ukraine, aliases: [Kyiv]}\n  - {name: Russia, aliases: [kyiv]}\n",
     ["used by both actors"]),
])
def test_bad_watchlist_names_file_line_and_key(tmp_path: Path, body: str, expected: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        load_watchlist(write(tmp_path, body))
    for fragment in expected:
        assert fragment in str(info.value)


def test_environment_variables_are_interpolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CW_TEST_URL", "json://127.0.0.1:9/hook")
    watchlist = load_watchlist(write(tmp_path, "regions: [{name: Kursk}]\nnotify:\n  - url: ${CW_TEST_URL}\n"))
    assert watchlist.notify[0].url == "json://127.0.0.1:9/hook"


def test_missing_environment_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CW_TEST_UNSET", raising=False)
    with pytest.raises(ConfigError, match=r"w.yaml:3: notify\[0\].url uses \$\{CW_TEST_UNSET\}"):
        load_watchlist(write(tmp_path, "regions: [{name: Kursk}]\nnotify:\n  - url: ${CW_TEST_UNSET}\n"))


def test_missing_file_says_how_to_point_at_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--config"):
        load_watchlist(tmp_path / "absent.yaml")


def test_custom_metric_joins_the_catalogue(tmp_path: Path) -> None:
    watchlist = load_watchlist(write(tmp_path, "regions: [{name: Kursk}]\nmetrics:\n  - killed\n"
                                               "  - {name: boats_sunk, unit: count, words: [boats sunk]}\n"))
    assert watchlist.metric_units == {"killed": "people", "boats_sunk": "count"}


def test_secrets_can_come_from_a_file(tmp_path: Path) -> None:
    (tmp_path / "url").write_text("json://127.0.0.1:9/from-file\n", encoding="utf-8")
    watchlist = load_watchlist(write(tmp_path, f"regions: [{{name: Kursk}}]\nnotify:\n"
                                               f"  - url: ${{file:{tmp_path / 'url'}}}\n"))
    assert watchlist.notify[0].url == "json://127.0.0.1:9/from-file"


def test_missing_secret_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"w.yaml:3: notify\[0\].url reads /nonexistent/url, which cannot"):
        load_watchlist(write(tmp_path, "regions: [{name: Kursk}]\nnotify:\n  - url: ${file:/nonexistent/url}\n"))
