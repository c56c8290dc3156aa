"""Stored rows in their upload format, so an export can be loaded again as the same kind."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, select

from impact_data.store.db import Database
from impact_data.store.models import (
    CapabilityRecord,
    ImpactSelfAssessment,
    PdsaCycle,
    PdsaMeasure,
    PdsaProject,
    PulseQuestion,
    PulseRespondent,
    ReadinessAnswer,
    ReadinessResponse,
    StaffSurveyResult,
    Visit,
)
from impact_data.store.sql import ORG, read_frame

__all__ = [
    "raw_tables",
]


def _wide_answers(
    db: Database, respondents, answers, date_col: str, item_col: str, extra
) -> pd.DataFrame:
    r, a = respondents, answers
    people = read_frame(
        db,
        select(r.upload_id, r.row_no, ORG.c.org_code, getattr(r, date_col), *extra)
        .join(ORG, ORG.c.id == r.org_id)
        .order_by(r.upload_id, r.row_no),
    )
    values = read_frame(
        db,
        select(a.upload_id, a.row_no, getattr(a, item_col), a.value).join(
            r, and_(r.upload_id == a.upload_id, r.row_no == a.row_no)
        ),
    )
    if values.empty:
        return people.drop(columns=["upload_id", "row_no"])
    wide = values.pivot(
        index=["upload_id", "row_no"], columns=item_col, values="value"
    ).reset_index()
    out = people.merge(wide, on=["upload_id", "row_no"], how="left")
    return out.drop(columns=["upload_id", "row_no"])


def _pulse_wide(db: Database) -> pd.DataFrame:
    r, q = PulseRespondent, PulseQuestion
    people = read_frame(
        db,
        select(
            r.upload_id,
            ORG.c.org_code,
            r.response_date,
            r.team,
            r.staff_group,
            r.respondent_ref.label("respondent_id"),
            r.answers,
        )
        .join(ORG, ORG.c.id == r.org_id)
        .order_by(r.upload_id, r.row_no),
    )
    questions = read_frame(
        db, select(q.upload_id, q.question_code, q.position).order_by(q.upload_id, q.position)
    )
    for upload_id, group in questions.groupby("upload_id"):
        mine = people["upload_id"] == upload_id
        for code, position in zip(group["question_code"], group["position"], strict=True):
            chars = people.loc[mine, "answers"].str[position - 1]
            people.loc[mine, code] = pd.to_numeric(chars.where(chars != "."), errors="coerce")
    return people.drop(columns=["upload_id", "answers"])


def raw_tables(db: Database, kind: str) -> dict[str, pd.DataFrame]:
    """The rows of every upload of `kind`, with the template's column names."""
    if kind == "organisations":
        return {
            "Organisations": read_frame(
                db,
                select(
                    ORG.c.org_code,
                    ORG.c.org_name,
                    ORG.c.org_type,
                    ORG.c.system,
                    ORG.c.region,
                    ORG.c.staff_count,
                ).order_by(ORG.c.org_code),
            )
        }
    if kind == "staff_survey":
        s = StaffSurveyResult
        q = select(
            ORG.c.org_code,
            s.year,
            s.question_code,
            s.responses,
            s.question_text,
            s.positive_pct,
            s.score,
            s.team,
            s.staff_group,
        ).join(ORG, ORG.c.id == s.org_id)
        return {"Staff survey results": read_frame(db, q)}
    if kind == "pulse_survey":
        r = PulseRespondent
        frame = _pulse_wide(db)
        return {"Pulse survey responses": frame}
    if kind == "readiness":
        r = ReadinessResponse
        frame = _wide_answers(
            db,
            r,
            ReadinessAnswer,
            "assessment_date",
            "item_code",
            [
                r.team,
                r.role,
                r.programme,
                r.instrument_code.label("instrument"),
                r.respondent_ref.label("respondent_id"),
            ],
        )
        return {"Readiness responses": frame}
    if kind == "impact_self_assessment":
        s = ImpactSelfAssessment
        q = select(
            ORG.c.org_code, s.assessment_date, s.component, s.level, s.evidence, s.next_step
        ).join(ORG, ORG.c.id == s.org_id)
        return {"NHS IMPACT self-assessment": read_frame(db, q)}
    if kind == "pdsa":
        p, c, m = PdsaProject, PdsaCycle, PdsaMeasure
        projects = read_frame(
            db,
            select(
                p.project_ref.label("project_id"),
                ORG.c.org_code,
                p.title,
                p.aim,
                p.start_date,
                p.team,
                p.measure_name,
                p.improvement_direction,
                p.target,
                p.status,
                p.lived_experience_involved,
                p.coach,
                p.change_ideas,
            ).join(ORG, ORG.c.id == p.org_id),
        )
        projects["lived_experience_involved"] = projects["lived_experience_involved"].map(
            {True: "yes", False: "no"}
        )
        cycles = read_frame(
            db,
            select(
                p.project_ref.label("project_id"),
                c.cycle_no,
                c.start_date,
                c.end_date,
                c.change_tested,
                c.prediction,
                c.what_happened,
                c.learning,
                c.decision,
            ).join(p, p.id == c.project_id),
        )
        measures = read_frame(
            db,
            select(
                p.project_ref.label("project_id"),
                m.date,
                m.value,
                m.numerator,
                m.denominator,
                m.note,
            ).join(p, p.id == m.project_id),
        )
        return {"Projects": projects, "Cycles": cycles, "Measures": measures}
    if kind == "capability":
        c = CapabilityRecord
        q = (
            select(ORG.c.org_code, c.team, c.staff_group, c.level, c.people, c.as_of)
            .join(ORG, ORG.c.id == c.org_id)
            .order_by(ORG.c.org_code, c.as_of, c.level, c.team, c.staff_group)
        )
        return {"Improvement capability": read_frame(db, q)}
    v = Visit
    host = ORG.alias("host")
    q = (
        select(
            ORG.c.org_code.label("from_org"),
            host.c.org_code.label("to_org"),
            v.visit_date,
            v.theme,
            v.participants,
            v.lived_experience_partners,
            v.learning,
        )
        .join(ORG, ORG.c.id == v.from_org_id)
        .join(host, host.c.id == v.to_org_id)
    )
    return {"Learning visits": read_frame(db, q)}
