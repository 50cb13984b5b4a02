"""The web pages in a real browser: Debian's chromium driven by Playwright, against a live server on the demo.

A failing test leaves a screenshot in test-artifacts/. Without chromium or Playwright these tests skip with a
message, except under ECOTONE_REQUIRE_SERVICES=1 (CI), where that is a failure.
"""

import os
import shutil
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import PASSWORD, REPO, REQUIRED, live_server
from test_match import POLISH_STARTUP

CHROMIUM = os.environ.get("ECOTONE_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = REPO / "test-artifacts"
pytestmark = pytest.mark.browser


def _missing(reason: str):
    if REQUIRED:
        pytest.fail(reason + "; ECOTONE_REQUIRE_SERVICES=1 makes browser tests required")
    pytest.skip(reason + "; install Debian's chromium and playwright to run the browser tests")


MANAGER, FACILITATOR = "manager@barcelonahealthhub.example", "facilitator@medicalinnovation.example"


def demo_app(folder: Path):
    """The application over a new demo atlas in ``folder`` with the demo's accounts, each with the test password."""
    from ecotone.api import create_app
    from ecotone.services.accounts import add_user
    from ecotone.services.demo import DEMO_USERS, build_demo
    from ecotone.store import Atlas

    path = folder / "demo.db"
    with Atlas.open(str(path)) as atlas:
        build_demo(atlas)
        for email, name, role, hubs, organization in DEMO_USERS:
            add_user(atlas, email, name=name, role=role, password=PASSWORD, hubs=hubs, organization=organization)
    return create_app(str(path))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The demo atlas served on a free loopback port for the whole module."""
    app = demo_app(tmp_path_factory.mktemp("web"))
    with live_server(app) as url:
        yield url, app.state.atlas


def sign_in(page, url, email, next_path="/"):
    """Sign in through the /login page, as a person would, and land on ``next_path``."""
    page.goto(f"{url}/login?next={next_path}")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    # the path, not the whole address: the map writes its view into the query as soon as it is drawn
    wanted = urlsplit(f"{url}{next_path}")
    page.wait_for_url(lambda u: (urlsplit(u).path, urlsplit(u).netloc) == (wanted.path, wanted.netloc))
    assert email in page.locator("header .account").inner_text()


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"no chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    offsite: list[str] = []  # nothing may be fetched from the network: every script, style and font is ours
    pg.on("request", lambda r: offsite.append(r.url) if not r.url.startswith(("http://127.0.0.1:", "data:",
                                                                               "blob:")) else None)
    refused, unguarded = _watch_the_policy(pg)
    yield pg
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not offsite, f"the page asked the network for: {offsite}"
    assert not refused, f"the Content-Security-Policy refused what the page needs: {refused}"
    assert not unguarded, f"pages served without a Content-Security-Policy: {unguarded}"


def _watch_the_policy(pg):
    """What the page's Content-Security-Policy refused, as Chromium says on the console ("Refused to …", lately
    "… violates the following Content Security Policy directive …"), and the pages that came without one, as
    lists that fill while the page is used."""
    refused: list[str] = []
    pg.on("console", lambda m: refused.append(m.text) if "Refused to" in m.text
          or "Content Security Policy" in m.text else None)
    unguarded: list[str] = []
    pg.on("response", lambda r: unguarded.append(r.url) if r.request.resource_type == "document"
          and "content-security-policy" not in r.headers else None)
    return refused, unguarded


def _map_ready(page, count_before=None):
    # predicates as functions: Playwright evaluates an expression string with eval, which the CSP refuses
    page.wait_for_function("() => window.ecotoneMap && window.ecotoneMap.ready", timeout=30_000)
    if count_before is not None:
        page.wait_for_function("(before) => window.ecotoneMap.ready && window.ecotoneMap.nodes !== before",
                               arg=count_before, timeout=30_000)
    return page.evaluate("window.ecotoneMap.nodes")


def test_the_map_draws_the_demo_filters_and_opens_an_actor(server, page):
    url, atlas = server
    page.goto(url + "/")
    total = _map_ready(page)
    assert total == atlas.counts()["organization"]
    assert page.locator("#map-status").inner_text().startswith(f"{total} actors")
    page.evaluate("window.ecotoneMap.ready = false")
    page.select_option("#hub", label="Barcelona Health Hub")
    shown = _map_ready(page, total)
    assert 0 < shown < total
    page.fill("#search", "Barcelona University Hospital")
    page.press("#search", "Enter")
    page.wait_for_selector("#card h2 a")
    assert page.locator("#card h2").inner_text() == "Barcelona University Hospital"
    page.select_option("#size-by", "coreness")
    page.select_option("#color-by", "community")
    assert "community" in page.locator("#legend h2").inner_text().lower()
    page.click("#card h2 a")
    page.wait_for_selector("h1:has-text('Barcelona University Hospital')")
    page.wait_for_selector("#ties table tbody tr")  # the ties arrive after the heading: wait for them, then count
    assert page.locator("#ties table tbody tr").count() > 0
    partner = page.locator("#ties tbody tr a:not(:has-text('Barcelona University Hospital'))").first
    name = partner.inner_text()
    partner.click()  # a tie leads to the actor at its other end
    page.wait_for_selector(f"h1:has-text('{name}')")


def test_an_actor_gets_explained_recommendations(server, page):
    url, atlas = server
    page.goto(f"{url}/actors/{atlas.organization_id(POLISH_STARTUP)}")
    page.click("text=Recommend partners")
    page.wait_for_selector("#recommendations table")
    first = page.locator("#recommendations tbody tr").first.inner_text()
    assert "Barcelona" in first and "cardiology" in first


def test_a_scenario_runs_with_bands_and_reasons(server, page):
    url, _ = server
    sign_in(page, url, FACILITATOR, "/scenarios")
    page.select_option("select[name=hub]", label="Medical Innovation Institute")
    page.check("input[value=fast-track]")
    page.check("input[name=connect]")
    page.select_option("select[name=partner]", label="Barcelona Health Hub")
    page.fill("input[name=runs]", "60")
    page.fill("input[name=years]", "5")
    page.click("text=Run the scenarios")
    page.wait_for_selector("#why table", timeout=60_000)
    why = page.locator("#why").inner_text()
    assert "approval time" in why and "validation time" in why  # fast track: approval; connect: partner sites
    assert page.locator("#levels svg.marks").count() == 1 and page.locator("#changes svg.marks").count() == 1


def test_a_bad_upload_shows_each_problem(server, page, tmp_path):
    url, _ = server
    bad = tmp_path / "elements.csv"
    bad.write_text("Label,Type\nSant Pau,University Hospital\nKardio,startup\n", encoding="utf-8")
    sign_in(page, url, MANAGER, "/import")
    page.set_input_files("#files", str(bad))
    page.click("#preview")
    page.wait_for_selector("#problems table")
    text = page.locator("#problems").inner_text()
    assert "elements.csv" in text and "University Hospital" in text and "Type" in text
    assert page.locator("#confirm").is_disabled()


def test_dashboards_draw_their_charts_and_are_keyboard_reachable(server, page):
    url, atlas = server
    page.goto(f"{url}/hubs/{atlas.hub_id('Barcelona Health Hub')}")
    page.wait_for_selector("#types-chart svg.marks")
    page.wait_for_selector("#velocity-chart svg.marks")
    # drawn under a CSP without 'unsafe-eval': Vega's expressions interpreted, not compiled with new Function
    assert page.evaluate("() => typeof vega.expressionInterpreter.operator") == "function"
    page.wait_for_selector("#brokers table")
    # the hub's clinical needs (gravest first, gaps marked) and its challenge, linked to their pages
    page.wait_for_selector("#hub-needs table")
    assert "gaps" in page.locator("#needs-figures").inner_text()
    assert page.locator("#hub-needs tbody tr").first.locator("td").nth(2).inner_text() == "critical"
    page.wait_for_selector("#hub-challenges a:has-text('Barcelona unmet-needs challenge 2025')")
    assert "EUR" in page.locator("#hub-challenges").inner_text() or "€" in page.locator("#hub-challenges").inner_text()
    page.goto(url + "/stakeholders")
    page.wait_for_selector("#grid-chart svg.marks")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    sign_in(page, url, MANAGER, "/partnerships")  # the bridge's partnership is shared between its two hubs only
    page.click("#list a")
    page.wait_for_selector("#criteria table")
    assert "pursue" in page.locator("#figures").inner_text()


def test_the_api_explorer_works_offline(server, page):
    base, _ = server
    page.goto(base + "/docs")
    page.wait_for_selector(".opblock-tag", timeout=30_000)
    tags = page.locator(".opblock-tag").all_inner_texts()
    assert len(tags) > 20, tags  # a group for every kind of record plus the insight endpoints, each folded
    page.locator(".opblock-tag", has_text="organizations").first.click()
    page.wait_for_selector(".opblock-summary-path")
    assert page.locator(".opblock").count() >= 9  # list, create, read, update, replace, delete, preview…
    page.locator(".opblock-tag", has_text="map").first.click()
    page.wait_for_function("() => [...document.querySelectorAll('.opblock-summary-path')]"
                           ".some((el) => el.textContent.includes('/api/v1/map'))")


def test_a_tablet_gets_one_column_and_every_page_loads(server, browser):
    url, atlas = server
    context = browser.new_context(viewport={"width": 820, "height": 1180}, has_touch=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    refused, unguarded = _watch_the_policy(pg)
    pg.goto(url + "/")
    _map_ready(pg)
    graph, controls = pg.locator("#graph").bounding_box(), pg.locator("#map-controls").bounding_box()
    assert graph["y"] > controls["y"] and graph["width"] > 700  # the map below its controls, full width
    for path in ("/hubs", "/event", "/import", f"/hubs/{atlas.hub_id('Texas Medical Center')}"):
        assert pg.goto(url + path).status == 200
    pg.wait_for_selector("#types-chart svg.marks")
    context.close()
    assert not errors, errors
    assert not refused and not unguarded, (refused, unguarded)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, proc) -> str:
    import urllib.request

    for _ in range(200):
        if proc.poll() is not None:
            raise AssertionError(f"the server stopped: {proc.stderr.read()}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                return r.read().decode()
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered at {url}")


def test_ecotone_serve_and_demo_serve_answer_on_loopback(tmp_path):
    import subprocess
    import sys

    ecotone = str(Path(sys.executable).parent / "ecotone")
    db = str(tmp_path / "served.db")
    port = _free_port()
    proc = subprocess.Popen([ecotone, "--db", db, "serve", "--host", "0.0.0.0", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "Ecosystem map" in _wait_for(f"http://127.0.0.1:{port}/", proc)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "no accounts yet" in " ".join(err.split())
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", 8000)) == 0:
            pytest.skip("port 8000 is taken here; ecotone demo --serve uses it")
    proc = subprocess.Popen([ecotone, "--db", str(tmp_path / "demo.db"), "demo", "--serve"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        hubs = _wait_for("http://127.0.0.1:8000/api/v1/hubs", proc)
        assert "Barcelona Health Hub" in hubs
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err
