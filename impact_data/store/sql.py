"""SQL helpers every query shares: run a query into a DataFrame, limit it to what a viewer may
see in detail or to chosen organisations, and truncate a date to its month on either database."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Date, cast, func
from sqlalchemy.sql import ColumnElement, Select

from impact_data.access import Viewer
from impact_data.store.db import Database
from impact_data.store.models import Organisation

__all__ = ["ORG", "limit_detail", "month_start", "only_orgs", "read_frame"]

ORG = Organisation.__table__


def read_frame(db: Database, query: Select) -> pd.DataFrame:
    """Run `query` and return its rows as a DataFrame with the query's column names."""
    with db.connect() as conn:
        result = conn.execute(query)
        # Plain tuples: pandas probes each SQLAlchemy Row for named-tuple fields, which costs
        # more than the query itself on a hundred thousand rows.
        return pd.DataFrame([tuple(row) for row in result.fetchall()], columns=list(result.keys()))


def limit_detail(query: Select, viewer: Viewer) -> Select:
    """Keep rows of the organisations the viewer may see in detail (the query joins ORG)."""
    orgs = viewer.detail_orgs()
    if orgs is None:
        return query
    return query.where(ORG.c.org_code.in_(sorted(orgs)))


def only_orgs(query: Select, org_codes: Iterable[str] | None) -> Select:
    """Keep rows of `org_codes` (all when None; the query joins ORG)."""
    if org_codes is None:
        return query
    return query.where(ORG.c.org_code.in_(list(org_codes)))


def month_start(db: Database, column) -> ColumnElement:
    """The first day of `column`'s month, as a date, on SQLite and PostgreSQL."""
    if db.dialect == "postgresql":
        return cast(func.date_trunc("month", column), Date)
    return func.date(column, "start of month")
