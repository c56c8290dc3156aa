"""System-wide settings editable on the Settings page (admins only, audited)."""

from __future__ import annotations

import datetime as dt
import json
from typing import NamedTuple

from sqlalchemy import select

from impact_data.access import Viewer, require_admin
from impact_data.store.db import Database
from impact_data.store.models import AuditEvent
from impact_data.users import record

__all__ = [
    "CAPABILITY_LEVELS_SETTING",
    "CULTURE_TARGET_SETTING",
    "capability_level_labels",
    "set_capability_level_labels",
    "MAX_THRESHOLD",
    "MIN_THRESHOLD",
    "culture_target",
    "set_culture_target",
    "ThresholdChange",
    "set_suppression_threshold",
    "suppression_rule",
    "threshold_changes",
]

# The system's target for the monthly culture measure, in % favourable (none unless set): with
# it, the Overview shows the assurance icon beside the culture variation icon.
CULTURE_TARGET_SETTING = "culture_target_pct"

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


def culture_target(db: Database) -> float | None:
    """The monthly culture measure's target (% favourable), or None when none is set."""
    value = db.get_setting(CULTURE_TARGET_SETTING)
    try:
        target = float(value)
    except (TypeError, ValueError):
        return None
    return target if 0 <= target <= 100 else None


def set_culture_target(db: Database, viewer: Viewer, target_pct: float | None) -> None:
    """Set the monthly culture measure's target in % favourable, or clear it with None."""
    require_admin(viewer, "change the culture target")
    if target_pct is not None:
        try:
            target_pct = float(target_pct)
        except (TypeError, ValueError):
            raise ValueError(f"the target must be a % from 0 to 100, got {target_pct!r}") from None
        if not 0 <= target_pct <= 100:
            raise ValueError(f"the target must be a % from 0 to 100, got {target_pct:g}")
    before = culture_target(db)
    db.set_setting(CULTURE_TARGET_SETTING, target_pct)
    record(db, viewer, "setting_changed", {CULTURE_TARGET_SETTING: [before, target_pct]})


# The words of the improvement capability levels, lowest first (numbers are what is stored).
CAPABILITY_LEVELS_SETTING = "capability_level_labels"


def capability_level_labels(db: Database) -> list[str]:
    """The improvement capability levels' labels, level 1 first (defaults until renamed)."""
    from impact_data.ingest.kinds import CAPABILITY_LEVELS

    labels = db.get_setting(CAPABILITY_LEVELS_SETTING)
    if isinstance(labels, list) and len(labels) == len(CAPABILITY_LEVELS):
        return [str(x) for x in labels]
    return list(CAPABILITY_LEVELS)


def set_capability_level_labels(db: Database, viewer: Viewer, labels: list[str]) -> None:
    """Rename the improvement capability levels (admins only, audited). Each needs a label,
    and no two the same: uploads give a level by its name."""
    from impact_data.ingest.kinds import CAPABILITY_LEVELS, normalise_header

    require_admin(viewer, "rename the capability levels")
    cleaned = [" ".join(str(x).split()) for x in labels]
    n = len(CAPABILITY_LEVELS)
    if len(cleaned) != n or not all(cleaned):
        raise ValueError(f"give each of the {n} capability levels a label")
    keys = [normalise_header(x) for x in cleaned]
    if not all(keys):
        raise ValueError("each capability level label needs a letter or digit")
    if len(set(keys)) != n:
        raise ValueError("two capability levels have the same label; give each its own")
    if any(k.removeprefix("level").isdigit() for k in keys):
        raise ValueError(
            "a capability level label cannot be a number: uploads give levels by number too"
        )
    before = capability_level_labels(db)
    db.set_setting(CAPABILITY_LEVELS_SETTING, cleaned)
    record(db, viewer, "setting_changed", {CAPABILITY_LEVELS_SETTING: [before, cleaned]})


def suppression_rule(db: Database) -> str:
    """The rule in words, for footers and exports."""
    n = db.suppression_threshold()
    return (
        f"Groups with fewer than {n} responses are suppressed, and so is one more group wherever "
        "a suppressed one could be worked out from a total."
    )


class ThresholdChange(NamedTuple):
    """One change of the suppression threshold: when, from and to (from the audit log)."""

    at: dt.datetime
    before: int
    after: int


def threshold_changes(db: Database) -> list[ThresholdChange]:
    """Every change of the suppression threshold, oldest first (saving the same value is none)."""
    with db.connect() as conn:
        rows = conn.execute(
            select(AuditEvent.at, AuditEvent.detail)
            .where(AuditEvent.action == "setting_changed")
            .order_by(AuditEvent.id)
        ).all()
    changes = []
    for at, detail in rows:
        try:
            before, after = json.loads(detail)["suppression_threshold"]
        except (KeyError, TypeError, ValueError):
            continue  # another setting
        if before != after:
            when = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
            changes.append(ThresholdChange(when, int(before), int(after)))
    return changes
