"""Compare > Trends: each panel's heading gives the same SPC verdict as its points' colours,
for every organisation of the sample system (the culture measure by month)."""

from __future__ import annotations

import re

import pytest

from impact_data.access import Viewer
from impact_data.measures.period import default_period
from impact_data.stats import spc
from impact_data.views import compare

LOCAL = Viewer.local()


def _heading(group) -> str:
    """The panel's heading after the organisation's name, its lines joined."""
    return " ".join(group["panel"].iloc[0].split("|")[1:])


@pytest.fixture
def culture_trends(demo_db):
    options = compare.measure_options(demo_db, LOCAL)
    measure = options[compare.default_trend_index(options)]
    assert measure.family == "culture" and measure.source == "pulse"
    until = default_period(demo_db).end
    return compare.trends(demo_db, LOCAL, measure, until=until), measure


def test_every_panel_heading_says_what_its_points_colours_say(culture_trends):
    frame, _ = culture_trends
    checked = 0
    for code, group in frame.groupby("org_code"):
        heading = _heading(group)
        label = group["variation_label"].iloc[0]
        types = group["point_type"].dropna()
        if types.empty:
            assert heading.startswith("Not enough data for SPC"), code
            continue
        checked += 1
        latest = types.iloc[-1]
        special = types[types != "common_cause"].value_counts().to_dict()
        if latest != "common_cause":
            verdict, direction = spc.variation_of(latest, "increase")
            assert f"Special cause variation: {verdict} ({direction})" in heading, code
            assert label == heading.lstrip("● ▲▼◆"), code
            continue
        # The heading (short) and the label (tables, text, tooltip) name every coloured kind.
        named = {t for t, word in spc.SPECIAL_CAUSE_SHORT.items() if f" {word}" in heading}
        assert named == set(special), (code, heading)
        assert {t for t, words in spc.SPECIAL_CAUSE_WORDS.items() if words in label} == set(
            special
        ), (code, label)
        for point_type, n in special.items():
            assert f"{n} {spc.SPECIAL_CAUSE_SHORT[point_type]}" in heading, (code, heading)
            words = spc.SPECIAL_CAUSE_WORDS[point_type]
            assert re.search(rf"{words} in {n} points?\b", label), (code, label)
        if not special:
            assert heading == "● Common cause variation", (code, heading)
        else:
            assert heading.startswith("● Common cause at the latest point earlier: "), code
    assert checked >= 9  # every organisation with enough points


def test_eastbridge_is_not_called_common_cause_over_its_coloured_points(culture_trends):
    frame, _ = culture_trends
    eastbridge = frame[frame["org_name"].str.startswith("Eastbridge")]
    assert eastbridge["point_type"].value_counts().to_dict() == {
        "common_cause": 4,
        "special_cause_concern": 4,
        "special_cause_improvement": 4,
    }
    assert eastbridge["panel"].iloc[0].split("|") == [
        "Eastbridge Hospitals NHS Trust",
        "● Common cause at the latest point",
        "earlier: 4 concern, 4 improvement",
    ]
    assert eastbridge["variation_label"].iloc[0] == (
        "Common cause variation at the latest point; special cause concern in 4 points and "
        "special cause improvement in 4 points before it"
    )
    text = compare.trends_text(frame)
    only = re.search(r"Common cause variation only: ([^.]*)\.", text).group(1)
    assert "Eastbridge" not in only
    assert (
        "Eastbridge Hospitals NHS Trust: common cause variation at the latest point; special "
        "cause concern in 4 points and special cause improvement in 4 points before it."
    ) in text


def test_the_verdict_words_come_from_the_charts_flags():
    summary = {"variation": "common_cause", "variation_direction": None}
    flags = {"n_special": 0, "counts": dict.fromkeys(spc.POINT_TYPES, 0)}
    assert spc.chart_variation_label(summary, flags) == "Common cause variation"
    flags = {
        "n_special": 1,
        "counts": {**dict.fromkeys(spc.POINT_TYPES, 0), "special_cause_improvement": 1},
    }
    assert spc.chart_variation_label(summary, flags) == (
        "Common cause variation at the latest point; special cause improvement in 1 point before it"
    )
    assert spc.chart_variation_label(summary, flags, short=True) == (
        "Common cause at the latest point; earlier: 1 improvement"
    )
    latest_special = {"variation": "concern", "variation_direction": "low"}
    assert spc.chart_variation_label(latest_special, flags) == (
        "Special cause variation: concern (low)"
    )
