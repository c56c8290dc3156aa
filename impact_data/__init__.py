"""IMPACT dashboard data layer: storage, ingestion, queries and statistics.

Never imports streamlit. Pages and scripts use this package; the command line
(`python -m impact_data`) is a thin layer over the same functions.
"""

from impact_data.access import AccessDenied, Viewer
from impact_data.ingest import (
    DeleteRefused,
    PreparedUpload,
    Problem,
    UploadRefused,
    UploadResult,
    commit_upload,
    delete_upload,
    prepare_upload,
)
from impact_data.ingest.kinds import KINDS, get_kind
from impact_data.ingest.uploads import load_file
from impact_data.store.db import Database, database_url, get_database

__all__ = [
    "KINDS",
    "AccessDenied",
    "Database",
    "DeleteRefused",
    "PreparedUpload",
    "Problem",
    "UploadRefused",
    "UploadResult",
    "Viewer",
    "commit_upload",
    "database_url",
    "delete_upload",
    "get_database",
    "get_kind",
    "load_file",
    "prepare_upload",
    # modules and packages
    "access",
    "cli",
    "demo",
    "exports",
    "ingest",
    "learning",
    "measures",
    "raw_export",
    "spc",
    "stats",
    "store",
    "users",
    "views",
    "workshop",
]
