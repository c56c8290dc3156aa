"""Sign-in in a real browser: OpenID Connect against a local test provider.

The app runs with an `[auth]` section (passed with `--secrets.files`, so nothing is written to
the repository's `.streamlit/`) and the sample system. The first person to sign in becomes
admin and sees every organisation; the second waits for access until an admin makes them a
team member of one organisation, and then sees only that organisation's teams.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from impact_data.access import Viewer
from impact_data.demo import load_demo
from impact_data.store.db import Database
from impact_data.users import audit_log, set_role, users, viewer_for
from tests.browser.conftest import (
    AppServer,
    free_port,
    screenshot,
    wait_for_app,
    wait_healthy,
)
from tests.browser.oidc_provider import Provider, oidc_provider
from tests.conftest import ROOT

pytestmark = [
    pytest.mark.browser,
    # The test provider uses Authlib APIs that Authlib itself has deprecated.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.*"),
    pytest.mark.filterwarnings("ignore::authlib.deprecate.AuthlibDeprecationWarning"),
]

for _module, _why in [
    ("authlib", "st.login needs Authlib (pip install -r requirements.txt)"),
    ("oidc_provider_mock", "the test provider (pip install -r requirements-dev.txt)"),
]:
    if importlib.util.find_spec(_module) is None:
        pytest.skip(f"{_module} not installed: {_why}", allow_module_level=True)

ADA = "ada@nhs.example"
TOM = "tom@nhs.example"
# Subjects (the buttons on the provider's page) differ from the emails on purpose: the app
# identifies people by issuer + subject, and shows them by their verified email. Mallory's
# provider account claims Ada's address in capitals, unverified (issue 16).
MALLORY = "mallory-0003"
PEOPLE = {
    "ada-0001": {"email": ADA, "name": "Ada Lovelace", "email_verified": True},
    "tom-0002": {"email": TOM, "name": "Tom Kilburn", "email_verified": True},
    MALLORY: {"email": ADA.upper(), "name": "Ada Lovelace", "email_verified": False},
}
ZA1_NAME = "Northmoor Hospitals NHS Foundation Trust"


def shown(email: str) -> str:
    """An email as the page shows it: with an invisible word joiner after the @, so that it
    never becomes a mailto: link (ui.safe.md)."""
    return email.replace("@", "@\u2060")


def _secrets_toml(port: int, provider: Provider) -> str:
    return (
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "impact-dashboard-test"\n'
        f'client_secret = "{secrets.token_hex(16)}"\n'
        f'server_metadata_url = "{provider.server_metadata_url}"\n'
    )


def start_app_with_sign_in(tmp: Path, provider: Provider) -> AppServer:
    """`streamlit run app.py` from the repository root, with sign-in configured through a
    secrets file outside the repository."""
    port = free_port()
    secrets_file = tmp / "secrets.toml"
    secrets_file.write_text(_secrets_toml(port, provider), encoding="utf-8")
    database_url = f"sqlite:///{tmp / 'auth.db'}"
    db = Database(database_url)
    load_demo(db)
    db.dispose()
    log = tmp / "streamlit.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
            "--secrets.files",
            str(secrets_file),
        ],
        cwd=ROOT,
        env={**os.environ, "IMPACT_DATABASE_URL": database_url},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
    except Exception:
        process.terminate()
        raise RuntimeError(log.read_text()[-3000:]) from None
    return AppServer(url, database_url, process, log)


@pytest.fixture(scope="module")
def provider():
    with oidc_provider(PEOPLE) as running:
        yield running


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory, provider):
    streamlit_dir = ROOT / ".streamlit"
    before = sorted(p.name for p in streamlit_dir.iterdir()) if streamlit_dir.exists() else []
    server = start_app_with_sign_in(tmp_path_factory.mktemp("auth"), provider)
    yield server
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
    after = sorted(p.name for p in streamlit_dir.iterdir()) if streamlit_dir.exists() else []
    assert after == before, "the test must leave the repository's .streamlit/ as it was"


@pytest.fixture
def browser_context(chromium):
    """A fresh browser (its own cookies) per person."""
    contexts = []

    def new_page():
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        return page

    yield new_page
    for context in contexts:
        context.close()


def sign_in(page, server: AppServer, subject: str) -> None:
    """Open the app, press "Sign in" and choose `subject` on the provider's page."""
    page.goto(server.url)
    wait_for_app(page)
    page.get_by_text("Sign in with your organisation account").wait_for()
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Authorize Client").wait_for()
    assert "impact-dashboard-test" in page.content()
    page.get_by_role("button", name=subject, exact=True).click()
    page.wait_for_url(f"{server.url}/**")
    wait_for_app(page)


def readiness_scores_csv(page, server: AppServer, tmp_path: Path, name: str) -> list[dict]:
    """The Readiness page's team scores table, downloaded as the person sees it."""
    page.goto(f"{server.url}/readiness")
    wait_for_app(page)
    page.get_by_role("heading", name="Scores, alignment and advice").wait_for(timeout=90_000)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Download CSV").first.click()
    path = tmp_path / f"{name}.csv"
    info.value.save_as(path)
    wait_for_app(page)
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_first_user_is_admin_second_waits_then_sees_own_teams(
    auth_server, browser_context, tmp_path
):
    db = Database(auth_server.database_url)
    try:
        # Ada signs in first: she becomes admin and sees the whole system.
        ada = browser_context()
        sign_in(ada, auth_server, "ada-0001")
        ada.get_by_text(f"Signed in as {shown(ADA)} (admin)").wait_for()
        ada.get_by_role("heading", name="System overview").wait_for(timeout=90_000)
        assert ada.get_by_text("Local mode: no sign-in").count() == 0
        grid = ada.locator('[data-testid="stDataFrame"] [role="grid"]').first
        grid.wait_for(state="attached")  # the accessible table behind the canvas
        assert int(grid.get_attribute("aria-rowcount")) == 10 + 1  # ten organisations + header
        screenshot(ada, "auth_01_admin_overview")
        admin = viewer_for(db, ADA)
        assert admin.role == "admin"

        # Tom signs in second, in his own browser: no role yet, so he waits.
        tom = browser_context()
        sign_in(tom, auth_server, "tom-0002")
        tom.get_by_role("heading", name="Waiting for access").wait_for()
        tom.get_by_text(f"You are signed in as {shown(TOM)}").wait_for()
        assert tom.locator('[data-testid="stDataFrame"]').count() == 0
        assert tom.get_by_text(ZA1_NAME).count() == 0
        screenshot(tom, "auth_02_waiting_for_access")
        assert viewer_for(db, TOM) == Viewer(TOM, "none")

        # Ada (the admin) makes Tom a team member of ZA1; he reloads and sees data.
        set_role(db, admin, TOM, "team_member", ["ZA1"])
        tom.reload()
        wait_for_app(tom)
        tom.get_by_text(f"Signed in as {shown(TOM)} (team member)").wait_for()
        tom.get_by_role("heading", name="System overview").wait_for(timeout=90_000)
        tom.locator('[data-testid="stDataFrame"] [role="grid"]').first.wait_for(state="attached")
        wait_for_app(tom)
        screenshot(tom, "auth_03_team_member_overview")

        # The two see different data: Ada every organisation's teams, Tom only ZA1's.
        ada_rows = readiness_scores_csv(ada, auth_server, tmp_path, "ada")
        screenshot(ada, "auth_04_admin_readiness")
        tom_rows = readiness_scores_csv(tom, auth_server, tmp_path, "tom")
        screenshot(tom, "auth_05_team_member_readiness")
        ada_orgs = {r["Organisation"] for r in ada_rows}
        tom_orgs = {r["Organisation"] for r in tom_rows}
        assert tom_orgs == {ZA1_NAME}
        assert len(ada_orgs) >= 5 and ZA1_NAME in ada_orgs
        tom_teams = {(r["Organisation"], r["Team"]) for r in tom_rows}
        ada_teams = {(r["Organisation"], r["Team"]) for r in ada_rows}
        assert tom_teams and tom_teams < ada_teams

        # The database knows both, and the audit log has both sign-ins.
        people = users(db, admin).set_index("email")
        assert people.loc[ADA, "role"] == "admin"
        assert people.loc[TOM, "role"] == "team_member"
        assert people.loc[TOM, "org_codes"] == "ZA1"
        assert people.loc[ADA, "name"] == "Ada Lovelace"
        log = audit_log(db, admin)
        sign_ins = log[log["action"] == "sign_in"]
        assert {ADA, TOM} <= set(sign_ins["user"])
        created = log[log["action"] == "user_created"]
        assert set(created["user"]) == {ADA, TOM}
        assert (log["action"] == "role_changed").any()
    finally:
        db.dispose()


def test_an_unverified_copy_of_the_admins_email_does_not_sign_in_as_the_admin(
    auth_server, provider, browser_context
):
    """On today's main, this token signed in as the admin."""
    db = Database(auth_server.database_url)
    try:
        if viewer_for(db, ADA).role != "admin":  # run alone: Ada signs in first, as admin
            sign_in(browser_context(), auth_server, "ada-0001")
        mallory = browser_context()
        sign_in(mallory, auth_server, MALLORY)
        label = f"{MALLORY} at {provider.url.removeprefix('http://')}"
        mallory.get_by_role("heading", name="Waiting for access").wait_for()
        mallory.get_by_text(f"You are signed in as {label}").wait_for()
        assert mallory.get_by_text("(admin)").count() == 0
        assert mallory.locator('[data-testid="stDataFrame"]').count() == 0
        screenshot(mallory, "auth_06_unverified_email_waits")
        admin = viewer_for(db, ADA)
        assert admin.role == "admin"
        people = users(db, admin).set_index("user")
        assert people.loc[label, "role"] == "none"
        assert people.loc[label, "signs_in_as"] == f"{MALLORY} at {provider.url}"
        assert list(people.index).count(ADA) == 1
    finally:
        db.dispose()
