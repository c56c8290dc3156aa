"""File -> read -> map columns -> validate -> load."""

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
]
