"""Links to published case studies, for the pages that point people to others' learning
(Compare's "Who could we learn from?" and learning visits)."""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from impact_data.learning import case_studies
from impact_data.learning.library import link_of
from impact_data.views.wording import uk_date
from ui.safe import md
from ui.state import query

__all__ = ["case_study_links"]


def case_study_links(org_codes: Iterable[str] | None, heading: str) -> None:
    """A list of links to the published case studies of `org_codes` (all when None), under
    `heading`; a pointer to the Case studies page when there are none."""
    published = query(case_studies.case_studies, status="published")
    if org_codes is not None:
        published = published[published["org_code"].isin(set(org_codes))]
    st.markdown(f"**{md(heading)}**")
    if published.empty:
        st.caption("No published case studies here yet: see the Case studies page.")
        return
    st.markdown(
        "\n".join(
            f"- [{md(row.title)}]({link_of('case_study', row.id, None)}): "
            f"{md(row.org_name)}, {uk_date(row.published_at)}"
            for row in published.head(10).itertuples()
        )
    )
