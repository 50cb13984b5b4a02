"""Accounts in a real browser (Debian's chromium through Playwright): signing in, editing, the history of the change,
sharing from the hub page, and a page on another port that tries to change the atlas through the signed-in
browser (CSRF)."""

import functools
import http.server
import threading

import pytest
import sqlalchemy as sa

from conftest import live_server
from test_web import MANAGER, browser, demo_app, page, sign_in  # noqa: F401  (chromium, no network, no CSP refusal)

pytestmark = pytest.mark.browser
ADMIN = "admin@demo.ecotone.example"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo with its accounts, served on a free loopback port; yields its URL and the application."""
    app = demo_app(tmp_path_factory.mktemp("accounts"))
    with live_server(app) as url:
        yield url, app


def test_sign_in_edit_an_actor_and_read_the_change_in_its_history(site, page):
    url, app = site
    atlas = app.state.atlas
    org = atlas.organization_id("Barcelona University Hospital")
    page.goto(f"{url}/actors/{org}")
    assert page.locator("#edit-form").count() == 0 and page.locator("text=Sign in").count() >= 1
    sign_in(page, url, MANAGER, f"/actors/{org}")
    page.wait_for_selector("#history table")
    page.fill("#edit-form input[name=needs]", "digital tools, workflow software, remote monitoring")
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector("#saved:has-text('Saved.')")
    page.wait_for_selector("#history tbody tr:has-text('remote monitoring')")
    first = page.locator("#history tbody tr").first.inner_text()
    assert MANAGER in first and "web" in first and "update" in first
    page.click("#sign-out")
    page.wait_for_url(f"{url}/")
    assert page.locator("header .account a:has-text('Sign in')").count() == 1


def test_a_viewer_sees_no_edit_form_and_a_wrong_password_is_said_in_words(site, page):
    url, app = site
    page.goto(f"{url}/import")  # a visitor is told, before trying, that importing takes an account
    assert "takes an editor's" in page.locator(".account-note").inner_text()
    page.goto(f"{url}/login")
    page.fill("input[name=email]", "viewer@tmc.example")
    page.fill("input[name=password]", "not the password")
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("#problems .problem")
    assert "wrong" in page.locator("#problems").inner_text()
    sign_in(page, url, "viewer@tmc.example", "/hubs")
    page.goto(f"{url}/actors/{app.state.atlas.organization_id('Barcelona University Hospital')}")
    assert page.locator("#edit-form").count() == 0
    assert "may read the atlas but not change it" in page.locator("main").inner_text()


def test_an_editor_gets_the_form_for_their_hubs_actors_only(site, page):
    url, app = site
    atlas = app.state.atlas
    sign_in(page, url, "facilitator@medicalinnovation.example", "/hubs")
    page.goto(f"{url}/actors/{atlas.organization_id('Barcelona University Hospital')}")
    assert page.locator("#edit-form").count() == 0
    assert "belongs to another hub" in page.locator("main").inner_text()
    page.goto(f"{url}/actors/{atlas.organization_id('Medical Innovation Institute')}")
    assert page.locator("#edit-form").count() == 1


def test_a_hub_manager_shares_from_the_hub_page(site, page):
    url, app = site
    atlas = app.state.atlas
    barcelona = atlas.hub_id("Barcelona Health Hub")
    sign_in(page, url, MANAGER, f"/hubs/{barcelona}")
    page.wait_for_selector("#shares li")  # the demo's bridge: Barcelona and the institute share both ways
    page.select_option("#share-form select", label="Texas Medical Center")
    page.click("#share-form button")
    page.wait_for_selector("#shares li:has-text('Shares with Texas Medical Center')")
    page.wait_for_selector("#history tbody tr:has-text('create hub share')")  # the grant, in the hub's history
    page.click("#shares li:has-text('Texas Medical Center') button:has-text('Withdraw')")
    page.wait_for_function("() => !document.querySelector('#shares').textContent.includes('Texas Medical Center')")
    texas = atlas.hub_id("Texas Medical Center")
    page.goto(f"{url}/hubs/{texas}")
    page.wait_for_selector("#shares")
    assert page.locator("#share-form").count() == 0  # Barcelona's manager does not manage Texas


ATTACK = """<!doctype html><html><body><form id="f" method="post" enctype="multipart/form-data"
action="{target}/api/v1/imports/kumu"><input type="hidden" name="dry_run" value="false"></form>
<script>
const target = "{target}";
function csv() {{ const d = new FormData(); d.append("files", new Blob(["Label,Type\\nForged Startup,startup\\n"]),
  "elements.csv"); return d; }}
async function attempt(path, body, headers) {{
  try {{ const r = await fetch(target + path, {{ method: "POST", body, credentials: "include", mode: "no-cors", headers }});
         return "sent:" + r.type; }} catch (e) {{ return "blocked:" + e; }}
}}
(async () => {{
  const results = [];
  results.push(await attempt("/api/v1/imports/kumu", csv()));
  const ratings = new FormData(); ratings.append("file", new Blob(["Question,Score\\nA1,1\\n"]), "ratings.csv");
  results.push(await attempt("/api/v1/partnerships/{partnership}/ratings", ratings));
  const event = new FormData(); event.append("file", new Blob(["not a workbook"]), "event.xlsx");
  results.push(await attempt("/api/v1/events", event));
  // The cookie is readable here (cookies ignore ports), but a custom header needs CORS, which the server denies.
  const token = (document.cookie.split("; ").find((c) => c.startsWith("ecotone_csrf=")) || "").split("=")[1] || "";
  try {{ await fetch(target + "/api/v1/imports/kumu", {{ method: "POST", body: csv(), credentials: "include",
                                                        headers: {{ "x-csrftoken": token }} }}); results.push("sent"); }}
  catch (e) {{ results.push("blocked by CORS"); }}
  window.results = results;
}})();
</script></body></html>"""


def test_a_page_on_another_port_cannot_import_rate_or_schedule(site, browser, tmp_path):  # noqa: F811
    url, app = site
    context = browser.new_context()  # not the page fixture: the attacker's page has no policy of ours
    page = context.new_page()
    atlas = app.state.atlas
    from ecotone.store.tables import changes

    def state():
        return (atlas.counts(), atlas.execute(sa.select(sa.func.count()).select_from(changes)).scalar_one(),
                len(app.state.jobs.book.list(limit=100_000)))

    partnership = atlas.find(__import__("ecotone.domain", fromlist=["Partnership"]).Partnership).items[0].id
    sign_in(page, url, ADMIN)
    before = state()
    (tmp_path / "attack.html").write_text(ATTACK.format(target=url, partnership=partnership), encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{evil.server_address[1]}/attack.html")
        page.wait_for_function("() => window.results !== undefined", timeout=20_000)
        results = page.evaluate("window.results")
        with page.expect_navigation():  # a plain form post, as an attacker's page would send it
            page.evaluate("() => document.getElementById('f').submit()")
        body = page.locator("body").inner_text()
    finally:
        evil.shutdown()
        context.close()
    assert results[-1] == "blocked by CORS", results
    assert "CSRF" in body, body[:300]  # the plain form post was refused, in words
    assert state() == before  # nothing imported, rated, scheduled or recorded
    assert atlas.count(__import__("ecotone.domain", fromlist=["Organization"]).Organization,
                       search="Forged Startup") == 0
