"""The pages in Debian's chromium speak one visual language: a stakeholder type has the colour of
``ecotone.domain.display`` on the power–interest grid and on the hub dashboard (read from the SVG the charts
draw), the grid names its quadrants and becomes a density plot with the top actors labelled on a large atlas,
vocabulary reads in words (no snake_case on screen), money as "EUR 1.5 bn", and the hub dashboard asks the server
for its own brokers only. The browser's Ecotone.colour, label and money give what the server's do."""

import re
from urllib.parse import parse_qs, urlparse

import pytest

from conftest import PASSWORD, live_server
from ecotone.domain import Organization, display, enums
from test_web import MANAGER, browser, page, server, sign_in  # noqa: F401  (chromium, live demo)

pytestmark = pytest.mark.browser
SNAKE = r"\b[a-z]+_[a-z]+\b"
#: Written as typed, not as a label: an identifier scheme in the registry form's example ("cordis_pic: 999999999").
AS_TYPED = {"cordis_pic"}
BIG_ADMIN = "admin@big.example"


def _fills(page, selector: str) -> dict[str, set[str]]:
    """{type in words: the fills of the marks} of a chart's marks, from the aria-label Vega writes on each."""
    marks = page.eval_on_selector_all(selector, "(els) => els.map((e) => [e.getAttribute('aria-label') || '', "
                                                "(e.getAttribute('fill') || '').toUpperCase()])")
    out: dict[str, set[str]] = {}
    for aria, fill in marks:
        found = re.search(r"\bType: ([^;]+)", aria)
        if found:
            out.setdefault(found.group(1).strip(), set()).add(fill)
    return out


def _words_to_colour() -> dict[str, str]:
    return {display.label(t): c.upper() for t, c in display.TYPE_COLOURS.items()}


def _snake_case(page) -> set[str]:
    text = page.evaluate("() => document.body.innerText")
    return set(re.findall(SNAKE, text)) - AS_TYPED


def test_the_browser_colours_labels_and_money_as_the_server_does(server, page):
    url, atlas = server
    page.goto(url + "/hubs")
    page.wait_for_function("() => window.Ecotone && Ecotone.colours && Object.keys(Ecotone.colours.type).length")
    assert page.evaluate("() => Ecotone.colours") == {"type": display.TYPE_COLOURS, "helix": display.HELIX_COLOURS}
    values = sorted({m.value for v in vars(enums).values() if isinstance(v, type) and issubclass(v, enums.Vocabulary)
                     and v is not enums.Vocabulary for m in v} | set(display.WORDS) | {"power_authority", "Clínic"})
    assert page.evaluate("(vs) => vs.map(Ecotone.label)", values) == [display.label(v) for v in values]
    amounts = [0, 1, 499.5, 900, 999.5, 1_500, 9_999, 9_999.5, 12_345, 350_000, 999_499, 999_500, 999_999, 1_250_000,
               12_300_000, 999_949_999, 999_950_000, 1_500_000_000, 3e12, -0.4, -2.5, -40_000, -1_250_000, 0.25e6]
    assert page.evaluate("(xs) => xs.map((x) => Ecotone.money(x))", amounts) == [display.money(a) for a in amounts]
    assert page.evaluate("() => [Ecotone.money(2500000, 'usd'), Ecotone.money(null), Ecotone.money(5, null)]") == [
        display.money(2_500_000, "usd"), "", display.money(5, None)]
    hubs = [h["name"] for h in atlas.hub_summaries()] + ["Clínic", "Cambridge–London–Oxford", "ES", "", None]
    hubs += [h["id"] for h in atlas.hub_summaries()] + [1, 20, 21, 57]  # hubs by id: the palette in id order
    for attribute in ("hub", "type", "helix", "community"):
        probe = hubs + list(display.TYPE_COLOURS) + list(display.HELIX_COLOURS) + ["Research center", "civil-society"]
        assert page.evaluate("([a, vs]) => vs.map((v) => Ecotone.colour(a, v))", [attribute, probe]) == [
            display.colour(attribute, v) for v in probe], attribute
    scale = page.evaluate("() => Ecotone.scale('type', { values: ['Hospital', 'startup'], words: true })")
    assert scale == {"domain": ["Startup", "Hospital"], "range": [display.TYPE_COLOURS["startup"],
                                                                  display.TYPE_COLOURS["hospital"]]}


def test_the_stakeholder_grid_names_its_quadrants_in_the_type_colours(server, page):
    url, _ = server
    page.goto(url + "/stakeholders")
    page.wait_for_selector("#grid-chart .actors_marks path")
    quadrants = page.locator("#grid-chart svg [class*='quadrant_'] text").all_text_contents()
    assert sorted(quadrants) == ["Keep informed", "Keep satisfied", "Manage closely", "Monitor"]
    state = page.evaluate("() => window.ecotoneStakeholders")
    assert state["mode"] == "points" and state["drawn"] == state["actors"] > 100
    assert state["labelled"], "no actor is named on the grid"
    named = page.locator("#grid-chart svg [class*='names_'] text").all_text_contents()
    shortened = {n[:29] if len(n) > 30 else n for n in state["labelled"]}
    assert {n.rstrip("…") for n in named} <= shortened
    fills, expected = _fills(page, "#grid-chart .actors_marks path"), _words_to_colour()
    assert len(fills) >= 8, fills
    for words, colours in fills.items():
        assert colours == {expected[words]}, (words, colours)
    legend = page.locator("#grid-chart .role-legend-label text").all_text_contents()
    assert legend and all(label in expected for label in legend)  # the legend in words
    # the coverage heat map's type axis in words
    page.wait_for_selector("#heatmap svg.marks")
    axis = page.locator("#heatmap .role-axis-label text").all_text_contents()
    assert "Research center" in axis and "research_center" not in axis
    page.wait_for_selector("#priority table")
    headers = page.locator("#priority th").all_text_contents()
    assert {"Power: authority", "Power: resources", "Power: network position"} <= set(headers), headers
    assert "authority" in page.locator("#weights").inner_text()


def test_a_type_has_one_colour_on_the_grid_and_the_hub_dashboard(server, page):
    url, atlas = server
    page.goto(url + "/stakeholders")
    page.wait_for_selector("#grid-chart .actors_marks path")
    grid = _fills(page, "#grid-chart .actors_marks path")
    page.goto(f"{url}/hubs/{atlas.hub_id('Barcelona Health Hub')}")
    page.wait_for_selector("#types-chart .role-mark path")
    dashboard = _fills(page, "#types-chart .role-mark path")
    shared = set(grid) & set(dashboard)
    assert len(shared) >= 5, (grid, dashboard)
    expected = _words_to_colour()
    for words in shared:
        assert grid[words] == dashboard[words] == {expected[words]}, words


def test_the_hub_dashboard_asks_for_its_own_brokers_and_speaks_money(server, page):
    url, atlas = server
    hub_id = atlas.hub_id("Barcelona Health Hub")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/v1/" in r.url else None)
    page.goto(f"{url}/hubs/{hub_id}")
    page.wait_for_selector("#brokers table")
    page.wait_for_selector("#deals table")
    brokerage = [parse_qs(urlparse(u).query) for u in asked if "/api/v1/analysis/brokerage" in u]
    assert brokerage == [{"group": ["Barcelona Health Hub"], "top": ["10"]}], asked
    rows = page.locator("#brokers tbody tr")
    assert 0 < rows.count() <= 10
    members = {o.id for o in atlas.find(Organization, hub=hub_id, limit=None).items}
    for href in page.locator("#brokers tbody a").evaluate_all("(els) => els.map((a) => a.getAttribute('href'))"):
        assert int(href.rsplit("/", 1)[1]) in members, href
    # the deals this visitor may see, as the page read them
    deals = page.evaluate("(hub) => Ecotone.api(`/api/v1/deals?hub=${hub}&limit=200`)", hub_id)["data"]
    assert deals and {d["currency"] for d in deals} == {"EUR"}
    # the hub's own members' rounds count, and the press figures for the whole region are quoted, never added
    assert any(d["recipient_id"] in members for d in deals), "a member's round is missing from the hub's deals"
    rounds = [d for d in deals if d["round_type"] != "aggregate"]
    aggregates = [d for d in deals if d["round_type"] == "aggregate"]
    assert rounds and aggregates
    total = display.money(sum(d["amount"] for d in rounds if d["amount"]), "EUR")
    assert page.locator("#fig-funding").inner_text() == total
    assert re.fullmatch(r"EUR \d+(\.\d)? (bn|M|k)", total)
    note = page.locator("#deals-note").inner_text()
    assert all(display.money(d["amount"], "EUR") in note for d in aggregates) and "not added to the sum" in note
    amounts = page.locator("#deals tbody td.num").all_text_contents()
    assert amounts and all(re.fullmatch(r"EUR \d+(\.\d)?( (bn|M|k))?", a) for a in amounts), amounts
    assert page.locator("#on-the-map").get_attribute("href") == f"/?hub={hub_id}"


PAGES = ["/stakeholders=#priority table", "/hubs=#hubs-table table", "/hubs/{hub}=#brokers table",
         "/actors/{actor}=#ties table", "/partnerships=#list table", "/partnerships/{partnership}=#criteria table",
         "/duplicates=#pairs", "/records=main", "/records/organizations=#rows table",
         "/records/organizations/{actor}=#fields input, dl.record-view", "/records/ties=#rows table",
         "/records/deals=#rows table",
         "/records/innovations/1=#fields input, dl.record-view", "/records/stage-events=#rows table"]


def test_no_snake_case_on_the_pages(server, page):
    url, atlas = server
    from ecotone.domain.partnering import Partnership
    sign_in(page, url, MANAGER, "/")  # a manager sees the history panels too
    ids = {"hub": atlas.hub_id("Barcelona Health Hub"), "actor": atlas.organization_id("Barcelona Health Hub"),
           "partnership": atlas.find(Partnership, limit=1).items[0].id}
    seen = {}
    for entry in PAGES:
        path, _, ready = entry.partition("=")
        path = path.format(**ids)
        page.goto(url + path)
        page.wait_for_selector(ready)
        if page.locator("#history[data-record]").count():  # the audit trail's panel, filled after the page
            page.wait_for_selector("#history[data-record] table, #history[data-record] .empty")
        seen[path] = _snake_case(page)
    assert not any(seen.values()), {p: s for p, s in seen.items() if s}


# -- a large atlas ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def big_server(tmp_path_factory):
    """A synthetic atlas of 5,000 actors (``ecotone generate``) served with an admin to see its network records."""
    from ecotone.api import create_app
    from ecotone.cli import main
    from ecotone.services.accounts import add_user
    from ecotone.store import Atlas

    path = tmp_path_factory.mktemp("big") / "big.db"
    code = main(["--db", str(path), "generate", "--orgs", "5000", "--hubs", "10", "--ties", "20000", "--seed", "1"])
    assert code in (0, None)
    with Atlas.open(str(path)) as atlas:
        add_user(atlas, BIG_ADMIN, name="Admin", role="admin", password=PASSWORD)
    app = create_app(str(path))
    with live_server(app) as url:
        yield url


def test_a_large_grid_is_a_density_plot_with_the_top_actors_named(big_server, page):
    sign_in(page, big_server, BIG_ADMIN, "/stakeholders")
    page.wait_for_selector("#grid-chart .density_marks path", timeout=60_000)
    state = page.evaluate("() => window.ecotoneStakeholders")
    assert state["mode"] == "density" and state["actors"] == 5000
    cells = page.locator("#grid-chart .density_marks path").count()
    dots = page.locator("#grid-chart .actors_marks path").count()
    assert 20 <= cells <= 400, cells  # a 20 × 20 grid of counts, not 5,000 points
    assert dots == state["drawn"] == 25
    named = page.locator("#grid-chart svg [class*='names_'] text").all_text_contents()
    assert named and len(named) == len(state["labelled"])
    assert sorted(page.locator("#grid-chart svg [class*='quadrant_'] text").all_text_contents()) == [
        "Keep informed", "Keep satisfied", "Manage closely", "Monitor"]
    # the dots are the actors with the highest priority, in the type colours
    top = page.evaluate("() => Ecotone.api('/api/v1/analysis/stakeholders')")
    best = sorted(top["grid"], key=lambda r: -r["priority"])[:25]
    assert set(state["labelled"]) <= {r["name"] for r in best}
    expected = _words_to_colour()
    for words, colours in _fills(page, "#grid-chart .actors_marks path").items():
        assert colours == {expected[words]}
    assert "5,000 actors" in page.locator("#grid-mode").inner_text()
    assert not _snake_case(page)
