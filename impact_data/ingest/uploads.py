"""The one way data enters the database: prepare a file, then commit it.

The Upload page, the command line, the demo loader and the forms that save one typed-in row
(PDSA cycles and measures, learning visits) all call these functions, so a file is read the same
way wherever it comes from: with the column choices remembered for its organisation and kind
applied, checked against the database, then written in one transaction.
"""

from __future__ import annotations

from pathlib import Path

from impact_data.access import Viewer
from impact_data.ingest.load import Progress, UploadResult, commit_upload
from impact_data.ingest.mappings import (
    Overrides,
    org_code_of,
    prepare_remembering,
    remember_overrides,
)
from impact_data.ingest.prepare import PreparedUpload
from impact_data.store.db import Database

__all__ = [
    "commit_file",
    "load_bytes",
    "load_file",
    "prepare_file",
    "remember_choices",
]


def prepare_file(
    db: Database,
    data: bytes,
    file_name: str,
    kind: str,
    *,
    viewer: Viewer | None = None,
    overrides: Overrides | None = None,
    create_orgs: bool = False,
    replace_upload_id: int | None = None,
    system: str | None = None,
    survey_year: int | None = None,
    org_code: str | None = None,
) -> tuple[PreparedUpload, Overrides]:
    """Read and check a file without writing; returns it and the remembered choices applied.

    Column choices remembered for the file's organisation and kind are applied first;
    `overrides` (chosen now) win over them.
    """
    return prepare_remembering(
        db,
        viewer or Viewer.local(),
        data,
        file_name,
        kind,
        overrides=overrides,
        create_orgs=create_orgs,
        replace_upload_id=replace_upload_id,
        system=system,
        survey_year=survey_year,
        org_code=org_code,
    )


def remember_choices(
    db: Database, viewer: Viewer, prepared: PreparedUpload, overrides: Overrides
) -> int:
    """Remember column choices made for a file, for the next file of its organisation and kind."""
    if not overrides:
        return 0
    return remember_overrides(db, viewer, org_code_of(prepared), prepared.kind.name, overrides)


def commit_file(
    db: Database,
    prepared: PreparedUpload,
    *,
    viewer: Viewer | None = None,
    uploaded_by: str | None = None,
    progress: Progress | None = None,
) -> UploadResult:
    """Write a prepared file in one transaction; UploadRefused or AccessDenied if it may not."""
    viewer = viewer or Viewer.local()
    return commit_upload(
        db,
        prepared,
        uploaded_by=uploaded_by or viewer.user,
        viewer=viewer,
        progress=progress,
    )


def load_bytes(
    db: Database,
    data: bytes,
    file_name: str,
    kind: str,
    *,
    viewer: Viewer | None = None,
    uploaded_by: str | None = None,
    create_orgs: bool = False,
    replace_upload_id: int | None = None,
    mapping_overrides: Overrides | None = None,
    system: str | None = None,
    survey_year: int | None = None,
    progress: Progress | None = None,
) -> tuple[PreparedUpload, UploadResult | None]:
    """Prepare a file's contents and, if it has no problems, commit it (else the result is None)."""
    prepared, _remembered = prepare_file(
        db,
        data,
        file_name,
        kind,
        viewer=viewer,
        overrides=mapping_overrides,
        create_orgs=create_orgs,
        replace_upload_id=replace_upload_id,
        system=system,
        survey_year=survey_year,
    )
    if not prepared.ok:
        return prepared, None
    result = commit_file(db, prepared, viewer=viewer, uploaded_by=uploaded_by, progress=progress)
    return prepared, result


def load_file(
    db: Database,
    path: str | Path,
    kind: str,
    *,
    create_orgs: bool = False,
    replace_upload_id: int | None = None,
    uploaded_by: str = "local user",
    viewer: Viewer | None = None,
    mapping_overrides: Overrides | None = None,
    progress: Progress | None = None,
) -> tuple[PreparedUpload, UploadResult | None]:
    """Prepare a file on disk and, if it has no problems, commit it (else the result is None)."""
    path = Path(path)
    return load_bytes(
        db,
        path.read_bytes(),
        path.name,
        kind,
        viewer=viewer,
        uploaded_by=uploaded_by,
        create_orgs=create_orgs,
        replace_upload_id=replace_upload_id,
        mapping_overrides=mapping_overrides,
        progress=progress,
    )
