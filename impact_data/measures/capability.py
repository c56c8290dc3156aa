"""Improvement capability: people trained to each level, per 1,000 staff, and over time.

One figure, one function:

- `capability_by_level`: per organisation and level, the people trained as at a date: the
  organisation's newest capability date on or before it (each date's rows are the
  organisation's whole picture as at that date, added up over its teams and staff groups),
  and per 1,000 staff where the organisation's staff count is known.
- `capability_over_time`: the same per organisation, level and date, with the change since the
  organisation's previous date.
- `capability_by_team`: one organisation's teams and staff groups as at a date (team-level
  detail: only for viewers who may see it).

Every count goes through the one disclosure rule (`stats.disclosure.suppress`): a level's count
below the threshold is hidden, with its figure per 1,000 staff; a team's or staff group's
count below it is hidden, and so is the next smallest part wherever the organisation's total
for that level minus the parts shown would give a small number away.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from impact_data.access import Viewer, requires_access
from impact_data.stats.disclosure import SUPPRESSED, suppress
from impact_data.store.db import Database
from impact_data.store.models import CapabilityRecord
from impact_data.store.settings import capability_level_labels
from impact_data.store.sql import ORG, limit_detail, only_orgs, read_frame

__all__ = [
    "LEVEL_COLUMNS",
    "OVER_TIME_COLUMNS",
    "PER_STAFF",
    "TEAM_COLUMNS",
    "capability_by_level",
    "capability_by_team",
    "capability_over_time",
    "level_labels",
    "per_1000_staff",
]

PER_STAFF = 1000  # figures are per this many staff

LEVEL_COLUMNS = [
    "org_code",
    "org_name",
    "level",
    "level_label",
    "as_of",
    "people",
    "staff_count",
    "per_1000",
    SUPPRESSED,
    "suppression",
]
OVER_TIME_COLUMNS = [*LEVEL_COLUMNS, "change_people", "change_per_1000"]
TEAM_COLUMNS = [
    "org_code",
    "team",
    "staff_group",
    "level",
    "level_label",
    "as_of",
    "people",
    SUPPRESSED,
    "suppression",
]


def level_labels(db: Database) -> list[str]:
    """The capability levels' labels, level 1 first (a setting admins rename)."""
    return capability_level_labels(db)


def per_1000_staff(people: pd.Series, staff_count: pd.Series) -> pd.Series:
    """People per 1,000 staff; NaN where the staff count is unknown or zero."""
    staff = pd.to_numeric(staff_count, errors="coerce").astype(float)
    staff = staff.where(staff > 0)
    return pd.to_numeric(people, errors="coerce").astype(float) / staff * PER_STAFF


def _totals(db: Database, org_codes: Iterable[str] | None) -> pd.DataFrame:
    """People per organisation, date and level, added up over teams and staff groups."""
    c = CapabilityRecord
    q = (
        select(
            ORG.c.org_code,
            ORG.c.org_name,
            ORG.c.staff_count,
            c.as_of,
            c.level,
            func.sum(c.people).label("people"),
        )
        .join(ORG, ORG.c.id == c.org_id)
        .group_by(ORG.c.org_code, ORG.c.org_name, ORG.c.staff_count, c.as_of, c.level)
        .order_by(ORG.c.org_code, c.as_of, c.level)
    )
    frame = read_frame(db, only_orgs(q, org_codes))
    if frame.empty:
        return frame
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    frame["people"] = frame["people"].astype(int)
    frame["level"] = frame["level"].astype(int)
    return frame


def _latest_dates(frame: pd.DataFrame, as_of: dt.date | None) -> pd.DataFrame:
    """Rows of each organisation's newest date on or before `as_of` (all dates when None)."""
    if frame.empty:
        return frame
    if as_of is not None:
        frame = frame[frame["as_of"] <= as_of]
    newest = frame.groupby("org_code")["as_of"].transform("max")
    return frame[frame["as_of"] == newest]


def _published(frame: pd.DataFrame, threshold: int, labels: list[str]) -> pd.DataFrame:
    """Totals with the disclosure rule applied and their figure per 1,000 staff."""
    if frame.empty:
        return pd.DataFrame(columns=LEVEL_COLUMNS)
    out = frame.copy()
    out["per_1000"] = per_1000_staff(out["people"], out["staff_count"])
    out = suppress(out, "people", ["per_1000"], threshold)
    out["level_label"] = out["level"].map(
        lambda n: labels[n - 1] if n <= len(labels) else f"Level {n}"
    )
    out["staff_count"] = pd.to_numeric(out["staff_count"], errors="coerce").astype("Int64")
    return (
        out[LEVEL_COLUMNS]
        .sort_values(["org_name", "org_code", "as_of", "level"])
        .reset_index(drop=True)
    )


@requires_access
def capability_by_level(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """Per organisation and level: people trained as at `as_of` (the organisation's newest
    capability date on or before it; the newest of all when None), per 1,000 staff where the
    staff count is known. Counts below the suppression threshold are hidden."""
    labels = level_labels(db)
    totals = _latest_dates(_totals(db, org_codes), as_of)
    return _published(totals, db.suppression_threshold(), labels)


@requires_access
def capability_over_time(
    db: Database, viewer: Viewer, *, org_codes: Iterable[str] | None = None
) -> pd.DataFrame:
    """Per organisation, date and level: people trained and per 1,000 staff, with the change
    since the organisation's previous date (only where both figures are shown)."""
    labels = level_labels(db)
    frame = _published(_totals(db, org_codes), db.suppression_threshold(), labels)
    if frame.empty:
        return pd.DataFrame(columns=OVER_TIME_COLUMNS)
    frame = frame.sort_values(["org_code", "level", "as_of"]).reset_index(drop=True)
    previous = frame.groupby(["org_code", "level"])
    people = pd.to_numeric(frame["people"], errors="coerce").astype(float)
    frame["change_people"] = people - previous["people"].shift().astype(float)
    frame["change_per_1000"] = frame["per_1000"] - previous["per_1000"].shift()
    return (
        frame[OVER_TIME_COLUMNS]
        .sort_values(["org_name", "org_code", "as_of", "level"])
        .reset_index(drop=True)
    )


@requires_access
def capability_by_team(
    db: Database, viewer: Viewer, org_code: str, *, as_of: dt.date | None = None
) -> pd.DataFrame:
    """One organisation's teams and staff groups at its newest capability date on or before
    `as_of`: people per level. A count below the threshold is hidden, and so is the next
    smallest part where the level's total minus the parts shown would reveal it. Empty for a
    viewer who may not see this organisation's team-level detail."""
    c = CapabilityRecord
    q = (
        select(ORG.c.org_code, c.team, c.staff_group, c.level, c.people, c.as_of)
        .join(ORG, ORG.c.id == c.org_id)
        .where(ORG.c.org_code == org_code)
    )
    frame = read_frame(db, limit_detail(q, viewer))
    if frame.empty:
        return pd.DataFrame(columns=TEAM_COLUMNS)
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    frame = _latest_dates(frame, as_of)
    if frame.empty:
        return pd.DataFrame(columns=TEAM_COLUMNS)
    # The level's total as published (the sum of its parts): what the parts must not reveal.
    frame["total"] = frame.groupby(["as_of", "level"])["people"].transform("sum")
    out = suppress(
        frame,
        "people",
        [],
        db.suppression_threshold(),
        sibling_keys=["org_code", "as_of", "level"],
        total_column="total",
    )
    labels = level_labels(db)
    out["level_label"] = out["level"].map(lambda n: labels[int(n) - 1])
    out["level"] = out["level"].astype(int)
    order = np.lexsort(
        (
            out["staff_group"].fillna("").to_numpy(),
            out["team"].fillna("").to_numpy(),
            out["level"].to_numpy(),
        )
    )
    return out.iloc[order][TEAM_COLUMNS].reset_index(drop=True)
