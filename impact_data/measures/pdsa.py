"""PDSA figures: the project registry, cycles, measures, and activity (cycles in the last 90
days, cycles per month, decisions, the share of projects involving people with lived
experience), one function per figure.

Every screen (Overview, PDSA, Compare), the board pack and `python -m impact_data export`
take PDSA activity from here. Project-level detail (projects, cycles, measures) is limited to
the organisations the viewer may see in detail; organisation-level counts are not.
PDSA figures count projects and cycles, not people, so no small-number suppression applies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd
from sqlalchemy import case, func, select

from impact_data.access import Viewer, requires_access
from impact_data.store.db import Database
from impact_data.store.models import PdsaCycle, PdsaMeasure, PdsaProject
from impact_data.store.sql import ORG, limit_detail, month_start, only_orgs, read_frame

__all__ = [
    "lived_experience_by_year",
    "RECENT_DAYS",
    "pdsa_activity",
    "pdsa_cycles",
    "pdsa_cycles_per_month",
    "pdsa_decisions",
    "pdsa_first_projects",
    "pdsa_last_cycle_no",
    "pdsa_measure_points",
    "pdsa_measures",
    "pdsa_project_org",
    "pdsa_project_record",
    "pdsa_projects",
    "recent_cycles_column",
]

# "PDSA activity" on every screen: cycles started in the last 90 days.
RECENT_DAYS = 90


def recent_cycles_column(days: int = RECENT_DAYS) -> str:
    """The name of `pdsa_activity`'s recent-cycles column ("cycles_last_90_days")."""
    return f"cycles_last_{days}_days"


@requires_access
def pdsa_projects(
    db: Database, viewer: Viewer, *, org_codes: Iterable[str] | None = None
) -> pd.DataFrame:
    """PDSA projects with their cycle counts and latest cycle start."""
    p = PdsaProject
    cycles = (
        select(
            PdsaCycle.project_id,
            func.count().label("cycles"),
            func.max(PdsaCycle.start_date).label("last_cycle"),
        )
        .group_by(PdsaCycle.project_id)
        .subquery()
    )
    q = (
        select(
            p.project_ref.label("project_id"),
            ORG.c.org_code,
            p.title,
            p.aim,
            p.team,
            p.start_date,
            p.status,
            p.measure_name,
            p.improvement_direction,
            p.target,
            p.lived_experience_involved,
            p.coach,
            func.coalesce(cycles.c.cycles, 0).label("cycles"),
            cycles.c.last_cycle,
        )
        .join(ORG, ORG.c.id == p.org_id)
        .outerjoin(cycles, cycles.c.project_id == p.id)
        .order_by(ORG.c.org_code, p.project_ref)
    )
    return read_frame(db, only_orgs(limit_detail(q, viewer), org_codes))


@requires_access
def pdsa_project_record(db: Database, viewer: Viewer, project_id: str) -> pd.DataFrame:
    """One project's stored fields with its organisation's name (empty if not visible)."""
    p = PdsaProject
    q = (
        select(
            p.project_ref.label("project_id"),
            ORG.c.org_code,
            ORG.c.org_name,
            p.title,
            p.aim,
            p.team,
            p.start_date,
            p.status,
            p.measure_name,
            p.improvement_direction,
            p.target,
            p.lived_experience_involved,
            p.coach,
            p.change_ideas,
        )
        .join(ORG, ORG.c.id == p.org_id)
        .where(p.project_ref == project_id)
    )
    return read_frame(db, limit_detail(q, viewer))


@requires_access
def pdsa_cycles(
    db: Database, viewer: Viewer, *, project_ids: Iterable[str] | None = None
) -> pd.DataFrame:
    """PDSA cycles with their project and organisation."""
    c, p = PdsaCycle, PdsaProject
    q = (
        select(
            p.project_ref.label("project_id"),
            ORG.c.org_code,
            c.cycle_no,
            c.start_date,
            c.end_date,
            c.change_tested,
            c.prediction,
            c.what_happened,
            c.learning,
            c.decision,
        )
        .join(p, p.id == c.project_id)
        .join(ORG, ORG.c.id == p.org_id)
        .order_by(p.project_ref, c.cycle_no)
    )
    if project_ids is not None:
        q = q.where(p.project_ref.in_(list(project_ids)))
    return read_frame(db, limit_detail(q, viewer))


@requires_access
def pdsa_measures(
    db: Database, viewer: Viewer, *, project_ids: Iterable[str] | None = None
) -> pd.DataFrame:
    """Measure values of PDSA projects, in date order."""
    m, p = PdsaMeasure, PdsaProject
    q = (
        select(
            p.project_ref.label("project_id"),
            ORG.c.org_code,
            m.date,
            m.value,
            m.numerator,
            m.denominator,
            m.exposure,
            m.note,
        )
        .join(p, p.id == m.project_id)
        .join(ORG, ORG.c.id == p.org_id)
        .order_by(p.project_ref, m.date)
    )
    if project_ids is not None:
        q = q.where(p.project_ref.in_(list(project_ids)))
    return read_frame(db, limit_detail(q, viewer))


@requires_access
def pdsa_measure_points(
    db: Database, viewer: Viewer, *, project_ids: Iterable[str] | None = None
) -> pd.DataFrame:
    """The points of PDSA measures (project_id, date, value), in date order: the rows of
    `pdsa_measures` without the columns an XmR chart's icons do not read."""
    m, p = PdsaMeasure, PdsaProject
    q = (
        select(p.project_ref.label("project_id"), m.date, m.value)
        .join(p, p.id == m.project_id)
        .join(ORG, ORG.c.id == p.org_id)
        .order_by(p.project_ref, m.date)
    )
    if project_ids is not None:
        q = q.where(p.project_ref.in_(list(project_ids)))
    with db.connect() as conn:
        result = conn.execute(limit_detail(q, viewer))
        columns = list(result.keys())
        # A hundred thousand points at national scale: plain rows from the driver's cursor,
        # their dates converted once per distinct day (a SQLAlchemy Row and a date per point
        # cost more than the query).
        frame = pd.DataFrame.from_records(result.cursor.fetchall(), columns=columns)
    days = {day: pd.Timestamp(day).date() for day in frame["date"].unique()}
    frame["date"] = frame["date"].map(days).astype(object)
    return frame


@requires_access
def pdsa_last_cycle_no(db: Database, viewer: Viewer, project_id: str) -> int:
    """The highest cycle number stored for a project (0 if none)."""
    with db.connect() as conn:
        latest = conn.execute(
            select(func.max(PdsaCycle.cycle_no))
            .join(PdsaProject, PdsaProject.id == PdsaCycle.project_id)
            .where(PdsaProject.project_ref == project_id)
        ).scalar()
    return int(latest or 0)


def pdsa_project_org(db: Database, project_id: str) -> str | None:
    """The organisation a project belongs to (None for an unknown project)."""
    with db.connect() as conn:
        return conn.execute(
            select(ORG.c.org_code)
            .join(PdsaProject, PdsaProject.org_id == ORG.c.id)
            .where(PdsaProject.project_ref == project_id)
        ).scalar()


@requires_access
def pdsa_activity(
    db: Database,
    viewer: Viewer,
    *,
    as_of: dt.date | None = None,
    days: int = RECENT_DAYS,
    org_codes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """THE PDSA activity figure, per organisation: projects, active projects, cycles started
    in the `days` days up to `as_of` (`recent_cycles_column(days)`), and the share of projects
    involving people with lived experience (among those that recorded it)."""
    as_of = as_of or dt.date.today()
    since = as_of - dt.timedelta(days=days)
    p, c = PdsaProject, PdsaCycle
    recent = (
        select(p.org_id, func.count().label("recent_cycles"))
        .select_from(c)
        .join(p, p.id == c.project_id)
        .where(c.start_date > since, c.start_date <= as_of)
        .group_by(p.org_id)
        .subquery()
    )
    projects = (
        select(
            p.org_id,
            func.count().label("projects"),
            func.sum(case((p.status == "active", 1), else_=0)).label("active_projects"),
            func.sum(case((p.lived_experience_involved.is_(True), 1), else_=0)).label(
                "lived_experience_projects"
            ),
            func.count(p.lived_experience_involved).label("lived_experience_recorded"),
        )
        .group_by(p.org_id)
        .subquery()
    )
    q = (
        select(
            ORG.c.org_code,
            func.coalesce(projects.c.projects, 0).label("projects"),
            func.coalesce(projects.c.active_projects, 0).label("active_projects"),
            func.coalesce(recent.c.recent_cycles, 0).label(recent_cycles_column(days)),
            func.coalesce(projects.c.lived_experience_projects, 0).label(
                "lived_experience_projects"
            ),
            func.coalesce(projects.c.lived_experience_recorded, 0).label(
                "lived_experience_recorded"
            ),
        )
        .select_from(ORG)
        .outerjoin(projects, projects.c.org_id == ORG.c.id)
        .outerjoin(recent, recent.c.org_id == ORG.c.id)
        .order_by(ORG.c.org_code)
    )
    frame = read_frame(db, only_orgs(q, org_codes))
    for col in frame.columns[1:]:
        frame[col] = frame[col].astype(int)
    # Share among the projects that recorded it: a blank is "not recorded", not "no".
    recorded = frame["lived_experience_recorded"]
    frame["lived_experience_share"] = (
        frame["lived_experience_projects"] / recorded.where(recorded > 0)
    ).astype(float)
    return frame.reset_index(drop=True)


@requires_access
def pdsa_cycles_per_month(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """THE monthly PDSA figure: cycles started per organisation and month (up to `as_of` when
    given), counted in the database; months in which an organisation started none are absent.
    Columns: month (first day, datetime), org_code, cycles."""
    c, p = PdsaCycle, PdsaProject
    month = month_start(db, c.start_date)
    q = (
        select(ORG.c.org_code, month.label("month"), func.count().label("cycles"))
        .select_from(c)
        .join(p, p.id == c.project_id)
        .join(ORG, ORG.c.id == p.org_id)
        .group_by(ORG.c.org_code, month)
        .order_by(month, ORG.c.org_code)
    )
    if as_of is not None:
        q = q.where(c.start_date <= as_of)
    frame = read_frame(db, only_orgs(q, org_codes))
    if frame.empty:
        return pd.DataFrame(
            {
                "month": pd.Series(dtype="datetime64[ns]"),
                "org_code": pd.Series(dtype=object),
                "cycles": pd.Series(dtype=int),
            }
        )
    frame["month"] = pd.to_datetime(frame["month"])
    frame["cycles"] = frame["cycles"].astype(int)
    return frame[["month", "org_code", "cycles"]]


@requires_access
def pdsa_first_projects(
    db: Database, viewer: Viewer, *, org_codes: Iterable[str] | None = None
) -> pd.DataFrame:
    """Per organisation with projects: the start date of its first project."""
    p = PdsaProject
    q = (
        select(ORG.c.org_code, func.min(p.start_date).label("first_project"))
        .join(ORG, ORG.c.id == p.org_id)
        .group_by(ORG.c.org_code)
        .order_by(ORG.c.org_code)
    )
    frame = read_frame(db, only_orgs(q, org_codes))
    frame["first_project"] = pd.to_datetime(frame["first_project"]).dt.date
    return frame


@requires_access
def pdsa_decisions(
    db: Database, viewer: Viewer, *, org_codes: Iterable[str] | None = None
) -> pd.DataFrame:
    """Per organisation and cycle decision (None while running): how many cycles."""
    c, p = PdsaCycle, PdsaProject
    q = (
        select(ORG.c.org_code, c.decision, func.count().label("n"))
        .select_from(c)
        .join(p, p.id == c.project_id)
        .join(ORG, ORG.c.id == p.org_id)
        .group_by(ORG.c.org_code, c.decision)
    )
    return read_frame(db, only_orgs(q, org_codes))


@requires_access
def lived_experience_by_year(
    db: Database, viewer: Viewer, *, org_codes: Iterable[str] | None = None
) -> pd.DataFrame:
    """Per organisation and project start year: projects, those involving people with lived
    experience, and the share among projects that recorded it (as `pdsa_activity` counts it)."""
    p = PdsaProject
    year = func.extract("year", p.start_date)
    q = (
        select(
            ORG.c.org_code,
            year.label("year"),
            func.count().label("projects"),
            func.sum(case((p.lived_experience_involved.is_(True), 1), else_=0)).label(
                "lived_experience_projects"
            ),
            func.count(p.lived_experience_involved).label("lived_experience_recorded"),
        )
        .join(ORG, ORG.c.id == p.org_id)
        .group_by(ORG.c.org_code, year)
        .order_by(ORG.c.org_code, year)
    )
    frame = read_frame(db, only_orgs(q, org_codes))
    for col in ("year", "projects", "lived_experience_projects", "lived_experience_recorded"):
        frame[col] = frame[col].astype(int)
    recorded = frame["lived_experience_recorded"]
    frame["lived_experience_share"] = frame["lived_experience_projects"] / recorded.where(
        recorded > 0
    )
    return frame
