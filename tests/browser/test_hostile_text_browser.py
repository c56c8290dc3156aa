"""Hostile names and titles on every page, in a real browser (issue 16).

Organisation names, the system, teams, programmes, PDSA titles, visit themes, workshop titles
and ideas are set to text that would fetch from, or link to, a local canary HTTP server if it
were ever read as Markdown or HTML: a Markdown image, an HTML image and a bare URL. Every page
is then opened in Chromium; the canary must receive no request, no link may point at it, and
the text must show literally.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import text

from impact_data import Viewer
from impact_data.demo import load_demo
from impact_data.store.db import Database, bump_data_version
from impact_data.workshop import create_session, join, post_idea, submit_answers, toggle_vote
from tests.browser.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser

WORD_JOINER = "\u2060"


class Canary:
    """A local HTTP server that records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        canary = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                canary.requests.append(self.path)
                self.send_response(404)
                self.end_headers()

            def log_message(self, *_args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def hostile(self, name: str) -> str:
        """`name` followed by a Markdown image, an HTML image and a bare URL, all to the canary."""
        return (
            f"{name} ![x](http://{self.host}/x.png) <img src=http://{self.host}/y> "
            f"http://{self.host}/z"
        )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    running = Canary()
    yield running
    running.close()


@pytest.fixture(scope="module")
def hostile_server(app_server, canary):
    """The sample system, with hostile text wherever users' text is shown, and two workshops."""
    db = Database(app_server.database_url)
    load_demo(db)
    h = canary.hostile
    with db.session() as s:
        codes = s.execute(text("SELECT org_code FROM organisations ORDER BY org_code")).scalars()
        for code in list(codes)[:3]:
            s.execute(
                text("UPDATE organisations SET org_name = :name WHERE org_code = :code"),
                {"name": h(f"Trust {code}"), "code": code},
            )
        s.execute(text("UPDATE organisations SET system = :s"), {"s": h("ICS")})
        for table in (
            "readiness_responses",
            "staff_survey_results",
            "pulse_respondents",
            "pdsa_projects",
        ):
            s.execute(
                text(f"UPDATE {table} SET team = team || :suffix WHERE team IS NOT NULL"),
                {"suffix": " " + h("")},
            )
        s.execute(
            text("UPDATE readiness_responses SET programme = :p WHERE programme IS NOT NULL"),
            {"p": h("Programme")},
        )
        s.execute(text("UPDATE pdsa_projects SET title = title || :t"), {"t": " " + h("")})
        s.execute(text("UPDATE visits SET theme = :t"), {"t": h("Theme")})
        bump_data_version(s)
    local = Viewer.local()
    rating = create_session(db, local, "readiness", h("Workshop"))
    for value in (2, 4, 5):
        submit_answers(db, rating.code, join(db, rating.code), {"c1": value})
    ideas = create_session(db, local, "ideas", h("Ideas"))
    people = [join(db, ideas.code) for _ in range(3)]
    idea = post_idea(db, ideas.code, people[0], h("Idea"))
    for token in people:
        toggle_vote(db, ideas.code, token, idea)
    db.dispose()
    return app_server, rating.code, ideas.code


def check_page(page, canary: Canary, name: str, *, shows_hostile: bool) -> None:
    """No link or image to the canary on the page; the hostile text shows literally."""
    wait_for_app(page)
    page.wait_for_timeout(1500)  # charts and fragments settle
    links = page.eval_on_selector_all("a[href]", "(els) => els.map((a) => a.getAttribute('href'))")
    sources = page.eval_on_selector_all(
        "img[src], image, source[src], iframe[src]",
        "(els) => els.map((e) => e.getAttribute('src') || e.getAttribute('href') || '')",
    )
    assert not [h for h in links if canary.host in h], (name, links)
    assert not [s for s in sources if canary.host in s], (name, sources)
    body = page.locator("body").inner_text().replace(WORD_JOINER, "")
    shown = [
        f"![x](http://{canary.host}/x.png)" in body,
        f"<img src=http://{canary.host}/y>" in body,
        f"http://{canary.host}/z" in body,
    ]
    if shows_hostile:
        assert all(shown), (name, shown)
    screenshot(page, f"hostile_{name}")
    assert canary.requests == [], (name, canary.requests)


def choose_hostile(page, label: str) -> None:
    """Pick a hostile organisation ("Trust ...") in the selectbox with this label."""
    box = page.get_by_role("combobox", name=label, exact=True).first
    box.click()
    box.press_sequentially("Trust Z")
    page.get_by_role("option").filter(has_text=re.compile(r"^Trust Z")).first.click()
    wait_for_app(page)


# (name, path, the organisation picker to set to a hostile organisation, shows it literally)
PAGES = [
    ("overview", "/", "Organisation", True),
    ("compare", "/compare", "Your organisation", True),
    ("culture", "/culture", None, True),
    ("readiness", "/readiness", None, True),
    ("pdsa", "/pdsa", None, True),
    ("upload", "/upload", None, False),  # no organisation names on screen until a file comes
    ("settings", "/settings", None, False),  # organisations only in a table (a canvas)
]


def test_hostile_text_is_inert_on_every_page(hostile_server, canary, page):
    server, rating, ideas = hostile_server
    page.goto(server.url)  # app.py runs once before any deep link
    wait_for_app(page)
    for name, path, picker, shows in PAGES:
        page.goto(f"{server.url}{path}")
        page.get_by_role("heading").first.wait_for(timeout=90_000)
        if picker:
            wait_for_app(page)
            choose_hostile(page, picker)
        check_page(page, canary, name, shows_hostile=shows)
    # Compare's tabs (each is its own fragment), for a hostile organisation.
    page.goto(f"{server.url}/compare")
    page.get_by_role("heading").first.wait_for(timeout=90_000)
    wait_for_app(page)
    choose_hostile(page, "Your organisation")
    for tab in ("Intervals", "Trends", "Who could we learn from?", "Learning visits"):
        page.get_by_role("tab", name=tab).click()
        check_page(page, canary, f"compare_{tab.split()[0].lower()}", shows_hostile=True)
    # Workshops: the facilitator's screen, the projector, and a phone.
    for name, path in (
        ("workshop", f"/workshop?session={rating}"),
        ("workshop_ideas", f"/workshop?session={ideas}"),
        ("workshop_present", f"/workshop?session={ideas}&present=1"),
    ):
        page.goto(f"{server.url}{path}")
        page.locator(".ws-code").first.wait_for(timeout=60_000)
        check_page(page, canary, name, shows_hostile=True)
    page.goto(f"{server.url}/join?code={ideas}")
    page.get_by_text("Ideas on the board").wait_for(timeout=60_000)
    check_page(page, canary, "join", shows_hostile=True)
    assert canary.requests == []
