"""Loading files end to end, as the CLI, the demo loader and the tests do it."""

from __future__ import annotations

from pathlib import Path

from impact_data.access import Viewer
from impact_data.ingest import PreparedUpload, UploadResult, commit_upload, prepare_upload
from impact_data.ingest.load import Progress
from impact_data.store.db import Database


def load_file(
    db: Database,
    path: str | Path,
    kind: str,
    *,
    create_orgs: bool = False,
    replace_upload_id: int | None = None,
    uploaded_by: str = "local user",
    viewer: Viewer | None = None,
    mapping_overrides: dict[str, dict[str, str]] | None = None,
    progress: Progress | None = None,
) -> tuple[PreparedUpload, UploadResult | None]:
    """Prepare a file and, if it has no problems, commit it; the result is None otherwise."""
    path = Path(path)
    prepared = prepare_upload(
        db,
        path.read_bytes(),
        path.name,
        kind,
        create_orgs=create_orgs,
        replace_upload_id=replace_upload_id,
        mapping_overrides=mapping_overrides,
    )
    if not prepared.ok:
        return prepared, None
    result = commit_upload(db, prepared, uploaded_by=uploaded_by, viewer=viewer, progress=progress)
    return prepared, result
