"""Correcting one logged PDSA cycle or measure value (both databases): the upload's checks,
plain refusals that change nothing, the audit sentence, the upload's note, access and the
data version."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from impact_data.access import AccessDenied, Viewer
from impact_data.ingest import delete_upload
from impact_data.measures import pdsa as pdsa_measures
from impact_data.measures import pdsa_editing as editing
from impact_data.store.models import AuditEvent, PdsaCycle, PdsaMeasure, Upload
from impact_data.views import pdsa
from impact_data.views.wording import audit_sentence
from tests.views import test_pdsa as base

LOCAL = Viewer.local()
JANE = Viewer("Jane Smith", "team_member", frozenset({"ZA1"}))
projects = base.projects  # the fixture: organisations and three projects (P1-P3)


def cycles(db, project_id="P1"):
    return pdsa_measures.pdsa_cycles(db, LOCAL, project_ids=[project_id]).set_index("cycle_no")


def values(db, project_id="P1"):
    frame = pdsa_measures.pdsa_measures(db, LOCAL, project_ids=[project_id])
    return frame.assign(date=frame["date"].astype(str)).set_index("date")


def last_audit(db):
    with db.connect() as conn:
        return conn.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()


def upload_notes(db, upload_id):
    with db.connect() as conn:
        return conn.execute(select(Upload.notes).where(Upload.id == upload_id)).scalar_one()


def count(db, model):
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def test_editing_a_cycle_changes_only_it_audits_a_sentence_and_notes_the_upload(projects):
    version = projects.data_version()
    result = editing.edit_cycle(
        projects, JANE, "P1", 2, end_date=dt.date(2025, 2, 14), decision="adapt"
    )
    after = cycles(projects)
    assert after.loc[2, "end_date"] == dt.date(2025, 2, 14)
    assert after.loc[2, "decision"] == "adapt"
    assert after.loc[1, "end_date"] == dt.date(2025, 1, 17)  # the others untouched
    assert result.sentence == (
        "Jane Smith changed cycle 2 of 'Fewer falls' (Northmoor Hospitals): end date 7 February 2025 → "
        "14 February 2025; decision adopt → adapt"
    )
    assert projects.data_version() == version + 1
    event = last_audit(projects)
    assert (event.user, event.action) == ("Jane Smith", "pdsa_cycle_edited")
    assert audit_sentence(event.action, event.detail) == (
        "Changed cycle 2 of 'Fewer falls' (Northmoor Hospitals): end date 7 February 2025 → "
        "14 February 2025; decision adopt → adapt."
    )
    assert json.loads(event.detail)["upload_id"] == result.upload_id
    [note] = upload_notes(projects, result.upload_id)[-1:]
    assert note.startswith("Changed cycle 2 of 'Fewer falls' (Northmoor Hospitals): end date")
    assert "on the PDSA page by Jane Smith" in note


def test_a_new_cycle_number_that_another_cycle_holds_is_refused_and_nothing_changes(projects):
    version = projects.data_version()
    with pytest.raises(pdsa.EntryRefused) as refused:
        editing.edit_cycle(projects, LOCAL, "P1", 3, cycle_no=1)
    assert refused.value.messages() == [
        "Cycle number: this project already has a cycle 1: choose another number"
    ]
    assert sorted(cycles(projects).index) == [1, 2, 3]
    assert projects.data_version() == version
    # A free number is fine, and the cycle keeps its other fields.
    editing.edit_cycle(projects, LOCAL, "P1", 3, cycle_no=4)
    assert cycles(projects).loc[4, "change_tested"] == "Bay tagging"


def test_a_cycle_edit_is_checked_by_the_upload_rules(projects):
    with pytest.raises(pdsa.EntryRefused) as refused:
        editing.edit_cycle(projects, LOCAL, "P1", 2, end_date=dt.date(2025, 1, 1))
    assert refused.value.messages()[0].startswith("End date: ")
    with pytest.raises(pdsa.EntryRefused) as refused:
        editing.edit_cycle(projects, LOCAL, "P1", 2, decision="keep")
    assert refused.value.messages()[0].startswith("Decision: ")
    with pytest.raises(pdsa.EntryRefused, match="nothing was changed in cycle 2"):
        editing.edit_cycle(projects, LOCAL, "P1", 2, decision="adopt")
    with pytest.raises(pdsa.EntryRefused, match="P1 has no cycle 9"):
        editing.edit_cycle(projects, LOCAL, "P1", 9, decision="adopt")
    assert cycles(projects).loc[2, "end_date"] == dt.date(2025, 2, 7)


def test_only_the_projects_organisation_or_an_admin_may_edit(projects):
    other = Viewer("Bob", "team_member", frozenset({"ZB1"}))
    viewer_only = Viewer("Eve", "facilitator")
    for who in (other, viewer_only):
        assert not editing.can_edit(projects, who, "P1")
        with pytest.raises(AccessDenied, match="your own organisation's projects"):
            editing.edit_cycle(projects, who, "P1", 1, learning="x")
        with pytest.raises(AccessDenied):
            editing.delete_measure(projects, who, "P1", dt.date(2025, 1, 6))
    assert editing.can_edit(projects, JANE, "P1")
    assert editing.can_edit(projects, Viewer("Ann", "admin"), "P3")
    assert count(projects, PdsaCycle) == 5


def test_editing_a_value_moves_the_chart_and_a_taken_date_is_refused(projects):
    editing.edit_measure(projects, JANE, "P1", dt.date(2025, 3, 17), value=13.0, note="typo")
    data = pdsa.measure_chart_data(projects, LOCAL, "P1")
    assert data["value"].iloc[-1] == 13.0
    assert json.loads(last_audit(projects).detail)["changes"] == [
        "value 30 → 13",
        "note blank → “typo”",
    ]
    with pytest.raises(pdsa.EntryRefused) as refused:
        editing.edit_measure(projects, JANE, "P1", dt.date(2025, 3, 17), date=dt.date(2025, 1, 6))
    assert refused.value.messages() == [
        "Date: this project already has a value for 6 January 2025: correct that one instead, "
        "or choose another date"
    ]
    with pytest.raises(pdsa.EntryRefused) as refused:
        editing.edit_measure(projects, JANE, "P1", dt.date(2025, 3, 17), value=None)
    assert refused.value.messages()[0].startswith("Value: ")
    moved = editing.edit_measure(
        projects, JANE, "P1", dt.date(2025, 3, 17), date=dt.date(2025, 3, 18)
    )
    assert moved.changes == ("date 17 March 2025 → 18 March 2025",)
    assert "2025-03-18" in values(projects).index


def test_deleting_a_cycle_and_a_value_and_the_last_needs_confirming(projects):
    result = editing.delete_cycle(projects, JANE, "P1", 3)
    assert sorted(cycles(projects).index) == [1, 2]
    assert result.sentence == (
        "Jane Smith deleted cycle 3 of 'Fewer falls' (Northmoor Hospitals) (started 17 February 2025, "
        "“Bay tagging”)"
    )
    assert last_audit(projects).action == "pdsa_cycle_deleted"
    # P2 has one cycle: deleting it needs a confirmation.
    with pytest.raises(pdsa.EntryRefused, match="only cycle of P2: confirm"):
        editing.delete_cycle(projects, LOCAL, "P2", 1)
    assert len(cycles(projects, "P2")) == 1
    editing.delete_cycle(projects, LOCAL, "P2", 1, confirm_last=True)
    assert cycles(projects, "P2").empty
    before = count(projects, PdsaMeasure)
    editing.delete_measure(projects, JANE, "P1", dt.date(2025, 1, 6))
    assert count(projects, PdsaMeasure) == before - 1
    for day in (6, 13, 20):
        editing.delete_measure(projects, LOCAL, "P3", dt.date(2025, 1, day))
    with pytest.raises(pdsa.EntryRefused, match="only value of P3's measure: confirm"):
        editing.delete_measure(projects, LOCAL, "P3", dt.date(2025, 1, 27))
    editing.delete_measure(projects, LOCAL, "P3", dt.date(2025, 1, 27), confirm_last=True)
    assert values(projects, "P3").empty


def test_an_edited_row_goes_with_its_upload(projects):
    result = editing.edit_cycle(projects, LOCAL, "P1", 1, learning="Keep it short")
    delete_upload(projects, result.upload_id)
    assert cycles(projects).empty
