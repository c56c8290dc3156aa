"""File -> read -> map columns -> validate -> load.

`uploads` is the one way in: the Upload page, the command line, the demo loader and the in-app
forms prepare (with remembered column choices) and commit through it. The steps behind it:
`read` (bytes to sheets), `columns` (headers to fields), `convert` and `validate` (cells to
values, problems as values), `prepare` (a whole file checked against the database), `load`
(one transaction), with `kinds` (what each upload holds), `mappings` (remembered column
choices), `national` (the national Staff Survey files), `problems` and `templates`.
"""

from impact_data.ingest.load import (
    DeleteRefused,
    UploadRefused,
    UploadResult,
    commit_upload,
    delete_upload,
)
from impact_data.ingest.prepare import PreparedTable, PreparedUpload, prepare_upload
from impact_data.ingest.problems import Problem

__all__ = [
    "DeleteRefused",
    "PreparedTable",
    "PreparedUpload",
    "Problem",
    "UploadRefused",
    "UploadResult",
    "commit_upload",
    "delete_upload",
    "prepare_upload",
    # modules
    "columns",
    "convert",
    "kinds",
    "load",
    "mappings",
    "national",
    "prepare",
    "problems",
    "read",
    "templates",
    "uploads",
    "validate",
]
