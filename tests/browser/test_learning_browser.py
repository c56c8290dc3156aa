"""Case studies and the learning library in a real browser, with sign-in: a team member of one
organisation writes and publishes a case study; a team member of another organisation finds
it by search and opens it, while a draft stays out of their sight."""

from __future__ import annotations

import importlib.util

import pytest

from impact_data.access import Viewer
from impact_data.learning import case_studies as cs
from impact_data.store.db import Database
from impact_data.users import set_role
from tests.browser.conftest import screenshot, wait_for_app
from tests.browser.test_auth_browser import (  # noqa: F401 - fixtures
    auth_server,
    browser_context,
    provider,
    shown,
    sign_in,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.*"),
    pytest.mark.filterwarnings("ignore::authlib.deprecate.AuthlibDeprecationWarning"),
]

for _module in ("authlib", "oidc_provider_mock"):
    if importlib.util.find_spec(_module) is None:
        pytest.skip(f"{_module} not installed", allow_module_level=True)

ADA = "ada@nhs.example"  # invited as a team member of ZA1
TOM = "tom@nhs.example"  # invited as a team member of ZB1
TITLE = "Quokka rounds cut discharge delays"


def test_a_published_case_study_is_found_by_search_from_another_organisation(
    auth_server,  # noqa: F811
    browser_context,  # noqa: F811
):
    db = Database(auth_server.database_url)
    try:
        set_role(db, Viewer.local(), ADA, "team_member", ["ZA1"])
        set_role(db, Viewer.local(), TOM, "team_member", ["ZB1"])
        secret = cs.create_case_study(
            db,
            Viewer(ADA, "team_member", frozenset({"ZA1"})),
            org_code="ZA1",
            title="Wombat draft",
            learning="quokka notes not yet shared",
        )

        ada = browser_context()
        sign_in(ada, auth_server, "ada-0001")
        ada.get_by_text(f"Signed in as {shown(ADA)} (team member)").wait_for()
        ada.goto(f"{auth_server.url}/case_studies")
        wait_for_app(ada)
        ada.get_by_role("heading", name="Start a case study").wait_for(timeout=90_000)
        form = ada.locator('[data-testid="stForm"]').filter(has_text="Start a draft")
        form.get_by_label("Title").fill(TITLE)
        form.get_by_role("button", name="Start a draft").click()
        wait_for_app(ada)
        ada.get_by_role("heading", name=TITLE).wait_for(timeout=60_000)
        editor = ada.locator('[data-testid="stForm"]').filter(has_text="Save changes")
        editor.get_by_label("What we learned").fill(
            "A daily quokka round with pharmacy got medicines ready before noon"
        )
        editor.get_by_role("button", name="Save changes").click()
        wait_for_app(ada)
        ada.get_by_text("Saved: What we learned").wait_for()
        ada.get_by_role("button", name="Publish to the system").click()
        wait_for_app(ada)
        ada.get_by_text("Northmoor Hospitals NHS Foundation Trust · Published").wait_for()
        screenshot(ada, "learning_01_published_case_study")

        tom = browser_context()
        sign_in(tom, auth_server, "tom-0002")
        tom.get_by_text(f"Signed in as {shown(TOM)} (team member)").wait_for()
        tom.goto(f"{auth_server.url}/library")
        wait_for_app(tom)
        tom.get_by_label("Search").fill("quokka medicines")
        tom.get_by_label("Search").press("Enter")
        wait_for_app(tom)
        link = tom.get_by_role("link", name=TITLE)
        link.wait_for(timeout=60_000)
        # The other organisation's draft with the same word is not found.
        assert tom.get_by_text("Wombat draft").count() == 0
        screenshot(tom, "learning_02_found_by_search")
        href = link.get_attribute("href")
        assert "/case_studies?case=" in href
        tom.goto(href if href.startswith("http") else f"{auth_server.url}{href}")
        wait_for_app(tom)
        tom.get_by_role("heading", name=TITLE).wait_for(timeout=60_000)
        tom.get_by_text("Northmoor Hospitals NHS Foundation Trust · Published").wait_for()
        assert tom.get_by_role("button", name="Save changes").count() == 0
        tom.get_by_text("Download as a one-page PDF").wait_for()
        screenshot(tom, "learning_03_read_from_another_organisation")
        published = cs.case_studies(db, Viewer(TOM, "team_member", frozenset({"ZB1"})))
        assert published["title"].tolist() == [TITLE]
        assert secret not in published["id"].tolist()
    finally:
        db.dispose()
