"""The improvement capability upload kind: load, validate, level names, staff numbers, replace
and delete, template and raw export (both databases)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select

from impact_data.access import AccessDenied, Viewer
from impact_data.cli import main
from impact_data.ingest import commit_upload, delete_upload, prepare_upload
from impact_data.ingest.kinds import CAPABILITY_LEVELS, KINDS
from impact_data.ingest.templates import build_template, template_headers
from impact_data.store.models import CapabilityRecord, Organisation
from impact_data.store.settings import capability_level_labels, set_capability_level_labels
from impact_data.views.upload_report import template_for
from tests.files import csv_bytes, xlsx_bytes

LOCAL = Viewer.local()
ORGS_WITH_STAFF = [
    ["Organisation code", "Name", "Type", "Headcount"],
    ["ZA1", "Northmoor Hospitals", "acute", 4000],
    ["ZB1", "Vale Community Health", "community", ""],
]
HEADER = ["Organisation code", "Team", "Staff group", "Level", "Number of people", "Date"]


def load(db, rows, name="capability.csv", kind="capability", **kw):
    prepared = prepare_upload(db, csv_bytes(rows), name, kind, **kw)
    assert prepared.ok, [str(p) for p in prepared.problems]
    return commit_upload(db, prepared)


@pytest.fixture
def orgs(db):
    load(db, ORGS_WITH_STAFF, "orgs.csv", "organisations")
    return db


def stored(db) -> list[tuple]:
    c = CapabilityRecord
    with db.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(Organisation.org_code, c.team, c.staff_group, c.level, c.people, c.as_of)
                .join(Organisation, Organisation.id == c.org_id)
                .order_by(c.as_of, c.level, c.team)
            ).all()
        ]


def test_the_kind_is_registered_with_a_template():
    assert "capability" in KINDS
    headers = template_headers("capability")
    assert headers == {
        "Improvement capability": ["org_code", "team", "staff_group", "level", "people", "as_of"]
    }
    assert build_template("capability")[:2] == b"PK"  # an xlsx
    assert "staff_count" in template_headers("organisations")["Organisations"]


def test_staff_numbers_load_as_an_optional_organisations_column(orgs):
    with orgs.connect() as conn:
        staff = dict(conn.execute(select(Organisation.org_code, Organisation.staff_count)).all())
    assert staff == {"ZA1": 4000, "ZB1": None}
    # A later organisations file without the column keeps the stored number.
    load(
        orgs,
        [["org_code", "org_name", "org_type"], ["ZA1", "Northmoor", "acute"]],
        "o2.csv",
        "organisations",
    )
    with orgs.connect() as conn:
        assert (
            conn.execute(
                select(Organisation.staff_count).where(Organisation.org_code == "ZA1")
            ).scalar_one()
            == 4000
        )


def test_capability_loads_with_synonym_headers_names_numbers_and_uk_dates(orgs):
    rows = [
        HEADER,
        ["ZA1", "", "", "Awareness", 800, "31/03/2025"],
        ["ZA1", "Ward 7", "Nursing", "foundation", 12, "31/03/2025"],
        ["ZA1", "Pharmacy", "", "2", 40, "31/03/2025"],
        ["ZA1", "", "", "Level 3", 15, "31/03/2025"],
        ["ZB1", "", "", "5. Expert", 2, "2025-03-31"],
    ]
    result = load(orgs, rows)
    assert result.row_counts == {"capability": 5}
    day = dt.date(2025, 3, 31)
    assert stored(orgs) == [
        ("ZA1", None, None, 1, 800, day),
        ("ZA1", "Pharmacy", None, 2, 40, day),
        ("ZA1", "Ward 7", "Nursing", 2, 12, day),
        ("ZA1", None, None, 3, 15, day),
        ("ZB1", None, None, 5, 2, day),
    ]


def test_bad_level_negative_people_and_unknown_org_have_specific_messages(orgs):
    rows = [
        ["org_code", "level", "Trained", "as_of"],
        ["ZA1", "Grandmaster", 3, "2025-01-01"],
        ["ZA1", "Coach", -2, "2025-01-01"],
        ["ZX9", "Coach", 2, "2025-01-01"],
        ["ZA1", 7, 2, "2025-01-01"],
        ["ZA1", "Coach", 2.5, "2025-02-01"],
    ]
    prepared = prepare_upload(orgs, csv_bytes(rows), "bad.csv", "capability")
    levels = "1 Awareness, 2 Foundation, 3 Practitioner, 4 Coach, 5 Expert"
    messages = sorted(str(p) for p in prepared.problems)
    assert messages == sorted(
        [
            f"row 2, column B (level): expected a capability level 1-5 or its name ({levels}) "
            "(found: 'Grandmaster')",
            "row 3, column C (Trained): Trained must not be negative (found: -2)",
            "row 4, column A (org_code): not a known organisation; load it in an organisations "
            "file first, add an Organisations sheet, or ask for unknown organisations to be "
            "created (found: 'ZX9')",
            f"row 5, column B (level): expected a capability level 1-5 or its name ({levels}) "
            "(found: 7)",
            "row 6, column C (Trained): expected a whole number (found: 2.5)",
        ]
    )
    with pytest.raises(Exception, match="problem"):
        commit_upload(orgs, prepared)
    assert stored(orgs) == []


def test_a_row_already_loaded_and_a_duplicate_row_are_refused(orgs):
    load(orgs, [HEADER, ["ZA1", "", "", "Coach", 20, "31/03/2025"]], "first.csv")
    again = prepare_upload(
        orgs,
        csv_bytes(
            [
                HEADER,
                ["ZA1", "", "", "coach", 21, "2025-03-31"],
                ["ZA1", "Ward 7", "", "Coach", 5, "31/03/2025"],
                ["ZA1", "Ward 7", "", "4", 6, "31/03/2025"],
            ]
        ),
        "second.csv",
        "capability",
    )
    found = sorted((p.row, p.category) for p in again.problems)
    assert found == [(2, "already_loaded"), (4, "duplicate")], [str(p) for p in again.problems]
    assert "upload 2" in next(p.message for p in again.problems if p.row == 2)


def test_levels_renamed_by_an_admin_are_read_by_their_new_names_and_audited(orgs):
    admin = Viewer("admin@nhs.net", "admin")
    new = ["Bronze", "Silver", "Gold", "Coach", "Expert"]
    set_capability_level_labels(orgs, admin, new)
    assert capability_level_labels(orgs) == new
    load(orgs, [HEADER, ["ZA1", "", "", "silver", 30, "31/03/2025"]])
    assert stored(orgs)[0][3] == 2
    old_name = prepare_upload(
        orgs,
        csv_bytes([HEADER, ["ZA1", "", "", "Foundation", 30, "30/04/2025"]]),
        "old.csv",
        "capability",
    )
    assert [p.found for p in old_name.problems] == ["Foundation"]
    assert "2 Silver" in old_name.problems[0].message
    from impact_data.users import audit_log

    log = audit_log(orgs, admin)
    assert "capability_level_labels" in " ".join(log["detail"].astype(str))


def _workbook_text(wb) -> str:
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    prompts = [
        f"{dv.formula1} {dv.prompt} {dv.error}"
        for ws in wb.worksheets
        for dv in ws.data_validations.dataValidation
    ]
    return " ".join(cells + prompts)


def test_the_template_names_the_levels_as_renamed_and_uploads_filled_in(orgs, tmp_path):
    admin = Viewer("admin@nhs.net", "admin")
    set_capability_level_labels(orgs, admin, ["Bronze", "Silver", "Gold", "Coach", "Expert"])
    data = template_for("capability", capability_level_labels(orgs))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    rows = {r[0]: r for r in wb["Instructions"].iter_rows(values_only=True) if r and r[0]}
    assert rows["level"][2:] == (
        "Capability level: its name (Bronze, Silver, Gold, Coach, Expert) or its number 1-5.",
        "1-5 or the level's name (1 = Bronze; 2 = Silver; 3 = Gold; 4 = Coach; 5 = Expert), "
        "as set on the Settings page",
        "Silver",
    )
    sheet = wb["Improvement capability"]
    (level,) = [dv for dv in sheet.data_validations.dataValidation if "D2" in dv.sqref]
    assert level.formula1 == '"1,2,3,4,5,Bronze,Silver,Gold,Coach,Expert"'
    text = _workbook_text(wb)
    assert "Awareness" not in text and "Foundation" not in text and "Practitioner" not in text
    # Filled in with a renamed level, the template loads without any column mapping.
    sheet.append(["ZA1", None, None, "Gold", 14, dt.datetime(2025, 3, 31)])
    out = io.BytesIO()
    wb.save(out)
    prepared = prepare_upload(orgs, out.getvalue(), "filled.xlsx", "capability")
    assert prepared.ok, [str(p) for p in prepared.problems]
    commit_upload(orgs, prepared)
    assert stored(orgs) == [("ZA1", None, None, 3, 14, dt.date(2025, 3, 31))]
    # The command line's template reads the same database; without labels, the defaults.
    path = tmp_path / "capability.xlsx"
    assert (
        main(["--database", orgs.url, "template", "--kind", "capability", "--out", str(path)]) == 0
    )
    assert "1 = Bronze; 2 = Silver" in _workbook_text(openpyxl.load_workbook(path))
    default = _workbook_text(openpyxl.load_workbook(io.BytesIO(build_template("capability"))))
    assert "1 = Awareness; 2 = Foundation" in default and "Bronze" not in default


def test_renaming_levels_needs_an_admin_and_distinct_non_numeric_labels(orgs):
    with pytest.raises(AccessDenied):
        set_capability_level_labels(orgs, Viewer("x", "executive"), list(CAPABILITY_LEVELS))
    admin = Viewer("admin@nhs.net", "admin")
    for bad, words in (
        (["A", "B", "C", "D"], "each of the 5"),
        (["A", "B", "", "D", "E"], "each of the 5"),
        (["A", "a", "C", "D", "E"], "same label"),
        (["A", "B", "3", "D", "E"], "cannot be a number"),
    ):
        with pytest.raises(ValueError, match=words):
            set_capability_level_labels(orgs, admin, bad)
    assert capability_level_labels(orgs) == list(CAPABILITY_LEVELS)


def test_delete_and_replace_remove_exactly_the_uploads_rows(orgs):
    first = load(orgs, [HEADER, ["ZA1", "", "", "Coach", 20, "31/03/2025"]], "a.csv")
    load(orgs, [HEADER, ["ZA1", "", "", "Coach", 25, "30/09/2025"]], "b.csv")
    prepared = prepare_upload(
        orgs,
        csv_bytes([HEADER, ["ZA1", "", "", "Coach", 22, "31/03/2025"]]),
        "a2.csv",
        "capability",
        replace_upload_id=first.upload_id,
    )
    assert prepared.ok, [str(p) for p in prepared.problems]
    replaced = commit_upload(orgs, prepared)
    assert [r[4] for r in stored(orgs)] == [22, 25]
    assert delete_upload(orgs, replaced.upload_id) == {
        "capability": 1,
    }
    assert [r[4] for r in stored(orgs)] == [25]


def test_a_team_member_loads_only_their_own_organisation(orgs):
    team = Viewer("ward@za1", "team_member", frozenset({"ZA1"}))
    prepared = prepare_upload(
        orgs, csv_bytes([HEADER, ["ZB1", "", "", "Coach", 3, "31/03/2025"]]), "x.csv", "capability"
    )
    with pytest.raises(AccessDenied):
        commit_upload(orgs, prepared, viewer=team)
    assert stored(orgs) == []


def test_an_xlsx_with_an_organisations_sheet_loads_both(db):
    workbook = xlsx_bytes(
        {
            "Organisations": [
                ["org_code", "org_name", "org_type", "Staff"],
                ["ZQ1", "Q", "acute", 900],
            ],
            "Improvement capability": [
                ["org_code", "level", "people", "as_of"],
                ["ZQ1", "Practitioner", 18, dt.date(2025, 6, 30)],
            ],
        }
    )
    prepared = prepare_upload(db, workbook, "cap.xlsx", "capability")
    assert prepared.ok, [str(p) for p in prepared.problems]
    result = commit_upload(db, prepared)
    assert result.row_counts == {"organisations": 1, "capability": 1}
    assert stored(db) == [("ZQ1", None, None, 3, 18, dt.date(2025, 6, 30))]


def test_raw_export_reloads_as_the_same_kind(orgs, tmp_path):
    from impact_data.exports import export_tables, write_export
    from impact_data.raw_export import raw_tables
    from impact_data.store.db import Database

    load(
        orgs,
        [
            HEADER,
            ["ZA1", "Ward 7", "Nursing", "Coach", 20, "31/03/2025"],
            ["ZB1", "", "", "Awareness", 300, "31/03/2025"],
        ],
    )
    fresh = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        load(fresh, ORGS_WITH_STAFF, "orgs.csv", "organisations")
        out = write_export(export_tables(orgs, "capability", LOCAL, raw=True), tmp_path / "c.csv")
        commit_upload(fresh, prepare_upload(fresh, out.read_bytes(), out.name, "capability"))
        before = raw_tables(orgs, "capability")["Improvement capability"]
        after = raw_tables(fresh, "capability")["Improvement capability"]
        assert after.to_dict("records") == before.to_dict("records")
        assert len(after) == 2
    finally:
        fresh.dispose()
