"""The README's "Where each figure is computed" table stays true: every function it names exists,
every test file it names exists and exercises that function."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.conftest import ROOT

HEADING = "## Where each figure is computed"
# The figures the README must place (issue 13), by a word or two of each row's first cell.
REQUIRED = (
    "Culture score by staff survey year",
    "Culture score by month",
    "national",
    "Readiness subscale scores and agreement",
    "NHS IMPACT maturity",
    "PDSA activity",
    "PDSA measure SPC verdict",
    "visits",
    "Funnel plot",
    "Disclosure control",
)
DISCLOSURE_MODULE = "impact_data.stats.disclosure"
CODE = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Row:
    figure: str
    function: str
    test: str


def figure_rows(readme: str) -> list[Row]:
    """The rows of the table under the heading, in order."""
    if HEADING not in readme:
        raise AssertionError(f"README.md has no section {HEADING!r}")
    section = readme.split(HEADING, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[:3] == ["Figure", "Function", "Test"]:
            continue
        assert len(cells) == 3, f"a row needs figure | function | test: {line}"
        function, test = CODE.findall(cells[1]), CODE.findall(cells[2])
        assert len(function) == 1 and len(test) == 1, f"one `function` and one `test`: {line}"
        rows.append(Row(cells[0], function[0], test[0]))
    return rows


def resolve(dotted: str) -> object:
    """The object a dotted path names: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)  # AttributeError: the function is gone
        return obj
    raise ModuleNotFoundError(dotted)


ROWS = figure_rows((ROOT / "README.md").read_text())


def test_the_table_places_every_figure():
    figures = " / ".join(r.figure for r in ROWS)
    missing = [f for f in REQUIRED if f.lower() not in figures.lower()]
    assert missing == []
    disclosure = [r for r in ROWS if "disclosure" in r.figure.lower()]
    assert disclosure and all(r.function.startswith(DISCLOSURE_MODULE) for r in disclosure)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.figure)
def test_each_listed_function_exists_and_is_tested(row: Row):
    function = resolve(row.function)
    assert isinstance(function, Callable), f"{row.function} is not a function"
    owner, name = row.function.rsplit(".", 1)
    assert name in getattr(resolve(owner), "__all__", ()), f"{name} is not in {owner}.__all__"
    test_file = ROOT / row.test
    assert test_file.is_file(), f"{row.test} does not exist"
    assert re.search(rf"\b{re.escape(name)}\b", test_file.read_text()), (
        f"{row.test} never mentions {name}"
    )


def test_a_function_that_is_gone_is_caught():
    with pytest.raises(AttributeError):
        resolve("impact_data.stats.disclosure.no_such_rule")
    with pytest.raises(AttributeError):
        resolve("impact_data.no_such_module.figure")
    table = (
        f"{HEADING}\n\n| Figure | Function | Test |\n|---|---|---|\n"
        "| A figure | `impact_data.stats.spc.xmr` | `tests/stats/test_spc.py` |\n\n## Next\n"
        "| Not | `in.the` | `table` |\n"
    )
    assert figure_rows(table) == [
        Row("A figure", "impact_data.stats.spc.xmr", "tests/stats/test_spc.py")
    ]
