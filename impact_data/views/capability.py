"""Improvement capability, page-ready: one organisation's people trained per level (Overview)
and organisations side by side per 1,000 staff (Compare), with their text alternatives.

Every figure comes from `impact_data.measures.capability` (suppression already applied); this
module only shapes and words it. Compare lists organisations by name: no ranks, no league table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from impact_data.access import Viewer, requires_access
from impact_data.measures import capability
from impact_data.measures.capability import PER_STAFF
from impact_data.stats.disclosure import SUPPRESSED
from impact_data.store.db import Database
from impact_data.views.wording import is_missing, plural, uk_date

__all__ = [
    "CapabilityComparison",
    "CapabilityDetail",
    "compare_capability",
    "level_labels",
    "org_capability",
    "per_1000_text",
]

SUPPRESSED_TEXT = "suppressed"
NO_DATA = "no data"


@requires_access
def level_labels(db: Database, viewer: Viewer) -> list[str]:
    """The capability levels' current labels, level 1 first."""
    return capability.level_labels(db)


def per_1000_text(value: object) -> str:
    """A figure per 1,000 staff as shown: one decimal place."""
    return "" if is_missing(value) else f"{float(value):,.1f}"


def _people_text(value: object, hidden: bool) -> str:
    if hidden:
        return SUPPRESSED_TEXT
    return NO_DATA if is_missing(value) else f"{int(value):,}"


def _rate_text(value: object, hidden: bool, staff_known: bool) -> str:
    if hidden:
        return SUPPRESSED_TEXT
    if not staff_known:
        return "staff number not given"
    return NO_DATA if is_missing(value) else per_1000_text(value)


@dataclass(frozen=True)
class CapabilityDetail:
    """One organisation's improvement capability for the Overview."""

    org_code: str
    as_of: dt.date | None  # the capability date the figures are as at (None: no data)
    staff_count: int | None
    levels: pd.DataFrame  # measures.capability.LEVEL_COLUMNS rows at `as_of`
    over_time: pd.DataFrame  # OVER_TIME_COLUMNS rows, every date
    teams: pd.DataFrame | None  # TEAM_COLUMNS rows; None when the viewer may not see them
    threshold: int
    first_date: dt.date | None = None  # the organisation's first capability date, if any

    @property
    def empty(self) -> bool:
        return self.levels.empty

    def why_empty(self) -> str | None:
        """Why there is nothing to show, in plain words; None when there is something."""
        if not self.empty:
            return None
        if self.first_date is not None:
            return (
                "No improvement capability figures on or before this date; the first are as "
                f"at {uk_date(self.first_date)}."
            )
        return (
            "No improvement capability figures for this organisation yet. Load a file of the "
            "kind Improvement capability on the Upload page."
        )

    def level_table(self) -> pd.DataFrame:
        """People trained per level and per 1,000 staff, as shown on the page."""
        known = self.staff_count is not None
        rows = []
        for rec in self.levels.itertuples(index=False):
            hidden = bool(getattr(rec, SUPPRESSED))
            rows.append(
                {
                    "Level": rec.level_label,
                    "People trained": _people_text(rec.people, hidden),
                    f"Per {PER_STAFF:,} staff": _rate_text(rec.per_1000, hidden, known),
                    "Change since previous date": self._change_text(rec.level),
                }
            )
        return pd.DataFrame(
            rows,
            columns=[
                "Level",
                "People trained",
                f"Per {PER_STAFF:,} staff",
                "Change since previous date",
            ],
        )

    def _change_text(self, level: int) -> str:
        rows = self.over_time[
            (self.over_time["level"] == level) & (self.over_time["as_of"] == self.as_of)
        ]
        if rows.empty or is_missing(rows["change_people"].iloc[0]):
            return "no earlier figure shown"
        change = int(rows["change_people"].iloc[0])
        return f"{change:+,} people"

    def over_time_table(self) -> pd.DataFrame:
        """Every date's figures per level, as shown in the data behind the chart."""
        known = self.staff_count is not None
        rows = []
        for rec in self.over_time.itertuples(index=False):
            hidden = bool(getattr(rec, SUPPRESSED))
            rows.append(
                {
                    "Date (as at)": uk_date(rec.as_of),
                    "Level": rec.level_label,
                    "People trained": _people_text(rec.people, hidden),
                    f"Per {PER_STAFF:,} staff": _rate_text(rec.per_1000, hidden, known),
                }
            )
        return pd.DataFrame(
            rows, columns=["Date (as at)", "Level", "People trained", f"Per {PER_STAFF:,} staff"]
        )

    def team_table(self) -> pd.DataFrame:
        """Teams and staff groups at the latest date (team-level detail)."""
        columns = ["Team", "Staff group", "Level", "People trained"]
        if self.teams is None or self.teams.empty:
            return pd.DataFrame(columns=columns)
        rows = [
            {
                "Team": rec.team if not is_missing(rec.team) else "whole organisation",
                "Staff group": rec.staff_group if not is_missing(rec.staff_group) else "all",
                "Level": rec.level_label,
                "People trained": _people_text(rec.people, bool(getattr(rec, SUPPRESSED))),
            }
            for rec in self.teams.itertuples(index=False)
        ]
        return pd.DataFrame(rows, columns=columns)

    def summary(self, org_name: str) -> str:
        """The text alternative of the levels chart: every level's figure in words."""
        if self.empty:
            return self.why_empty() or ""
        parts = []
        for rec in self.levels.itertuples(index=False):
            if bool(getattr(rec, SUPPRESSED)):
                parts.append(f"{rec.level_label}: fewer than {self.threshold} (suppressed)")
                continue
            text = f"{rec.level_label}: {plural(int(rec.people), 'person', 'people')}"
            if not is_missing(rec.per_1000):
                text += f" ({per_1000_text(rec.per_1000)} per {PER_STAFF:,} staff)"
            parts.append(text)
        staff = (
            f" Staff: {self.staff_count:,}."
            if self.staff_count is not None
            else " No staff number is given for this organisation, so there is no figure per "
            f"{PER_STAFF:,} staff (add a Staff column to the organisations file)."
        )
        return (
            f"Improvement capability of {org_name} as at {uk_date(self.as_of)}: "
            + "; ".join(parts)
            + "."
            + staff
        )

    def over_time_summary(self, org_name: str) -> str:
        """The text alternative of the change over time chart."""
        dates = sorted(self.over_time["as_of"].unique())
        if len(dates) < 2:
            return (
                f"{org_name} has capability figures for one date only "
                f"({uk_date(dates[0]) if dates else 'none'}): no change over time yet."
            )
        first, last = dates[0], dates[-1]
        parts = []
        for _level, rows in self.over_time.groupby("level", sort=True):
            start = rows[rows["as_of"] == first]
            end = rows[rows["as_of"] == last]
            if start.empty or end.empty:
                continue
            label = end["level_label"].iloc[0]
            if bool(start[SUPPRESSED].iloc[0]) or bool(end[SUPPRESSED].iloc[0]):
                parts.append(f"{label}: suppressed at one of the two dates")
                continue
            parts.append(
                f"{label}: {int(start['people'].iloc[0]):,} to {int(end['people'].iloc[0]):,}"
            )
        body = "; ".join(parts) if parts else "no level has figures at both dates"
        return (
            f"People trained at {org_name}, {plural(len(dates), 'date')} from {uk_date(first)} "
            f"to {uk_date(last)}: {body}."
        )


@requires_access
def org_capability(
    db: Database, viewer: Viewer, org_code: str, *, as_of: dt.date | None = None
) -> CapabilityDetail:
    """One organisation's people trained per level as at `as_of` (its newest capability date
    on or before it), their change over time, and (for viewers who may see team-level detail)
    its teams and staff groups."""
    levels = capability.capability_by_level(db, viewer, org_codes=[org_code], as_of=as_of)
    over_time = capability.capability_over_time(db, viewer, org_codes=[org_code])
    first = over_time["as_of"].min() if not over_time.empty else None
    if as_of is not None and not over_time.empty:
        over_time = over_time[over_time["as_of"] <= as_of].reset_index(drop=True)
    teams = (
        capability.capability_by_team(db, viewer, org_code, as_of=as_of)
        if viewer.can_see_detail(org_code)
        else None
    )
    staff = None
    when = None
    if not levels.empty:
        when = levels["as_of"].iloc[0]
        count = levels["staff_count"].iloc[0]
        staff = None if is_missing(count) else int(count)
    return CapabilityDetail(
        org_code, when, staff, levels, over_time, teams, db.suppression_threshold(), first
    )


@dataclass(frozen=True)
class CapabilityComparison:
    """Organisations side by side: people trained per level per 1,000 staff."""

    long: pd.DataFrame  # LEVEL_COLUMNS rows (one per organisation and level)
    labels: list[str]
    threshold: int

    @property
    def empty(self) -> bool:
        return self.long.empty

    def table(self) -> pd.DataFrame:
        """One row per organisation (by name: no rank), one column per level per 1,000 staff,
        with the date the figures are as at and the staff number."""
        return self._by_organisation(
            [f"{label} per {PER_STAFF:,} staff" for label in self.labels],
            lambda rec, hidden, known: _rate_text(rec.per_1000, hidden, known),
        )

    def people_table(self) -> pd.DataFrame:
        """One row per organisation (by name: no rank), one column per level with the people
        trained ("suppressed" below the threshold), with the date and the staff number."""
        return self._by_organisation(
            [f"{label}: people trained" for label in self.labels],
            lambda rec, hidden, _known: _people_text(rec.people, hidden),
        )

    def _by_organisation(
        self, level_cols: list[str], cell: Callable[[Any, bool, bool], str]
    ) -> pd.DataFrame:
        """Organisation, As at, Staff, then `cell(level row, hidden, staff known)` per level."""
        columns = ["Organisation", "As at", "Staff", *level_cols]
        if self.empty:
            return pd.DataFrame(columns=columns)
        rows = []
        for (name, _code), group in self.long.groupby(["org_name", "org_code"], sort=True):
            staff = group["staff_count"].iloc[0]
            known = not is_missing(staff)
            row = {
                "Organisation": name,
                "As at": uk_date(group["as_of"].iloc[0]),
                "Staff": f"{int(staff):,}" if known else "not given",
            }
            for col in level_cols:
                row[col] = NO_DATA
            for rec in group.itertuples(index=False):
                if rec.level <= len(self.labels):
                    hidden = bool(getattr(rec, SUPPRESSED))
                    row[level_cols[rec.level - 1]] = cell(rec, hidden, known)
            rows.append(row)
        return pd.DataFrame(rows, columns=columns)

    def chart_frame(self) -> pd.DataFrame:
        """Shown figures per 1,000 staff for the chart (hidden or unknown ones left out)."""
        columns = ["org_code", "org_name", "level", "level_label", "per_1000", "people"]
        if self.empty:
            return pd.DataFrame(columns=columns)
        shown = self.long[~self.long[SUPPRESSED].astype(bool) & self.long["per_1000"].notna()]
        return shown[columns].reset_index(drop=True)

    def summary(self) -> str:
        """The text alternative of the side-by-side chart, organisations in name order."""
        if self.empty:
            return "No improvement capability figures yet."
        parts = []
        for (name, _code), group in self.long.groupby(["org_name", "org_code"], sort=True):
            figures = []
            for rec in group.itertuples(index=False):
                if bool(getattr(rec, SUPPRESSED)):
                    figures.append(f"{rec.level_label} suppressed")
                elif not is_missing(rec.per_1000):
                    figures.append(f"{rec.level_label} {per_1000_text(rec.per_1000)}")
            staff_known = not is_missing(group["staff_count"].iloc[0])
            detail = ", ".join(figures) if staff_known else "no staff number given"
            parts.append(f"{name}: {detail or 'no figures shown'}")
        return (
            f"People trained per {PER_STAFF:,} staff, per level, each organisation at its newest "
            "date: " + "; ".join(parts) + "."
        )


@requires_access
def compare_capability(
    db: Database,
    viewer: Viewer,
    *,
    org_codes: Iterable[str] | None = None,
    as_of: dt.date | None = None,
) -> CapabilityComparison:
    """Every organisation (or `org_codes`) with capability figures as at `as_of`: people
    trained per level per 1,000 staff, side by side."""
    codes = None if org_codes is None else list(org_codes)
    long = capability.capability_by_level(db, viewer, org_codes=codes, as_of=as_of)
    return CapabilityComparison(long, capability.level_labels(db), db.suppression_threshold())
