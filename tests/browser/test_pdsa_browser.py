"""Correcting a logged PDSA cycle in a real browser (issue 17): the form is filled with the
stored cycle, saving changes exactly that cycle (audited), and the page stays where it was:
the same project (also in the address), the same tab, no jump to the top."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect
from sqlalchemy import select

from impact_data import Viewer
from impact_data.demo import load_demo
from impact_data.measures import queries
from impact_data.store.db import Database
from impact_data.store.models import AuditEvent
from tests.browser.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser
LOCAL = Viewer.local()

SCROLLED = """() => Math.max(
    document.scrollingElement ? document.scrollingElement.scrollTop : 0,
    ...Array.from(document.querySelectorAll('[data-testid="stMain"], section, main'))
        .map(e => e.scrollTop))"""


@pytest.fixture(scope="module")
def demo_server(app_server):
    load_demo(Database(app_server.database_url))
    return app_server


def test_correcting_a_cycle_keeps_the_project_tab_and_place(demo_server, page):
    db = Database(demo_server.database_url)
    projects = queries.pdsa_projects(db, LOCAL)
    project = projects[projects["cycles"] >= 2].iloc[-1]
    project_id, title = project["project_id"], project["title"]
    before = queries.pdsa_cycles(db, LOCAL, project_ids=[project_id]).set_index("cycle_no")
    first = int(before.index.min())

    page.set_default_timeout(60_000)  # a busy machine: Streamlit reruns can take a while
    page.goto(f"{demo_server.url}/pdsa?project={project_id}")
    wait_for_app(page)
    page.get_by_role("heading", name=title).first.wait_for()
    page.get_by_role("tab", name="Correct or delete").click(no_wait_after=True)
    wait_for_app(page)  # the tab's rerun, which would close a drop-down opened meanwhile
    for attempt in range(3):
        page.get_by_label("Cycle to correct or delete").click(no_wait_after=True)
        option = page.get_by_role("option", name=re.compile(rf"^Cycle {first}:"))
        try:
            option.click(no_wait_after=True, timeout=20_000)
            break
        except PlaywrightTimeoutError:  # a late rerun closed the drop-down: open it again
            if attempt == 2:
                raise
            wait_for_app(page)
    wait_for_app(page)
    form = page.locator('[data-testid="stForm"]').filter(
        has=page.get_by_role("button", name=f"Save changes to cycle {first}")
    )
    learning = form.get_by_label("Learning")
    stored = before.loc[first, "learning"]
    stored = "" if stored is None or stored != stored else stored  # None or NaN: empty box
    expect(learning).to_have_value(stored)  # filled with what is stored (retries: a rerun)
    learning.fill("Corrected in the browser: one huddle a day is enough")
    button = form.get_by_role("button", name=f"Save changes to cycle {first}")
    button.scroll_into_view_if_needed()
    scrolled_before = page.evaluate(SCROLLED)
    assert scrolled_before > 300  # the form is well down the page
    button.click(no_wait_after=True)
    saved = re.compile(rf"Saved: local user changed cycle {first} of")
    page.get_by_text(saved).first.wait_for(timeout=120_000)
    wait_for_app(page)
    screenshot(page, "pdsa_cycle_corrected")

    after = queries.pdsa_cycles(db, LOCAL, project_ids=[project_id]).set_index("cycle_no")
    assert after.loc[first, "learning"] == "Corrected in the browser: one huddle a day is enough"
    others = [n for n in before.index if n != first]
    assert after.loc[others, "learning"].equals(before.loc[others, "learning"])
    with db.connect() as conn:
        event = conn.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert event.action == "pdsa_cycle_edited" and project_id in event.detail

    # Still on the same project and tab, and not thrown back to the top of the page.
    assert f"project={project_id}" in page.url
    assert page.get_by_role("tab", name="Correct or delete").get_attribute("aria-selected") == (
        "true"
    )
    page.get_by_role("heading", name=title).first.wait_for()
    assert page.evaluate(SCROLLED) > 300
    assert page.locator('[data-testid="stException"]').count() == 0
