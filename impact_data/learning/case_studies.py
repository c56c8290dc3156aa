"""Case studies: a team's short story of an improvement project, shared with the system.

A case study belongs to one organisation. A draft is seen and edited only by that
organisation's team members and admins; once published it is read by everyone with access
(and still edited only by them). A case study can start from a PDSA project: its aim, change
ideas, cycles' changes and learning and lived experience involvement are filled in, and its
chart is the project's measure with the limits rebased at the change point. Every change is
written to the audit log and re-indexed for the learning library in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import select

from impact_data.access import AccessDenied, Viewer, requires_access
from impact_data.learning.library import index_case_study
from impact_data.measures import pdsa as pdsa_measure
from impact_data.store.db import Database, bump_data_version
from impact_data.store.models import CaseStudy, Organisation, PdsaProject
from impact_data.users import audit
from impact_data.views.wording import is_missing, uk_date

__all__ = [
    "FIELDS",
    "MAX_TEXT_LENGTH",
    "STATUSES",
    "CaseStudyError",
    "can_edit",
    "case_studies",
    "case_study",
    "case_study_chart",
    "create_case_study",
    "delete_case_study",
    "draft_from_project",
    "publish",
    "unpublish",
    "update_case_study",
]

# The story's parts, in the order a reader meets them, with the label shown for each.
FIELDS = {
    "title": "Title",
    "problem": "The problem",
    "aim": "Aim",
    "who_involved": "Who was involved",
    "lived_experience": "People with lived experience",
    "changes_tested": "Changes tested",
    "learning": "What we learned",
    "contact": "Contact",
}
SHORT_FIELDS = {"title": 300, "contact": 300}
MAX_TEXT_LENGTH = 5000
STATUSES = ("draft", "published")


class CaseStudyError(ValueError):
    """A case study that cannot be saved as given, or one that does not exist."""


def can_edit(viewer: Viewer, org_code: str) -> bool:
    """Admins edit every case study; team members their own organisations' ones."""
    return viewer.is_admin or (viewer.role == "team_member" and org_code in viewer.org_codes)


def _visible(viewer: Viewer, row: CaseStudy) -> bool:
    return row.status == "published" or can_edit(viewer, row.org_code)


def _clean(fields: dict[str, Any]) -> dict[str, str | None]:
    """The story's fields tidied and checked: a specific message for each problem."""
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise CaseStudyError(f"a case study has no field {unknown[0]!r}")
    cleaned: dict[str, str | None] = {}
    for name, value in fields.items():
        text = "" if value is None or is_missing(value) else str(value).strip()
        limit = SHORT_FIELDS.get(name, MAX_TEXT_LENGTH)
        if len(text) > limit:
            raise CaseStudyError(
                f"{FIELDS[name]} can be at most {limit:,} characters; this one is {len(text):,}"
            )
        cleaned[name] = text or None
    if "title" in cleaned and not cleaned["title"]:
        raise CaseStudyError("give the case study a title")
    return cleaned


def _change_point(value: object) -> dt.date | None:
    if value is None or is_missing(value) or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise CaseStudyError(
            f"the change point must be a date such as 2026-03-02, found {value!r}"
        ) from None


def _row_dict(row: CaseStudy, org_name: str | None, viewer: Viewer) -> dict[str, Any]:
    record = {name: getattr(row, name) for name in FIELDS}
    record.update(
        id=row.id,
        org_code=row.org_code,
        org_name=org_name or row.org_code,
        project_ref=row.project_ref,
        linked_to_project=row.project_id is not None,
        status=row.status,
        change_point=row.change_point,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
        published_at=row.published_at,
        can_edit=can_edit(viewer, row.org_code),
    )
    return record


@requires_access
def case_studies(
    db: Database, viewer: Viewer, *, project_ref: str | None = None, status: str | None = None
) -> pd.DataFrame:
    """The case studies this viewer may read (published ones, and drafts of organisations they
    edit for), newest first: id, title, org_code, org_name, status, project_ref, updated_at,
    published_at, can_edit."""
    columns = [
        "id",
        "title",
        "org_code",
        "org_name",
        "status",
        "project_ref",
        "updated_at",
        "published_at",
        "can_edit",
    ]
    q = (
        select(CaseStudy, Organisation.org_name)
        .outerjoin(Organisation, Organisation.org_code == CaseStudy.org_code)
        .order_by(CaseStudy.updated_at.desc(), CaseStudy.id.desc())
    )
    if project_ref is not None:
        q = q.where(CaseStudy.project_ref == project_ref)
    if status is not None:
        q = q.where(CaseStudy.status == status)
    if not viewer.is_admin:
        own = sorted(viewer.org_codes) if viewer.role == "team_member" else []
        q = q.where((CaseStudy.status == "published") | CaseStudy.org_code.in_(own))
    with db.read_session() as s:
        rows = [_row_dict(row, name, viewer) for row, name in s.execute(q).all()]
    return pd.DataFrame([{c: r[c] for c in columns} for r in rows], columns=columns)


@requires_access
def case_study(db: Database, viewer: Viewer, case_study_id: int) -> dict[str, Any]:
    """One case study, if this viewer may read it (else CaseStudyError)."""
    with db.read_session() as s:
        found = s.execute(
            select(CaseStudy, Organisation.org_name)
            .outerjoin(Organisation, Organisation.org_code == CaseStudy.org_code)
            .where(CaseStudy.id == int(case_study_id))
        ).first()
    if found is None or not _visible(viewer, found[0]):
        raise CaseStudyError(f"there is no case study {case_study_id} that you can see")
    return _row_dict(found[0], found[1], viewer)


@requires_access
def draft_from_project(db: Database, viewer: Viewer, project_ref: str) -> dict[str, Any]:
    """A new case study's fields filled in from a PDSA project this viewer can see: title,
    aim, who was involved, lived experience involvement, the change ideas and each cycle's
    change, decision and learning, and as change point the start of the first adopted cycle
    (else of the first cycle). Nothing is saved."""
    record = pdsa_measure.pdsa_project_record(db, viewer, project_ref)
    if record.empty:
        raise CaseStudyError(f"there is no PDSA project {project_ref} that you can see")
    project = {k: (None if is_missing(v) else v) for k, v in record.iloc[0].to_dict().items()}
    cycles = pdsa_measure.pdsa_cycles(db, viewer, project_ids=[project_ref])
    cycles = cycles.sort_values("cycle_no") if not cycles.empty else cycles
    changes, learning = [], []
    if project.get("change_ideas"):
        changes.append(f"Change ideas: {project['change_ideas']}")
    for cycle in cycles.itertuples():
        decision = "" if is_missing(cycle.decision) else f" Decision: {cycle.decision}."
        change = "" if is_missing(cycle.change_tested) else f" {cycle.change_tested}."
        changes.append(
            f"Cycle {cycle.cycle_no} ({uk_date(cycle.start_date)}):{change}{decision}".rstrip(":")
        )
        if not is_missing(cycle.learning):
            learning.append(f"Cycle {cycle.cycle_no}: {cycle.learning}")
    who = []
    if project.get("team"):
        who.append(f"Team: {project['team']}.")
    if project.get("coach"):
        who.append(f"Improvement coach: {project['coach']}.")
    lived = project.get("lived_experience_involved")
    lived_text = {
        True: "People with lived experience were involved in this project.",
        False: "People with lived experience were not involved in this project.",
    }.get(None if lived is None else bool(lived))
    change_point = None
    if not cycles.empty:
        adopted = cycles[cycles["decision"] == "adopt"]
        first = adopted if not adopted.empty else cycles
        change_point = pd.Timestamp(first["start_date"].iloc[0]).date()
    return {
        "org_code": project["org_code"],
        "org_name": project["org_name"],
        "project_ref": project_ref,
        "title": project["title"],
        "problem": None,
        "aim": project["aim"],
        "who_involved": " ".join(who) or None,
        "lived_experience": lived_text,
        "changes_tested": "\n".join(changes) or None,
        "learning": "\n".join(learning) or None,
        "contact": None,
        "change_point": change_point,
    }


def _audit(session, viewer: Viewer, action: str, row: CaseStudy, **extra: Any) -> None:
    audit(
        session,
        viewer.user,
        action,
        {"case_study_id": row.id, "title": row.title, "org_code": row.org_code, **extra},
    )


@requires_access
def create_case_study(
    db: Database,
    viewer: Viewer,
    *,
    org_code: str | None = None,
    project_ref: str | None = None,
    change_point: object = None,
    **fields: Any,
) -> int:
    """Save a new draft case study for an organisation (the project's, when started from a
    project this viewer can see); returns its id."""
    cleaned = _clean({"title": fields.get("title"), **fields})
    project_id = None
    if project_ref:
        record = pdsa_measure.pdsa_project_record(db, viewer, project_ref)
        if record.empty:
            raise CaseStudyError(f"there is no PDSA project {project_ref} that you can see")
        project_org = str(record["org_code"].iloc[0])
        if org_code and org_code != project_org:
            raise CaseStudyError(
                f"project {project_ref} belongs to {project_org}, not {org_code}: a case study "
                "belongs to its project's organisation"
            )
        org_code = project_org
    if not org_code:
        raise CaseStudyError("choose the organisation the case study belongs to")
    if not can_edit(viewer, org_code):
        raise AccessDenied(
            f"you can write case studies only for your own organisations, not {org_code}"
        )
    point = _change_point(change_point)
    now = dt.datetime.now(dt.UTC)
    with db.session() as s:
        if s.scalar(select(Organisation.id).where(Organisation.org_code == org_code)) is None:
            raise CaseStudyError(f"there is no organisation {org_code}")
        if project_ref:
            project_id = s.scalar(
                select(PdsaProject.id).where(PdsaProject.project_ref == project_ref)
            )
        row = CaseStudy(
            org_code=org_code,
            project_id=project_id,
            project_ref=project_ref or None,
            status="draft",
            change_point=point,
            created_by=viewer.user,
            created_at=now,
            updated_by=viewer.user,
            updated_at=now,
            **cleaned,
        )
        s.add(row)
        s.flush()
        index_case_study(s.connection(), row.id)
        _audit(s, viewer, "case_study_created", row, project_ref=project_ref)
        bump_data_version(s)
        return row.id


def _editable(s, viewer: Viewer, case_study_id: int, action: str) -> CaseStudy:
    row = s.get(CaseStudy, int(case_study_id), with_for_update=True)
    if row is None or not _visible(viewer, row):
        raise CaseStudyError(f"there is no case study {case_study_id} that you can see")
    if not can_edit(viewer, row.org_code):
        raise AccessDenied(
            f"only {row.org_code}'s team members and admins can {action} this case study"
        )
    return row


@requires_access
def update_case_study(
    db: Database, viewer: Viewer, case_study_id: int, *, change_point: object = ..., **fields: Any
) -> list[str]:
    """Change a case study's fields (and change point); returns the labels of what changed."""
    cleaned = _clean(fields)
    with db.session() as s:
        row = _editable(s, viewer, case_study_id, "edit")
        changed = [FIELDS[n] for n, v in cleaned.items() if getattr(row, n) != v]
        for name, value in cleaned.items():
            setattr(row, name, value)
        if change_point is not ...:
            point = _change_point(change_point)
            if point != row.change_point:
                changed.append("Change point")
                row.change_point = point
        if not changed:
            return []
        row.updated_by = viewer.user
        row.updated_at = dt.datetime.now(dt.UTC)
        s.flush()
        index_case_study(s.connection(), row.id)
        _audit(s, viewer, "case_study_edited", row, changed=changed)
        bump_data_version(s)
    return changed


def _set_status(db: Database, viewer: Viewer, case_study_id: int, status: str) -> None:
    verb = "publish" if status == "published" else "unpublish"
    with db.session() as s:
        row = _editable(s, viewer, case_study_id, verb)
        if row.status == status:
            return
        row.status = status
        now = dt.datetime.now(dt.UTC)
        row.published_at = now if status == "published" else None
        row.updated_by = viewer.user
        row.updated_at = now
        s.flush()
        index_case_study(s.connection(), row.id)
        _audit(s, viewer, f"case_study_{verb}ed", row)
        bump_data_version(s)


@requires_access
def publish(db: Database, viewer: Viewer, case_study_id: int) -> None:
    """Publish a case study: everyone with access can read it."""
    _set_status(db, viewer, case_study_id, "published")


@requires_access
def unpublish(db: Database, viewer: Viewer, case_study_id: int) -> None:
    """Take a case study back to a draft its organisation alone can see."""
    _set_status(db, viewer, case_study_id, "draft")


@requires_access
def delete_case_study(db: Database, viewer: Viewer, case_study_id: int) -> None:
    """Delete a case study (its library item goes with it)."""
    with db.session() as s:
        row = _editable(s, viewer, case_study_id, "delete")
        _audit(s, viewer, "case_study_deleted", row)
        s.delete(row)
        bump_data_version(s)


@requires_access
def case_study_chart(db: Database, viewer: Viewer, case_study_id: int) -> pd.DataFrame | None:
    """The case study's before-and-after chart: its project's measure as an XmR chart with
    the limits rebased at the change point (None when it has no project with measures).

    A published case study shares its chart with everyone: the chart is read with its own
    organisation's detail rights, exactly what its team chose to publish."""
    from impact_data.views.pdsa import measure_chart_data

    story = case_study(db, viewer, case_study_id)
    if not story["project_ref"] or not story["linked_to_project"]:
        return None
    reader = (
        viewer
        if story["status"] != "published"
        else Viewer(viewer.user, "team_member", frozenset({story["org_code"]}))
    )
    try:
        data = measure_chart_data(
            db,
            reader,
            story["project_ref"],
            chart="xmr",
            rebase_at=[story["change_point"]] if story["change_point"] else None,
        )
    except ValueError:
        # A change point outside the measure's dates: the chart without rebasing.
        try:
            data = measure_chart_data(db, reader, story["project_ref"], chart="xmr")
        except ValueError:
            return None
    if data.empty:
        return None
    data.attrs["change_point"] = story["change_point"]
    return data
