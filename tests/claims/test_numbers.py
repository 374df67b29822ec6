"""Number, unit and sentence reading, one rule per test."""

from __future__ import annotations

import pytest

from worker.claims.figures import read_figures
from worker.claims.numbers import find_numbers
from worker.claims.text import split_sentences
from worker.claims.units import unit_after


@pytest.mark.parametrize(("text", "values"), [
    ("crews found 1,150 of them", [1150]),
    ("crews found 1 150 of them", [1150]),
    ("a 1.5 rise", [1.5]),
    ("2.5 million were moved", [2_500_000]),
    ("eighty-two homes", [82]),
    ("a hundred houses", [100]),
    ("two thousand three hundred and five", [2305]),
    ("between seven and eight", [7, 8]),
    ("several hundred, thousands, dozens", []),
    ("1,000s of people", []),
])
def test_find_numbers(text: str, values: list[float]) -> None:
    assert [n.value for n in find_numbers(text)] == values


@pytest.mark.parametrize(("text", "dimension", "factor"), [
    (" square kilometres", "km2", 1.0),
    (" sq km", "km2", 1.0),
    (" km²", "km2", 1.0),
    (" square miles", "km2", 2.589988),
    (" hectares", "km2", 0.01),
    (" acres", "km2", 1 / 247.105),
    (" kilometers", "km", 1.0),
    (" miles", "km", 1.609344),
    (" metres", "km", 0.001),
])
def test_units(text: str, dimension: str, factor: float) -> None:
    unit = unit_after(text, 0)
    assert unit is not None and unit.dimension == dimension
    assert unit.factor == pytest.approx(factor)


@pytest.mark.parametrize(("text", "value", "qualifier"), [
    ("troops moved one to three kilometres", 3, "max"),
    ("troops moved from 500 metres to 1.5 km", 1.5, "max"),
    ("crews found between seven and eight", 8, "max"),
    ("advanced 1-3 km", 3, "max"),
    ("it rose from 12 to 19", 19, "exact"),
    ("just under 400", 400, "approx"),
    ("upwards of 400", 400, "min"),
    ("at most 400", 400, "max"),
    ("400 or more", 400, "min"),
])
def test_ranges_and_qualifiers(text: str, value: float, qualifier: str) -> None:
    figures = read_figures(text)
    assert len(figures) == 1
    assert figures[0].value == pytest.approx(value)
    assert figures[0].qualifier == qualifier


@pytest.mark.parametrize("text", [
    "on March 3, 2021", "at 4:30 p.m.", "a 45-year-old", "30%", "$5 million", "in 2019",
    "a magnitude 6.4 quake", "2-1/2 years", "a 10-day pause", "COVID-19", "20 percent",
    "2023-09-11", "for 48 hours",
])
def test_not_figures(text: str) -> None:
    assert read_figures(text) == []


def test_a_conversion_in_brackets_is_one_figure() -> None:
    figures = read_figures("seized 1,150 square km (444 square miles) so far")
    assert [f.value for f in figures] == [1150]


def test_sentences_do_not_end_at_abbreviations() -> None:
    text = 'By Aug. 12 the U.S. said 5 died. "Nothing more," he said. Then 3 more died.'
    assert split_sentences(text) == ["By Aug. 12 the U.S. said 5 died.", '"Nothing more," he said.',
                                     "Then 3 more died."]
