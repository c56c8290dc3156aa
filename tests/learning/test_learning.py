"""The learning system's data layer on both databases: case study lifecycle with access by role
and organisation, the learning library's search (every source, relevance, filters, access,
forgetting deleted uploads), and ideas to projects."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import func, select

from impact_data import workshop
from impact_data.access import AccessDenied, Viewer
from impact_data.ingest import commit_upload, delete_upload, prepare_upload
from impact_data.learning import case_studies as cs
from impact_data.learning import ideas, library
from impact_data.measures import pdsa_editing
from impact_data.store.models import AuditEvent, PdsaProject, SearchDocument
from impact_data.users import audit_log
from impact_data.views.wording import audit_sentence
from tests.files import ORGS, csv_bytes, xlsx_bytes

LOCAL = Viewer.local()
ADMIN = Viewer("admin@nhs.test", "admin")
ZA1_TEAM = Viewer("za1@nhs.test", "team_member", frozenset({"ZA1"}))
ZB1_TEAM = Viewer("zb1@nhs.test", "team_member", frozenset({"ZB1"}))
EXEC = Viewer("exec@nhs.test", "executive", frozenset({"ZA1"}))
FACILITATOR = Viewer("fac@nhs.test", "facilitator")
NOBODY = Viewer("new@nhs.test", "none")

MONDAYS = [dt.date(2025, 1, 6) + dt.timedelta(weeks=i) for i in range(16)]
# Eight weeks around 20 delayed discharges, then eight around 10 after the change.
VALUES = [20, 21, 19, 22, 20, 21, 19, 20, 11, 10, 9, 10, 11, 10, 9, 10]

PDSA_FILE = {
    "Projects": [
        [
            "project_id",
            "org_code",
            "title",
            "aim",
            "start_date",
            "team",
            "measure_name",
            "improvement_direction",
            "status",
            "lived_experience_involved",
            "coach",
            "change_ideas",
        ],
        [
            "ZA1-001",
            "ZA1",
            "Earlier discharge",
            "Cut discharge delays on Ward 7 by half by June 2025",
            dt.date(2025, 1, 1),
            "Ward 7",
            "Delayed discharges per week",
            "decrease",
            "active",
            "yes",
            "Sam Coach",
            "Criteria-led discharge; morning board round",
        ],
    ],
    "Cycles": [
        [
            "project_id",
            "cycle_no",
            "start_date",
            "change_tested",
            "prediction",
            "learning",
            "decision",
        ],
        [
            "ZA1-001",
            1,
            dt.date(2025, 2, 3),
            "Morning board round",
            "We predict fewer afternoon discharges",
            "Pharmacy waits held up the medicines for going home",
            "adapt",
        ],
        [
            "ZA1-001",
            2,
            dt.date(2025, 3, 3),
            "Criteria-led discharge by nurses",
            "Nurses discharge at weekends",
            "Weekend discharges doubled",
            "adopt",
        ],
    ],
    "Measures": [
        ["project_id", "date", "value"],
        *[["ZA1-001", d, v] for d, v in zip(MONDAYS, VALUES, strict=True)],
    ],
}
VISITS = [
    ["from_org", "to_org", "visit_date", "theme", "participants", "learning"],
    ["ZB1", "ZA1", "2025-04-10", "Flow", 6, "Saw a red-to-green board that cut bed waits"],
]


def load(db, data: bytes, name: str, kind: str) -> int:
    prepared = prepare_upload(db, data, name, kind)
    assert prepared.ok, prepared.problems
    return commit_upload(db, prepared).upload_id


@pytest.fixture
def system(db):
    load(db, csv_bytes(ORGS), "orgs.csv", "organisations")
    pdsa_upload = load(db, xlsx_bytes(PDSA_FILE), "pdsa.xlsx", "pdsa")
    visit_upload = load(db, csv_bytes(VISITS), "visits.csv", "visits")
    db.pdsa_upload, db.visit_upload = pdsa_upload, visit_upload
    return db


def found(db, viewer, query, **filters) -> list[tuple[str, str]]:
    hits = library.search(db, viewer, query, **filters)
    return list(zip(hits["source"], hits["title"], strict=True))


# --- case studies -------------------------------------------------------------------------


def test_a_case_study_starts_from_a_project_prefilled(system):
    draft = cs.draft_from_project(system, ZA1_TEAM, "ZA1-001")
    assert draft["org_code"] == "ZA1" and draft["title"] == "Earlier discharge"
    assert draft["aim"] == "Cut discharge delays on Ward 7 by half by June 2025"
    assert draft["who_involved"] == "Team: Ward 7. Improvement coach: Sam Coach."
    assert (
        draft["lived_experience"] == "People with lived experience were involved in this project."
    )
    assert draft["changes_tested"].splitlines() == [
        "Change ideas: Criteria-led discharge; morning board round",
        "Cycle 1 (3 February 2025): Morning board round. Decision: adapt.",
        "Cycle 2 (3 March 2025): Criteria-led discharge by nurses. Decision: adopt.",
    ]
    assert draft["learning"].splitlines() == [
        "Cycle 1: Pharmacy waits held up the medicines for going home",
        "Cycle 2: Weekend discharges doubled",
    ]
    # The first adopted cycle is the change point.
    assert draft["change_point"] == dt.date(2025, 3, 3)
    with pytest.raises(cs.CaseStudyError, match="no PDSA project ZA1-001 that you can see"):
        cs.draft_from_project(system, ZB1_TEAM, "ZA1-001")


def test_case_study_lifecycle_with_access_by_role_and_organisation(system):
    draft = cs.draft_from_project(system, ZA1_TEAM, "ZA1-001")
    fields = {k: draft[k] for k in cs.FIELDS if k in draft}
    fields["problem"] = "Patients waited for transport after being ready to go home"
    story = cs.create_case_study(
        system,
        ZA1_TEAM,
        project_ref="ZA1-001",
        change_point=draft["change_point"],
        **fields,
    )
    # A draft: its organisation's team and admins see it; nobody else does.
    assert cs.case_studies(system, ZA1_TEAM)["id"].tolist() == [story]
    assert cs.case_studies(system, ADMIN)["status"].tolist() == ["draft"]
    for other in (ZB1_TEAM, EXEC, FACILITATOR):
        assert cs.case_studies(system, other).empty
        with pytest.raises(cs.CaseStudyError, match=f"no case study {story} that you can see"):
            cs.case_study(system, other, story)
    with pytest.raises(AccessDenied):
        cs.case_studies(system, NOBODY)
    # Only the organisation's team (or an admin) edits and publishes.
    with pytest.raises(cs.CaseStudyError):
        cs.publish(system, ZB1_TEAM, story)
    cs.publish(system, ZA1_TEAM, story)
    for reader in (ZB1_TEAM, EXEC, FACILITATOR, ADMIN):
        seen = cs.case_study(system, reader, story)
        assert seen["status"] == "published" and seen["org_name"] == "Northmoor Hospitals"
        assert seen["can_edit"] is (reader is ADMIN)
    with pytest.raises(AccessDenied, match="only ZA1's team members and admins can edit"):
        cs.update_case_study(system, ZB1_TEAM, story, title="Hijacked")
    with pytest.raises(AccessDenied):
        cs.update_case_study(system, EXEC, story, title="Executive edit")
    changed = cs.update_case_study(
        system, ZA1_TEAM, story, learning="Start with the board round", contact="ward7@nhs.test"
    )
    assert changed == ["What we learned", "Contact"]
    assert cs.update_case_study(system, ZA1_TEAM, story, contact="ward7@nhs.test") == []
    with pytest.raises(
        cs.CaseStudyError, match="Title can be at most 300 characters; this one is 301"
    ):
        cs.update_case_study(system, ZA1_TEAM, story, title="x" * 301)
    with pytest.raises(cs.CaseStudyError, match="give the case study a title"):
        cs.update_case_study(system, ZA1_TEAM, story, title="  ")
    with pytest.raises(
        cs.CaseStudyError, match="must be a date such as 2026-03-02, found '3rd March'"
    ):
        cs.update_case_study(system, ZA1_TEAM, story, change_point="3rd March")
    assert cs.case_study(system, ADMIN, story)["title"] == "Earlier discharge"
    cs.unpublish(system, ADMIN, story)
    assert cs.case_studies(system, ZB1_TEAM).empty
    assert cs.case_study(system, ZA1_TEAM, story)["published_at"] is None
    cs.delete_case_study(system, ZA1_TEAM, story)
    assert cs.case_studies(system, ADMIN).empty
    # Every change is in the audit log, as a sentence.
    log = audit_log(system, ADMIN)
    mine = log[log["action"].str.startswith("case_study")]
    assert sorted(mine["action"]) == [
        "case_study_created",
        "case_study_deleted",
        "case_study_edited",
        "case_study_published",
        "case_study_unpublished",
    ]
    sentences = [audit_sentence(a, d) for a, d in zip(mine["action"], mine["detail"], strict=True)]
    assert (
        f"Edited case study {story} “Earlier discharge” (ZA1): changed What we learned and Contact."
        in sentences
    )
    assert f"Published case study {story} “Earlier discharge” (ZA1)." in sentences


def test_a_case_study_is_written_only_for_ones_own_organisation(system):
    with pytest.raises(AccessDenied, match="only for your own organisations, not ZA1"):
        cs.create_case_study(system, ZB1_TEAM, org_code="ZA1", title="Not ours")
    with pytest.raises(AccessDenied):
        cs.create_case_study(system, EXEC, org_code="ZA1", title="Executives read")
    with pytest.raises(cs.CaseStudyError, match="there is no organisation ZZ9"):
        cs.create_case_study(system, ADMIN, org_code="ZZ9", title="Nowhere")
    with pytest.raises(cs.CaseStudyError, match="belongs to ZA1, not ZB1"):
        cs.create_case_study(system, ADMIN, org_code="ZB1", project_ref="ZA1-001", title="x")
    with pytest.raises(cs.CaseStudyError, match="no field 'colour'"):
        cs.create_case_study(system, ADMIN, org_code="ZB1", title="x", colour="red")
    with system.connect() as conn:
        assert (
            conn.execute(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action.like("case_study%"))
            ).scalar_one()
            == 0
        )


def test_the_chart_is_rebased_at_the_change_point_and_shared_once_published(system):
    story = cs.create_case_study(
        system,
        ZA1_TEAM,
        project_ref="ZA1-001",
        title="Earlier discharge",
        change_point=MONDAYS[8],
    )
    chart = cs.case_study_chart(system, ZA1_TEAM, story)
    assert chart["segment"].nunique() == 2
    before, after = (
        chart[chart["x"] < pd.Timestamp(MONDAYS[8])],
        chart[chart["x"] >= pd.Timestamp(MONDAYS[8])],
    )
    assert before["mean"].iloc[0] == pytest.approx(sum(VALUES[:8]) / 8)
    assert after["mean"].iloc[0] == pytest.approx(sum(VALUES[8:]) / 8)
    cs.publish(system, ZA1_TEAM, story)
    # Another organisation's team member sees the published chart, not the project itself.
    shared = cs.case_study_chart(system, ZB1_TEAM, story)
    assert shared["mean"].tolist() == chart["mean"].tolist()
    with pytest.raises(cs.CaseStudyError):
        cs.draft_from_project(system, ZB1_TEAM, "ZA1-001")


# --- the learning library -------------------------------------------------------------------


def test_search_finds_words_from_every_source_ranked(system):
    story = cs.create_case_study(
        system,
        ZA1_TEAM,
        org_code="ZA1",
        title="Home for lunch",
        learning="Transport booked the day before cut discharge delays",
    )
    cs.publish(system, ZA1_TEAM, story)
    session = workshop.create_session(system, FACILITATOR, "ideas", "Flow ideas")
    token = workshop.join(system, session.code, "device-1")
    workshop.post_idea(
        system, session.code, token, "Pharmacy to dispense discharge medicines at night"
    )
    assert found(system, LOCAL, "aim: ward, june")[0] == ("project", "Earlier discharge")
    assert ("cycle", "Earlier discharge: cycle 1") in found(system, LOCAL, "pharmacy waits")
    assert found(system, LOCAL, "weekend nurses") == [("cycle", "Earlier discharge: cycle 2")]
    assert found(system, LOCAL, "red-to-green board")[0] == (
        "visit",
        "Learning visit: Vale Community Health to Northmoor Hospitals",
    )
    assert found(system, LOCAL, "dispense") == [("idea", "Workshop idea: Flow ideas")]
    assert found(system, LOCAL, "lunch") == [("case_study", "Home for lunch")]
    # Stemming: "discharging" finds "discharge"; the title and repeated words rank first.
    hits = library.search(system, LOCAL, "discharging")
    assert set(hits["source"]) == {"project", "cycle", "idea", "case_study"}
    assert hits["title"].iloc[0].startswith("Earlier discharge")
    assert hits["rank"].is_monotonic_decreasing
    # Words only of common words, and quotes or operators typed by a user, are plain words.
    assert library.search(system, LOCAL, "what have they tried").empty
    assert found(system, LOCAL, 'pharmacy" OR NOT * (') == found(system, LOCAL, "pharmacy")


def test_search_filters_by_organisation_theme_date_outcome_and_source(system):
    assert found(system, LOCAL, "discharge board", org_codes=["ZB1"]) == [
        ("visit", "Learning visit: Vale Community Health to Northmoor Hospitals")
    ]
    assert found(system, LOCAL, "board", themes=["Flow"])[0][0] == "visit"
    assert found(system, LOCAL, "discharge", outcomes=["adopt"]) == [
        ("cycle", "Earlier discharge: cycle 2")
    ]
    assert found(
        system,
        LOCAL,
        "discharge round",
        date_from=dt.date(2025, 2, 1),
        date_to=dt.date(2025, 2, 28),
    ) == [("cycle", "Earlier discharge: cycle 1")]
    assert {
        s for s, _ in found(system, LOCAL, "discharge board", sources=["visit", "project"])
    } == {
        "visit",
        "project",
    }
    with pytest.raises(
        ValueError, match="outcome must be one of adopt, adapt, abandon, found 'won'"
    ):
        library.search(system, LOCAL, "discharge", outcomes=["won"])
    choices = library.library_filters(system, LOCAL)
    assert choices["themes"] == ["Flow"]
    assert choices["organisations"] == [
        ("ZA1", "Northmoor Hospitals"),
        ("ZB1", "Vale Community Health"),
    ]


def test_search_respects_access(system):
    draft = cs.create_case_study(
        system, ZA1_TEAM, org_code="ZA1", title="Secret draft", learning="zebra crossing"
    )
    # Another organisation's team member: no draft, no team-level detail, but visits.
    assert library.search(system, ZB1_TEAM, "zebra").empty
    assert library.search(system, ZB1_TEAM, "pharmacy discharge").empty
    assert found(system, ZB1_TEAM, "board")[0][0] == "visit"
    # The organisation's own team and admins see both; an executive sees detail, not drafts.
    assert found(system, ZA1_TEAM, "zebra") == [("case_study", "Secret draft")]
    assert found(system, ADMIN, "zebra") == [("case_study", "Secret draft")]
    assert library.search(system, EXEC, "zebra").empty
    assert found(system, EXEC, "pharmacy")[0][0] == "cycle"
    assert library.search(system, FACILITATOR, "pharmacy").empty
    with pytest.raises(AccessDenied):
        library.search(system, NOBODY, "board")
    cs.publish(system, ZA1_TEAM, draft)
    assert found(system, ZB1_TEAM, "zebra") == [("case_study", "Secret draft")]
    assert found(system, FACILITATOR, "zebra") == [("case_study", "Secret draft")]


def test_search_forgets_deleted_and_replaced_uploads_and_follows_corrections(system):
    assert found(system, LOCAL, "red-to-green")
    delete_upload(system, system.visit_upload)
    assert library.search(system, LOCAL, "red-to-green").empty
    # A corrected cycle is found by its new words only; a deleted one not at all.
    pdsa_editing.edit_cycle(system, LOCAL, "ZA1-001", 1, learning="Porters were the bottleneck")
    assert found(system, LOCAL, "porters") == [("cycle", "Earlier discharge: cycle 1")]
    assert library.search(system, LOCAL, "medicines").empty
    pdsa_editing.delete_cycle(system, LOCAL, "ZA1-001", 1)
    assert library.search(system, LOCAL, "porters").empty
    # Replacing the PDSA upload: the new rows are found, the old ones gone, and a case
    # study of the project finds its project again.
    story = cs.create_case_study(system, ZA1_TEAM, project_ref="ZA1-001", title="Discharge")
    changed = {
        **PDSA_FILE,
        "Projects": [
            PDSA_FILE["Projects"][0],
            [
                *PDSA_FILE["Projects"][1][:3],
                "Halve discharge delays with volunteers",
                *PDSA_FILE["Projects"][1][4:],
            ],
        ],
    }
    prepared = prepare_upload(
        system, xlsx_bytes(changed), "pdsa v2.xlsx", "pdsa", replace_upload_id=system.pdsa_upload
    )
    assert prepared.ok, prepared.problems
    commit_upload(system, prepared)
    assert found(system, LOCAL, "volunteers") == [("project", "Earlier discharge")]
    assert found(system, LOCAL, "criteria-led nurses")  # cycle 2 loaded again
    assert cs.case_study(system, ZA1_TEAM, story)["linked_to_project"] is True
    with system.connect() as conn:
        counts = dict(
            conn.execute(
                select(SearchDocument.source, func.count()).group_by(SearchDocument.source)
            ).all()
        )
    assert counts == {"project": 1, "cycle": 2, "case_study": 1}
    # Rebuilding from the sources gives the same items.
    with system.session() as s:
        assert library.rebuild_search_index(s.connection()) == 4


# --- ideas to projects ---------------------------------------------------------------------


def test_an_idea_becomes_a_project_that_remembers_it(system):
    session = workshop.create_session(system, FACILITATOR, "ideas", "Flow ideas", min_answers=3)
    tokens = [workshop.join(system, session.code, f"device-{i}") for i in range(3)]
    first = workshop.post_idea(system, session.code, tokens[0], "Discharge lounge open at 8am")
    second = workshop.post_idea(system, session.code, tokens[1], "Text patients the day before")
    workshop.toggle_vote(system, session.code, tokens[0], second)
    listed = ideas.ideas_list(system, ZB1_TEAM)
    # One voter so far: fewer than the workshop's minimum, so no vote counts are shown.
    assert listed["text"].tolist() == [
        "Text patients the day before",
        "Discharge lounge open at 8am",
    ]
    assert listed["votes"].isna().all()
    workshop.toggle_vote(system, session.code, tokens[1], second)
    workshop.toggle_vote(system, session.code, tokens[2], first)
    listed = ideas.ideas_list(system, ZB1_TEAM).set_index("idea_id")
    assert listed.loc[second, "votes"] == 2 and listed.loc[first, "votes"] == 1
    with pytest.raises(AccessDenied, match="only for your own organisations, not ZA1"):
        ideas.idea_to_project(
            system,
            ZB1_TEAM,
            first,
            project_ref="ZA1-002",
            org_code="ZA1",
            aim="x",
            start_date=dt.date(2025, 5, 1),
        )
    with pytest.raises(pdsa_editing.EntryRefused, match="the project was not started") as refused:
        ideas.idea_to_project(
            system,
            ZB1_TEAM,
            first,
            project_ref="ZB1-001",
            org_code="ZB1",
            aim="",
            start_date=dt.date(2025, 5, 1),
        )
    assert any(p.column == "aim" for p in refused.value.problems)
    with pytest.raises(LookupError, match="no workshop idea 999"):
        ideas.idea_to_project(
            system,
            ZB1_TEAM,
            999,
            project_ref="ZB1-001",
            org_code="ZB1",
            aim="x",
            start_date=dt.date(2025, 5, 1),
        )
    result = ideas.idea_to_project(
        system,
        ZB1_TEAM,
        first,
        project_ref="ZB1-001",
        org_code="ZB1",
        aim="Half of discharges before noon by July 2025",
        start_date=dt.date(2025, 5, 1),
        team="Discharge lounge",
    )
    assert result.row_counts == {"pdsa_projects": 1}
    with system.connect() as conn:
        project = conn.execute(
            select(PdsaProject.__table__).where(PdsaProject.project_ref == "ZB1-001")
        ).one()
    assert (project.title, project.change_ideas, project.source_idea_id) == (
        "Discharge lounge open at 8am",
        "Discharge lounge open at 8am",
        first,
    )
    origin = ideas.idea_of_project(system, ZB1_TEAM, "ZB1-001")
    assert origin == {
        "idea_id": first,
        "text": "Discharge lounge open at 8am",
        "workshop": "Flow ideas",
        "code": session.code,
        "posted": origin["posted"],
    }
    assert ideas.idea_of_project(system, ZA1_TEAM, "ZB1-001") is None  # not their detail
    assert ideas.ideas_list(system, ZB1_TEAM).set_index("idea_id").loc[first, "projects"] == [
        "ZB1-001"
    ]
    assert ideas.ideas_list(system, ZA1_TEAM).set_index("idea_id").loc[first, "projects"] == []
    assert found(system, ZB1_TEAM, "lounge")[0] == ("project", "Discharge lounge open at 8am")
