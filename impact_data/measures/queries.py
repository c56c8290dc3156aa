"""Read side: DataFrames already aggregated for a view, with suppression applied.

Readiness and NHS IMPACT figures live in `measures.readiness`, PDSA figures in
`measures.pdsa`; the PDSA registry functions and `impact_self_assessments` are re-exported
here under their long-standing names (the same functions, not copies).

Every function takes the viewer: team-level detail (teams, staff groups, respondents, PDSA
projects) is limited to the organisations the viewer may see in detail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Integer, case, cast, func, select

from impact_data.access import Viewer, requires_access
from impact_data.measures.pdsa import pdsa_activity, pdsa_cycles, pdsa_measures, pdsa_projects
from impact_data.measures.readiness import impact_self_assessments
from impact_data.measures.visits import visits  # one function: `queries.visits` stays a name
from impact_data.stats.disclosure import suppress
from impact_data.store.db import Database
from impact_data.store.models import (
    ImpactSelfAssessment,
    PdsaCycle,
    PdsaMeasure,
    PulseQuestion,
    PulseRespondent,
    ReadinessResponse,
    StaffSurveyResult,
    Upload,
    Visit,
)
from impact_data.store.sql import ORG, limit_detail, month_start, only_orgs, read_frame


def newest_data_date(db: Database, viewer: Viewer | None = None) -> dt.date | None:
    """The newest dated event in the database (survey responses, checks, cycles, visits)."""
    columns = (
        PulseRespondent.response_date,
        ReadinessResponse.assessment_date,
        ImpactSelfAssessment.assessment_date,
        PdsaCycle.start_date,
        PdsaMeasure.date,
        Visit.visit_date,
    )
    newest: list[dt.date] = []
    with db.connect() as conn:
        for column in columns:
            value = conn.execute(select(func.max(column))).scalar()
            if value is not None:
                newest.append(pd.Timestamp(str(value)).date())
    return max(newest) if newest else None


def organisation_count(db: Database, viewer: Viewer | None = None) -> int:
    """How many organisations the database holds (0 means a first run)."""
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ORG)).scalar_one())


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
    """Upload history, newest first; `notes` is each upload's list of notes (how the file
    was read, and corrections made on the PDSA page since)."""
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
        Upload.notes,
    ).order_by(Upload.id.desc())
    frame = read_frame(db, q)
    orgs = viewer.detail_orgs()
    if orgs is not None and not frame.empty:
        frame = frame[frame["org_codes"].map(lambda codes: bool(set(codes or []) & orgs))]
    return frame.reset_index(drop=True)


def status(db: Database) -> dict:
    """Row counts per table, the schema revision, the data version and the uploads: what
    `status --json` prints."""
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
        "schema_revision": db.schema_revision(),
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
    # The organisation's own row is published too, and counts people with no team or staff
    # group: the part of it that no group shows must be safe (`stats.disclosure`).
    keys = ["org_code", "year", "question_code"]
    whole = read_frame(
        db,
        only_orgs(
            select(ORG.c.org_code, s.year, s.question_code, s.responses.label("org_total"))
            .join(ORG, ORG.c.id == s.org_id)
            .where(s.team.is_(None), s.staff_group.is_(None)),
            org_codes,
        ),
    ).drop_duplicates(keys)
    if whole.empty or frame.empty:
        frame["org_total"] = float("nan")
    else:
        frame = frame.merge(whole, on=keys, how="left")
    return suppress(
        frame,
        "responses",
        ["positive_pct", "score"],
        db.suppression_threshold(),
        sibling_keys=keys,
        total_column="org_total",
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
    # The organisation's own month counts people with no team too: its unpublished part
    # must be safe (`stats.disclosure`).
    siblings = ["org_code", "month", "question_code"]
    whole = pulse_summary(db, viewer, org_codes=org_codes, question_codes=question_codes)
    whole = whole.rename(columns={"n_answered": "org_total"})[[*siblings, "org_total"]]
    if whole.empty or frame.empty:
        frame["org_total"] = float("nan")
    else:
        frame = frame.merge(whole, on=siblings, how="left")
    return suppress(
        frame,
        "n_answered",
        values,
        db.suppression_threshold(),
        sibling_keys=siblings,
        total_column="org_total",
    )


__all__ = [
    "newest_data_date",
    "organisation_count",
    "organisations",
    "uploads",
    "status",
    "staff_survey_results",
    "pulse_summary",
    "impact_self_assessments",
    "pdsa_projects",
    "pdsa_cycles",
    "pdsa_measures",
    "pdsa_activity",
    "visits",
]
