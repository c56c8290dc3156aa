"""Correcting and deleting one logged cycle or value on the PDSA page (AppTest, sample data):
the form is filled with what is stored, saving changes exactly that row and says so, a
refusal changes nothing, and the chosen project is kept in the address."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from impact_data import Viewer
from impact_data.measures import queries
from tests.pages.test_page_pdsa import PAGE, widget

LOCAL = Viewer.local()


def run_page(project_id: str | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    if project_id:
        at.query_params["project"] = project_id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def a_project_with_cycles(db) -> str:
    projects = queries.pdsa_projects(db, LOCAL)
    return projects[projects["cycles"] >= 2]["project_id"].iloc[-1]


def test_the_project_in_the_address_is_the_one_shown_and_a_choice_goes_there(demo_db):
    project_id = a_project_with_cycles(demo_db)
    at = run_page(project_id)
    assert widget(at.selectbox, "Project to look at").value == project_id
    other = queries.pdsa_projects(demo_db, LOCAL)["project_id"].iloc[0]
    widget(at.selectbox, "Project to look at").set_value(other).run()
    assert not at.exception
    assert at.query_params["project"] in (other, [other])


def test_correcting_a_cycle_changes_only_it(demo_db):
    project_id = a_project_with_cycles(demo_db)
    before = queries.pdsa_cycles(demo_db, LOCAL, project_ids=[project_id]).set_index("cycle_no")
    first = int(before.index.min())
    at = run_page(project_id)
    widget(at.selectbox, "Cycle to correct or delete").set_value(first).run()
    assert not at.exception
    learning = [w for w in at.text_area if w.label == "Learning"][-1]
    assert learning.value == (before.loc[first, "learning"] or "")
    learning.input("One huddle a day is enough")
    widget(at.button, f"Save changes to cycle {first}").click()
    at.run()
    assert not at.exception and not at.error
    after = queries.pdsa_cycles(demo_db, LOCAL, project_ids=[project_id]).set_index("cycle_no")
    assert after.loc[first, "learning"] == "One huddle a day is enough"
    assert len(after) == len(before)
    assert any(
        s.value.startswith(f"Saved: local user changed cycle {first} of") for s in at.success
    )
    assert widget(at.selectbox, "Project to look at").value == project_id


def test_a_clashing_cycle_number_is_refused_in_words(demo_db):
    project_id = a_project_with_cycles(demo_db)
    before = queries.pdsa_cycles(demo_db, LOCAL, project_ids=[project_id])
    numbers = sorted(before["cycle_no"].astype(int))
    at = run_page(project_id)
    widget(at.selectbox, "Cycle to correct or delete").set_value(numbers[0]).run()
    [w for w in at.number_input if w.label == "Cycle number"][-1].set_value(numbers[1])
    widget(at.button, f"Save changes to cycle {numbers[0]}").click()
    at.run()
    assert not at.exception
    [error] = at.error
    assert f"Cycle {numbers[0]} was not changed" in error.value
    assert f"this project already has a cycle {numbers[1]}: choose another number" in error.value
    after = queries.pdsa_cycles(demo_db, LOCAL, project_ids=[project_id])
    assert sorted(after["cycle_no"].astype(int)) == numbers


def test_deleting_a_value_needs_the_tick_and_removes_only_it(demo_db):
    project_id = a_project_with_cycles(demo_db)
    before = queries.pdsa_measures(demo_db, LOCAL, project_ids=[project_id])
    day = before["date"].iloc[0]
    at = run_page(project_id)
    widget(at.radio, "What to correct").set_value("A measure value").run()
    widget(at.selectbox, "Value to correct or delete").set_value(day).run()
    delete = [b for b in at.button if b.label.startswith("Delete the value of")][0]
    assert delete.disabled
    [tick] = [c for c in at.checkbox if c.label.startswith("Yes, delete the value of")]
    tick.check().run()
    [b for b in at.button if b.label.startswith("Delete the value of")][0].click()
    at.run()
    assert not at.exception and not at.error
    after = queries.pdsa_measures(demo_db, LOCAL, project_ids=[project_id])
    assert len(after) == len(before) - 1
    assert day not in set(after["date"])
    assert any("deleted the value of" in s.value for s in at.success)
