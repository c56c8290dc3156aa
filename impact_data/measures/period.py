"""THE reporting period: the one month every page, the board pack and exports report on.

A reporting period is a calendar month that has ended. "Last 90 days" means the 90 days up to
and including the period's last day, and SPC charts stop at the period's month, on every
screen. The default is the newest *complete* month (one that ended before today's month
began) in which the main sources, the pulse survey and PDSA, have data: so one small upload
(a readiness round saved from a workshop today, say) never moves the whole system's date.

Each source keeps its own freshness (`source_dates`, `data_freshness`): the newest date of
each organisation's data on or before the period's end, and whether it is missing or stale by
the source's own rule (`FRESHNESS_RULES`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import numbers
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Table, func, literal, select, union_all

from impact_data.access import Viewer, requires_access
from impact_data.measures.pdsa import RECENT_DAYS
from impact_data.store.db import Database
from impact_data.store.models import (
    ImpactSelfAssessment,
    PdsaCycle,
    PdsaMeasure,
    PdsaProject,
    PulseRespondent,
    ReadinessResponse,
    StaffSurveyResult,
    Visit,
    WorkshopSession,
)
from impact_data.store.sql import ORG, month_start, read_frame

__all__ = [
    "FRESHNESS_RULES",
    "MAIN_SOURCES",
    "SOURCES",
    "FreshnessRule",
    "ReportingPeriod",
    "available_periods",
    "clear_dates_cache",
    "data_freshness",
    "default_period",
    "parse_period",
    "period_for",
    "period_index",
    "source_dates",
    "up_to",
]

KEY_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class ReportingPeriod:
    """A calendar month reported on: `month` is its first day."""

    month: dt.date

    @property
    def key(self) -> str:
        """The period as written in a link or on the command line: 2025-11."""
        return f"{self.month:%Y-%m}"

    @property
    def start(self) -> dt.date:
        return self.month

    @property
    def end(self) -> dt.date:
        """The period's last day: figures are as of this day."""
        last = calendar.monthrange(self.month.year, self.month.month)[1]
        return self.month.replace(day=last)

    @property
    def window_start(self) -> dt.date:
        """The first day of "the last 90 days": the 90 days up to and including `end`."""
        return self.end - dt.timedelta(days=RECENT_DAYS - 1)

    @property
    def label(self) -> str:
        """November 2025."""
        return f"{self.month:%B %Y}"

    @property
    def window_label(self) -> str:
        """2 September - 30 November 2025 (the year once when both days share it)."""
        first, last = self.window_start, self.end
        start = f"{first.day} {first:%B}" if first.year == last.year else _day(first)
        return f"{start} - {_day(last)}"

    @property
    def description(self) -> str:
        """The line every page, the pack and exports show."""
        return f"Reporting period: {self.label} ({self.window_label} for 'last {RECENT_DAYS} days')"

    def contains(self, day: dt.date) -> bool:
        """True for a day in the last 90 days of the period."""
        return self.window_start <= day <= self.end


def up_to(frame: pd.DataFrame, column: str, until: dt.date | None) -> pd.DataFrame:
    """THE reporting period's cut-off: the rows of `frame` dated on or before `until` (the
    period's last day), all of them when `until` is None. `column` holds a date, or a month's
    first day (a readiness round: the month of the check). A figure "for November 2025" uses
    only what had happened by 30 November 2025, however much newer data there is."""
    if until is None or frame.empty:
        return frame
    dates = pd.to_datetime(frame[column].astype(object), errors="coerce")
    return frame[(dates <= pd.Timestamp(until)).to_numpy()].copy()


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def period_for(day: dt.date) -> ReportingPeriod:
    """The reporting period (month) a day falls in."""
    return ReportingPeriod(day.replace(day=1))


def parse_period(text: str) -> ReportingPeriod:
    """A period from its key ("2025-11"); a clear message for anything else."""
    match = KEY_PATTERN.match(str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(
            f"reporting period must be a year and month written as YYYY-MM, such as 2025-11; "
            f"found {str(text)!r}"
        )
    return ReportingPeriod(dt.date(int(match.group(1)), int(match.group(2)), 1))


# --- Which data each source has, per organisation and month

# The sources, in the order people read them, with their names in plain words.
SOURCES = {
    "staff_survey": "NHS Staff Survey",
    "pulse": "Pulse survey",
    "readiness": "Readiness checks",
    "maturity": "NHS IMPACT self-assessment",
    "pdsa": "PDSA cycles and measures",
    "visits": "Learning visits",
    "workshops": "Workshops saved as readiness rounds",
}
# The monthly sources the default period follows.
MAIN_SOURCES = ("pulse", "pdsa")


@dataclass(frozen=True)
class _Dates:
    """One table's dates of a source: the column `day` of `table`, each row's organisation
    being `org` (an organisation's id) or, with `project`, the organisation of that PDSA
    project; `saved_rounds` keeps only readiness rounds saved from a workshop."""

    table: Table
    day: str
    org: str | None = None
    project: str | None = None
    saved_rounds: bool = False


def _dates_of(source: str) -> tuple[_Dates, ...]:
    """Where a source's dates are: the (org_code, day) rows of all of these, together."""
    if source == "pulse":
        return (_Dates(PulseRespondent.__table__, "response_date", org="org_id"),)
    if source in ("readiness", "workshops"):
        table = ReadinessResponse.__table__
        return (_Dates(table, "assessment_date", org="org_id", saved_rounds=source == "workshops"),)
    if source == "maturity":
        return (_Dates(ImpactSelfAssessment.__table__, "assessment_date", org="org_id"),)
    if source == "pdsa":
        return (
            _Dates(PdsaCycle.__table__, "start_date", project="project_id"),
            _Dates(PdsaMeasure.__table__, "date", project="project_id"),
        )
    if source == "visits":  # a visit is dated for its host and for its guest
        table = Visit.__table__
        return (
            _Dates(table, "visit_date", org="to_org_id"),
            _Dates(table, "visit_date", org="from_org_id"),
        )
    raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")


def _kept(dates: _Dates) -> list:
    """The conditions on a table's own rows: a day, and for workshops a saved round."""
    t = dates.table.c
    conditions = [t[dates.day].is_not(None)]
    if dates.saved_rounds:
        sessions = WorkshopSession.__table__.c
        saved = select(sessions.saved_upload_id).where(sessions.saved_upload_id.is_not(None))
        conditions.append(t.upload_id.in_(saved))
    return conditions


def _to_orgs(dates: _Dates, rows, key):
    """`rows` (a table or a subquery with the column `key`) joined to its organisations."""
    if dates.project is not None:
        projects = PdsaProject.__table__
        return rows.join(projects, projects.c.id == key).join(ORG, ORG.c.id == projects.c.org_id)
    return rows.join(ORG, ORG.c.id == key)


def _key(dates: _Dates):
    return dates.table.c[dates.project if dates.project is not None else dates.org]


def _as_dates(column: pd.Series) -> pd.Series:
    """Days as the database gives them (a date, or ISO text on SQLite) as `datetime.date`,
    worked out once per distinct day."""
    days = {v: pd.Timestamp(str(v)).date() for v in column.unique()}
    return column.map(days).astype(object)


def _newest(db: Database, source: str, until: dt.date | None) -> pd.DataFrame:
    """org_code, newest: each organisation's newest date of a dated source (on or before
    `until` when given). One query: each table's newest day per organisation (or project)
    first, from its own rows (in an index's order where there is one, not a sort of every
    row), then per organisation code. Worked out per `until` (`source_dates` keeps it)."""
    parts = []
    for dates in _dates_of(source):
        day = dates.table.c[dates.day]
        conditions = _kept(dates) + ([day <= until] if until is not None else [])
        key = _key(dates)
        newest = (
            select(key.label("key"), func.max(day).label("newest"))
            .where(*conditions)
            .group_by(key)
            .subquery()
        )
        parts.append(
            select(ORG.c.org_code, newest.c.newest).select_from(
                _to_orgs(dates, newest, newest.c.key)
            )
        )
    rows = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    q = (
        select(rows.c.org_code, func.max(rows.c.newest).label("newest"))
        .group_by(rows.c.org_code)
        .order_by(rows.c.org_code)
    )
    frame = read_frame(db, q)
    frame["newest"] = _as_dates(frame["newest"])
    return frame


def _survey_years(db: Database, until: dt.date | None) -> pd.DataFrame:
    """org_code, year: each organisation's newest staff survey year (up to `until`'s year)."""
    t = StaffSurveyResult.__table__.c
    q = (
        select(ORG.c.org_code, func.max(t.year).label("year"))
        .join_from(StaffSurveyResult.__table__, ORG, ORG.c.id == t.org_id)
        .group_by(ORG.c.org_code)
    )
    if until is not None:
        q = q.where(t.year <= until.year)
    return read_frame(db, q)


def source_dates(
    db: Database, viewer: Viewer | None = None, *, until: dt.date | None = None
) -> pd.DataFrame:
    """Each organisation's newest data per source, on or before `until` (all data when None).

    Columns: org_code, source, newest (a date; for the staff survey, 31 December of the newest
    survey year) and year (the staff survey's year, else empty). Dates only, no figures, so
    every viewer may see them for every organisation: worked out once per data version and
    `until`, whoever asks (a copy each time)."""
    return _remembered(db, ("source_dates", until), lambda: _source_dates(db, until)).copy()


def _source_dates(db: Database, until: dt.date | None) -> pd.DataFrame:
    parts = []
    years = _survey_years(db, until)
    if len(years):
        parts.append(
            pd.DataFrame(
                {
                    "org_code": years["org_code"],
                    "source": "staff_survey",
                    "newest": [dt.date(int(y), 12, 31) for y in years["year"]],
                    "year": years["year"].astype("Int64"),
                }
            )
        )
    for source in SOURCES:
        if source == "staff_survey":
            continue
        frame = _newest(db, source, until)
        if len(frame):
            parts.append(frame.assign(source=source, year=pd.Series(dtype="Int64")))
    columns = ["org_code", "source", "newest", "year"]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    out = pd.concat(parts, ignore_index=True)[columns]
    out["year"] = out["year"].astype("Int64")
    return out.reset_index(drop=True)


def _data_months(db: Database, sources: Iterable[str]) -> list[dt.date]:
    """The months (first days) in which any of `sources` has data, oldest first (every
    source's months worked out at once, once per data version)."""
    by_source = _remembered(db, ("months",), lambda: _source_months(db))
    months: set[dt.date] = set()
    for source in sources:
        months |= by_source[source]
    return sorted(months)


def _source_months(db: Database) -> dict[str, frozenset[dt.date]]:
    """Each dated source's months with data, from one query: each table's distinct months (a
    look-up per row in a short list of months, not a sort of every row)."""
    parts = []
    for source in SOURCES:
        if source == "staff_survey":
            continue
        for dates in _dates_of(source):
            month = month_start(db, dates.table.c[dates.day]).label("month")
            parts.append(
                select(literal(source).label("source"), month)
                .select_from(_to_orgs(dates, dates.table, _key(dates)))
                .where(*_kept(dates))
                .distinct()
            )
    frame = read_frame(db, union_all(*parts))
    months = {source: set() for source in SOURCES if source != "staff_survey"}
    for source, month in zip(frame["source"], _as_dates(frame["month"]), strict=True):
        months[source].add(month)
    return {source: frozenset(found) for source, found in months.items()}


# Dates of data per source, kept per database and data version (any write moves the version
# on, so nothing stale is ever used): they cost a scan of every dated table and every page
# asks for them.
CACHE_ENTRIES = 64
_CACHE: OrderedDict[tuple, object] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _remembered(db: Database, key: tuple, compute):
    full = (db.url, db.data_version(), *key)
    with _CACHE_LOCK:
        if full in _CACHE:
            _CACHE.move_to_end(full)
            return _CACHE[full]
    value = compute()
    with _CACHE_LOCK:
        _CACHE[full] = value
        while len(_CACHE) > CACHE_ENTRIES:
            _CACHE.popitem(last=False)
    return value


def clear_dates_cache() -> None:
    """Forget the remembered dates of data (they also lapse when data changes)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def _last_complete(today: dt.date) -> ReportingPeriod:
    return period_for(today.replace(day=1) - dt.timedelta(days=1))


def default_period(
    db: Database, viewer: Viewer | None = None, *, today: dt.date | None = None
) -> ReportingPeriod:
    """The newest complete month (ended before today's month began) in which the pulse survey
    or PDSA has data; failing those, in which any dated source has data; with no dated data at
    all, last month. A month still running is never the default, so data dated today (one
    small upload) cannot move it."""
    last = _last_complete(today or dt.date.today())
    for sources in (MAIN_SOURCES, tuple(s for s in SOURCES if s != "staff_survey")):
        months = [m for m in _data_months(db, sources) if m <= last.month]
        if months:
            return ReportingPeriod(months[-1])
    return last


@requires_access
def available_periods(
    db: Database, viewer: Viewer, *, today: dt.date | None = None
) -> list[ReportingPeriod]:
    """The periods a user may choose, newest first: every complete month from the month of
    the oldest dated data to last month (at least the default period)."""
    last = _last_complete(today or dt.date.today())
    months = [m for m in _data_months(db, [s for s in SOURCES if s != "staff_survey"])]
    first = min([m for m in months if m <= last.month], default=last.month)
    days = pd.date_range(first, last.month, freq="MS")
    return [ReportingPeriod(d.date()) for d in reversed(days)]


# --- Freshness


@dataclass(frozen=True)
class FreshnessRule:
    """When a source's newest data counts as stale for a period."""

    max_age_days: int
    rule: str  # plain words for the page


FRESHNESS_RULES = {
    "staff_survey": FreshnessRule(366, "stale when the newest survey year is before last year"),
    "pulse": FreshnessRule(92, "stale when the newest responses are more than 3 months old"),
    "readiness": FreshnessRule(366, "stale when the newest check is more than a year old"),
    "maturity": FreshnessRule(366, "stale when the newest self-assessment is more than a year old"),
    "pdsa": FreshnessRule(
        RECENT_DAYS, f"stale when nothing was logged in the last {RECENT_DAYS} days"
    ),
    "visits": FreshnessRule(366, "stale when the newest visit is more than a year old"),
    "workshops": FreshnessRule(366, "stale when the newest saved round is more than a year old"),
}


def _status(source: str, newest: dt.date | None, year, period: ReportingPeriod) -> str:
    if newest is None:
        return "missing"
    if source == "staff_survey":
        return "stale" if int(year) < period.end.year - 1 else "current"
    age = (period.end - newest).days
    return "stale" if age >= FRESHNESS_RULES[source].max_age_days else "current"


@requires_access
def data_freshness(
    db: Database,
    viewer: Viewer,
    period: ReportingPeriod,
    *,
    org_codes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Per organisation and source: the newest data on or before the period's end and its
    status, "current", "stale" (older than the source's rule in `FRESHNESS_RULES`) or
    "missing". Columns: org_code, org_name, source, source_name, newest, year, status,
    age_days."""
    orgs = read_frame(db, select(ORG.c.org_code, ORG.c.org_name).order_by(ORG.c.org_name))
    if org_codes is not None:
        orgs = orgs[orgs["org_code"].isin(list(org_codes))]
    dates = source_dates(db, viewer, until=period.end)
    columns = ["org_code", "org_name", "source", "source_name", "newest", "year", "status"]
    columns.append("age_days")
    if orgs.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    # Every organisation x source (organisations by name, sources in SOURCES' order), with
    # each one's newest date where it has one: one merge, not a look-up per cell.
    grid = pd.DataFrame(
        {
            "org_code": np.repeat(orgs["org_code"].to_numpy(), len(SOURCES)),
            "org_name": np.repeat(orgs["org_name"].to_numpy(), len(SOURCES)),
            "source": np.tile(np.array(list(SOURCES), dtype=object), len(orgs)),
        }
    )
    grid["source_name"] = grid["source"].map(SOURCES)
    out = grid.merge(dates, on=["org_code", "source"], how="left", validate="many_to_one")
    newest = [None if pd.isna(d) else d for d in out["newest"]]
    years = [None if pd.isna(y) else int(y) for y in out["year"]]
    out["newest"] = pd.Series(newest, index=out.index, dtype=object)
    out["year"] = pd.array(years, dtype="Int64")
    out["status"] = [
        _status(source, day, year, period)
        for source, day, year in zip(out["source"], newest, years, strict=True)
    ]
    out["age_days"] = pd.array(
        [
            None if day is None or source == "staff_survey" else (period.end - day).days
            for source, day in zip(out["source"], newest, strict=True)
        ],
        dtype="Int64",
    )
    return out[columns].reset_index(drop=True)


def period_index(options: Iterable[object], period: ReportingPeriod) -> int:
    """Where, in `options` (survey years or months, newest first), the newest one on or before
    the reporting period is: the one a page opens on (0 when none is)."""
    for i, option in enumerate(options):
        if isinstance(option, numbers.Real) and not isinstance(option, bool):
            if int(option) <= period.end.year:
                return i
        elif option is not None and pd.Timestamp(option).date() <= period.end:
            return i
    return 0
