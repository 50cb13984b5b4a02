"""The ecosystem map explored in a real browser (Debian's chromium through Playwright) on the demo atlas: one test
per defect of issue 16 that the page itself answers for — search that centres without blanking the canvas, the
camera buttons, ``/?hub=ID``, the view in the address, drag and pin, the data table, the legend's colours, the type
filter with neighbours, the ego view, the hub summary and the empty map.

Positions and sizes are read from sigma itself (``getNodeDisplayData``, ``framedGraphToViewport``) and pixels from
screenshots of the canvas, so the tests see what a person sees.
"""

from __future__ import annotations

import io

import pytest

from conftest import live_server
from test_web import _map_ready, browser, demo_app, page, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

# Functions, not expressions: Playwright evaluates an expression string with eval, which the page's CSP refuses
SETTLED = "() => window.ecotoneMap.ready && !window.ecotoneMap.sigma.getCamera().isAnimated()"
ON_SCREEN = """(key) => {
  const s = window.ecotoneMap.sigma, d = s.getNodeDisplayData(key), p = s.framedGraphToViewport(d);
  const { width, height } = s.getDimensions();
  return { x: p.x, y: p.y, width, height, hidden: d.hidden };
}"""


def _open(page, url, path="/"):
    page.goto(url + path)
    count = _map_ready(page)
    page.wait_for_function(SETTLED)
    return count


def _settle(page):
    page.wait_for_function(SETTLED)


def _camera(page):
    return page.evaluate("() => window.ecotoneMap.sigma.getCamera().getState()")


def _key_of(page, label):
    return page.evaluate("(label) => window.ecotoneMap.graph.findNode((n, a) => a.label === label)", label)


def _pixels(page):
    """The map's canvas as a screenshot: (width, height, RGB pixels), the camera buttons left out."""
    from PIL import Image

    page.evaluate("() => { document.querySelector('.map-camera').style.visibility = 'hidden'; }")
    shot = Image.open(io.BytesIO(page.locator("#graph").screenshot())).convert("RGB")
    page.evaluate("() => { document.querySelector('.map-camera').style.visibility = ''; }")
    return shot


def _rgb(image):
    data = image.tobytes()
    return zip(data[0::3], data[1::3], data[2::3])


def _coloured(image):
    """How many pixels are coloured as nodes are (saturated), not white, grey ties or black text."""
    return sum(1 for r, g, b in _rgb(image) if max(r, g, b) - min(r, g, b) > 60)


def _near(image, colour, centre, radius=12, tolerance=60):
    """Pixels within ``radius`` of ``centre`` that have ``colour`` (hex), give or take ``tolerance``."""
    want = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    x, y = centre
    region = image.crop((int(x - radius), int(y - radius), int(x + radius), int(y + radius)))
    return sum(1 for p in _rgb(region) if sum(abs(a - b) for a, b in zip(p, want)) <= tolerance)


def test_search_centres_on_the_actor_and_the_canvas_still_shows_the_map(server, page):
    url, _ = server
    _open(page, url)
    assert _coloured(_pixels(page)) > 2000  # the whole map: nodes drawn in their colours
    page.fill("#search", "Barcelona University Hospital")
    page.press("#search", "Enter")
    page.wait_for_selector("#card h2 a")
    _settle(page)
    key = _key_of(page, "Barcelona University Hospital")
    where = page.evaluate(ON_SCREEN, key)
    assert abs(where["x"] - where["width"] / 2) < 3 and abs(where["y"] - where["height"] / 2) < 3, where
    assert _camera(page)["ratio"] < 0.5  # zoomed in on it
    image = _pixels(page)
    colour = page.evaluate("(key) => window.ecotoneMap.graph.getNodeAttribute(key, 'color')", key)
    assert _near(image, colour, (where["x"], where["y"])) > 30, "the found actor is not drawn at the centre"
    assert _coloured(image) > 1000, "the canvas went blank after the search"


def test_zoom_buttons_and_fit_bring_the_whole_map_back(server, page):
    url, _ = server
    _open(page, url)
    page.click("#zoom-in")
    _settle(page)
    assert _camera(page)["ratio"] < 0.9
    page.click("#zoom-out")
    page.click("#zoom-out")
    _settle(page)
    assert _camera(page)["ratio"] > 1.1
    page.fill("#search", "Texas Medical Center")
    page.press("#search", "Enter")
    _settle(page)
    assert _camera(page)["ratio"] < 0.5
    page.click("#zoom-fit")
    _settle(page)
    camera = _camera(page)
    assert camera["ratio"] == pytest.approx(1) and camera["x"] == pytest.approx(0.5) and camera["y"] == pytest.approx(0.5)
    assert _coloured(_pixels(page)) > 2000


def test_a_hub_link_opens_that_hubs_map_only(server, page):
    url, atlas = server
    hub = atlas.hub_id("Madrid Health Hub")
    shown = _open(page, url, f"/?hub={hub}")
    total = atlas.counts()["organization"]
    assert 0 < shown < total
    assert page.locator("#hub").input_value() == str(hub)
    hubs = page.evaluate("() => [...new Set(window.ecotoneMap.graph.mapNodes((n, a) => a.hub))]")
    assert hubs == ["Madrid Health Hub"]
    assert page.evaluate("() => window.ecotoneMap.state.hub") == str(hub)
    # the hub dashboard's "on the map" link names the hub by id; a name works too
    page.goto(url + "/?hub=Madrid%20Health%20Hub")
    assert _map_ready(page) == shown
    assert page.locator("#hub").input_value() == str(hub)


def test_a_copied_address_reopens_the_same_view(server, page, browser):  # noqa: F811
    url, _ = server
    _open(page, url)
    page.select_option("#color-by", "hub")
    page.select_option("#size-by", "pagerank")
    page.fill("#year", "2015")
    page.dispatch_event("#year", "input")
    key = _key_of(page, "Barcelona Health Hub")
    page.evaluate("(key) => window.ecotoneMap.select(key)", key)
    page.click("#zoom-in")
    _settle(page)
    page.wait_for_function("(key) => new URLSearchParams(location.search).get('selected') === key"
                           " && Number(new URLSearchParams(location.search).get('ratio')) < 0.9", arg=key)
    query = page.evaluate("() => window.ecotoneMap.viewQuery()")
    assert page.evaluate("() => location.search.slice(1)") == query
    camera = _camera(page)
    hidden = page.evaluate("() => window.ecotoneMap.graph.filterEdges((e, a) => a.start > 2015).length")
    assert hidden > 0  # the year hides some ties on the demo

    other = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    try:
        other.goto(f"{url}/?{query}")
        _map_ready(other)
        other.wait_for_selector("#card h2 a")
        state = other.evaluate("() => window.ecotoneMap.state")
        assert (state["colour"], state["size"], state["year"], state["selected"]) == ("hub", "pagerank", 2015, key)
        assert other.locator("#color-by").input_value() == "hub" and other.locator("#size-by").input_value() == "pagerank"
        assert other.locator("#year-label").inner_text() == "2015"
        assert other.locator("#card h2").inner_text() == "Barcelona Health Hub"
        again = _camera(other)
        for k in ("x", "y", "ratio"):
            assert again[k] == pytest.approx(camera[k], abs=1e-3)
        drawn = other.evaluate("() => window.ecotoneMap.graph.filterEdges((e, a) => a.start > 2015 && "
                               "window.ecotoneMap.sigma.getEdgeDisplayData(e).hidden).length")
        assert drawn == hidden  # the ties that started after 2015 are hidden in the reopened view too
        assert other.evaluate("() => window.ecotoneMap.viewQuery()") == query
        legend = other.evaluate("() => window.ecotoneMap.legend().map((i) => i.label)")
        assert "Barcelona Health Hub" in legend  # coloured by hub
    finally:
        other.context.close()


def test_a_dragged_actor_stays_where_it_is_dropped_while_forceatlas2_runs(server, page):
    url, _ = server
    _open(page, url)
    frame = page.locator("#graph").bounding_box()
    start = page.evaluate(ON_SCREEN, _key_of(page, "Barcelona Health Hub"))
    origin = (frame["x"] + start["x"], frame["y"] + start["y"])
    target = (round(frame["x"] + frame["width"] * 0.45), round(frame["y"] + frame["height"] * 0.4))
    page.mouse.move(*origin)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(origin[0] + (target[0] - origin[0]) * step / 10, origin[1] + (target[1] - origin[1]) * step / 10)
    page.mouse.up()
    # the actor the mouse took (others may lie under it), selected by the click that ends the drag
    page.wait_for_selector("#card h2")
    key = page.evaluate("() => window.ecotoneMap.state.selected")
    dropped = page.evaluate(ON_SCREEN, key)
    assert abs(frame["x"] + dropped["x"] - target[0]) < 2 and abs(frame["y"] + dropped["y"] - target[1]) < 2, (dropped, target)
    attrs = page.evaluate("(key) => window.ecotoneMap.graph.getNodeAttributes(key)", key)
    assert attrs["fixed"] is True
    others = page.evaluate("() => window.ecotoneMap.graph.mapNodes((n, a) => [n, a.x, a.y])")
    page.click("#layout")
    assert page.locator("#layout").inner_text() == "Stop ForceAtlas2"
    # ForceAtlas2 moves the others (their positions change) and leaves the pinned one
    page.wait_for_function("""(before) => { const g = window.ecotoneMap.graph;
        return before.filter(([n, x, y]) => g.getNodeAttribute(n, 'x') !== x).length > before.length / 2; }""",
                           arg=others, timeout=30_000)
    page.click("#layout")
    assert page.locator("#layout").inner_text() == "Run ForceAtlas2"
    after = page.evaluate("(key) => window.ecotoneMap.graph.getNodeAttributes(key)", key)
    # the layout's worker keeps positions as 32-bit floats: the pinned one comes back at that precision
    assert after["x"] == pytest.approx(attrs["x"], abs=1e-3) and after["y"] == pytest.approx(attrs["y"], abs=1e-3)


def test_the_data_table_sorts_filters_and_shares_the_selection(server, page):
    url, _ = server
    total = _open(page, url)
    table = page.locator("#map-table")
    assert f"{total} rows" in table.locator(".map-table-count").inner_text()
    degrees = [int(t) for t in table.locator("tbody tr td:nth-child(5)").all_inner_texts()]
    assert degrees == sorted(degrees, reverse=True) and len(degrees) == 100  # by degree, paged
    table.locator("th button", has_text="Name").click()
    names = table.locator("tbody button.row-pick").all_inner_texts()
    assert names == sorted(names, key=str.casefold)
    assert table.locator("th[aria-sort=ascending]").inner_text().startswith("Name")
    table.locator(".map-table-filter").fill("madrid")
    page.wait_for_function("() => document.querySelector('#map-table .map-table-count').textContent.includes(' of ')")
    rows = table.locator("tbody tr").all_inner_texts()
    assert rows and all("madrid" in r.lower() for r in rows)
    # a row selects on the map, by keyboard: Tab from the filter box past the column headers to the first row, Enter
    table.locator(".map-table-filter").focus()
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('row-pick')"):
            break
    assert page.evaluate("() => document.activeElement.classList.contains('row-pick')"), "Tab never reached a row"
    first = page.evaluate("() => document.activeElement.textContent")
    page.keyboard.press("Enter")
    page.wait_for_selector("#card h2 a")
    assert page.locator("#card h2").inner_text() == first
    key = page.evaluate("() => window.ecotoneMap.state.selected")
    assert page.evaluate("(k) => window.ecotoneMap.graph.getNodeAttribute(k, 'label')", key) == first
    assert page.evaluate(ON_SCREEN, key)["hidden"] is False
    # a selection on the map marks its row, turning the table's page to it
    table.locator("th button", has_text="Name").click()  # descending now
    # the filter applies a moment after typing stops; a selection made before then applies it at once, and the
    # late timer no longer turns the table back to page 1 under the selection
    last = page.evaluate("() => window.ecotoneMap.graph.reduceNodes((m, n, a) => "
                         "(!m || a.label.localeCompare(m[1]) < 0 ? [n, a.label] : m), null)")
    page.evaluate("""(k) => { const box = document.querySelector('#map-table .map-table-filter');
                             box.value = ''; box.dispatchEvent(new Event('input'));
                             window.ecotoneMap.select(k); }""", last[0])
    page.wait_for_timeout(400)  # past the filter's 150 ms pause
    assert f"{total} rows" in table.locator(".map-table-count").inner_text()
    selected = table.locator("tbody tr.selected")
    assert selected.count() == 1 and selected.get_attribute("data-key") == last[0]
    assert "page 1 of" not in table.locator(".map-table-page").inner_text()
    assert selected.locator("button").get_attribute("aria-current") == "true"


def test_the_legend_uses_the_shared_colours_of_types_and_helices(server, page):
    url, _ = server
    _open(page, url)
    for attribute in ("type", "helix"):
        page.select_option("#color-by", attribute)
        items = page.evaluate("() => window.ecotoneMap.legend()")
        assert len(items) > (5 if attribute == "type" else 2)
        for item in items:
            assert item["colour"] == page.evaluate("([a, v]) => Ecotone.colour(a, v)", [attribute, item["value"]])
            if item["value"]:
                assert item["label"] == page.evaluate("(v) => Ecotone.label(v)", item["value"])
        assert len({i["colour"] for i in items if i["value"]}) == len([i for i in items if i["value"]])  # distinct
        swatches = page.evaluate("() => [...document.querySelectorAll('#legend .swatch')].map((el) => "
                                 "getComputedStyle(el).backgroundColor)")
        assert len(swatches) == len(items)
        wrong = page.evaluate("""(attribute) => window.ecotoneMap.graph.filterNodes((n, a) =>
            a.color !== Ecotone.colour(attribute, attribute === 'type' ? a.stakeholder : a.helix)).length""", attribute)
        assert wrong == 0
    legend = page.locator("#legend").bounding_box()
    assert legend["y"] + legend["height"] < 900  # above the fold


def test_a_type_filter_keeps_the_neighbours_and_the_ties_between_when_asked(server, page):
    url, _ = server
    _open(page, url)
    page.evaluate("window.ecotoneMap.ready = false")
    page.select_option("#type", "hospital")
    _map_ready(page)
    types = page.evaluate("() => [...new Set(window.ecotoneMap.graph.mapNodes((n, a) => a.stakeholder))]")
    assert types == ["hospital"]
    page.evaluate("window.ecotoneMap.ready = false")
    page.check("#neighbours")
    _map_ready(page)
    # what the whole map says hospitals, their partners and the ties among all of them are
    expected = page.evaluate("""async () => {
        const data = await (await fetch('/api/v1/map')).json(), n = data.nodes, e = data.edges;
        const hospital = new Set(n.id.map((id, i) => i).filter((i) => n.type[i] === 'hospital'));
        const kept = new Set(hospital);
        e.source.forEach((s, k) => { const t = e.target[k];
          if (hospital.has(s)) kept.add(t); if (hospital.has(t)) kept.add(s); });
        const pairs = new Set();
        e.source.forEach((s, k) => { const t = e.target[k];
          if (s !== t && kept.has(s) && kept.has(t)) pairs.add([Math.min(s, t), Math.max(s, t)].join('-')); });
        return { nodes: [...kept].map((i) => String(n.id[i])).sort(), ties: pairs.size, hospitals: hospital.size };
    }""")
    shown = page.evaluate("() => window.ecotoneMap.graph.nodes().sort()")
    assert shown == expected["nodes"] and len(shown) > expected["hospitals"]
    assert page.evaluate("() => window.ecotoneMap.graph.size") == expected["ties"]
    assert "neighbours" in page.locator("#map-status").inner_text()
    assert "neighbours=1" in page.evaluate("() => window.ecotoneMap.viewQuery()")


def test_the_ego_view_shows_the_ego_network_and_zooms_to_it(server, page):
    url, _ = server
    _open(page, url)
    key = _key_of(page, "Barcelona Health Hub")
    page.evaluate("(k) => window.ecotoneMap.select(k)", key)
    page.check("#ego")
    _settle(page)
    ego = page.evaluate("(k) => [k, ...window.ecotoneMap.graph.neighbors(k)]", key)
    assert len(ego) > 3
    camera = _camera(page)
    assert camera["ratio"] < 0.8
    centre = page.evaluate(ON_SCREEN, key)
    assert abs(centre["x"] - centre["width"] / 2) < 3 and abs(centre["y"] - centre["height"] / 2) < 3
    for node in ego:  # every partner on screen, none hidden
        where = page.evaluate(ON_SCREEN, node)
        assert not where["hidden"] and 0 <= where["x"] <= where["width"] and 0 <= where["y"] <= where["height"], node
    hidden = page.evaluate("(ego) => window.ecotoneMap.graph.filterNodes((n) => !ego.includes(n) && "
                           "!window.ecotoneMap.sigma.getNodeDisplayData(n).hidden).length", ego)
    assert hidden == 0
    assert page.locator("#map-table .map-table-count").inner_text() == f"{len(ego)} rows"
    assert "ego=1" in page.evaluate("() => window.ecotoneMap.viewQuery()")


def test_the_hub_summary_opens_a_hub_on_click(server, page):
    url, atlas = server
    _open(page, url, "/?level=hubs")
    assert page.evaluate("() => window.ecotoneMap.level") == "hubs"
    total, hubs = atlas.counts()["organization"], atlas.counts()["hub"]
    status = page.locator("#map-status").inner_text()
    assert status == f"hub summary: {total} actors in {hubs} hubs — click a hub to open it"
    sizes = page.evaluate("() => window.ecotoneMap.graph.mapNodes((n, a) => [a.actors, a.size])")
    assert sorted(sizes) == sorted(sizes, key=lambda s: (s[1], s[0]))  # more actors, bigger
    hub = atlas.hub_id("Barcelona Health Hub")
    where = page.evaluate(ON_SCREEN, str(hub))
    frame = page.locator("#graph").bounding_box()
    page.evaluate("window.ecotoneMap.ready = false")
    page.mouse.move(frame["x"] + where["x"], frame["y"] + where["y"])
    page.mouse.click(frame["x"] + where["x"], frame["y"] + where["y"])
    _map_ready(page)
    assert page.evaluate("() => window.ecotoneMap.level") == "actors"
    assert page.evaluate("() => [...new Set(window.ecotoneMap.graph.mapNodes((n, a) => a.hub))]") == ["Barcelona Health Hub"]
    page.wait_for_function("(hub) => new URLSearchParams(location.search).get('hub') === hub", arg=str(hub))
    assert "level" not in page.evaluate("() => location.search")


def test_a_big_atlas_opens_on_its_hubs_by_the_threshold(tmp_path, browser, monkeypatch):  # noqa: F811
    monkeypatch.setenv("ECOTONE_MAP_HUB_THRESHOLD", "50")
    app = demo_app(tmp_path)
    with live_server(app) as url:
        pg = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
        errors = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        try:
            pg.goto(url + "/")
            _map_ready(pg)
            assert pg.evaluate("() => window.ecotoneMap.level") == "hubs"
            assert pg.locator("#map-status").inner_text().startswith("hub summary:")
            pg.evaluate("window.ecotoneMap.ready = false")
            pg.locator("#map-table button.row-pick", has_text="Barcelona Health Hub").click()  # the table opens it too
            _map_ready(pg)
            assert pg.evaluate("() => window.ecotoneMap.level") == "actors"
        finally:
            pg.context.close()
        assert not errors


def test_an_empty_map_says_why_in_words(server, page, tmp_path, browser):  # noqa: F811
    url, _ = server
    _open(page, url, "/?type=clinic")  # the demo has no clinic
    empty = page.locator("#map-empty")
    assert empty.is_visible() and "No actor matches these filters" in empty.inner_text()
    assert page.locator("#problems .problem").count() == 0
    page.evaluate("window.ecotoneMap.ready = false")
    empty.locator("button", has_text="clear the filters").click()
    assert _map_ready(page) > 0 and not empty.is_visible()

    from ecotone.api import create_app
    from ecotone.store import Atlas

    with Atlas.open(str(tmp_path / "empty.db")):
        pass
    with live_server(create_app(str(tmp_path / "empty.db"))) as bare:
        pg = browser.new_context().new_page()
        try:
            pg.goto(bare + "/")
            assert _map_ready(pg) == 0
            text = pg.locator("#map-empty").inner_text()
            assert "no actors to show you yet" in text and "import" in text  # a visitor: told to sign in too
            assert pg.locator("#map-empty a[href='/login?next=/']").count() == 1
            assert pg.locator("#map-empty a[href='/import']").count() == 1
            assert pg.locator("#problems .problem").count() == 0
        finally:
            pg.context.close()
