"""Deployment for many users: two app replicas on one PostgreSQL behind nginx, running the
repository's deploy/nginx.conf. A write through one replica shows through the other, and a
workshop whose facilitator is on one replica and whose phones are on the other works live."""

from __future__ import annotations

import os
import re
import shutil
import urllib.request

import pytest

from benchmarks.replicas import (
    AFFINITY_COOKIE,
    Deployment,
    create_schema,
    drop_schema,
    postgres_problem,
)
from impact_data.demo import SAMPLE_DIR
from tests.browser.conftest import screenshot, wait_for_app
from tests.browser.test_workshop_browser import PHONE, wait_for_counts

pytestmark = [pytest.mark.browser, pytest.mark.deploy]

PHONES = 2


def _need(problem: str | None) -> None:
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    problem = postgres_problem()
    _need(f"PostgreSQL not reachable: {problem}" if problem else None)
    _need(None if shutil.which("nginx") or os.path.exists("/usr/sbin/nginx") else "no nginx")
    schema, url = create_schema()
    running = Deployment(url, replicas=2, prefix=tmp_path_factory.mktemp("deploy"))
    try:
        running.start()
        yield running
    finally:
        running.stop()
        drop_schema(schema)


def browser_on(chromium, deployment: Deployment, replica: int, cookies: dict[int, str], **kw):
    """A browser whose affinity cookie sends it to replica `replica`."""
    context = chromium.new_context(**kw)
    context.add_cookies(
        [{"name": AFFINITY_COOKIE, "value": cookies[replica], "url": deployment.url}]
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


def served_by(response) -> str:
    return response.headers["x-impact-replica"]


def test_each_replica_is_healthy_through_the_proxy(deployment):
    for n in (1, 2):
        with urllib.request.urlopen(f"{deployment.url}/_replicas/{n}/health") as response:
            assert response.read() == b"ok"
    # A browser without a cookie gets one, and keeps reaching the replica it names.
    with urllib.request.urlopen(f"{deployment.url}/") as response:
        cookie = re.search(rf"{AFFINITY_COOKIE}=(\w+)", response.headers["Set-Cookie"]).group(1)
        first = response.headers["X-Impact-Replica"]
    assert {deployment.answered_by(cookie) for _ in range(5)} == {first}


def test_an_upload_through_one_replica_shows_through_the_other(deployment, chromium, tmp_path):
    cookies = deployment.cookies_by_replica()
    ports = {n: f"127.0.0.1:{p}" for n, p in enumerate(deployment.replica_ports, start=1)}
    context_b, reader = browser_on(
        chromium, deployment, 2, cookies, viewport={"width": 1400, "height": 1000}
    )
    assert served_by(reader.goto(deployment.url)) == ports[2]
    wait_for_app(reader)
    reader.goto(f"{deployment.url}/settings")
    wait_for_app(reader)
    reader.get_by_text("No organisations yet").wait_for()  # now cached on replica 2

    context_a, writer = browser_on(
        chromium, deployment, 1, cookies, viewport={"width": 1400, "height": 1000}
    )
    assert served_by(writer.goto(deployment.url)) == ports[1]
    wait_for_app(writer)
    writer.goto(f"{deployment.url}/upload")
    wait_for_app(writer)
    writer.get_by_text("Organisations", exact=True).first.click()
    wait_for_app(writer)
    path = tmp_path / "orgs_via_replica_1.xlsx"
    shutil.copy(SAMPLE_DIR / "organisations.xlsx", path)
    # The file goes to /_stcore/upload_file on the replica holding this browser's session.
    writer.locator('input[type="file"]').set_input_files(str(path))
    writer.get_by_role("button", name=re.compile("Load this file")).wait_for(timeout=60_000)
    wait_for_app(writer)
    writer.get_by_role("button", name=re.compile("Load this file")).click()
    writer.get_by_text("orgs_via_replica_1.xlsx").first.wait_for()
    wait_for_app(writer)
    screenshot(writer, "deploy_upload_replica_1")

    # Replica 2 had the empty list cached; its next run reads the new data version.
    assert served_by(reader.goto(f"{deployment.url}/settings")) == ports[2]
    wait_for_app(reader)
    reader.get_by_text("10 organisations.").wait_for(timeout=10_000)
    screenshot(reader, "deploy_settings_replica_2")
    context_a.close()
    context_b.close()


def test_a_workshop_across_both_replicas_is_live(deployment, chromium):
    cookies = deployment.cookies_by_replica()
    context_f, facilitator = browser_on(
        chromium, deployment, 1, cookies, viewport={"width": 1400, "height": 1000}
    )
    facilitator.goto(deployment.url)
    wait_for_app(facilitator)
    facilitator.goto(f"{deployment.url}/workshop")
    wait_for_app(facilitator)
    facilitator.get_by_label("Title participants will see").fill("Two replicas, one room")
    facilitator.get_by_role("button", name="Open the workshop").click()
    facilitator.get_by_text("Join code", exact=True).wait_for()
    wait_for_app(facilitator)
    link = facilitator.locator('[data-testid="stCode"]').first.inner_text().strip()
    assert link.startswith(f"{deployment.url}/join?code=")
    facilitator.evaluate("window.__not_reloaded = true")

    phones = []
    for _ in range(PHONES):
        context, phone = browser_on(chromium, deployment, 2, cookies, **PHONE)
        assert served_by(phone.goto(link)) == f"127.0.0.1:{deployment.replica_ports[1]}"
        phone.get_by_role("button", name="Send my answers").wait_for()
        phones.append((context, phone))
    wait_for_counts(facilitator, PHONES, 0)
    for _, phone in phones:
        phone.get_by_role("radiogroup").first.get_by_text("Agree", exact=True).click()
        phone.get_by_role("button", name="Send my answers").click()
        phone.get_by_text("Thank you, your answers are in.").wait_for()
    # The facilitator's live view (replica 1) counts answers given on replica 2, unreloaded.
    wait_for_counts(facilitator, PHONES, PHONES, timeout=15_000)
    assert facilitator.evaluate("window.__not_reloaded === true")
    screenshot(facilitator, "deploy_workshop_facilitator")

    facilitator.get_by_role("button", name="Close the workshop").click()
    facilitator.get_by_role("button", name="Reopen the workshop").wait_for()
    phones[0][1].get_by_text("This workshop is closed").first.wait_for(timeout=20_000)
    for context, _ in phones:
        context.close()
    context_f.close()


def test_a_stopped_replica_is_routed_around(deployment):
    cookies = deployment.cookies_by_replica()
    survivor = f"127.0.0.1:{deployment.replica_ports[0]}"
    deployment.stop_replica(2)
    # nginx tries the stopped replica, fails to connect, and answers from the other.
    tried = deployment.answered_by(cookies[2]).split(", ")
    assert tried[-1] == survivor
    # Once marked down (max_fails=2), the stopped replica is not even tried.
    deployment.answered_by(cookies[2])
    assert deployment.answered_by(cookies[2]) == survivor
    with urllib.request.urlopen(f"{deployment.url}/_stcore/health") as response:
        assert response.read() == b"ok"
