"""Learning visits between organisations, and how many improvement projects involve people with
lived experience: the figures behind Compare's visits log and the Overview's lived-experience
share (SQL to DataFrame; counts of visits and projects, so nothing here needs suppression)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import case, extract, func, select

from impact_data.access import Viewer, requires_access
from impact_data.store.db import Database
from impact_data.store.models import PdsaProject, Visit
from impact_data.store.sql import ORG, only_orgs, read_frame

__all__ = ["lived_experience_by_year", "visits"]


@requires_access
def visits(db: Database, viewer: Viewer) -> pd.DataFrame:
    """Learning visits with both organisations' codes and names."""
    v = Visit
    host = ORG.alias("host")
    q = (
        select(
            ORG.c.org_code.label("from_org"),
            ORG.c.org_name.label("from_org_name"),
            host.c.org_code.label("to_org"),
            host.c.org_name.label("to_org_name"),
            v.visit_date,
            v.theme,
            v.participants,
            v.lived_experience_partners,
            v.learning,
        )
        .join(ORG, ORG.c.id == v.from_org_id)
        .join(host, host.c.id == v.to_org_id)
        .order_by(v.visit_date)
    )
    return read_frame(db, q)


@requires_access
def lived_experience_by_year(
    db: Database, viewer: Viewer, *, org_codes: Iterable[str] | None = None
) -> pd.DataFrame:
    """Per organisation and project start year: projects and those involving lived experience."""
    p = PdsaProject
    year = extract("year", p.start_date)
    q = (
        select(
            ORG.c.org_code,
            year.label("year"),
            func.count().label("projects"),
            func.sum(case((p.lived_experience_involved.is_(True), 1), else_=0)).label(
                "lived_experience_projects"
            ),
        )
        .join(ORG, ORG.c.id == p.org_id)
        .group_by(ORG.c.org_code, year)
        .order_by(ORG.c.org_code, year)
    )
    frame = read_frame(db, only_orgs(q, org_codes))
    for col in ("year", "projects", "lived_experience_projects"):
        frame[col] = frame[col].astype(int)
    frame["lived_experience_share"] = frame["lived_experience_projects"] / frame["projects"]
    return frame
