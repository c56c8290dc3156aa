"""Read side: DataFrames already aggregated for a view, with suppression applied.

Every function takes the viewer: team-level detail (teams, staff groups, respondents, PDSA
projects) is limited to the organisations the viewer may see in detail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Integer, and_, case, cast, func, select

from impact_data.access import Viewer, requires_access
from impact_data.ingest.kinds import IMPACT_COMPONENTS
from impact_data.stats.disclosure import suppress, suppress_with_siblings
from impact_data.store.db import Database
from impact_data.store.models import (
    ImpactSelfAssessment,
    InstrumentItem,
    PdsaCycle,
    PdsaMeasure,
    PdsaProject,
    PulseQuestion,
    PulseRespondent,
    ReadinessAnswer,
    ReadinessResponse,
    StaffSurveyResult,
    Upload,
    Visit,
)
from impact_data.store.sql import ORG, limit_detail, month_start, only_orgs, read_frame


@requires_access
def organisations(db: Database, viewer: Viewer) -> pd.DataFrame:
    """Every organisation: code, name, type, system, region, benchmarking group."""
    q = select(
        ORG.c.org_code,
        ORG.c.org_name,
        ORG.c.org_type,
        ORG.c.system,
        ORG.c.region,
        ORG.c.benchmark_group,
    ).order_by(ORG.c.org_name)
    return read_frame(db, q)


@requires_access
def uploads(db: Database, viewer: Viewer) -> pd.DataFrame:
    """Upload history, newest first."""
    q = select(
        Upload.id.label("upload_id"),
        Upload.kind,
        Upload.file_name,
        Upload.uploaded_by,
        Upload.uploaded_at,
        Upload.row_count,
        Upload.org_codes,
        Upload.replaces_upload_id,
        Upload.sha256,
    ).order_by(Upload.id.desc())
    frame = read_frame(db, q)
    orgs = viewer.detail_orgs()
    if orgs is not None and not frame.empty:
        frame = frame[frame["org_codes"].map(lambda codes: bool(set(codes or []) & orgs))]
    return frame.reset_index(drop=True)


def status(db: Database) -> dict:
    """Row counts per table, the data version and the uploads: what `status --json` prints."""
    from impact_data.store.models import Base

    counts = {}
    with db.connect() as conn:
        for table in Base.metadata.sorted_tables:
            counts[table.name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
    ups = uploads(db, Viewer.local())
    records = [
        {
            "upload_id": int(r.upload_id),
            "kind": r.kind,
            "file_name": r.file_name,
            "uploaded_by": r.uploaded_by,
            "uploaded_at": pd.Timestamp(r.uploaded_at).isoformat(),
            "row_count": int(r.row_count),
            "org_codes": list(r.org_codes or []),
            "sha256": r.sha256,
        }
        for r in ups.itertuples()
    ]
    return {
        "database": db.engine.url.render_as_string(hide_password=True),
        "data_version": db.data_version(),
        "tables": counts,
        "uploads": records,
    }


@requires_access
def staff_survey_results(
    db: Database,
    viewer: Viewer,
    *,
    level: str = "org",
    org_codes: Iterable[str] | None = None,
    question_codes: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Staff survey results at org, team or staff_group level, suppressed below the threshold."""
    if level not in ("org", "team", "staff_group"):
        raise ValueError("level must be org, team or staff_group")
    s = StaffSurveyResult
    cols = [
        ORG.c.org_code,
        ORG.c.org_name,
        s.year,
        s.question_code,
        s.question_text,
        s.responses,
        s.positive_pct,
        s.score,
    ]
    if level != "org":
        cols.insert(2, getattr(s, level))
    q = select(*cols).join(ORG, ORG.c.id == s.org_id)
    if level == "org":
        q = q.where(s.team.is_(None), s.staff_group.is_(None))
    elif level == "team":
        q = limit_detail(q.where(s.team.is_not(None), s.staff_group.is_(None)), viewer)
    else:
        q = limit_detail(q.where(s.staff_group.is_not(None), s.team.is_(None)), viewer)
    q = only_orgs(q, org_codes)
    if question_codes is not None:
        q = q.where(s.question_code.in_([c.lower() for c in question_codes]))
    if years is not None:
        q = q.where(s.year.in_(list(years)))
    q = q.order_by(ORG.c.org_code, s.year, s.question_code)
    frame = read_frame(db, q)
    if level == "org":
        return suppress(frame, "responses", ["positive_pct", "score"], db.suppression_threshold())
    return suppress_with_siblings(
        frame,
        "responses",
        ["positive_pct", "score"],
        db.suppression_threshold(),
        ["org_code", "year", "question_code"],
    )


def pulse_answers_subquery(db: Database):
    """One row per answered question: upload_id, row_no, question_code, value (1-5).

    Unpacks `pulse_respondents.answers` in SQL (see the model), so views aggregate in the
    database as if answers were stored one per row.
    """
    r, q = PulseRespondent, PulseQuestion
    char = func.substr(r.answers, q.position, 1)
    return (
        select(
            r.upload_id,
            r.row_no,
            q.question_code,
            cast(char, Integer).label("value"),
        )
        .join(q, q.upload_id == r.upload_id)
        .where(char != ".")
        .subquery("pulse_answers")
    )


@requires_access
def pulse_summary(
    db: Database,
    viewer: Viewer,
    *,
    by_team: bool = False,
    org_codes: Iterable[str] | None = None,
    question_codes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Monthly pulse results per organisation (and team) and question: n, % positive, mean."""
    r, q = PulseRespondent, PulseQuestion
    char = func.substr(r.answers, q.position, 1)
    month = month_start(db, r.response_date).label("month")
    keys = [ORG.c.org_code, month, q.question_code]
    if by_team:
        keys.insert(1, r.team)
    query = (
        select(
            *keys,
            func.count().label("n_answered"),
            func.sum(case((char.in_(["4", "5"]), 1), else_=0)).label("n_positive"),
            func.avg(cast(char, Integer)).label("mean"),
        )
        .select_from(r)
        .join(q, q.upload_id == r.upload_id)
        .join(ORG, ORG.c.id == r.org_id)
        .where(char != ".")
        .group_by(*keys)
        .order_by(*keys)
    )
    if by_team:
        query = limit_detail(query, viewer)
    query = only_orgs(query, org_codes)
    if question_codes is not None:
        query = query.where(q.question_code.in_([c.lower() for c in question_codes]))
    frame = read_frame(db, query)
    frame["month"] = pd.to_datetime(frame["month"])
    frame["mean"] = frame["mean"].astype(float)
    frame["n_positive"] = frame["n_positive"].astype(float)
    frame["positive_pct"] = 100.0 * frame["n_positive"] / frame["n_answered"]
    values = ["n_positive", "positive_pct", "mean"]
    if not by_team:
        return suppress(frame, "n_answered", values, db.suppression_threshold())
    siblings = ["org_code", "month", "question_code"]
    return suppress_with_siblings(frame, "n_answered", values, db.suppression_threshold(), siblings)


@requires_access
def readiness_scores(
    db: Database,
    viewer: Viewer,
    *,
    by_team: bool = True,
    org_codes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Subscale scores per organisation (and team), programme and round: n, mean, variance.

    A respondent's subscale score is the mean of their answered items in it; the group's
    figures are over respondents.
    """
    r, a, i = ReadinessResponse, ReadinessAnswer, InstrumentItem
    per_person = (
        select(
            r.upload_id,
            r.row_no,
            r.org_id,
            r.team,
            r.programme,
            r.assessment_date,
            r.instrument_code,
            i.subscale,
            func.avg(a.value * 1.0).label("score"),
        )
        .select_from(a)
        .join(r, and_(r.upload_id == a.upload_id, r.row_no == a.row_no))
        .join(i, and_(i.instrument_code == r.instrument_code, i.item_code == a.item_code))
        .group_by(
            r.upload_id,
            r.row_no,
            r.org_id,
            r.team,
            r.programme,
            r.assessment_date,
            r.instrument_code,
            i.subscale,
        )
        .subquery()
    )
    p = per_person
    keys = [ORG.c.org_code, p.c.programme, p.c.assessment_date, p.c.instrument_code, p.c.subscale]
    if by_team:
        keys.insert(1, p.c.team)
    q = (
        select(
            *keys,
            func.count().label("n"),
            func.avg(p.c.score).label("mean"),
            func.avg(p.c.score * p.c.score).label("mean_sq"),
        )
        .select_from(p)
        .join(ORG, ORG.c.id == p.c.org_id)
        .group_by(*keys)
        .order_by(*keys)
    )
    if by_team:
        q = limit_detail(q, viewer)
    q = only_orgs(q, org_codes)
    frame = read_frame(db, q)
    n = frame["n"].astype(float)
    frame["mean"] = frame["mean"].astype(float)
    # Sample variance from the two moments (n - 1 denominator); 0 for a single respondent.
    pop_var = (frame["mean_sq"].astype(float) - frame["mean"] ** 2).clip(lower=0)
    frame["variance"] = (pop_var * n / (n - 1)).where(n > 1, 0.0)
    frame = frame.drop(columns=["mean_sq"])
    if not by_team:
        return suppress(frame, "n", ["mean", "variance"], db.suppression_threshold())
    siblings = ["org_code", "programme", "assessment_date", "instrument_code", "subscale"]
    return suppress_with_siblings(
        frame, "n", ["mean", "variance"], db.suppression_threshold(), siblings
    )


@requires_access
def impact_self_assessments(
    db: Database, viewer: Viewer, *, org_codes: Iterable[str] | None = None
) -> pd.DataFrame:
    """NHS IMPACT self-assessed levels per organisation, date and component."""
    s = ImpactSelfAssessment
    q = (
        select(
            ORG.c.org_code,
            ORG.c.org_name,
            s.assessment_date,
            s.component,
            s.level,
            s.evidence,
            s.next_step,
        )
        .join(ORG, ORG.c.id == s.org_id)
        .order_by(ORG.c.org_code, s.assessment_date, s.component)
    )
    frame = read_frame(db, only_orgs(q, org_codes))
    frame["component_name"] = frame["component"].map(IMPACT_COMPONENTS)
    return frame


@requires_access
def pdsa_projects(
    db: Database, viewer: Viewer, *, org_codes: Iterable[str] | None = None
) -> pd.DataFrame:
    """PDSA projects with their cycle counts and latest decision."""
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
def pdsa_activity(
    db: Database, viewer: Viewer, *, as_of: dt.date | None = None, days: int = 90
) -> pd.DataFrame:
    """Per organisation: projects, active projects, cycles started in the last `days` days,
    and the share of projects involving people with lived experience."""
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
            func.coalesce(recent.c.recent_cycles, 0).label(f"cycles_last_{days}_days"),
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
    frame = read_frame(db, q)
    for col in frame.columns[1:]:
        frame[col] = frame[col].astype(int)
    # Share among the projects that recorded it: a blank is "not recorded", not "no".
    recorded = frame["lived_experience_recorded"]
    frame["lived_experience_share"] = (
        frame["lived_experience_projects"] / recorded.where(recorded > 0)
    ).astype(float)
    return frame


@requires_access
def visits(db: Database, viewer: Viewer) -> pd.DataFrame:
    """Learning visits with both organisations' codes and names."""
    v = Visit
    host = ORG.alias("host")
    q = (
        select(
            ORG.c.org_code.label("from_org"),
            ORG.c.org_name.label("from_org_name"),
            host.c.org_code.label("to_org"),
            host.c.org_name.label("to_org_name"),
            v.visit_date,
            v.theme,
            v.participants,
            v.lived_experience_partners,
            v.learning,
        )
        .join(ORG, ORG.c.id == v.from_org_id)
        .join(host, host.c.id == v.to_org_id)
        .order_by(v.visit_date)
    )
    return read_frame(db, q)


__all__ = [
    "organisations",
    "uploads",
    "status",
    "staff_survey_results",
    "pulse_summary",
    "readiness_scores",
    "impact_self_assessments",
    "pdsa_projects",
    "pdsa_cycles",
    "pdsa_measures",
    "pdsa_activity",
    "visits",
]
