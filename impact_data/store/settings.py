"""System-wide settings editable on the Settings page (admins only, audited)."""

from __future__ import annotations

from impact_data.access import Viewer, require_admin
from impact_data.store.db import Database
from impact_data.users import record

MIN_THRESHOLD = 1
MAX_THRESHOLD = 100


def set_suppression_threshold(db: Database, viewer: Viewer, threshold: int) -> None:
    """Groups with fewer responses than this are suppressed everywhere (default 11)."""
    require_admin(viewer, "change the suppression threshold")
    if not isinstance(threshold, int) or not MIN_THRESHOLD <= threshold <= MAX_THRESHOLD:
        raise ValueError(f"the threshold must be a whole number {MIN_THRESHOLD}-{MAX_THRESHOLD}")
    before = db.suppression_threshold()
    db.set_setting("suppression_threshold", threshold)
    record(db, viewer, "setting_changed", {"suppression_threshold": [before, threshold]})


def suppression_rule(db: Database) -> str:
    """The rule in words, for footers and exports."""
    n = db.suppression_threshold()
    return (
        f"Groups with fewer than {n} responses are suppressed, and so is one more group wherever "
        "a suppressed one could be worked out from a total."
    )
