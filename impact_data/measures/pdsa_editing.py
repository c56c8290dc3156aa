"""Correcting a PDSA project's logged cycles and measure values one at a time: edit or delete
a single cycle or value, checked by the same rules as the PDSA upload, audited, and written in
one transaction that also bumps the data version (so every cached figure refreshes).

Who may: admins any project; team members (and executives given organisations) only their
own organisations' projects, as for uploads (`Viewer.can_upload_for`); anyone else nobody's.

A change is checked by reading the edited row as a one-row PDSA file through the normal upload
checks (`prepare_file`): the same types, ranges, required fields, date order and decision
words as a file. A new cycle number or date that another row already holds is refused in plain
words; the row's own key is not a clash. Deleting a project's only cycle or only measure value
needs `confirm_last=True` (the page asks first).

The row keeps its upload; that upload gets a note ("Cycle 3 changed on the PDSA page by ...")
so its history shows it was edited. Replacing or deleting that upload later replaces or
removes the edited rows with the file's own (README: "Correcting a cycle or a value").
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from impact_data.access import AccessDenied, Viewer, requires_access
from impact_data.ingest import Problem, UploadRefused
from impact_data.ingest.uploads import prepare_file
from impact_data.learning.library import reindex_cycle
from impact_data.store.db import Database, bump_data_version
from impact_data.store.models import PdsaCycle, PdsaMeasure, PdsaProject, Upload
from impact_data.store.sql import ORG
from impact_data.users import audit

__all__ = [
    "CYCLE_FIELDS",
    "EDIT_ACTIONS",
    "FIELD_LABELS",
    "MEASURE_FIELDS",
    "EditResult",
    "EntryRefused",
    "can_edit",
    "delete_cycle",
    "delete_measure",
    "edit_cycle",
    "edit_measure",
    "entry_csv",
    "entry_problem_text",
    "upload_notes_text",
]

CYCLE_FIELDS = (
    "project_id",
    "cycle_no",
    "start_date",
    "end_date",
    "change_tested",
    "prediction",
    "what_happened",
    "learning",
    "decision",
)
MEASURE_FIELDS = ("project_id", "date", "value", "numerator", "denominator", "exposure", "note")
FIELD_LABELS = {
    "project_id": "Project",
    "cycle_no": "Cycle number",
    "start_date": "Start date",
    "end_date": "End date",
    "change_tested": "Change tested",
    "prediction": "Prediction",
    "what_happened": "What happened",
    "learning": "Learning",
    "decision": "Decision",
    "date": "Date",
    "value": "Value",
    "numerator": "Numerator",
    "denominator": "Denominator",
    "exposure": "Exposure",
    "note": "Note",
}
# Audit log actions of this module (the audit log shows their `text` as the sentence).
EDIT_ACTIONS = (
    "pdsa_cycle_edited",
    "pdsa_cycle_deleted",
    "pdsa_value_edited",
    "pdsa_value_deleted",
)
EDIT_FILE = "PDSA correction made on the page.csv"
NO_ACCESS = "you can change cycles and measure values only for your own organisation's projects"


class EntryRefused(UploadRefused):
    """A cycle or measure value typed on the page (new or corrected) that was not saved, with
    its problems."""

    def messages(self) -> list[str]:
        """Each problem in plain words, naming the form field rather than a file row (or the
        reason itself when the write was refused without a list, e.g. a clash a moment ago)."""
        return [entry_problem_text(p) for p in self.problems] or [str(self)]


def entry_problem_text(problem: Problem) -> str:
    """One problem with an entry, as the form shows it: field label, what is wrong, found."""
    text = problem.message
    if problem.found is not None and problem.found != "":
        text += f" (found: {problem.found})"
    label = FIELD_LABELS.get(problem.column or "")
    return f"{label}: {text}" if label else text


def entry_csv(fields: Sequence[str], row: dict[str, Any], title: str) -> bytes:
    """A one-row CSV of an entry, under a title line saying who entered it and when (which
    also keeps two identical entries from looking like the same file). Its headers are the
    form's labels (`FIELD_LABELS`, which the upload reads as the same columns), so the upload
    checks name the form's fields ("“End date” is before “Start date”"), not internal names."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([title])
    writer.writerow([FIELD_LABELS.get(name, name) for name in fields])
    writer.writerow([_cell(row.get(name)) for name in fields])
    return buffer.getvalue().encode("utf-8")


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    # Line breaks in free text become spaces, as they would from any uploaded file.
    return " ".join(str(value).split())


@dataclass(frozen=True)
class EditResult:
    """What a correction did: the sentence written to the audit log (with who did it), each
    field's change, and the upload the row came from (noted as edited)."""

    sentence: str
    changes: tuple[str, ...]
    upload_id: int


# --- who may ---------------------------------------------------------------------------


def _project(conn, project_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(PdsaProject.id, PdsaProject.title, ORG.c.org_code, ORG.c.org_name)
        .join(ORG, ORG.c.id == PdsaProject.org_id)
        .where(PdsaProject.project_ref == project_id)
    ).first()
    return None if row is None else dict(row._mapping)


@requires_access
def can_edit(db: Database, viewer: Viewer, project_id: str) -> bool:
    """Whether this viewer may correct or delete the project's cycles and measure values."""
    with db.connect() as conn:
        project = _project(conn, project_id)
    return project is not None and viewer.can_upload_for({project["org_code"]})


def _check_access(viewer: Viewer, project: dict[str, Any] | None, project_id: str) -> None:
    if project is None:
        raise EntryRefused(f"there is no project {project_id}")
    if not viewer.can_upload_for({project["org_code"]}):
        raise AccessDenied(f"{NO_ACCESS}; {project_id} belongs to {project['org_code']}")


# --- words -----------------------------------------------------------------------------


def _date_words(value: object) -> str:
    if value is None:
        return "none"
    day = value.date() if isinstance(value, dt.datetime) else value
    return f"{day.day} {day:%B %Y}"


def _words(field: str, value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none" if field in ("end_date", "decision") else "blank"
    if field in ("start_date", "end_date", "date"):
        return _date_words(value)
    if isinstance(value, float):
        return f"{value:,.6g}"
    if field == "decision":
        return str(value)
    text = " ".join(str(value).split())
    return f"“{text if len(text) <= 60 else text[:59] + '…'}”"


def _change(field: str, before: object, after: object) -> str:
    label = FIELD_LABELS[field].lower()
    return f"{label} {_words(field, before)} → {_words(field, after)}"


def _what(project: dict[str, Any], item: str) -> str:
    return f"{item} of '{project['title']}' ({project['org_name']})"


# --- checking a changed row -----------------------------------------------------------


def _same(a: object, b: object) -> bool:
    missing_a = a is None or (isinstance(a, float) and math.isnan(a))
    missing_b = b is None or (isinstance(b, float) and math.isnan(b))
    if missing_a or missing_b:
        return missing_a and missing_b
    if isinstance(a, dt.datetime):
        a = a.date()
    if isinstance(b, dt.datetime):
        b = b.date()
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-12)
    return a == b


def _plain(value: object) -> object:
    """A checked cell as a stored value: None for missing, dates as dates, whole numbers kept."""
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return None
    if isinstance(value, dt.datetime):  # a pandas Timestamp too
        return value.date()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _checked_row(
    db: Database,
    viewer: Viewer,
    table: str,
    fields: Sequence[str],
    row: dict[str, Any],
    key_field: str,
    key_changed: bool,
    clash_message: str,
) -> dict[str, Any]:
    """The row read back by the PDSA upload's own checks, or EntryRefused with its problems."""
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    data = entry_csv(fields, row, f"PDSA correction on the page by {viewer.user} at {stamp}")
    prepared, _remembered = prepare_file(db, data, EDIT_FILE, "pdsa", viewer=viewer)
    problems = []
    for problem in prepared.problems:
        if problem.category == "already_loaded":
            if not key_changed:
                continue  # the row being corrected holds its own key
            problem = replace(problem, column=key_field, message=clash_message, found=None)
        problems.append(problem)
    if problems:
        raise EntryRefused(
            "the change was not saved: " + "; ".join(entry_problem_text(p) for p in problems),
            problems,
        )
    frame = prepared.tables[table].frame
    return {name: _plain(frame.iloc[0][name]) if name in frame else None for name in fields}


def _note_upload(conn, upload_id: int, note: str) -> None:
    notes = conn.execute(select(Upload.notes).where(Upload.id == upload_id)).scalar()
    conn.execute(update(Upload).where(Upload.id == upload_id).values(notes=[*(notes or []), note]))


# The note `_record` writes: "Changed cycle 2 of 'Fewer falls' (Northmoor Hospitals): end date
# ... : on the PDSA page by Jane Smith, 7 December 2026." (read back by `upload_notes_text`).
_EDIT_NOTE = re.compile(
    r"^(?P<verb>Changed|Deleted) (?P<what>cycle|the value) .*: on the PDSA page by .+, "
    r"(?P<day>\d{1,2} [A-Z][a-z]+ \d{4})\.$",
    re.DOTALL,
)


def upload_notes_text(notes: Sequence[str] | None) -> str:
    """An upload's notes in plain words for its history: the corrections made on the PDSA page
    counted per kind and day ("2 cycles edited on 7 December 2026; 1 value deleted on 8
    December 2026"), any other note (how the file was read) as written. Empty for none."""
    counts: dict[tuple[str, str, str], int] = {}
    others: list[str] = []
    for note in notes or []:
        match = _EDIT_NOTE.match(str(note))
        if match is None:
            others.append(" ".join(str(note).split()))
            continue
        what = "cycle" if match["what"] == "cycle" else "value"
        verb = "edited" if match["verb"] == "Changed" else "deleted"
        key = (what, verb, match["day"])
        counts[key] = counts.get(key, 0) + 1
    edits = [
        f"{n} {what if n == 1 else what + 's'} {verb} on {day}"
        for (what, verb, day), n in counts.items()
    ]
    return "; ".join([*others, *edits])


def _record(
    session,
    viewer: Viewer,
    action: str,
    project_id: str,
    text: str,
    upload_id: int,
    changes: Sequence[str],
    **facts: object,
) -> EditResult:
    conn = session.connection()
    today = dt.date.today()
    _note_upload(
        conn,
        upload_id,
        f"{text[0].upper()}{text[1:]}: on the PDSA page by {viewer.user}, {_date_words(today)}.",
    )
    audit(
        session,
        viewer.user,
        action,
        {
            "project_id": project_id,
            "upload_id": upload_id,
            "changes": list(changes),
            "text": f"{text[0].upper()}{text[1:]}.",
            **{k: str(v) for k, v in facts.items()},
        },
    )
    bump_data_version(session)
    return EditResult(f"{viewer.user} {text}", tuple(changes), upload_id)


# --- cycles ----------------------------------------------------------------------------


_CYCLE_COLUMNS = CYCLE_FIELDS[1:]


@requires_access
def edit_cycle(
    db: Database, viewer: Viewer, project_id: str, number: int, /, **values: Any
) -> EditResult:
    """Change one stored cycle (cycle `number`): `values` are the fields to change (cycle_no, start_date,
    end_date, change_tested, prediction, what_happened, learning, decision; the others keep
    their stored values). Raises EntryRefused (problems in plain words, nothing changed),
    or AccessDenied."""
    unknown = set(values) - set(_CYCLE_COLUMNS)
    if unknown:
        raise ValueError(f"not a field of a cycle: {', '.join(sorted(unknown))}")
    with db.connect() as conn:
        project = _project(conn, project_id)
        _check_access(viewer, project, project_id)
        stored = _stored_cycle(conn, project["id"], number, project_id)
    new = {**{k: stored[k] for k in _CYCLE_COLUMNS}, **values, "project_id": project_id}
    new_no = new["cycle_no"]
    checked = _checked_row(
        db,
        viewer,
        "cycles",
        CYCLE_FIELDS,
        new,
        "cycle_no",
        key_changed=_cell(new_no) != str(number),
        clash_message=f"this project already has a cycle {_cell(new_no)}: choose another number",
    )
    changes = [
        _change(f, stored[f], checked[f])
        for f in _CYCLE_COLUMNS
        if not _same(stored[f], checked[f])
    ]
    if not changes:
        raise EntryRefused(f"nothing was changed in cycle {number}: nothing to save")
    text = f"changed {_what(project, f'cycle {number}')}: " + "; ".join(changes)
    try:
        with db.session() as session:
            conn = session.connection()
            current = _stored_cycle(conn, project["id"], number, project_id, lock=True)
            if any(not _same(current[f], stored[f]) for f in _CYCLE_COLUMNS):
                raise EntryRefused(
                    f"cycle {number} was changed by someone else a moment ago; "
                    "look at it again before saving"
                )
            conn.execute(
                update(PdsaCycle)
                .where(PdsaCycle.id == current["id"])
                .values(**{f: checked[f] for f in _CYCLE_COLUMNS})
            )
            reindex_cycle(conn, current["id"])  # the learning library finds the new words
            return _record(
                session,
                viewer,
                "pdsa_cycle_edited",
                project_id,
                text,
                current["upload_id"],
                changes,
                cycle_no=number,
            )
    except IntegrityError as exc:
        raise EntryRefused(
            f"this project already has a cycle {new_no}: choose another number",
            [
                Problem(
                    f"this project already has a cycle {new_no}: choose another number",
                    column="cycle_no",
                    category="already_loaded",
                )
            ],
        ) from exc


@requires_access
def delete_cycle(
    db: Database, viewer: Viewer, project_id: str, cycle_no: int, *, confirm_last: bool = False
) -> EditResult:
    """Delete one stored cycle (the project's only cycle only with `confirm_last`)."""
    with db.session() as session:
        conn = session.connection()
        project = _project(conn, project_id)
        _check_access(viewer, project, project_id)
        stored = _stored_cycle(conn, project["id"], cycle_no, project_id, lock=True)
        left = conn.execute(
            select(func.count()).select_from(PdsaCycle).where(PdsaCycle.project_id == project["id"])
        ).scalar_one()
        if left == 1 and not confirm_last:
            raise EntryRefused(
                f"cycle {cycle_no} is the only cycle of {project_id}: confirm to delete it"
            )
        conn.execute(delete(PdsaCycle).where(PdsaCycle.id == stored["id"]))
        reindex_cycle(conn, stored["id"])  # and the learning library forgets it
        change = f"started {_date_words(stored['start_date'])}" + (
            f", “{stored['change_tested']}”" if stored["change_tested"] else ""
        )
        text = f"deleted {_what(project, f'cycle {cycle_no}')} ({change})"
        return _record(
            session,
            viewer,
            "pdsa_cycle_deleted",
            project_id,
            text,
            stored["upload_id"],
            [change],
            cycle_no=cycle_no,
        )


def _stored_cycle(
    conn, project_pk: int, cycle_no: int, project_id: str, *, lock: bool = False
) -> dict[str, Any]:
    q = select(PdsaCycle).where(
        PdsaCycle.project_id == project_pk, PdsaCycle.cycle_no == int(cycle_no)
    )
    row = conn.execute(q.with_for_update() if lock else q).first()
    if row is None:
        raise EntryRefused(
            f"{project_id} has no cycle {cycle_no} (it may have been deleted a moment ago)"
        )
    return {k: _plain(v) for k, v in row._mapping.items()}


# --- measure values --------------------------------------------------------------------


_MEASURE_COLUMNS = MEASURE_FIELDS[1:]


@requires_access
def edit_measure(
    db: Database, viewer: Viewer, project_id: str, on: dt.date, /, **values: Any
) -> EditResult:
    """Change one stored measure value (the value dated `on`): `values` are the fields to change
    (date, value, numerator, denominator, exposure, note). Raises EntryRefused or
    AccessDenied."""
    unknown = set(values) - set(_MEASURE_COLUMNS)
    if unknown:
        raise ValueError(f"not a field of a measure value: {', '.join(sorted(unknown))}")
    on = _plain(on)
    with db.connect() as conn:
        project = _project(conn, project_id)
        _check_access(viewer, project, project_id)
        stored = _stored_measure(conn, project["id"], on, project_id)
    new = {**{k: stored[k] for k in _MEASURE_COLUMNS}, **values, "project_id": project_id}
    checked = _checked_row(
        db,
        viewer,
        "measures",
        MEASURE_FIELDS,
        new,
        "date",
        key_changed=_cell(_plain(new["date"])) != on.isoformat(),
        clash_message=(
            f"this project already has a value for {_date_words(_plain(new['date']))}: "
            "correct that one instead, or choose another date"
        ),
    )
    changes = [
        _change(f, stored[f], checked[f])
        for f in _MEASURE_COLUMNS
        if not _same(stored[f], checked[f])
    ]
    if not changes:
        raise EntryRefused(
            f"nothing was changed in the value of {_date_words(on)}: nothing to save"
        )
    text = f"changed {_what(project, f'the value of {_date_words(on)}')}: " + "; ".join(changes)
    try:
        with db.session() as session:
            conn = session.connection()
            current = _stored_measure(conn, project["id"], on, project_id, lock=True)
            if any(not _same(current[f], stored[f]) for f in _MEASURE_COLUMNS):
                raise EntryRefused(
                    f"the value of {_date_words(on)} was changed by someone else a moment "
                    "ago; look at it again before saving"
                )
            conn.execute(
                update(PdsaMeasure)
                .where(PdsaMeasure.id == current["id"])
                .values(**{f: checked[f] for f in _MEASURE_COLUMNS})
            )
            return _record(
                session,
                viewer,
                "pdsa_value_edited",
                project_id,
                text,
                current["upload_id"],
                changes,
                date=on.isoformat(),
            )
    except IntegrityError as exc:
        message = (
            f"this project already has a value for {_date_words(_plain(new['date']))}: "
            "correct that one instead, or choose another date"
        )
        raise EntryRefused(
            message, [Problem(message, column="date", category="already_loaded")]
        ) from exc


@requires_access
def delete_measure(
    db: Database, viewer: Viewer, project_id: str, date: dt.date, *, confirm_last: bool = False
) -> EditResult:
    """Delete one stored measure value (the project's only value only with `confirm_last`)."""
    date = _plain(date)
    with db.session() as session:
        conn = session.connection()
        project = _project(conn, project_id)
        _check_access(viewer, project, project_id)
        stored = _stored_measure(conn, project["id"], date, project_id, lock=True)
        left = conn.execute(
            select(func.count())
            .select_from(PdsaMeasure)
            .where(PdsaMeasure.project_id == project["id"])
        ).scalar_one()
        if left == 1 and not confirm_last:
            raise EntryRefused(
                f"the value of {_date_words(date)} is the only value of {project_id}'s measure: "
                "confirm to delete it"
            )
        conn.execute(delete(PdsaMeasure).where(PdsaMeasure.id == stored["id"]))
        change = f"value {_words('value', stored['value'])}"
        text = f"deleted {_what(project, f'the value of {_date_words(date)}')} ({change})"
        return _record(
            session,
            viewer,
            "pdsa_value_deleted",
            project_id,
            text,
            stored["upload_id"],
            [change],
            date=date.isoformat(),
        )


def _stored_measure(
    conn, project_pk: int, date: dt.date, project_id: str, *, lock: bool = False
) -> dict[str, Any]:
    q = select(PdsaMeasure).where(PdsaMeasure.project_id == project_pk, PdsaMeasure.date == date)
    row = conn.execute(q.with_for_update() if lock else q).first()
    if row is None:
        raise EntryRefused(
            f"{project_id} has no value for {_date_words(date)} (it may have been deleted a "
            "moment ago)"
        )
    return {k: _plain(v) for k, v in row._mapping.items()}
