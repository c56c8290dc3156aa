"""Data freshness for a reporting period, page-ready: per organisation and source, the newest
data on or before the period's end, and whether it is missing or stale, in words (never
colour alone). The figures come from `impact_data.measures.period.data_freshness`."""

from __future__ import annotations

import pandas as pd

from impact_data.access import Viewer, requires_access
from impact_data.measures.period import (
    FRESHNESS_RULES,
    SOURCES,
    ReportingPeriod,
    data_freshness,
)
from impact_data.store.db import Database
from impact_data.views.wording import plural, uk_date

__all__ = ["freshness_rules", "freshness_summary", "freshness_table"]

STATUS_WORDS = {"current": "up to date", "stale": "stale", "missing": "no data"}


def _cell(row) -> str:
    if row.status == "missing":
        return "no data"
    when = f"{row.year} survey" if row.source == "staff_survey" else uk_date(row.newest)
    return f"stale: {when}" if row.status == "stale" else when


@requires_access
def freshness_table(db: Database, viewer: Viewer, period: ReportingPeriod) -> pd.DataFrame:
    """One row per organisation, one column per source: the newest data on or before the
    period's end ("21 November 2025", "2025 survey"), "stale: ..." when older than the
    source's rule, or "no data"."""
    frame = data_freshness(db, viewer, period)
    columns = ["Organisation", *SOURCES.values()]
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame = frame.assign(cell=[_cell(r) for r in frame.itertuples()])
    wide = frame.pivot(index="org_name", columns="source_name", values="cell")
    wide = wide.reindex(columns=list(SOURCES.values())).reset_index()
    return wide.rename(columns={"org_name": "Organisation"})[columns].reset_index(drop=True)


@requires_access
def freshness_summary(db: Database, viewer: Viewer, period: ReportingPeriod) -> list[str]:
    """One sentence per source with missing or stale data: how many organisations and which."""
    frame = data_freshness(db, viewer, period)
    lines = []
    for source, name in SOURCES.items():
        rows = frame[frame["source"] == source]
        parts = []
        for status in ("missing", "stale"):
            orgs = rows.loc[rows["status"] == status, "org_name"].tolist()
            if orgs:
                what = "no data" if status == "missing" else "stale data"
                parts.append(f"{plural(len(orgs), 'organisation')} with {what} ({', '.join(orgs)})")
        if parts:
            lines.append(f"{name}: " + "; ".join(parts) + ".")
    return lines


def freshness_rules(period: ReportingPeriod) -> str:
    """The rules, in plain words, for the period."""
    rules = "; ".join(f"{SOURCES[s]}: {FRESHNESS_RULES[s].rule}" for s in SOURCES)
    return (
        f"Newest data on or before {uk_date(period.end)} per organisation and source. "
        f"Each source has its own rule: {rules}."
    )
