"""Writing a prepared upload in one transaction, replacing one, and deleting one.

All-or-nothing: the upload row, its data rows, any organisations it creates and the data
version bump commit together or not at all. Bulk tables go in with executemany on SQLite and
COPY on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, func, insert, select, union, update
from sqlalchemy.exc import IntegrityError

from impact_data.access import AccessDenied, Viewer
from impact_data.ingest.prepare import PreparedUpload, already_loaded_problems
from impact_data.ingest.problems import Problem
from impact_data.ingest.validate import ROW, as_python
from impact_data.learning.library import index_upload
from impact_data.store.db import Database, bump_data_version
from impact_data.store.models import (
    CapabilityRecord,
    ImpactSelfAssessment,
    NssQuestionResult,
    NssRelease,
    NssValue,
    Organisation,
    PdsaCycle,
    PdsaMeasure,
    PdsaProject,
    PulseQuestion,
    PulseRespondent,
    PulseUploadOrg,
    ReadinessAnswer,
    ReadinessResponse,
    StaffSurveyResult,
    Upload,
    Visit,
)
from impact_data.users import audit

__all__ = [
    "UPLOAD_TABLES",
    "DeleteRefused",
    "Progress",
    "UploadRefused",
    "UploadResult",
    "bulk_insert",
    "changeable_uploads",
    "upload_org_codes",
    "commit_upload",
    "delete_upload",
    "encode_answers",
]

Progress = Callable[[float, str], None]

# Tables that hold rows of an upload, children before parents (the order rows are deleted in).
UPLOAD_TABLES = (
    NssValue,
    NssQuestionResult,
    NssRelease,
    PulseRespondent,
    PulseUploadOrg,
    PulseQuestion,
    ReadinessAnswer,
    ReadinessResponse,
    PdsaMeasure,
    PdsaCycle,
    PdsaProject,
    StaffSurveyResult,
    ImpactSelfAssessment,
    Visit,
    CapabilityRecord,
)


class UploadRefused(Exception):
    """An upload that cannot be committed (it has problems, or was refused while writing)."""

    def __init__(self, message: str, problems: Sequence[object] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


@dataclass
class UploadResult:
    upload_id: int
    kind: str
    row_counts: dict[str, int]
    created_orgs: list[str]
    updated_orgs: list[str]
    replaced_upload_id: int | None = None

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())


def commit_upload(
    db: Database,
    prepared: PreparedUpload,
    *,
    uploaded_by: str = "local user",
    viewer: Viewer | None = None,
    progress: Progress | None = None,
) -> UploadResult:
    """Write a prepared upload (and delete the one it replaces) in one transaction."""
    if not prepared.ok:
        raise UploadRefused(
            f"{prepared.file_name} has {_count(len(prepared.problems), 'problem')}; "
            "nothing was loaded",
            prepared.problems,
        )
    viewer = viewer or Viewer.local()
    codes = _org_codes_of(prepared, db)
    if not viewer.can_upload_for(codes):
        raise AccessDenied(
            "you can load data only for your own organisations; this file has "
            + (", ".join(sorted(codes)[:10]) or "no organisation codes")
        )
    report = progress or (lambda _f, _m: None)
    report(0.05, "Starting")
    # Bulk rows go in through the driver (executemany, COPY), so its own IntegrityError too.
    clashes = (IntegrityError, db.engine.dialect.loaded_dbapi.IntegrityError)
    try:
        return _commit(db, prepared, uploaded_by, report, viewer, codes)
    except clashes as exc:
        # Another writer committed the same file or the same rows between prepare and commit;
        # the database's unique keys caught it and the whole transaction was rolled back.
        raise _refusal_after_clash(db, prepared, exc) from exc


def _refusal_after_clash(db: Database, prepared: PreparedUpload, exc: Exception) -> UploadRefused:
    """The refusal a sequential upload would have had, for a clash found while writing."""
    text = str(exc).lower()
    if "uploads.kind" in text or "uq_uploads_kind" in text:
        with db.connect() as conn:
            existing = conn.execute(
                select(Upload.id).where(
                    Upload.kind == prepared.kind.name, Upload.sha256 == prepared.sha256
                )
            ).scalar()
        problem = Problem(
            f"this file was already loaded as upload {existing}; the same file is not loaded twice",
            category="duplicate_file",
        )
        return UploadRefused(
            f"{prepared.file_name} was loaded by someone else a moment ago: {problem.message}",
            [problem],
        )
    if "replaces_upload_id" in text:
        return UploadRefused(
            f"upload {prepared.replace_upload_id} was replaced by someone else a moment ago; "
            f"nothing from {prepared.file_name} was loaded"
        )
    problems = already_loaded_problems(db, prepared)
    if problems:
        return UploadRefused(
            f"{prepared.file_name} has {_count(len(problems), 'row')} already loaded from "
            "another file; nothing was loaded",
            problems,
        )
    first_line = str(getattr(exc, "orig", exc)).splitlines()[0]
    return UploadRefused(
        f"{prepared.file_name} clashes with data another file loaded a moment ago "
        f"({first_line}); nothing was loaded"
    )


def upload_org_codes(conn: Connection, upload_ids: Sequence[int]) -> dict[int, set[str]]:
    """Every organisation whose rows each upload holds, or that it names or created."""
    held: dict[int, set[str]] = {int(i): set() for i in upload_ids}
    if not held:
        return held
    ids = sorted(held)
    org = Organisation.__table__
    parts = [
        select(model.upload_id, org.c.org_code)
        .join(org, org.c.id == getattr(model, column))
        .where(model.upload_id.in_(ids))
        .distinct()
        for model, column in (
            (StaffSurveyResult, "org_id"),
            (PulseRespondent, "org_id"),
            (ReadinessResponse, "org_id"),
            (ImpactSelfAssessment, "org_id"),
            (CapabilityRecord, "org_id"),
            (PdsaProject, "org_id"),
            (NssValue, "org_id"),
            (NssQuestionResult, "org_id"),
            (Visit, "from_org_id"),
            (Visit, "to_org_id"),
        )
    ]
    parts += [
        select(model.upload_id, org.c.org_code)
        .join(PdsaProject, PdsaProject.id == model.project_id)
        .join(org, org.c.id == PdsaProject.org_id)
        .where(model.upload_id.in_(ids))
        .distinct()
        for model in (PdsaCycle, PdsaMeasure)
    ]
    parts.append(select(org.c.upload_id, org.c.org_code).where(org.c.upload_id.in_(ids)))
    for upload_id, code in conn.execute(union(*parts)).all():
        held[int(upload_id)].add(code)
    for upload_id, codes in conn.execute(
        select(Upload.id, Upload.org_codes).where(Upload.id.in_(ids))
    ).all():
        held[int(upload_id)] |= set(codes or [])
    return held


def changeable_uploads(db: Database, viewer: Viewer, upload_ids: Sequence[int]) -> set[int]:
    """The uploads among `upload_ids` this viewer may replace or delete: those whose every
    row belongs to organisations the viewer may load data for."""
    if viewer.is_admin:
        return {int(i) for i in upload_ids}
    if not viewer.can_upload:
        return set()
    with db.connect() as conn:
        held = upload_org_codes(conn, upload_ids)
    return {i for i, codes in held.items() if viewer.can_upload_for(codes)}


def _check_may_change(conn: Connection, upload_id: int, viewer: Viewer, action: str) -> None:
    """Refuse to replace or delete an upload holding rows of organisations not the viewer's."""
    held = upload_org_codes(conn, [upload_id])[upload_id]
    if not viewer.can_upload_for(held):
        others = sorted(held - viewer.org_codes) if not viewer.is_admin else sorted(held)
        raise AccessDenied(
            f"you can {action} only uploads whose rows are all of your own organisations; "
            f"upload {upload_id} holds rows of "
            + (", ".join(others[:10]) or "no organisation")
            + (f" and {len(others) - 10} more" if len(others) > 10 else "")
        )


def _lock_upload_to_replace(conn: Connection, prepared: PreparedUpload, viewer: Viewer) -> None:
    """Take the upload being replaced for this transaction (a row lock on PostgreSQL; SQLite's
    writers are serialised already), refusing if it is gone or not the viewer's to replace."""
    upload_id = prepared.replace_upload_id
    found = conn.execute(
        select(Upload.id, Upload.kind).where(Upload.id == upload_id).with_for_update()
    ).first()
    if found is None:
        raise UploadRefused(
            f"upload {upload_id} was replaced or deleted by someone else a moment ago; "
            f"nothing from {prepared.file_name} was loaded"
        )
    if found.kind != prepared.kind.name:
        raise UploadRefused(
            f"upload {upload_id} is a {found.kind} upload; it cannot be replaced by a "
            f"{prepared.kind.name} file"
        )
    _check_may_change(conn, upload_id, viewer, "replace")


def _commit(
    db: Database,
    prepared: PreparedUpload,
    uploaded_by: str,
    report: Progress,
    viewer: Viewer,
    org_codes: set[str],
) -> UploadResult:
    with db.session() as session:
        conn = session.connection()
        if prepared.replace_upload_id is not None:
            _lock_upload_to_replace(conn, prepared, viewer)
            report(0.1, f"Removing upload {prepared.replace_upload_id}")
            _delete_upload_rows(conn, prepared.replace_upload_id, replacing=True)
        upload_id = conn.execute(
            insert(Upload)
            .values(
                kind=prepared.kind.name,
                file_name=prepared.file_name,
                sha256=prepared.sha256,
                uploaded_by=uploaded_by,
                uploaded_at=dt.datetime.now(dt.UTC),
                row_count=0,
                row_counts={},
                notes=prepared.notes,
                org_codes=[],
                replaces_upload_id=prepared.replace_upload_id,
            )
            .returning(Upload.id)
        ).scalar_one()
        created, updated = _write_organisations(conn, prepared, upload_id)
        org_ids = dict(conn.execute(select(Organisation.org_code, Organisation.id)).all())
        writer = _WRITERS.get(prepared.kind.name)
        counts: dict[str, int] = {}
        if "organisations" in prepared.tables:
            counts["organisations"] = prepared.tables["organisations"].n_rows
        if writer is not None:
            counts.update(writer(conn, prepared, upload_id, org_ids, report))
        # The learning library's items of this upload (its deletion takes them by cascade).
        index_upload(conn, upload_id)
        org_codes = sorted(org_codes)
        conn.execute(
            update(Upload)
            .where(Upload.id == upload_id)
            # row_count is rows of the file (respondents, not their answers); row_counts has
            # what each table received.
            .values(
                row_count=sum(t.n_rows for t in prepared.tables.values()),
                row_counts=counts,
                org_codes=org_codes,
            )
        )
        audit(
            session,
            viewer.user,
            "upload",
            {
                "upload_id": upload_id,
                "kind": prepared.kind.name,
                "file_name": prepared.file_name,
                "rows": counts,
                "replaced_upload_id": prepared.replace_upload_id,
            },
        )
        bump_data_version(session)
        report(0.98, "Committing")
    report(1.0, "Done")
    return UploadResult(
        upload_id, prepared.kind.name, counts, created, updated, prepared.replace_upload_id
    )


def _org_codes_of(prepared: PreparedUpload, db: Database) -> set[str]:
    """The organisations an upload's rows belong to (for PDSA cycles and measures: the
    organisations of the projects they refer to)."""
    codes: set[str] = set()
    refs: set[str] = set()
    for table in prepared.tables.values():
        for col in ("org_code", "from_org", "to_org"):
            if col in table.frame.columns:
                codes |= set(table.frame[col].dropna())
        if table.spec.name in ("cycles", "measures"):
            refs |= set(table.frame["project_id"].dropna())
    if refs:
        with db.connect() as conn:
            codes |= set(
                conn.execute(
                    select(Organisation.org_code)
                    .join(PdsaProject, PdsaProject.org_id == Organisation.id)
                    .where(PdsaProject.project_ref.in_(sorted(refs)))
                ).scalars()
            )
    return codes


def _write_organisations(
    conn: Connection, prepared: PreparedUpload, upload_id: int
) -> tuple[list[str], list[str]]:
    """Create new organisations and update existing ones from an organisations table."""
    created: list[str] = []
    updated: list[str] = []
    table = prepared.tables.get("organisations")
    existing = dict(conn.execute(select(Organisation.org_code, Organisation.id)).all())
    if table is not None:
        fields = ("org_name", "org_type", "system", "region", "staff_count")
        new_rows = []
        for rec in table.frame.to_dict("records"):
            values = {f: as_python(rec.get(f)) for f in fields}
            if values["staff_count"] is not None:
                values["staff_count"] = int(values["staff_count"])
            code = rec["org_code"]
            if code in existing:
                # Optional columns left blank keep what is already stored.
                changes = {k: v for k, v in values.items() if v is not None}
                conn.execute(
                    update(Organisation).where(Organisation.org_code == code).values(**changes)
                )
                updated.append(code)
            else:
                new_rows.append({"org_code": code, "upload_id": upload_id, **values})
                created.append(code)
        if new_rows:
            conn.execute(insert(Organisation), new_rows)
    if prepared.orgs_to_create:
        rows = [
            {"org_code": code, "org_name": code, "org_type": "other", "upload_id": upload_id}
            for code in prepared.orgs_to_create
            if code not in existing and code not in created
        ]
        if rows:
            conn.execute(insert(Organisation), rows)
            created += [r["org_code"] for r in rows]
    return created, updated


def _records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict]:
    """Rows as dicts for an executemany insert (callers skip empty frames: an insert of
    an empty list would insert one row of defaults)."""
    return [
        {c: as_python(v) for c, v in zip(columns, row, strict=True)}
        for row in frame[list(columns)].itertuples(index=False)
    ]


def _org_id_column(
    frame: pd.DataFrame, org_ids: dict[str, int], column: str = "org_code"
) -> pd.Series:
    return frame[column].map(org_ids)


def _write_staff_survey(conn, prepared, upload_id, org_ids, report) -> dict[str, int]:
    frame = prepared.tables["staff_survey"].frame.copy()
    if frame.empty:
        return {}
    frame["org_id"] = _org_id_column(frame, org_ids)
    frame["upload_id"] = upload_id
    frame["year"] = frame["year"].astype(int)
    frame["responses"] = frame["responses"].astype(int)
    cols = [
        "upload_id",
        "org_id",
        "year",
        "question_code",
        "question_text",
        "responses",
        "positive_pct",
        "score",
        "team",
        "staff_group",
    ]
    frame["question_code"] = frame["question_code"].str.lower()
    bulk_insert(conn, StaffSurveyResult.__table__, cols, _tuples(frame, cols))
    report(0.9, "Staff survey results written")
    return {"staff_survey_results": len(frame)}


def _respondent_frame(
    frame: pd.DataFrame, upload_id: int, org_ids: dict[str, int], date_col: str
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "upload_id": upload_id,
            "row_no": frame[ROW].astype(int).to_numpy(),
            "org_id": _org_id_column(frame, org_ids).astype(int).to_numpy(),
            date_col: frame[date_col].to_numpy(),
            "team": frame["team"].to_numpy(),
            "respondent_ref": frame["respondent_id"].to_numpy(),
        }
    )


def encode_answers(values: np.ndarray) -> list[str]:
    """Rows of 1-5 answers (NaN = not answered) as strings, one character per question."""
    filled = np.where(np.isnan(values), 0, values).astype(np.uint8)
    # "." for not answered, "1".."9" for answers: one byte per question.
    codes = np.where(filled == 0, ord("."), filled + ord("0")).astype(np.uint8)
    width = codes.shape[1]
    if not len(codes) or not width:
        return [""] * len(codes)
    # Each row's bytes as one fixed-width string, decoded by numpy rather than row by row.
    return np.ascontiguousarray(codes).view(f"S{width}").ravel().astype(f"U{width}").tolist()


def _write_pulse(conn, prepared, upload_id, org_ids, report) -> dict[str, int]:
    table = prepared.tables["pulse_survey"]
    frame = table.frame
    report(0.2, "Writing respondents and answers")
    resp = _respondent_frame(frame, upload_id, org_ids, "response_date")
    resp["staff_group"] = frame["staff_group"].to_numpy()
    values = frame[table.items].to_numpy(dtype=float)
    resp["answers"] = encode_answers(values)
    # The (upload, organisation) pairs the respondents' rows refer to, written first.
    conn.execute(
        insert(PulseUploadOrg),
        [{"upload_id": upload_id, "org_id": int(o)} for o in np.unique(resp["org_id"])],
    )
    cols = list(resp.columns)
    bulk_insert(
        conn,
        PulseRespondent.__table__,
        cols,
        _tuples(resp, cols, iso_dates=conn.dialect.name == "sqlite"),
    )
    questions = [
        {
            "upload_id": upload_id,
            "question_code": code,
            "position": position,
            "question_text": table.mapping.item_texts.get(code),
        }
        for position, code in enumerate(table.items, start=1)
    ]
    conn.execute(insert(PulseQuestion), questions)
    report(0.9, "Answers written")
    return {"pulse_respondents": len(resp), "pulse_answers": int((~np.isnan(values)).sum())}


def _write_readiness(conn, prepared, upload_id, org_ids, report) -> dict[str, int]:
    table = prepared.tables["readiness"]
    frame = table.frame
    resp = _respondent_frame(frame, upload_id, org_ids, "assessment_date")
    resp["instrument_code"] = prepared.instrument.code
    resp["role"] = frame["role"].to_numpy()
    resp["programme"] = frame["programme"].to_numpy()
    cols = list(resp.columns)
    bulk_insert(conn, ReadinessResponse.__table__, cols, _tuples(resp, cols))
    items = table.items
    values = frame[items].to_numpy(dtype=float)
    rows = np.repeat(frame[ROW].astype(int).to_numpy(), len(items))
    codes = np.tile(np.array(items, dtype=object), len(frame))
    flat = values.reshape(-1)
    keep = ~np.isnan(flat)
    answers = pd.DataFrame(
        {
            "upload_id": upload_id,
            "row_no": rows[keep],
            "item_code": codes[keep],
            "value": flat[keep].astype(int),
        }
    )
    cols = ["upload_id", "row_no", "item_code", "value"]
    bulk_insert(conn, ReadinessAnswer.__table__, cols, _tuples(answers, cols))
    report(0.9, "Answers written")
    return {"readiness_responses": len(resp), "readiness_answers": len(answers)}


def _write_impact(conn, prepared, upload_id, org_ids, report) -> dict[str, int]:
    frame = prepared.tables["impact_self_assessment"].frame.copy()
    if frame.empty:
        return {}
    frame["org_id"] = _org_id_column(frame, org_ids)
    frame["upload_id"] = upload_id
    frame["level"] = frame["level"].astype(int)
    cols = ["upload_id", "org_id", "assessment_date", "component", "level", "evidence", "next_step"]
    conn.execute(insert(ImpactSelfAssessment), _records(frame, cols))
    return {"impact_self_assessments": len(frame)}


def _write_capability(conn, prepared, upload_id, org_ids, report) -> dict[str, int]:
    frame = prepared.tables["capability"].frame.copy()
    if frame.empty:
        return {}
    frame["org_id"] = _org_id_column(frame, org_ids)
    frame["upload_id"] = upload_id
    frame["level"] = frame["level"].astype(int)
    frame["people"] = frame["people"].astype(int)
    cols = ["upload_id", "org_id", "team", "staff_group", "level", "people", "as_of"]
    conn.execute(insert(CapabilityRecord), _records(frame, cols))
    return {"capability": len(frame)}


def _write_visits(conn, prepared, upload_id, org_ids, report) -> dict[str, int]:
    frame = prepared.tables["visits"].frame.copy()
    if frame.empty:
        return {}
    frame["from_org_id"] = _org_id_column(frame, org_ids, "from_org")
    frame["to_org_id"] = _org_id_column(frame, org_ids, "to_org")
    frame["upload_id"] = upload_id
    cols = [
        "upload_id",
        "from_org_id",
        "to_org_id",
        "visit_date",
        "theme",
        "participants",
        "lived_experience_partners",
        "learning",
    ]
    conn.execute(insert(Visit), _records(frame, cols))
    return {"visits": len(frame)}


def _write_pdsa(conn, prepared, upload_id, org_ids, report) -> dict[str, int]:
    counts: dict[str, int] = {}
    projects = prepared.tables.get("projects")
    if projects is not None and not projects.frame.empty:
        frame = projects.frame.copy()
        frame["org_id"] = _org_id_column(frame, org_ids)
        frame["upload_id"] = upload_id
        frame["project_ref"] = frame["project_id"]
        cols = [
            "upload_id",
            "project_ref",
            "org_id",
            "title",
            "aim",
            "start_date",
            "team",
            "measure_name",
            "improvement_direction",
            "target",
            "status",
            "lived_experience_involved",
            "coach",
            "change_ideas",
        ]
        conn.execute(insert(PdsaProject), _records(frame, cols))
        counts["pdsa_projects"] = len(frame)
    project_ids = dict(conn.execute(select(PdsaProject.project_ref, PdsaProject.id)).all())
    for name, model, cols in (
        (
            "cycles",
            PdsaCycle,
            [
                "cycle_no",
                "start_date",
                "end_date",
                "change_tested",
                "prediction",
                "what_happened",
                "learning",
                "decision",
            ],
        ),
        (
            "measures",
            PdsaMeasure,
            ["date", "value", "numerator", "denominator", "exposure", "note"],
        ),
    ):
        table = prepared.tables.get(name)
        if table is None or table.frame.empty:
            continue
        frame = table.frame.copy()
        frame["project_id"] = frame["project_id"].map(project_ids)
        frame["upload_id"] = upload_id
        if "cycle_no" in frame:
            frame["cycle_no"] = frame["cycle_no"].astype(int)
        conn.execute(insert(model), _records(frame, ["upload_id", "project_id", *cols]))
        counts[model.__tablename__] = len(frame)
    report(0.9, "PDSA written")
    return counts


def _write_national(conn, prepared, upload_id, org_ids, report) -> dict[str, int]:
    orgs = prepared.tables["nss_organisations"].frame
    existing = dict(conn.execute(select(Organisation.org_code, Organisation.id)).all())
    new_rows, updated = [], 0
    for rec in orgs.to_dict("records"):
        values = {
            k: as_python(rec.get(k))
            for k in ("org_name", "benchmark_group", "region", "system")
            if as_python(rec.get(k)) not in (None, "", "None")
        }
        if rec["org_code"] in existing:
            conn.execute(
                update(Organisation)
                .where(Organisation.org_code == rec["org_code"])
                .values(**values)
            )
            updated += 1
        else:
            new_rows.append(
                {
                    "org_code": rec["org_code"],
                    "org_type": rec["org_type"],
                    "upload_id": upload_id,
                    # Every row names every column: one executemany, blanks as NULL.
                    **dict.fromkeys(("org_name", "benchmark_group", "region", "system")),
                    **values,
                }
            )
    if new_rows:
        conn.execute(insert(Organisation), new_rows)
    org_ids = dict(conn.execute(select(Organisation.org_code, Organisation.id)).all())
    source = "benchmark" if prepared.kind.name == "nss_benchmark" else "detailed"
    table = "nss_values" if source == "benchmark" else "nss_question_results"
    frame = prepared.tables[table].frame.copy()
    years = sorted(int(y) for y in frame["year"].unique())
    conn.execute(
        insert(NssRelease).values(
            upload_id=upload_id,
            source=source,
            release_year=prepared.release_year,
            years=years,
            label=f"NHS Staff Survey {prepared.release_year} {'benchmark data' if source == 'benchmark' else 'detailed spreadsheets'}",
        )
    )
    frame["org_id"] = frame["org_code"].map(org_ids).astype(int)
    frame["upload_id"] = upload_id
    frame["release_year"] = prepared.release_year
    frame["year"] = frame["year"].astype(int)
    if source == "benchmark":
        frame["n"] = frame["n"].round().astype("Int64")
        cols = [
            "upload_id",
            "release_year",
            "org_id",
            "year",
            "metric_code",
            "metric_type",
            "value",
            "n",
            "benchmark_group",
            "higher_is_better",
        ]
        if "higher_is_better" not in frame.columns:
            frame["higher_is_better"] = None
        frame["higher_is_better"] = frame["higher_is_better"].astype(object)
        bulk_insert(conn, NssValue.__table__, cols, _tuples(frame, cols))
    else:
        frame["responses"] = frame["responses"].round().astype("Int64")
        cols = [
            "upload_id",
            "release_year",
            "org_id",
            "year",
            "question_code",
            "question_text",
            "responses",
            "pct_strongly_disagree",
            "pct_disagree",
            "pct_neither",
            "pct_agree",
            "pct_strongly_agree",
            "positive_pct",
            "answer_scale",
            "reported_option",
            "higher_is_better",
            "favourable_pct",
            "distribution",
        ]
        for col in cols[-5:]:
            if col not in frame.columns:
                frame[col] = None
        frame["higher_is_better"] = frame["higher_is_better"].astype(object)
        # JSON as text: the same on SQLite (executemany) and PostgreSQL (COPY into json).
        frame["distribution"] = frame["distribution"].map(
            lambda d: json.dumps(d) if isinstance(d, dict) else None
        )
        bulk_insert(conn, NssQuestionResult.__table__, cols, _tuples(frame, cols))
    report(0.9, "National values written")
    counts = {table: len(frame)}
    if new_rows:
        counts["organisations"] = len(new_rows)
    return counts


_WRITERS = {
    "nss_benchmark": _write_national,
    "nss_detailed": _write_national,
    "staff_survey": _write_staff_survey,
    "pulse_survey": _write_pulse,
    "readiness": _write_readiness,
    "impact_self_assessment": _write_impact,
    "visits": _write_visits,
    "capability": _write_capability,
    "pdsa": _write_pdsa,
}


def _tuples(
    frame: pd.DataFrame, columns: Sequence[str], *, iso_dates: bool = False
) -> Iterable[tuple]:
    """Rows as plain tuples: NaN/NaT to None, numpy scalars to Python values.

    `iso_dates` writes columns of dates as "YYYY-MM-DD" text, exactly what SQLite would store
    for them (its date adapter runs in Python once per cell; here once per distinct date)."""
    data = []
    for c in columns:
        col = frame[c]
        if col.dtype.kind in "iub" and not col.hasnans:
            data.append(col.tolist())
        elif col.dtype.kind == "f":
            data.append(col.astype(object).where(col.notna(), None).tolist())
        else:
            values = col.tolist()
            if any(type(v) not in _PLAIN or v != v for v in values):
                values = [as_python(v) for v in values]
            if iso_dates:
                values = _iso_dates(values)
            data.append(values)
    return zip(*data, strict=True)


def _iso_dates(values: list) -> list:
    """A column of dates (or blanks) as ISO text; any other column as it is."""
    if type(next((v for v in values if v is not None), None)) is not dt.date:
        return values
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    if not len(uniques) or any(type(u) is not dt.date for u in uniques):
        return values
    text = np.array([u.isoformat() for u in uniques] + [None], dtype=object)
    return text[codes].tolist()


_PLAIN = {str, int, float, bool, type(None), dt.date, dt.datetime}


def bulk_insert(conn: Connection, table, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Insert many rows fast: COPY on PostgreSQL, executemany on the SQLite driver."""
    dbapi = conn.connection.driver_connection
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        with dbapi.cursor() as cur, cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join("?" for _ in columns)
    cur = dbapi.cursor()
    try:
        cur.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({placeholders})", rows)
    finally:
        cur.close()


def _count(n: int, noun: str) -> str:
    """ "1 row", "2 rows", "1,200 rows"."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _and_list(items: Sequence[object]) -> str:
    """ "5", "5 and 7", "5, 7 and 9"."""
    words = [str(i) for i in items]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


class DeleteRefused(Exception):
    """An upload that cannot be deleted without touching another upload's rows."""


def delete_upload(db: Database, upload_id: int, *, viewer: Viewer | None = None) -> dict[str, int]:
    """Delete an upload and exactly its rows; refuse if other uploads' rows depend on them."""
    viewer = viewer or Viewer.local()
    with db.session() as session:
        conn = session.connection()
        upload = conn.execute(
            select(Upload.id, Upload.file_name, Upload.kind, Upload.org_codes)
            .where(Upload.id == upload_id)
            .with_for_update()
        ).first()
        if upload is None:
            raise DeleteRefused(f"there is no upload {upload_id}")
        _check_may_change(conn, upload_id, viewer, "delete")
        counts = _delete_upload_rows(conn, upload_id)
        audit(
            session,
            viewer.user,
            "delete_upload",
            {
                "upload_id": upload_id,
                "file_name": upload.file_name,
                "kind": upload.kind,
                "rows": counts,
            },
        )
        bump_data_version(session)
    return counts


def _delete_upload_rows(
    conn: Connection, upload_id: int, replacing: bool = False
) -> dict[str, int]:
    _refuse_if_depended_on(conn, upload_id, replacing)
    counts: dict[str, int] = {}
    for model in UPLOAD_TABLES:
        result = conn.execute(delete(model).where(model.upload_id == upload_id))
        if result.rowcount and model is not PulseUploadOrg:  # pairs, not rows of the file
            counts[model.__tablename__] = result.rowcount
    orgs = conn.execute(delete(Organisation).where(Organisation.upload_id == upload_id))
    if orgs.rowcount:
        counts["organisations"] = orgs.rowcount
    conn.execute(delete(Upload).where(Upload.id == upload_id))
    return counts


def _refuse_if_depended_on(conn: Connection, upload_id: int, replacing: bool) -> None:
    dependants: set[int] = set()
    for model in (PdsaCycle, PdsaMeasure):
        q = (
            select(model.upload_id)
            .join(PdsaProject, PdsaProject.id == model.project_id)
            .where(PdsaProject.upload_id == upload_id, model.upload_id != upload_id)
            .distinct()
        )
        dependants |= set(conn.execute(q).scalars())
    if dependants:
        others = sorted(dependants)
        raise DeleteRefused(
            f"upload {upload_id} holds PDSA projects that "
            + (
                f"upload {others[0]} adds cycles or measures to; delete that load first"
                if len(others) == 1
                else f"uploads {_and_list(others)} add cycles or measures to; "
                "delete those loads first"
            )
        )
    created = select(Organisation.id).where(Organisation.upload_id == upload_id)
    uses = 0
    for model, col in (
        (StaffSurveyResult, "org_id"),
        (PulseRespondent, "org_id"),
        (ReadinessResponse, "org_id"),
        (ImpactSelfAssessment, "org_id"),
        (CapabilityRecord, "org_id"),
        (PdsaProject, "org_id"),
        (Visit, "from_org_id"),
        (Visit, "to_org_id"),
    ):
        uses += conn.execute(
            select(func.count())
            .select_from(model)
            .where(getattr(model, col).in_(created), model.upload_id != upload_id)
        ).scalar_one()
    if uses and not replacing:
        codes = (
            conn.execute(select(Organisation.org_code).where(Organisation.upload_id == upload_id))
            .scalars()
            .all()
        )
        raise DeleteRefused(
            f"upload {upload_id} created "
            + ("organisation " if len(codes) == 1 else "organisations ")
            + _and_list(codes[:10])
            + (f" and {len(codes) - 10} more" if len(codes) > 10 else "")
            + f" that {_count(uses, 'row')} of other files refer to; delete those loads first"
        )
    if uses and replacing:
        # A corrected organisations file keeps organisations other data uses: detach, not drop.
        conn.execute(
            update(Organisation).where(Organisation.upload_id == upload_id).values(upload_id=None)
        )
