"""Loading every upload kind, all-or-nothing, duplicates, replace and delete (both databases)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import func, select

from impact_data.access import Viewer
from impact_data.ingest import (
    DeleteRefused,
    UploadRefused,
    commit_upload,
    delete_upload,
    prepare_upload,
)
from impact_data.measures import queries
from impact_data.measures.readiness import readiness_scores
from impact_data.store.models import Base
from tests.files import ORGS, csv_bytes, xlsx_bytes

LOCAL = Viewer.local()


def counts(db) -> dict[str, int]:
    with db.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
            if t.name not in ("data_version", "instruments", "instrument_items", "settings")
        }


def load(db, data: bytes, name: str, kind: str, **kw):
    prepared = prepare_upload(db, data, name, kind, **kw)
    assert prepared.ok, [str(p) for p in prepared.problems]
    return commit_upload(db, prepared)


@pytest.fixture
def orgs(db):
    load(db, csv_bytes(ORGS), "orgs.csv", "organisations")
    return db


def test_organisations_load_and_update(db):
    result = load(db, csv_bytes(ORGS), "orgs.csv", "organisations")
    assert result.row_counts == {"organisations": 3}
    assert sorted(result.created_orgs) == ["ZA1", "ZB1", "ZC1"]
    changed = [
        ORGS[0],
        ["ZA1", "Northmoor Teaching Hospitals", "Acute trust", "", ""],
        ["ZD1", "New", "icb", "", ""],
    ]
    second = load(db, csv_bytes(changed), "orgs2.csv", "organisations")
    assert second.created_orgs == ["ZD1"] and second.updated_orgs == ["ZA1"]
    frame = queries.organisations(db, LOCAL).set_index("org_code")
    assert frame.at["ZA1", "org_name"] == "Northmoor Teaching Hospitals"
    assert frame.at["ZA1", "system"] == "Test ICS"  # blank optional cell keeps the stored value
    assert frame.at["ZD1", "org_type"] == "icb"


def test_staff_survey_loads_and_reads_back_with_suppression(orgs):
    db = orgs
    rows = [
        [
            "org_code",
            "year",
            "question_code",
            "responses",
            "positive_pct",
            "score",
            "team",
            "staff_group",
        ],
        ["ZA1", 2024, "Q3F", 412, 61.5, 6.8, None, None],
        ["ZA1", 2024, "q3f", 9, 55.0, None, "Ward 7", None],
        ["ZA1", 2024, "q3f", 40, 70.0, None, "Pharmacy", None],
        ["ZB1", 2024, "q3f", 120, 58.25, None, None, "Nursing"],
    ]
    result = load(db, xlsx_bytes({"Results": rows}), "nss.xlsx", "staff_survey")
    assert result.row_counts == {"staff_survey_results": 4}
    org = queries.staff_survey_results(db, LOCAL)
    assert org[
        ["org_code", "year", "question_code", "responses", "positive_pct"]
    ].values.tolist() == [["ZA1", 2024, "q3f", 412, 61.5]]
    teams = queries.staff_survey_results(db, LOCAL, level="team").set_index("team")
    # Ward 7 (9 responses) is hidden. Pharmacy can stay: the organisation's total (412) minus
    # the teams shown (40) leaves 372 people, not Ward 7 alone.
    assert teams["suppression"].to_dict() == {"Pharmacy": "", "Ward 7": "small number"}
    assert pd.isna(teams.loc["Ward 7", "positive_pct"]) and pd.isna(
        teams.loc["Ward 7", "responses"]
    )
    assert (
        teams.loc["Pharmacy", "positive_pct"] == 70.0 and teams.loc["Pharmacy", "responses"] == 40
    )
    groups = queries.staff_survey_results(db, LOCAL, level="staff_group")
    assert groups["staff_group"].tolist() == ["Nursing"]


def test_pulse_survey_answers_and_monthly_summary(orgs):
    db = orgs
    rows = [
        [
            "org_code",
            "response_date",
            "team",
            "staff_group",
            "respondent_id",
            "Q1. I feel valued",
            "q2",
        ]
    ]
    for i in range(12):
        rows.append(
            [
                "ZA1",
                "14/03/2025",
                "Ward 7",
                "Nursing",
                f"R{i}",
                5 if i < 9 else 2,
                "Agree" if i % 2 else None,
            ]
        )
    rows.append(["ZB1", "2025-04-02", "Ward 1", "Medical", "S1", "Strongly disagree", 3])
    result = load(db, csv_bytes(rows), "pulse.csv", "pulse_survey")
    assert result.row_counts == {"pulse_respondents": 13, "pulse_answers": 13 + 7}
    summary = queries.pulse_summary(db, LOCAL).set_index(["org_code", "question_code"])
    q1 = summary.loc[("ZA1", "q1")]
    assert q1["n_answered"] == 12
    assert q1["positive_pct"] == pytest.approx(75.0)
    assert q1["mean"] == pytest.approx((9 * 5 + 3 * 2) / 12)
    assert q1["month"] == dt.datetime(2025, 3, 1)
    # 6 answers to q2 in ZA1, one in ZB1: both under the threshold of 11, so suppressed.
    assert bool(summary.loc[("ZA1", "q2"), "suppressed"]) is True
    assert summary.loc[("ZA1", "q2"), "positive_pct"] != summary.loc[("ZA1", "q2"), "positive_pct"]
    from impact_data.store.models import PulseQuestion

    with db.connect() as conn:
        texts = dict(
            conn.execute(select(PulseQuestion.question_code, PulseQuestion.question_text)).all()
        )
    assert texts == {"q1": "I feel valued", "q2": None}


def test_readiness_oric_inferred_and_scored(orgs):
    db = orgs
    items = [f"c{i}" for i in range(1, 6)] + [f"e{i}" for i in range(1, 8)]
    rows = [["org_code", "assessment_date", "team", "programme", *items]]
    for i in range(12):
        commitment = 4 if i % 2 else 5
        rows.append(["ZA1", dt.date(2025, 2, 1), "Ward 7", "Flow", *([commitment] * 5), *([3] * 7)])
    prepared = prepare_upload(db, xlsx_bytes({"Readiness": rows}), "oric.xlsx", "readiness")
    assert prepared.ok
    assert prepared.instrument.code == "oric"
    assert any("inferred" in n for n in prepared.notes)
    result = commit_upload(db, prepared)
    assert result.row_counts == {"readiness_responses": 12, "readiness_answers": 144}
    scores = readiness_scores(db, LOCAL).set_index("subscale")
    assert scores.at["Change commitment", "n"] == 12
    assert scores.at["Change commitment", "mean"] == pytest.approx(4.5)
    # six 4s and six 5s: sample variance 12 * 0.25 / 11
    assert scores.at["Change commitment", "sd"] ** 2 == pytest.approx(3 / 11)
    assert scores.at["Change efficacy", "mean"] == pytest.approx(3.0)
    assert scores.at["Change efficacy", "sd"] == pytest.approx(0.0)


def test_readiness_answer_out_of_scale_is_an_error(orgs):
    rows = [["org_code", "assessment_date", "c1", "c2", "e1"], ["ZA1", "2025-02-01", 6, 3, 3]]
    prepared = prepare_upload(orgs, csv_bytes(rows), "r.csv", "readiness")
    assert [str(p) for p in prepared.problems] == [
        "row 2, column C (c1): expected an answer 1-5 or a Likert word (Strongly disagree ... Strongly agree, or Disagree ... Somewhat agree ... Agree) (found: 6)"
    ]


def test_impact_self_assessment(orgs):
    rows = [
        ["org_code", "assessment_date", "component", "level", "evidence", "next_step"],
        ["ZA1", "01/04/2025", "Investing in people and culture", 3, "Staff survey", "Coaching"],
        ["ZA1", "01/04/2025", 1, 2, None, None],
    ]
    load(orgs, csv_bytes(rows), "impact.csv", "impact_self_assessment")
    frame = queries.impact_self_assessments(orgs, LOCAL)
    assert frame[["component", "level"]].values.tolist() == [[1, 2], [2, 3]]
    assert frame["component_name"].tolist()[1] == "Investing in people and culture"


def _pdsa_workbook(project="ZA1-001", cycles_project=None):
    return xlsx_bytes(
        {
            "Projects": [
                [
                    "project_id",
                    "org_code",
                    "title",
                    "aim",
                    "start_date",
                    "improvement_direction",
                    "status",
                    "lived_experience_involved",
                ],
                [
                    project,
                    "ZA1",
                    "Falls",
                    "Reduce falls 30% by March",
                    dt.date(2025, 1, 6),
                    "decrease",
                    "active",
                    "yes",
                ],
                [
                    "ZB1-001",
                    "ZB1",
                    "Huddles",
                    "Daily huddles",
                    dt.date(2025, 2, 1),
                    "increase",
                    "completed",
                    "no",
                ],
            ],
            "Cycles": [
                ["project_id", "cycle_no", "start_date", "change_tested", "decision"],
                [cycles_project or project, 1, dt.date(2025, 1, 10), "Bed alarms", "adapt"],
                [cycles_project or project, 2, dt.date(2025, 2, 10), "Bed alarms v2", "adopt"],
                ["ZB1-001", 1, dt.date(2025, 2, 10), "Huddle at 9", None],
            ],
            "Measures": [
                ["project_id", "date", "value", "numerator", "denominator"],
                *[
                    [project, dt.date(2025, 1, 6) + dt.timedelta(weeks=w), 10 - w * 0.5, None, None]
                    for w in range(6)
                ],
            ],
        }
    )


def test_pdsa_workbook_loads_three_sheets(orgs):
    result = load(orgs, _pdsa_workbook(), "pdsa.xlsx", "pdsa")
    assert result.row_counts == {"pdsa_projects": 2, "pdsa_cycles": 3, "pdsa_measures": 6}
    projects = queries.pdsa_projects(orgs, LOCAL).set_index("project_id")
    assert projects.at["ZA1-001", "cycles"] == 2
    assert bool(projects.at["ZA1-001", "lived_experience_involved"]) is True
    activity = queries.pdsa_activity(orgs, LOCAL, as_of=dt.date(2025, 3, 31)).set_index("org_code")
    assert activity.at["ZA1", "cycles_last_90_days"] == 2
    assert activity.at["ZB1", "cycles_last_90_days"] == 1
    assert activity.at["ZA1", "lived_experience_share"] == 1.0
    assert activity.at["ZC1", "projects"] == 0
    measures = queries.pdsa_measures(orgs, LOCAL, project_ids=["ZA1-001"])
    assert measures["value"].tolist() == [10.0, 9.5, 9.0, 8.5, 8.0, 7.5]


def test_pdsa_cycles_csv_can_reference_a_loaded_project(orgs):
    load(orgs, _pdsa_workbook(), "pdsa.xlsx", "pdsa")
    rows = [
        ["Project ID", "Cycle number", "Start date", "Decision"],
        ["ZA1-001", 3, "01/03/2025", "Adopted"],
    ]
    result = load(orgs, csv_bytes(rows), "cycles.csv", "pdsa")
    assert result.row_counts == {"pdsa_cycles": 1}
    # The project's upload cannot now be deleted without orphaning that cycle.
    first = queries.uploads(orgs, LOCAL).set_index("file_name").at["pdsa.xlsx", "upload_id"]
    second = queries.uploads(orgs, LOCAL).set_index("file_name").at["cycles.csv", "upload_id"]
    with pytest.raises(
        DeleteRefused,
        match=rf"^upload {first} holds PDSA projects that upload {second} adds cycles or "
        "measures to; delete that load first$",
    ):
        delete_upload(orgs, int(first))


def test_pdsa_unknown_project_is_an_error(orgs):
    prepared = prepare_upload(orgs, _pdsa_workbook(cycles_project="ZA1-999"), "pdsa.xlsx", "pdsa")
    messages = [str(p) for p in prepared.problems]
    assert (
        "sheet 'Cycles', cell A2 (project_id): unknown project: it is not on the Projects sheet and not already loaded (found: 'ZA1-999')"
        in messages
    )
    assert len(messages) == 2


def test_visits(orgs):
    rows = [
        ["from_org", "to_org", "visit_date", "theme", "participants", "lived_experience_partners"],
        ["ZA1", "ZB1", "2025-05-01", "Huddles", 6, 2],
    ]
    load(orgs, csv_bytes(rows), "visits.csv", "visits")
    frame = queries.visits(orgs, LOCAL)
    assert frame[
        ["from_org", "to_org", "participants", "lived_experience_partners"]
    ].values.tolist() == [["ZA1", "ZB1", 6, 2]]


def test_failed_validation_writes_nothing(orgs):
    before = counts(orgs)
    version = orgs.data_version()
    rows = [
        ["org_code", "year", "question_code", "responses", "positive_pct"],
        ["ZA1", 2024, "q3f", 100, 60],
        ["ZA1", 2024, "q3e", -5, 104],
    ]
    prepared = prepare_upload(orgs, csv_bytes(rows), "bad.csv", "staff_survey")
    assert [str(p) for p in prepared.problems] == [
        "row 3, column D (responses): responses must not be negative (found: -5)",
        "row 3, column E (positive_pct): positive_pct must be between 0 and 100 (found: 104)",
    ]
    with pytest.raises(UploadRefused):
        commit_upload(orgs, prepared)
    assert counts(orgs) == before
    assert orgs.data_version() == version


def test_error_while_writing_rolls_back_everything(orgs, monkeypatch):
    from impact_data.ingest import load as load_module

    rows = [["org_code", "year", "question_code", "responses"], ["ZA1", 2024, "q3f", 100]]
    prepared = prepare_upload(orgs, csv_bytes(rows), "s.csv", "staff_survey")
    before = counts(orgs)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setitem(load_module._WRITERS, "staff_survey", explode)
    with pytest.raises(RuntimeError):
        commit_upload(orgs, prepared)
    assert counts(orgs) == before


def test_unknown_orgs_are_named_unless_created(orgs):
    rows = [
        ["org_code", "year", "question_code", "responses"],
        ["QQ9", 2024, "q3f", 100],
        ["ZA1", 2024, "q3f", 50],
    ]
    prepared = prepare_upload(orgs, csv_bytes(rows), "s.csv", "staff_survey")
    assert prepared.unknown_orgs == ["QQ9"]
    assert str(prepared.problems[0]).startswith(
        "row 2, column A (org_code): not a known organisation"
    )
    created = load(orgs, csv_bytes(rows), "s.csv", "staff_survey", create_orgs=True)
    assert created.created_orgs == ["QQ9"]
    assert "QQ9" in set(queries.organisations(orgs, LOCAL)["org_code"])


def test_organisations_sheet_in_the_same_workbook(db):
    workbook = xlsx_bytes(
        {
            "Organisations": ORGS,
            "Results": [
                ["org_code", "year", "question_code", "responses"],
                ["ZC1", 2023, "q3d", 80],
            ],
        }
    )
    result = load(db, workbook, "with_orgs.xlsx", "staff_survey")
    assert result.row_counts == {"organisations": 3, "staff_survey_results": 1}


def test_same_file_twice_is_a_duplicate(orgs):
    rows = [["org_code", "year", "question_code", "responses"], ["ZA1", 2024, "q3f", 100]]
    first = load(orgs, csv_bytes(rows), "s.csv", "staff_survey")
    again = prepare_upload(orgs, csv_bytes(rows), "copy of s.csv", "staff_survey")
    assert again.duplicate_of == first.upload_id
    assert f"already loaded as upload {first.upload_id}" in str(again.problems[0])


def test_overlapping_rows_from_another_file_are_refused_and_replace_works(orgs):
    rows = [
        ["org_code", "year", "question_code", "responses", "positive_pct"],
        ["ZA1", 2024, "q3f", 100, 50],
    ]
    first = load(orgs, csv_bytes(rows), "s.csv", "staff_survey")
    corrected = [rows[0], ["ZA1", 2024, "q3f", 100, 55], ["ZA1", 2024, "q3e", 90, 40]]
    overlap = prepare_upload(orgs, csv_bytes(corrected), "s_v2.csv", "staff_survey")
    assert overlap.problems[0].category == "already_loaded"
    assert f"upload {first.upload_id}" in overlap.problems[0].message
    result = load(
        orgs, csv_bytes(corrected), "s_v2.csv", "staff_survey", replace_upload_id=first.upload_id
    )
    assert result.replaced_upload_id == first.upload_id
    frame = queries.staff_survey_results(orgs, LOCAL).set_index("question_code")
    assert frame.at["q3f", "positive_pct"] == 55
    assert len(frame) == 2
    assert first.upload_id not in set(queries.uploads(orgs, LOCAL)["upload_id"])


def test_replace_refuses_a_different_kind(orgs):
    rows = [["org_code", "year", "question_code", "responses"], ["ZA1", 2024, "q3f", 100]]
    prepared = prepare_upload(orgs, csv_bytes(rows), "s.csv", "staff_survey", replace_upload_id=1)
    assert "it cannot be replaced by a staff_survey file" in str(prepared.problems[0])


def test_delete_upload_removes_exactly_its_rows(orgs):
    a = [["org_code", "year", "question_code", "responses"], ["ZA1", 2024, "q3f", 100]]
    b = [
        ["org_code", "year", "question_code", "responses"],
        ["ZB1", 2024, "q3f", 80],
        ["ZB1", 2023, "q3f", 70],
    ]
    first = load(orgs, csv_bytes(a), "a.csv", "staff_survey")
    load(orgs, csv_bytes(b), "b.csv", "staff_survey")
    pulse = [
        ["org_code", "response_date", "q1"],
        ["ZA1", "2025-01-01", 4],
        ["ZA1", "2025-01-02", 5],
    ]
    p = load(orgs, csv_bytes(pulse), "p.csv", "pulse_survey")
    version = orgs.data_version()
    deleted = delete_upload(orgs, first.upload_id)
    assert deleted == {"staff_survey_results": 1}
    assert orgs.data_version() == version + 1
    left = queries.staff_survey_results(orgs, LOCAL)
    assert sorted(left["year"].tolist()) == [2023, 2024] and set(left["org_code"]) == {"ZB1"}
    assert delete_upload(orgs, p.upload_id) == {"pulse_respondents": 2, "pulse_questions": 1}
    with pytest.raises(DeleteRefused, match="no upload"):
        delete_upload(orgs, 999)


def test_organisations_upload_cannot_be_deleted_while_used(orgs):
    rows = [["org_code", "year", "question_code", "responses"], ["ZA1", 2024, "q3f", 100]]
    load(orgs, csv_bytes(rows), "s.csv", "staff_survey")
    with pytest.raises(DeleteRefused, match="refer to"):
        delete_upload(orgs, 1)


def test_every_write_bumps_the_data_version(db):
    v0 = db.data_version()
    load(db, csv_bytes(ORGS), "orgs.csv", "organisations")
    assert db.data_version() == v0 + 1
    db.set_setting("suppression_threshold", 5)
    assert db.data_version() == v0 + 2
    assert db.suppression_threshold() == 5


def test_duplicate_rows_within_a_file(orgs):
    rows = [
        ["org_code", "year", "question_code", "responses"],
        ["ZA1", 2024, "q3f", 100],
        ["ZA1", 2024, "Q3F", 90],
    ]
    prepared = prepare_upload(orgs, csv_bytes(rows), "d.csv", "staff_survey")
    assert [str(p) for p in prepared.problems] == [
        "row 3, column A (org_code): duplicate row: the same org_code, year, question_code, team, "
        "staff_group as an earlier row (found: \"same as row 2: org_code='ZA1', year=2024, "
        "question_code='q3f'\")"
    ]


def test_cross_field_checks_on_pdsa(orgs):
    workbook = xlsx_bytes(
        {
            "Projects": [
                ["project_id", "org_code", "title", "aim", "start_date"],
                ["ZA1-050", "ZA1", "T", "A", dt.date(2025, 1, 1)],
            ],
            "Cycles": [
                ["project_id", "cycle_no", "start_date", "end_date"],
                ["ZA1-050", 1, dt.date(2025, 2, 1), dt.date(2025, 1, 20)],
            ],
            "Measures": [
                ["project_id", "date", "value", "numerator", "denominator"],
                ["ZA1-050", dt.date(2025, 2, 1), 1.2, 12, 10],
            ],
        }
    )
    prepared = prepare_upload(orgs, workbook, "p.xlsx", "pdsa")
    assert [str(p) for p in prepared.problems] == [
        "sheet 'Cycles', cell D2 (end_date): end_date is before start_date "
        "(found: '20/01/2025, start 01/02/2025')",
        "sheet 'Measures', cell D2 (numerator): numerator is larger than denominator "
        "(found: '12 > 10')",
    ]


FORMULA_LIKE = ["-5 days", "+44", "=SUM(A1)", "@home", "'quoted'", "it's fine"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_raw_export_round_trips_formula_like_text_exactly(orgs, tmp_path, suffix):
    from impact_data.exports import export_tables, write_export
    from impact_data.raw_export import raw_tables
    from impact_data.store.db import Database

    visits = [["from_org", "to_org", "visit_date", "theme", "learning"]] + [
        ["ZA1", "ZB1", dt.date(2025, 1, 1 + i), text, f"{text} (learning)"]
        for i, text in enumerate(FORMULA_LIKE)
    ]
    survey = [["org_code", "year", "question_code", "responses", "team", "staff_group"]] + [
        ["ZA1", 2024, "q3f", 20 + i, text, text] for i, text in enumerate(FORMULA_LIKE)
    ]
    load(orgs, csv_bytes(visits), "visits.csv", "visits")
    load(orgs, csv_bytes(survey), "survey.csv", "staff_survey")
    fresh = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        load(fresh, csv_bytes(ORGS), "orgs.csv", "organisations")
        for kind in ("visits", "staff_survey"):
            out = write_export(
                export_tables(orgs, kind, LOCAL, raw=True), tmp_path / f"{kind}{suffix}"
            )
            load(fresh, out.read_bytes(), out.name, kind)
            before = next(iter(raw_tables(orgs, kind).values()))
            after = next(iter(raw_tables(fresh, kind).values()))
            for column in ("theme", "learning") if kind == "visits" else ("team", "staff_group"):
                assert sorted(after[column]) == sorted(before[column]), column
            assert set(before["theme" if kind == "visits" else "team"]) == set(FORMULA_LIKE)
    finally:
        fresh.dispose()


def test_a_team_member_cannot_replace_or_delete_an_upload_holding_other_orgs_rows(orgs):
    from impact_data.access import AccessDenied
    from impact_data.ingest.load import changeable_uploads

    header = ["org_code", "year", "question_code", "responses"]
    system_wide = load(
        orgs,
        csv_bytes([header, ["ZA1", 2024, "q3f", 100], ["ZB1", 2024, "q3f", 80]]),
        "system.csv",
        "staff_survey",
    )
    own = load(orgs, csv_bytes([header, ["ZA1", 2023, "q3f", 90]]), "own.csv", "staff_survey")
    team = Viewer("ward@za1", "team_member", frozenset({"ZA1"}))
    before = counts(orgs)
    # The new file holds only the team's own organisation; the upload it replaces does not.
    prepared = prepare_upload(
        orgs,
        csv_bytes([header, ["ZA1", 2024, "q3f", 1]]),
        "mine.csv",
        "staff_survey",
        replace_upload_id=system_wide.upload_id,
    )
    assert prepared.ok, [str(p) for p in prepared.problems]
    with pytest.raises(AccessDenied, match=r"upload \d+ holds rows of ZB1"):
        commit_upload(orgs, prepared, viewer=team)
    with pytest.raises(AccessDenied, match="ZB1"):
        delete_upload(orgs, system_wide.upload_id, viewer=team)
    assert counts(orgs) == before
    # The Upload page offers replace and delete only for the team's own upload.
    ids = [system_wide.upload_id, own.upload_id]
    assert changeable_uploads(orgs, team, ids) == {own.upload_id}
    assert changeable_uploads(orgs, LOCAL, ids) == set(ids)
    assert changeable_uploads(orgs, Viewer("x", "facilitator"), ids) == set()
    # Their own upload they may replace.
    mine = prepare_upload(
        orgs,
        csv_bytes([header, ["ZA1", 2023, "q3f", 95]]),
        "own fixed.csv",
        "staff_survey",
        replace_upload_id=own.upload_id,
    )
    assert commit_upload(orgs, mine, viewer=team).replaced_upload_id == own.upload_id
