"""The culture measure: definitions, versions, scores, suppression, real change."""

from __future__ import annotations

import math

import pytest

from impact_data.access import AccessDenied, Viewer
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures.culture import (
    DEFAULT_DEFINITION,
    MeasureDefinition,
    change_sentence,
    culture_scores,
    current_version,
    export_definition,
    get_version,
    import_definition,
    monthly_chart,
    save_version,
    versions,
    year_on_year,
)
from impact_data.stats.disclosure import suppress
from impact_data.stats.intervals import two_proportion_test, wilson_interval
from tests.files import ORGS, csv_bytes

LOCAL = Viewer.local()

SMALL = MeasureDefinition.from_dict(
    {
        "name": "Test measure",
        "dimensions": [
            {"name": "Voice", "questions": [{"code": "q3c"}, {"code": "q3d", "weight": 2}]},
            {"name": "Leaders", "questions": [{"code": "q9f", "higher_is_better": False}]},
        ],
    }
)


def _load(db, rows, name, kind="staff_survey"):
    prepared = prepare_upload(db, csv_bytes(rows), name, kind)
    assert prepared.ok, [str(p) for p in prepared.problems]
    commit_upload(db, prepared)


@pytest.fixture
def measured(db):
    _load(db, ORGS, "orgs.csv", "organisations")
    head = ["org_code", "year", "question_code", "responses", "positive_pct", "team"]
    rows = [
        head,
        ["ZA1", 2023, "q3c", 100, 50, None],
        ["ZA1", 2023, "q3d", 200, 60, None],
        ["ZA1", 2023, "q9f", 150, 30, None],
        ["ZA1", 2024, "q3c", 100, 70, None],
        ["ZA1", 2024, "q3d", 200, 80, None],
        ["ZA1", 2024, "q9f", 150, 30, None],
        ["ZA1", 2023, "q3c", 5, 20, "Team A"],
        ["ZA1", 2023, "q3c", 40, 55, "Team B"],
        ["ZA1", 2023, "q3c", 30, 50, "Team C"],
    ]
    _load(db, rows, "survey.csv")
    version = save_version(db, LOCAL, SMALL, "a small measure for testing")
    return db, version


def test_default_measure_is_version_one_and_seeded(db):
    version = get_version(db, 1)
    assert version.definition == DEFAULT_DEFINITION
    assert {"q3c", "q3d", "q3e", "q3f", "q9f", "q9g", "q9h", "q9i"} <= set(
        version.definition.question_codes
    )
    assert current_version(db).version == 1


def test_question_dimension_and_overall_scores_by_hand(measured):
    db, version = measured
    scores = culture_scores(db, LOCAL, version=version)
    q = scores["questions"].set_index(["period", "question_code"])
    assert q.at[(2023, "q9f"), "favourable_pct"] == pytest.approx(70.0)  # lower is better: 100 - 30
    assert q.at[(2023, "q3c"), "ci_low"] == pytest.approx(40.383, abs=1e-3)  # Wilson 50/100
    assert q.at[(2023, "q3c"), "ci_high"] == pytest.approx(59.617, abs=1e-3)
    d = scores["dimensions"].set_index(["period", "dimension"])
    assert d.at[(2023, "Voice"), "score"] == pytest.approx((50 + 2 * 60) / 3)
    # Standard error at its upper bound (the same people answer both questions): w . se
    voice_se = (1 / 3) * 5 + (2 / 3) * math.sqrt(12)
    assert d.at[(2023, "Voice"), "se"] == pytest.approx(voice_se)
    assert d.at[(2023, "Voice"), "responses"] == 200
    assert d.at[(2023, "Leaders"), "score"] == pytest.approx(70.0)
    o = scores["overall"].set_index("period")
    assert o.at[2023, "score"] == pytest.approx(((50 + 120) / 3 + 70) / 2)
    assert o.at[2023, "se"] == pytest.approx(0.5 * voice_se + 0.5 * math.sqrt(14))
    assert o.at[2023, "ci_low"] == pytest.approx(o.at[2023, "score"] - 1.959964 * o.at[2023, "se"])
    assert scores["overall"].attrs["measure"] == "Test measure, version 2"


def test_primary_and_secondary_suppression_of_teams(measured):
    db, version = measured
    teams = culture_scores(db, LOCAL, version=version, level="team")["questions"].set_index("team")
    assert teams.at["Team A", "suppression"] == "small number"
    # The organisation's own q3c figure (100 people) counts 25 people with no team: the part
    # of it no team shows is Team A's 5 and those 25, 30 people, so Team C need not be hidden
    # (the old rule hid it on the sum of the teams alone).
    assert teams.at["Team C", "suppression"] == ""
    assert teams.at["Team B", "suppression"] == ""
    assert math.isnan(teams.at["Team A", "favourable_pct"])
    assert math.isnan(teams.at["Team A", "responses"])
    assert teams.at["Team B", "favourable_pct"] == 55.0
    assert 100 - teams["responses"].sum() == 30
    dims = culture_scores(db, LOCAL, version=version, level="team")["dimensions"].set_index("team")
    # Team A's only question is hidden, so its dimension is hidden too, never shown as a score.
    assert bool(dims.at["Team A", "suppressed"]) and math.isnan(dims.at["Team A", "score"])
    hidden = {20.0, 5.0}
    for frame in culture_scores(db, LOCAL, version=version, level="team").values():
        shown = set(frame.select_dtypes("number").stack().round(6).tolist())
        assert not hidden & shown, "a hidden team's value or count leaked"


def test_teams_that_make_up_the_whole_organisation_hide_a_second_team(db):
    _load(db, ORGS, "orgs.csv", "organisations")
    head = ["org_code", "year", "question_code", "responses", "positive_pct", "team"]
    rows = [
        head,
        ["ZA1", 2023, "q3c", 75, 52, None],
        ["ZA1", 2023, "q3c", 5, 20, "Team A"],
        ["ZA1", 2023, "q3c", 40, 55, "Team B"],
        ["ZA1", 2023, "q3c", 30, 50, "Team C"],
    ]
    _load(db, rows, "survey.csv")
    teams = culture_scores(db, LOCAL, level="team")["questions"].set_index("team")
    assert teams["suppression"].to_dict() == {
        "Team A": "small number",
        "Team B": "",
        "Team C": "secondary",
    }
    assert 75 - teams["responses"].sum() == 35


def test_two_hidden_siblings_that_are_safe_together_need_no_third():
    import pandas as pd

    # 5 + 6 = 11 hidden people: the total minus the shown sibling gives no small group.
    frame = pd.DataFrame({"g": [1, 1, 1], "n": [5, 6, 40], "v": [1.0, 2.0, 3.0]})
    out = suppress(frame, "n", ["v"], 11, sibling_keys=["g"])
    assert out["suppression"].tolist() == ["small number", "small number", ""]


def test_new_version_changes_scores_and_old_version_stays(measured):
    db, version = measured
    edited = MeasureDefinition.from_dict(
        {**SMALL.to_dict(), "dimensions": [{"name": "Voice", "questions": [{"code": "q3d"}]}]}
    )
    newer = save_version(db, LOCAL, edited, "q3c dropped after the system's culture workshop")
    assert newer.version == 3 and current_version(db).version == 3
    new_scores = culture_scores(db, LOCAL)["overall"].set_index("period")
    assert new_scores.at[2023, "score"] == pytest.approx(60.0)
    old_scores = culture_scores(db, LOCAL, version=get_version(db, 2))["overall"].set_index(
        "period"
    )
    assert old_scores.at[2023, "score"] == pytest.approx(((50 + 120) / 3 + 70) / 2)
    listed = versions(db, LOCAL)
    assert listed["version"].tolist() == [3, 2, 1]
    assert listed["note"].tolist()[0] == "q3c dropped after the system's culture workshop"


def test_only_admins_change_the_measure_and_a_note_is_required(measured):
    db, _ = measured
    with pytest.raises(AccessDenied):
        save_version(db, Viewer("t", "team_member", frozenset({"ZA1"})), SMALL, "why")
    with pytest.raises(ValueError, match="note is required"):
        save_version(db, LOCAL, SMALL, "  ")


def test_export_and_import_round_trip(measured):
    db, version = measured
    data = export_definition(version)
    definition, problems = import_definition(data)
    assert problems == [] and definition == SMALL
    bad, problems = import_definition(
        b'{"name": "", "dimensions": [{"name": "X", "questions": [{"code": "q1", "weight": -1}]}]}'
    )
    assert bad is None
    assert problems == [
        "the measure needs a name",
        "question q1: weight must be greater than 0 (found -1)",
    ]
    assert import_definition(b"not json")[1][0].startswith("the file is not valid JSON")


def test_year_on_year_sentences_follow_the_statistics(measured):
    db, version = measured
    yoy = year_on_year(db, LOCAL, version=version).set_index("dimension")
    voice = yoy.loc["Voice"]
    assert voice["real_change"] and voice["change"] == pytest.approx(
        (70 + 160) / 3 - (50 + 120) / 3
    )
    assert voice["sentence"] == "Voice rose from 57% to 77% (2023 to 2024), a real change."
    leaders = yoy.loc["Leaders"]
    assert not leaders["real_change"]
    assert (
        leaders["sentence"]
        == "Leaders stayed at 70% (2023 to 2024); any movement is within normal variation."
    )


def test_change_sentence_never_calls_noise_a_change():
    assert "not a real change" in change_sentence("Voice", 58, 64, real=False)
    assert (
        change_sentence("Voice", 58, 64, real=True) == "Voice rose from 58% to 64%, a real change."
    )
    assert (
        change_sentence("Voice", 64, 58.2, real=True)
        == "Voice fell from 64% to 58%, a real change."
    )


def test_statistics_helpers_against_known_values():
    low, high = wilson_interval([0, 10], [10, 10])
    assert low[0] == 0 and high[0] == pytest.approx(0.27753, abs=1e-4)
    assert high[1] == pytest.approx(1) and low[1] == pytest.approx(0.72247, abs=1e-4)
    z, p = two_proportion_test(0.5, 100, 0.6, 100)
    assert z == pytest.approx(1.4213, abs=1e-3) and p == pytest.approx(0.1552, abs=1e-3)


def test_pulse_scores_and_p_chart(db):
    _load(db, ORGS, "orgs.csv", "organisations")
    rows = [["org_code", "response_date", "q3c", "q9f"]]
    for month in range(1, 13):
        for i in range(20):
            agree = i < (12 if month < 7 else 18)
            rows.append(["ZA1", f"2025-{month:02d}-{i + 1:02d}", 5 if agree else 2, None])
    _load(db, rows, "pulse.csv", "pulse_survey")
    scores = culture_scores(db, LOCAL, source="pulse")
    q = scores["questions"]
    assert q["favourable_pct"].tolist()[:1] == [60.0] and q["responses"].tolist()[0] == 20
    assert scores["overall"]["score"].tolist()[-1] == pytest.approx(90.0)
    chart = monthly_chart(scores["overall"])
    assert len(chart) == 12
    assert chart["p"].tolist() == pytest.approx(scores["overall"]["score"].div(100).tolist())
    assert chart["centre"].iloc[0] == pytest.approx((6 * 12 + 6 * 18) / 240)
    assert chart.attrs["measure"] == "Improvement culture, version 1"


def test_one_copy_of_each_statistic_and_of_the_improvement_directions():
    import ast
    from pathlib import Path

    from impact_data.ingest import kinds
    from impact_data.stats import intervals, spc

    # Upload values are SPC's directions less "neutral" (a PDSA measure always has one).
    assert kinds.IMPROVEMENT_DIRECTIONS == ("increase", "decrease")
    assert set(kinds.IMPROVEMENT_DIRECTIONS) < set(spc.IMPROVEMENT_DIRECTIONS)
    assert "neutral" in spc.IMPROVEMENT_DIRECTIONS
    # Z95, Wilson and the two tests are defined once, in stats/intervals.py.
    root = Path(intervals.__file__).resolve().parent.parent
    names = {"Z95", "wilson_interval", "two_proportion_test", "difference_test"}
    found: dict[str, list[str]] = {name: [] for name in names | {"IMPROVEMENT_DIRECTIONS"}}
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in found:
                found[node.name].append(path.name)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id in found:
                        found[target.id].append(path.name)
    assert {name: found[name] for name in names} == {name: ["intervals.py"] for name in names}
    assert sorted(found["IMPROVEMENT_DIRECTIONS"]) == ["kinds.py", "spc.py"]
