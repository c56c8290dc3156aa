"""The periods on offer, the default period and each source's newest dates
(`impact_data.measures.period`) come from one query of every source's distinct months and
from each table's newest day per organisation: they must be exactly what the previous code
(a grouped query per source of every organisation's newest day in each month) gave. That code
is kept here as the reference; compared on the sample system, a generated national one, and
a small system with a workshop saved as a readiness round, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from sqlalchemy import func, select, union_all

from impact_data.access import Viewer
from impact_data.measures import period
from impact_data.measures.period import SOURCES, ReportingPeriod
from impact_data.store.models import (
    ImpactSelfAssessment,
    PdsaCycle,
    PdsaMeasure,
    PdsaProject,
    PulseRespondent,
    ReadinessResponse,
    Visit,
    WorkshopSession,
)
from impact_data.store.sql import ORG, month_start, read_frame
from impact_data.workshop import create_session, join, save_as_readiness_round, submit_answers
from tests.files import ORGS
from tests.measures.test_period import ORIC, _load

LOCAL = Viewer.local()
DATED = [s for s in SOURCES if s != "staff_survey"]


# --- The reference: the previous code -------------------------------------------------------


def ref_dated_rows(db, source: str):
    """(org_code, day) rows of one source, as a select."""
    org = ORG.c
    if source == "pulse":
        t = PulseRespondent.__table__.c
        return select(org.org_code, t.response_date.label("day")).join_from(
            PulseRespondent.__table__, ORG, ORG.c.id == t.org_id
        )
    if source in ("readiness", "workshops"):
        t = ReadinessResponse.__table__.c
        q = select(org.org_code, t.assessment_date.label("day")).join_from(
            ReadinessResponse.__table__, ORG, ORG.c.id == t.org_id
        )
        if source == "workshops":
            saved = select(WorkshopSession.__table__.c.saved_upload_id).where(
                WorkshopSession.__table__.c.saved_upload_id.is_not(None)
            )
            q = q.where(t.upload_id.in_(saved))
        return q
    if source == "maturity":
        t = ImpactSelfAssessment.__table__.c
        return select(org.org_code, t.assessment_date.label("day")).join_from(
            ImpactSelfAssessment.__table__, ORG, ORG.c.id == t.org_id
        )
    if source == "pdsa":
        p = PdsaProject.__table__.c
        cycles = (
            select(org.org_code, PdsaCycle.__table__.c.start_date.label("day"))
            .select_from(PdsaCycle.__table__)
            .join(PdsaProject.__table__, p.id == PdsaCycle.__table__.c.project_id)
            .join(ORG, ORG.c.id == p.org_id)
        )
        values = (
            select(org.org_code, PdsaMeasure.__table__.c.date.label("day"))
            .select_from(PdsaMeasure.__table__)
            .join(PdsaProject.__table__, p.id == PdsaMeasure.__table__.c.project_id)
            .join(ORG, ORG.c.id == p.org_id)
        )
        return union_all(cycles, values).subquery().select()
    if source == "visits":
        t = Visit.__table__.c
        hosts = select(org.org_code, t.visit_date.label("day")).join_from(
            Visit.__table__, ORG, ORG.c.id == t.to_org_id
        )
        guests = select(org.org_code, t.visit_date.label("day")).join_from(
            Visit.__table__, ORG, ORG.c.id == t.from_org_id
        )
        return union_all(hosts, guests).subquery().select()
    raise ValueError(source)


def ref_monthly_newest(db, source: str) -> pd.DataFrame:
    rows = ref_dated_rows(db, source).subquery()
    month = month_start(db, rows.c.day).label("month")
    q = (
        select(rows.c.org_code, month, func.max(rows.c.day).label("newest"))
        .where(rows.c.day.is_not(None))
        .group_by(rows.c.org_code, month)
    )
    frame = read_frame(db, q)
    for column in ("month", "newest"):
        days = {v: pd.Timestamp(str(v)).date() for v in frame[column].unique()}
        frame[column] = frame[column].map(days).astype(object)
    return frame


def ref_newest(db, source: str, until: dt.date | None) -> pd.DataFrame:
    if until is None or (until + dt.timedelta(days=1)).day == 1:
        monthly = ref_monthly_newest(db, source)
        if until is not None:
            monthly = monthly[monthly["month"] <= until.replace(day=1)]
        frame = monthly.groupby("org_code", as_index=False, sort=False)["newest"].max()
        return frame.reset_index(drop=True)
    rows = ref_dated_rows(db, source).subquery()
    q = select(rows.c.org_code, func.max(rows.c.day).label("newest")).group_by(rows.c.org_code)
    q = q.where(rows.c.day <= until)
    frame = read_frame(db, q)
    frame["newest"] = pd.to_datetime(frame["newest"]).dt.date
    return frame


def ref_data_months(db, sources) -> list[dt.date]:
    months: set[dt.date] = set()
    for source in sources:
        months |= set(ref_monthly_newest(db, source)["month"])
    return sorted(months)


def ref_default_period(db, today: dt.date) -> ReportingPeriod:
    last = ReportingPeriod((today.replace(day=1) - dt.timedelta(days=1)).replace(day=1))
    for sources in (period.MAIN_SOURCES, DATED):
        months = [m for m in ref_data_months(db, sources) if m <= last.month]
        if months:
            return ReportingPeriod(months[-1])
    return last


def ref_available_periods(db, today: dt.date) -> list[ReportingPeriod]:
    last = ReportingPeriod((today.replace(day=1) - dt.timedelta(days=1)).replace(day=1))
    months = ref_data_months(db, DATED)
    first = min([m for m in months if m <= last.month], default=last.month)
    days = pd.date_range(first, last.month, freq="MS")
    return [ReportingPeriod(d.date()) for d in reversed(days)]


# --- The comparison -------------------------------------------------------------------------


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.sort_values("org_code", kind="stable").reset_index(drop=True)
    return frame.astype({"newest": object})


def _todays(db) -> list[dt.date]:
    """Days to ask "today" on: around every month with data, and long before and after."""
    months = ref_data_months(db, DATED)
    days = [dt.date(2000, 1, 15), dt.date.today(), dt.date(2100, 1, 1)]
    for month in months:
        days += [month, month + dt.timedelta(days=40), month.replace(day=28)]
    return days


def _untils(db) -> list[dt.date | None]:
    """Every month's end with data (a period's), a day inside some months, and no limit."""
    untils: list[dt.date | None] = [None, dt.date(2000, 1, 31)]
    for month in ref_data_months(db, DATED):
        following = (month + dt.timedelta(days=32)).replace(day=1)
        untils += [following - dt.timedelta(days=1), month.replace(day=14)]
    return untils


def assert_same_as_reference(db) -> None:
    period.clear_dates_cache()
    for today in _todays(db):
        assert period.default_period(db, today=today) == ref_default_period(db, today)
        assert period.available_periods(db, LOCAL, today=today) == ref_available_periods(db, today)
    for until in _untils(db):
        dates = period.source_dates(db, LOCAL, until=until)
        assert list(dates.columns) == ["org_code", "source", "newest", "year"]
        assert set(dates["source"]) <= set(SOURCES)
        for source in DATED:
            mine = dates.loc[dates["source"] == source, ["org_code", "newest"]]
            expected = ref_newest(db, source, until)
            if expected.empty:  # left out of source_dates, then and now
                assert mine.empty, f"{source} to {until}"
                continue
            assert_frame_equal(_sorted(mine), _sorted(expected), obj=f"{source} to {until}")
            assert all(type(d) is dt.date for d in mine["newest"])


@pytest.mark.parametrize("kind", ["sample", "national"])
def test_periods_and_newest_dates_are_the_previous_codes(loaded_system, kind):
    db = loaded_system(kind, n_orgs=30, n_systems=4)
    assert len(ref_data_months(db, DATED)) > 3  # data in many months to compare
    assert_same_as_reference(db)


def test_with_a_saved_workshop_round_and_visits_on_both_databases(db):
    """Every table of every source with rows, on SQLite and PostgreSQL."""
    _load(db, ORGS, "orgs.csv", "organisations")
    pulse = [["org_code", "response_date", "q3c"]]
    pulse += [["ZA1", dt.date(2025, 10, 3 + i), 4] for i in range(12)]
    pulse += [["ZB1", dt.date(2025, 3, 3 + i), 4] for i in range(12)]
    _load(db, pulse, "pulse.csv", "pulse_survey")
    readiness = [["org_code", "assessment_date", "team", *ORIC]]
    readiness += [["ZC1", dt.date(2025, 11, 20), "Ward 1", *ORIC.values()] for _ in range(12)]
    _load(db, readiness, "readiness.csv", "readiness")
    session = create_session(db, LOCAL, "readiness", "Ward 7 huddle", min_answers=3)
    for _ in range(3):
        submit_answers(db, session.code, join(db, session.code), ORIC)
    save_as_readiness_round(
        db, LOCAL, session.code, org_code="ZA1", team="Ward 7", programme=None,
        assessment_date=dt.date(2025, 12, 2),
    )  # fmt: skip
    assert not ref_newest(db, "workshops", None).empty
    assert_same_as_reference(db)


def test_the_comparison_can_fail():
    """A different newest day or month is told apart (the assertion is not vacuous)."""
    one = pd.DataFrame({"org_code": ["ZA1"], "newest": [dt.date(2025, 10, 14)]})
    other = one.assign(newest=[dt.date(2025, 10, 13)])
    with pytest.raises(AssertionError):
        assert_frame_equal(_sorted(one), _sorted(other))
