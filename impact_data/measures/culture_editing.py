"""Changing the culture measure: the Settings editor's table back to a definition, with every
problem in plain words, what changed between two versions, and saving a new version.

A problem is a sentence a person can act on ("row 3: the question code is missing"), never an
exception: the editor shows the list and saves nothing until it is empty.
"""

from __future__ import annotations

import math
import re

import pandas as pd
from sqlalchemy import select, union

from impact_data.access import Viewer
from impact_data.measures import culture
from impact_data.measures.culture import MeasureDefinition, MeasureVersion, parse_definition
from impact_data.store.db import Database
from impact_data.store.models import PulseQuestion, StaffSurveyResult

EDITOR_COLUMNS = [
    "dimension",
    "dimension_weight",
    "question_code",
    "question_text",
    "question_weight",
    "higher_is_better",
]
NOTE_REQUIRED = "say why the measure is changing: a note is required"
ONLY_ADMINS = "only an admin can change the culture measure"


def can_edit(viewer: Viewer) -> bool:
    """Whether this viewer may save a new version of the measure."""
    return viewer.role in culture.CAN_EDIT_MEASURE


def editor_table(definition: MeasureDefinition) -> pd.DataFrame:
    """One editable row per (dimension, question): weights and direction included."""
    frame = definition.question_frame()
    return frame[EDITOR_COLUMNS].astype(
        {"dimension_weight": float, "question_weight": float, "higher_is_better": bool}
    )


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value).strip()


def _weight(value: object, row: int, what: str, problems: list[str]) -> float:
    text = _text(value)
    if not text:
        return 1.0
    try:
        weight = float(text)
    except ValueError:
        problems.append(f"row {row}: the {what} must be a number (found {text!r})")
        return 1.0
    if not math.isfinite(weight) or weight <= 0:
        problems.append(f"row {row}: the {what} must be greater than 0 (found {text})")
        return 1.0
    return weight


def _direction(value: object, row: int, problems: list[str]) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if not text:
        return True  # an unticked new row: most agreement questions are higher-is-better
    if text in ("true", "yes", "y", "1"):
        return True
    if text in ("false", "no", "n", "0"):
        return False
    problems.append(f"row {row}: higher is better must be yes or no (found {text!r})")
    return True


def definition_from_table(
    table: pd.DataFrame, *, name: str, description: str = ""
) -> tuple[MeasureDefinition | None, list[str]]:
    """The definition an edited table describes, or every problem with it (by row number as
    shown in the editor, starting at 1). Blank rows are ignored."""
    problems: list[str] = []
    if not _text(name):
        problems.append("the measure needs a name")
    dimensions: dict[str, dict] = {}
    weights: dict[str, dict[float, list[int]]] = {}
    spellings: dict[str, str] = {}
    for row, record in enumerate(table.to_dict("records"), start=1):
        dimension = _text(record.get("dimension"))
        code = _text(record.get("question_code"))
        text = _text(record.get("question_text"))
        if not (dimension or code or text):
            continue
        if not dimension:
            problems.append(f"row {row}: the dimension is missing")
        if not code:
            problems.append(f"row {row}: the question code is missing")
        code = re.sub(r"\s+", "", code).lower()
        question_weight = _weight(record.get("question_weight"), row, "question weight", problems)
        dimension_weight = _weight(
            record.get("dimension_weight"), row, "dimension weight", problems
        )
        higher = _direction(record.get("higher_is_better"), row, problems)
        if not (dimension and code):
            continue
        first = spellings.setdefault(dimension.lower(), dimension)
        if first != dimension:
            problems.append(
                f"row {row}: the dimension {dimension!r} differs from {first!r} only in "
                "capital letters; use one spelling"
            )
            continue
        entry = dimensions.setdefault(dimension, {"name": dimension, "questions": []})
        weights.setdefault(dimension, {}).setdefault(dimension_weight, []).append(row)
        entry["questions"].append(
            {"code": code, "text": text, "weight": question_weight, "higher_is_better": higher}
        )
    for dimension, by_weight in weights.items():
        if len(by_weight) > 1:
            listed = "; ".join(
                f"{weight:g} on {_rows(rows)}" for weight, rows in sorted(by_weight.items())
            )
            problems.append(
                f"dimension {dimension!r} has different weights ({listed}): give every row "
                "of a dimension the same dimension weight"
            )
        dimensions[dimension]["weight"] = min(by_weight)
    if not dimensions and not any("missing" in p for p in problems):
        problems.append("the measure needs at least one dimension with a question")
    if problems:
        return None, problems
    definition, more = parse_definition(
        {
            "name": _text(name),
            "description": _text(description),
            "dimensions": list(dimensions.values()),
        }
    )
    return definition, more


def _rows(rows: list[int]) -> str:
    return ("row " if len(rows) == 1 else "rows ") + ", ".join(str(r) for r in rows)


def describe_changes(old: MeasureDefinition, new: MeasureDefinition) -> list[str]:
    """What is different in `new`, one plain sentence per change (empty: nothing)."""
    changes: list[str] = []
    if old.name != new.name:
        changes.append(f"Name changed from {old.name!r} to {new.name!r}.")
    if old.description != new.description:
        changes.append("Description changed.")
    old_dims = {d.name: d for d in old.dimensions}
    new_dims = {d.name: d for d in new.dimensions}
    removed = [n for n in old_dims if n not in new_dims]
    added = [n for n in new_dims if n not in old_dims]
    renamed: dict[str, str] = {}
    for old_name in removed:
        codes = {q.code for q in old_dims[old_name].questions}
        for new_name in added:
            if new_name not in renamed.values() and codes == {
                q.code for q in new_dims[new_name].questions
            }:
                renamed[old_name] = new_name
                break
    for old_name, new_name in renamed.items():
        changes.append(f"Dimension {old_name!r} renamed {new_name!r}.")
    for old_name in removed:
        if old_name not in renamed:
            changes.append(f"Dimension {old_name!r} removed.")
    for new_name in added:
        if new_name not in renamed.values():
            codes = ", ".join(q.code for q in new_dims[new_name].questions)
            changes.append(f"Dimension {new_name!r} added ({codes}).")
    pairs = [(n, n) for n in new_dims if n in old_dims] + list(renamed.items())
    for old_name, new_name in pairs:
        changes += _dimension_changes(old_dims[old_name], new_dims[new_name])
    return changes


def _dimension_changes(old: culture.Dimension, new: culture.Dimension) -> list[str]:
    changes = []
    if old.weight != new.weight:
        changes.append(f"{new.name}: weight {old.weight:g} → {new.weight:g}.")
    old_q = {q.code: q for q in old.questions}
    new_q = {q.code: q for q in new.questions}
    for code in new_q:
        if code not in old_q:
            changes.append(f"{new.name}: question {code} added.")
    for code in old_q:
        if code not in new_q:
            changes.append(f"{new.name}: question {code} removed.")
    for code in new_q:
        if code not in old_q:
            continue
        before, after = old_q[code], new_q[code]
        if before.weight != after.weight:
            changes.append(f"{new.name}: {code} weight {before.weight:g} → {after.weight:g}.")
        if before.higher_is_better != after.higher_is_better:
            direction = "higher" if after.higher_is_better else "lower"
            changes.append(f"{new.name}: {code} is now {direction} is better.")
        if before.text != after.text:
            changes.append(f"{new.name}: {code} wording changed.")
    return changes


def unknown_question_codes(
    db: Database, viewer: Viewer, codes: tuple[str, ...] | list[str]
) -> list[str]:
    """The codes not found in any staff survey or pulse survey upload (yet)."""
    known = union(
        select(StaffSurveyResult.question_code).distinct(),
        select(PulseQuestion.question_code).distinct(),
    )
    with db.connect() as conn:
        found = {row[0] for row in conn.execute(known)}
    return sorted(c for c in codes if c not in found)


def _check_and_save(
    db: Database,
    viewer: Viewer,
    definition: MeasureDefinition | None,
    problems: list[str],
    note: str,
) -> tuple[MeasureVersion | None, list[str]]:
    problems = list(problems)
    if not can_edit(viewer):
        problems.insert(0, ONLY_ADMINS)
    if not (note or "").strip():
        problems.append(NOTE_REQUIRED)
    current = culture.current_version(db)
    if definition is not None and definition == current.definition:
        problems.append(
            f"this is the same as the current version {current.version}: nothing to save"
        )
    if problems or definition is None:
        return None, problems
    return culture.save_version(db, viewer, definition, note), []


def save_edited(
    db: Database,
    viewer: Viewer,
    table: pd.DataFrame,
    *,
    name: str,
    description: str = "",
    note: str = "",
) -> tuple[MeasureVersion | None, list[str]]:
    """Save the edited table as a new version, or say everything that stops it."""
    definition, problems = definition_from_table(table, name=name, description=description)
    return _check_and_save(db, viewer, definition, problems, note)


def save_imported(
    db: Database, viewer: Viewer, data: bytes, *, note: str = ""
) -> tuple[MeasureVersion | None, list[str]]:
    """Save an imported definition file as a new version, or say everything that stops it."""
    definition, problems = culture.import_definition(data)
    return _check_and_save(db, viewer, definition, problems, note)


def export_file(db: Database, viewer: Viewer, version: int | None = None) -> tuple[str, bytes]:
    """A version's definition as a JSON file: (file name, contents)."""
    chosen = culture.current_version(db) if version is None else culture.get_version(db, version)
    slug = re.sub(r"[^a-z0-9]+", "-", chosen.definition.name.lower()).strip("-") or "measure"
    return f"{slug}-version-{chosen.version}.json", culture.export_definition(chosen)


def measure_definition(
    db: Database, viewer: Viewer, version: int | None = None
) -> MeasureDefinition:
    """The definition of a saved version (the current one by default)."""
    chosen = culture.current_version(db) if version is None else culture.get_version(db, version)
    return chosen.definition


__all__ = [
    "EDITOR_COLUMNS",
    "NOTE_REQUIRED",
    "can_edit",
    "definition_from_table",
    "describe_changes",
    "editor_table",
    "export_file",
    "save_edited",
    "save_imported",
    "measure_definition",
    "unknown_question_codes",
]
