"""From ideas to projects: every workshop's change ideas in one system-wide list, and a
team's way to turn one into a PDSA project that remembers the idea it came from.

A project made from an idea goes through the normal upload path (validation, all or nothing,
upload history, delete), exactly like a project in a file; then the project is marked with
the idea's id.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import func, select, update

from impact_data.access import AccessDenied, Viewer, requires_access
from impact_data.ingest import UploadRefused, UploadResult
from impact_data.ingest.uploads import commit_file, prepare_file
from impact_data.measures.pdsa_editing import EntryRefused, entry_csv, entry_problem_text
from impact_data.store.db import Database
from impact_data.store.models import (
    Organisation,
    PdsaProject,
    WorkshopIdea,
    WorkshopSession,
    WorkshopVote,
)

__all__ = [
    "IDEA_PROJECT_FIELDS",
    "idea_of_project",
    "idea_to_project",
    "ideas_list",
]

IDEA_PROJECT_FIELDS = (
    "project_id",
    "org_code",
    "title",
    "aim",
    "start_date",
    "team",
    "measure_name",
    "improvement_direction",
    "change_ideas",
)
IDEA_PROJECT_FILE = "PDSA project started from a workshop idea.csv"


@requires_access
def ideas_list(db: Database, viewer: Viewer, *, limit: int = 500) -> pd.DataFrame:
    """Every workshop's ideas, most backed first: idea_id, text, workshop (title), code,
    posted (date), votes (missing while the workshop has fewer voters than its minimum for
    showing results) and projects (references of the PDSA projects made from it, that
    this viewer may see in detail)."""
    columns = ["idea_id", "text", "workshop", "code", "posted", "votes", "projects"]
    votes = (
        select(WorkshopVote.idea_id, func.count().label("votes"))
        .group_by(WorkshopVote.idea_id)
        .subquery()
    )
    voters = (
        select(
            WorkshopVote.session_id,
            func.count(func.distinct(WorkshopVote.participant_id)).label("voters"),
        )
        .group_by(WorkshopVote.session_id)
        .subquery()
    )
    with db.connect() as conn:
        rows = conn.execute(
            select(
                WorkshopIdea.id,
                WorkshopIdea.text,
                WorkshopSession.title,
                WorkshopSession.code,
                WorkshopIdea.created_at,
                func.coalesce(votes.c.votes, 0).label("votes"),
                func.coalesce(voters.c.voters, 0).label("voters"),
                WorkshopSession.min_answers,
            )
            .join(WorkshopSession, WorkshopSession.id == WorkshopIdea.session_id)
            .outerjoin(votes, votes.c.idea_id == WorkshopIdea.id)
            .outerjoin(voters, voters.c.session_id == WorkshopIdea.session_id)
            .order_by(func.coalesce(votes.c.votes, 0).desc(), WorkshopIdea.id)
            .limit(max(int(limit), 1))
        ).all()
        made = conn.execute(
            select(PdsaProject.source_idea_id, PdsaProject.project_ref, Organisation.org_code)
            .join(Organisation, Organisation.id == PdsaProject.org_id)
            .where(PdsaProject.source_idea_id.is_not(None))
            .order_by(PdsaProject.project_ref)
        ).all()
    projects: dict[int, list[str]] = {}
    for idea_id, ref, org_code in made:
        if viewer.can_see_detail(org_code):
            projects.setdefault(idea_id, []).append(ref)
    records = [
        {
            "idea_id": r.id,
            "text": r.text,
            "workshop": r.title,
            "code": r.code,
            "posted": r.created_at.date() if isinstance(r.created_at, dt.datetime) else None,
            # The workshop's own rule: votes show once enough people have voted.
            "votes": float(r.votes) if r.voters >= r.min_answers else float("nan"),
            "projects": projects.get(r.id, []),
        }
        for r in rows
    ]
    return pd.DataFrame(records, columns=columns)


@requires_access
def idea_to_project(
    db: Database,
    viewer: Viewer,
    idea_id: int,
    *,
    project_ref: str,
    org_code: str,
    title: str | None = None,
    aim: str,
    start_date: dt.date | None,
    team: str | None = None,
    measure_name: str | None = None,
    improvement_direction: str | None = None,
) -> UploadResult:
    """Start a PDSA project from a workshop idea for one of this viewer's organisations: the
    idea is its change idea (and, unless given, its title). Raises EntryRefused listing the
    problems (row, field, expected, found), AccessDenied, or LookupError for an unknown idea."""
    with db.connect() as conn:
        idea = conn.execute(
            select(WorkshopIdea.id, WorkshopIdea.text).where(WorkshopIdea.id == int(idea_id))
        ).first()
    if idea is None:
        raise LookupError(f"there is no workshop idea {idea_id}")
    if not viewer.can_upload_for({org_code}):
        raise AccessDenied(
            f"you can start projects only for your own organisations, not {org_code or 'none'}"
        )
    row = {
        "project_id": (project_ref or "").strip(),
        "org_code": org_code,
        "title": (title or "").strip() or idea.text,
        "aim": aim,
        "start_date": start_date,
        "team": team,
        "measure_name": measure_name,
        "improvement_direction": improvement_direction,
        "change_ideas": idea.text,
    }
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    data = entry_csv(
        IDEA_PROJECT_FIELDS,
        row,
        f"PDSA project from workshop idea {idea.id} by {viewer.user} at {stamp}",
    )
    prepared, _remembered = prepare_file(db, data, IDEA_PROJECT_FILE, "pdsa", viewer=viewer)
    if not prepared.ok:
        raise EntryRefused(
            "the project was not started: "
            + "; ".join(entry_problem_text(p) for p in prepared.problems),
            prepared.problems,
        )
    try:
        result = commit_file(db, prepared, viewer=viewer)
    except UploadRefused as exc:
        raise EntryRefused(f"the project was not started: {exc}", exc.problems) from exc
    with db.session() as s:
        s.execute(
            update(PdsaProject)
            .where(PdsaProject.project_ref == row["project_id"])
            .values(source_idea_id=idea.id)
        )
    return result


@requires_access
def idea_of_project(db: Database, viewer: Viewer, project_ref: str) -> dict | None:
    """The workshop idea a project came from (idea_id, text, workshop, code, posted), or
    None when it did not come from one or the viewer cannot see the project's detail."""
    with db.connect() as conn:
        row = conn.execute(
            select(
                WorkshopIdea.id,
                WorkshopIdea.text,
                WorkshopSession.title,
                WorkshopSession.code,
                WorkshopIdea.created_at,
                Organisation.org_code,
            )
            .select_from(PdsaProject)
            .join(Organisation, Organisation.id == PdsaProject.org_id)
            .join(WorkshopIdea, WorkshopIdea.id == PdsaProject.source_idea_id)
            .join(WorkshopSession, WorkshopSession.id == WorkshopIdea.session_id)
            .where(PdsaProject.project_ref == project_ref)
        ).first()
    if row is None or not viewer.can_see_detail(row.org_code):
        return None
    return {
        "idea_id": row.id,
        "text": row.text,
        "workshop": row.title,
        "code": row.code,
        "posted": row.created_at.date() if isinstance(row.created_at, dt.datetime) else None,
    }
