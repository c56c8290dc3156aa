"""Learning visits between organisations: the figures behind Compare's visits log, matrix and
reach (SQL to DataFrame; counts of visits, so nothing here needs suppression)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from impact_data.access import Viewer, requires_access
from impact_data.store.db import Database
from impact_data.store.models import Visit
from impact_data.store.sql import ORG, read_frame

__all__ = ["visits"]


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
