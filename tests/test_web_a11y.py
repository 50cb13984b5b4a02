"""Accessibility in a real browser: axe-core (tests/assets/axe.min.js, see axe-core.md) on every page of the app in
Debian's chromium, signed in as a hub manager and as a visitor, with no serious or critical violation; and a
keyboard path from the map to an actor.

axe is added to each page as an init script, which the browser runs before the page's own scripts and outside the
Content-Security-Policy (the policy refuses inline scripts, as it should); the pages themselves run under it as
ever, and a refusal or a JavaScript error fails the test as in test_web.
"""

import json
import re

import pytest

from conftest import PASSWORD, REPO
from ecotone.api.schemas import plural
from ecotone.domain.kinds import ENTITIES
from test_web import ARTIFACTS, MANAGER, _watch_the_policy, browser, server  # noqa: F401  (chromium, live demo)

pytestmark = pytest.mark.browser
AXE = REPO / "tests" / "assets" / "axe.min.js"
SERIOUS = ("serious", "critical")
WHO = ("visitor", "manager")
#: Every page of the app, by what it shows; records pages for each kind of record.
PAGES = ["map", "hubs", "hub", "stakeholders", "actor", "partnerships", "partnership", "event", "scenarios",
         "import", "login", "api docs", "registry", "missing", *(f"records of {e}" for e in ENTITIES),
         *(f"a {e}" for e in ENTITIES), "new organization", "duplicates"]


@pytest.fixture(scope="module")
def contexts(browser, server):  # noqa: F811
    """A browser context per person: a visitor, and the Barcelona hub's manager signed in once."""
    url, _ = server
    made = {}
    for who in WHO:
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        context.add_init_script(path=str(AXE))
        if who == "manager":
            pg = context.new_page()
            pg.goto(f"{url}/login?next=/hubs")
            pg.fill("input[name=email]", MANAGER)
            pg.fill("input[name=password]", PASSWORD)
            pg.click("button:has-text('Sign in')")
            pg.wait_for_url(f"{url}/hubs")
            pg.close()
        made[who] = context
    yield made
    for context in made.values():
        context.close()


def _first_id(context, url, entity):
    """The first record of a kind that the context's person may see, or None."""
    answer = context.request.get(f"{url}/api/v1/{plural(entity)}?limit=1")
    data = answer.json().get("data", []) if answer.ok else []
    return data[0]["id"] if data else None


def _path(name, context, url, atlas):
    if name.startswith("records of "):
        return f"/records/{plural(name.removeprefix('records of '))}"
    if name.startswith("a "):
        entity = name.removeprefix("a ")
        record = _first_id(context, url, entity)
        if record is None:
            pytest.skip(f"this person may see no {entity}")
        return f"/records/{plural(entity)}/{record}"
    if name == "partnership":
        record = _first_id(context, url, "partnership")
        if record is None:
            pytest.skip("this person may see no partnership")
        return f"/partnerships/{record}"
    return {"map": "/", "hubs": "/hubs", "hub": f"/hubs/{atlas.hub_id('Barcelona Health Hub')}",
            "stakeholders": "/stakeholders",
            "actor": f"/actors/{atlas.organization_id('Barcelona University Hospital')}",
            "partnerships": "/partnerships", "event": "/event", "scenarios": "/scenarios", "import": "/import",
            "login": "/login", "api docs": "/docs", "registry": "/records", "missing": "/actors/999999",
            "new organization": "/records/organizations/new", "duplicates": "/duplicates"}[name]


def _ready(page, name):
    """Wait for what the page's scripts draw after it loads."""
    page.wait_for_load_state("networkidle")
    if name == "map":
        page.wait_for_function("() => window.ecotoneMap && window.ecotoneMap.ready", timeout=30_000)
    if name == "api docs":
        page.wait_for_selector(".opblock-tag", timeout=30_000)
    page.wait_for_function("() => typeof window.axe === 'object'")


def readable(violations) -> str:
    """axe's violations as a person reads them: rule, impact, what it means, and each element with what to fix."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:8]:
            target = " ".join(json.dumps(t) if not isinstance(t, str) else t for t in node["target"])
            fix = re.sub(r"\s+", " ", node.get("failureSummary") or "").strip()
            lines.append(f"    {target}\n      {node['html'][:160]}\n      {fix[:300]}")
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more elements")
    return "\n".join(lines)


def _assert_accessible(page, where, shot):
    """axe on the page as it is now: no serious or critical violation (a screenshot in test-artifacts/ if any)."""
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
        .map((v) => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                      nodes: v.nodes.map((n) => ({target: n.target, html: n.html, failureSummary: n.failureSummary}))}))""")
    bad = [v for v in found if v["impact"] in SERIOUS]
    if bad:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)
    assert not bad, f"{where}: {len(bad)} serious or critical violations\n{readable(bad)}"


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name", PAGES)
def test_no_serious_or_critical_accessibility_violation(server, contexts, who, name):  # noqa: F811
    url, atlas = server
    if who == "visitor" and name in ("new organization", "duplicates"):
        pytest.skip("a page for editors: a visitor is sent to sign in")
    context = contexts[who]
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    refused, _ = _watch_the_policy(page)
    try:
        path = _path(name, context, url, atlas)
        page.goto(url + path)
        _ready(page, name)
        _assert_accessible(page, f"{name} ({path}) as a {who}", f"a11y-{who}-{name.replace(' ', '-')}")
        assert not errors, f"JavaScript errors on {path}: {errors}"
        assert not refused, f"the Content-Security-Policy refused on {path}: {refused}"
    finally:
        page.close()


def _import_refused(page, url, tmp_path):
    from test_web_speak import CONNECTIONS, ELEMENTS

    for file, text in (("elements.csv", ELEMENTS), ("connections.csv", CONNECTIONS)):
        (tmp_path / file).write_text(text, encoding="utf-8")
    page.goto(url + "/import")
    page.set_input_files("#files", [str(tmp_path / "elements.csv"), str(tmp_path / "connections.csv")])
    page.click("#preview")
    page.wait_for_selector("#mapping:not([hidden]) select")


def _event_scheduled(page, url, tmp_path):
    from test_match import _workbook

    _workbook(tmp_path / "event.xlsx", [("Ana Ruiz", "Marek Nowak", "must meet"), ("Lea Vogel", "Ana Ruiz", "meet"),
                                        ("Lea Vogel", "Marek Nowak", "meet")])
    page.goto(url + "/event")
    page.set_input_files("input[name=file]", str(tmp_path / "event.xlsx"))
    page.fill("input[name=tables]", "1")
    page.click("text=Schedule the meetings")
    page.wait_for_selector("#unscheduled table", timeout=60_000)


def _scenarios_run(page, url, tmp_path):
    page.goto(url + "/scenarios")
    page.select_option("select[name=hub]", label="Barcelona Health Hub")
    page.check("input[value=fast-track]")
    page.fill("input[name=fast-track-cost]", "250000")
    page.fill("input[name=runs]", "40")
    page.fill("input[name=years]", "5")
    page.click("text=Run the scenarios")
    page.wait_for_selector("#per-euro table", timeout=60_000)
    page.wait_for_selector("#changes svg.marks")


@pytest.mark.parametrize("state", ["import: words to map", "event: scheduled", "scenarios: the results"])
def test_pages_once_used_have_no_serious_violation(server, contexts, state, tmp_path):  # noqa: F811
    """The import page showing the words to map, the event page with its agenda, the scenarios page with its
    charts and tables: what a manager sees after using them, checked like every page."""
    url, _ = server
    page = contexts["manager"].new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        {"import: words to map": _import_refused, "event: scheduled": _event_scheduled,
         "scenarios: the results": _scenarios_run}[state](page, url, tmp_path)
        _assert_accessible(page, state, f"a11y-used-{state.split(':')[0]}")
        assert not errors, errors
    finally:
        page.close()


def test_the_keyboard_reaches_an_actor_from_the_map(server, contexts):  # noqa: F811
    """From the map page, Tab alone reaches an actor's row in the map's table (or a link to an actor); Enter on it
    leads to the actor: at once from a link, or through the card it opens, whose link is reached by the keyboard."""
    url, atlas = server
    page = contexts["visitor"].new_page()
    try:
        page.goto(url + "/")
        page.wait_for_function("() => window.ecotoneMap && window.ecotoneMap.ready", timeout=30_000)
        focused = lambda: page.evaluate("""() => { const el = document.activeElement;  // noqa: E731
            return {tag: el.tagName, href: el.getAttribute('href') || '', row: el.matches('#map-table button.row-pick'),
                    text: el.textContent.trim()}; }""")
        for _ in range(400):
            page.keyboard.press("Tab")
            now = focused()
            if now["row"] or re.fullmatch(r"/actors/\d+", now["href"]):
                break
        else:
            raise AssertionError("400 presses of Tab reached no actor on the map page")
        name = now["text"]
        page.keyboard.press("Enter")
        if now["row"]:  # the row selects the actor on the map: its card names it with a link to its page
            page.wait_for_selector(f"#card a[href^='/actors/']:has-text({json.dumps(name)})")
            for _ in range(200):
                if re.fullmatch(r"/actors/\d+", focused()["href"]) and focused()["text"] == name:
                    break
                page.keyboard.press("Shift+Tab")
            else:
                raise AssertionError(f"the card's link to {name} cannot be reached with the keyboard")
            page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/actors/\d+$"))
        assert page.locator("h1").inner_text() == name
        org = int(page.url.rsplit("/", 1)[1])
        assert atlas.names("organization", [org])[org] == name
    finally:
        page.close()
