"""After a correction on the PDSA page, the registry and the project's figures shown are the
corrected ones at once (AppTest, sample data), not those from before the save."""

from __future__ import annotations

import pandas as pd

from impact_data import Viewer
from impact_data.measures import queries
from tests.pages.test_page_pdsa import widget
from tests.pages.test_page_pdsa_corrections import a_project_with_cycles, run_page

LOCAL = Viewer.local()


def registry_row(at, project_id: str) -> dict:
    [registry] = [d.value for d in at.dataframe if "latest_decision" in d.value.columns]
    return registry[registry["project_id"] == project_id].iloc[0].to_dict()


def metric(at, label: str) -> str:
    return widget(at.metric, label).value


def test_deleting_the_latest_cycle_updates_the_registry_and_the_projects_counts(demo_db):
    project_id = a_project_with_cycles(demo_db)
    stored = queries.pdsa_cycles(demo_db, LOCAL, project_ids=[project_id]).set_index("cycle_no")
    last = int(stored.index.max())
    previous = stored.drop(index=last)
    at = run_page(project_id)
    row = registry_row(at, project_id)
    assert row["cycles"] == len(stored)
    assert metric(at, "Cycles") == str(len(stored))

    widget(at.selectbox, "Cycle to correct or delete").set_value(last).run()
    [tick] = [c for c in at.checkbox if c.label.startswith(f"Yes, delete cycle {last}")]
    tick.check().run()
    [b for b in at.button if b.label.startswith(f"Delete cycle {last}")][0].click()
    at.run()
    assert not at.exception and not at.error
    assert any(f"deleted cycle {last}" in s.value for s in at.success)

    row = registry_row(at, project_id)
    assert row["cycles"] == len(previous)
    assert pd.Timestamp(row["last_cycle"]) == pd.Timestamp(previous["start_date"].max())
    assert row["latest_decision"] == previous.sort_index()["decision"].dropna().iloc[-1]
    assert metric(at, "Cycles") == str(len(previous))
    assert widget(at.selectbox, "Project to look at").value == project_id
