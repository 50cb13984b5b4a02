"""The map's exports: in a real browser on the demo, the PNG (sigma's WebGL layers redrawn by @sigma/export-image,
with the legend), the SVG (the visible actors and ties) and the GEXF of the current view (the year slider and the
ego view applied, the browser's positions); through the API, POST /api/v1/exports/gexf obeying visibility and
refusing bad views in words, on both backends."""

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from fastapi.testclient import TestClient

from conftest import PASSWORD, bearer
from ecotone.api import create_app
from ecotone.domain import Hub, Organization, Tie
from ecotone.domain.display import colour
from test_graph_exports import GEXF, graphology_read, rgb_text
from test_web import _map_ready, browser, page, server  # noqa: F401  (fixtures)

SVG = "{http://www.w3.org/2000/svg}"
EDGE_COLOUR = (0xC7, 0xCC, 0xD1)  # map.js's tie colour on a small map

# -- in the browser ----------------------------------------------------------------------------------------------

# What sigma draws now, read from sigma itself: the nodes and ties its reducers leave visible
VISIBLE = """() => {
  const m = window.ecotoneMap, s = m.sigma, g = m.graph, nodes = {}, edges = [];
  g.forEachNode((key, a) => {
    const d = s.getNodeDisplayData(key);
    if (d && !d.hidden) nodes[key] = { x: a.x, y: a.y, size: d.size, color: d.color, label: a.label };
  });
  g.forEachEdge((key, a, u, v) => {
    const d = s.getEdgeDisplayData(key);
    if (nodes[u] && nodes[v] && d && !d.hidden) edges.push([u, v]);
  });
  return { nodes, edges, level: m.level, legend: m.legend(), dimensions: s.getDimensions(),
           ratio: window.devicePixelRatio || 1 };
}"""


def _open(page, url, query=""):
    page.goto(f"{url}/{query}")
    _map_ready(page)
    page.wait_for_selector("#export-svg")  # map_export.js has filled the export slot
    return page.evaluate(VISIBLE)


def _export(page, kind, folder):
    with page.expect_download() as info:
        page.click(f"#export-{kind}")
    download = info.value
    assert download.suggested_filename == f"ecotone-map.{kind}"
    path = folder / download.suggested_filename
    download.save_as(path)
    page.wait_for_function("(kind) => document.getElementById('map-export-status').textContent.includes(kind)",
                           arg=f".{kind} is downloaded")
    return path


def _rgb(colour: str) -> tuple[int, int, int]:
    h = colour.lstrip("#")
    return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))


def _pixels_near(area: np.ndarray, colour, tolerance=12) -> int:
    return int((np.abs(area.astype(int) - np.array(colour)).max(axis=2) <= tolerance).sum())


def _png(path):
    from PIL import Image

    with Image.open(path) as im:
        assert im.format == "PNG"
        return np.asarray(im.convert("RGB"))


@pytest.mark.browser
def test_png_export_shows_nodes_ties_and_the_legend(server, page, tmp_path):
    """Copying sigma's canvases gave the labels only (its WebGL layers are blank once drawn): the PNG holds the
    nodes in their colours and the ties, on white, with the legend beside the map."""
    url, _ = server
    seen = _open(page, url)
    image = _png(_export(page, "png", tmp_path))
    width = round(seen["dimensions"]["width"] * seen["ratio"])
    assert image.shape[0] >= round(seen["dimensions"]["height"] * seen["ratio"]) and image.shape[1] > width
    picture, legend = image[:, :width], image[:, width:]
    white = (picture == 255).all(axis=2)
    assert white.mean() > 0.5  # a white background, not a transparent (black) one
    assert (~white).sum() > 0.03 * white.size, "the map area is (nearly) blank"
    top = sorted(seen["legend"], key=lambda item: -item["count"])[:5]
    for item in top:  # the commonest colours are all drawn, many pixels each
        assert _pixels_near(picture, _rgb(item["colour"])) > 40, item
    assert _pixels_near(picture, EDGE_COLOUR, 6) > 300  # the ties
    for item in seen["legend"][:12]:  # each swatch of the legend, in its colour
        assert _pixels_near(legend, _rgb(item["colour"]), 6) >= 100, item
    assert _pixels_near(legend, (0x1F, 0x29, 0x33), 60) > 300  # the legend's words


@pytest.mark.browser
def test_png_export_of_the_hub_summary(server, page, tmp_path):
    url, atlas = server
    seen = _open(page, url, "?level=hubs")
    assert seen["level"] == "hubs" and 0 < len(seen["nodes"]) <= atlas.counts()["hub"] + 1
    image = _png(_export(page, "png", tmp_path))
    picture = image[:, :round(seen["dimensions"]["width"] * seen["ratio"])]
    coloured = sum(_pixels_near(picture, _rgb(n["color"])) > 20 for n in seen["nodes"].values())
    assert coloured >= 0.8 * len(seen["nodes"])  # nearly every hub's disc shows (two may share a colour or overlap)


@pytest.mark.browser
def test_svg_export_holds_the_visible_nodes_and_ties_with_their_colours(server, page, tmp_path):
    url, atlas = server
    whole = _open(page, url)
    root = ET.parse(_export(page, "svg", tmp_path)).getroot()  # well-formed XML, an SVG document
    assert root.tag == f"{SVG}svg"
    circles = root.findall(f".//{SVG}g[@class='nodes']/{SVG}circle")
    assert len(circles) == len(whole["nodes"]) == atlas.counts()["organization"]
    assert len(root.findall(f".//{SVG}g[@class='edges']/{SVG}line")) == len(whole["edges"])
    assert sorted(c.get("fill").lower() for c in circles) == sorted(n["color"].lower() for n in whole["nodes"].values())
    width, height = whole["dimensions"]["width"], whole["dimensions"]["height"]
    inside = [c for c in circles if 0 <= float(c.get("cx")) <= width and 0 <= float(c.get("cy")) <= height]
    assert len(inside) > 0.9 * len(circles)  # at their screen positions: the fitted map is on screen
    labels = [t.text for t in root.findall(f".//{SVG}g[@class='labels']/{SVG}text")]
    assert labels and set(labels) <= {n["label"] for n in whole["nodes"].values()}
    legend = root.find(f".//{SVG}g[@class='legend']")
    assert len(legend.findall(f"{SVG}rect")) == min(30, len(whole["legend"]))
    assert whole["legend"][0]["label"] in "".join(legend.itertext())
    # the ego view of a well-connected actor: its partners only
    ego = atlas.organization_id("Barcelona Health Hub")
    seen = _open(page, url, f"?ego=1&selected={ego}")
    root = ET.parse(_export(page, "svg", tmp_path)).getroot()
    circles = root.findall(f".//{SVG}g[@class='nodes']/{SVG}circle")
    assert 1 < len(circles) == len(seen["nodes"]) < len(whole["nodes"])
    assert {c.get("data-key") for c in circles} == set(seen["nodes"])


def _gexf_view(path):
    """A view's GEXF: graphology-gexf's reading, and each tie's start from the XML (a dynamic interval)."""
    got = graphology_read(path)
    starts = {e.get("id"): e.get("start") for e in ET.parse(path).getroot().iter(f"{GEXF}edge")}
    return got, starts


@pytest.mark.browser
def test_gexf_export_is_the_view_with_the_year_and_ego_and_the_browsers_positions(server, page, tmp_path):
    url, atlas = server
    whole = _open(page, url)
    full, _ = _gexf_view(_export(page, "gexf", tmp_path))
    assert len(full["nodes"]) == len(whole["nodes"]) and len(full["edges"]) == atlas.counts()["tie"]

    ego = str(atlas.organization_id("Barcelona Health Hub"))
    _open(page, url, f"?year=2020&ego=1&selected={ego}")
    # a node moved in the browser (as a drag or ForceAtlas2 would): the file has it where the browser has it
    page.evaluate("(key) => window.ecotoneMap.graph.mergeNodeAttributes(key, { x: 12.5, y: -3.25 })", ego)
    seen = page.evaluate(VISIBLE)
    got, starts = _gexf_view(_export(page, "gexf", tmp_path))
    nodes = {n["key"]: n["attributes"] for n in got["nodes"]}
    assert set(nodes) == set(seen["nodes"]) and ego in nodes
    assert 1 < len(nodes) < len(full["nodes"])
    for key, shown in seen["nodes"].items():
        node = nodes[key]
        assert node["label"] == shown["label"]
        assert node["x"] == pytest.approx(shown["x"], rel=1e-6) and node["y"] == pytest.approx(shown["y"], rel=1e-6)
        assert node["size"] == pytest.approx(shown["size"], rel=1e-3)
        assert node["color"] == rgb_text(shown["color"])
    assert (nodes[ego]["x"], nodes[ego]["y"]) == (12.5, -3.25)
    pairs = {frozenset((e["source"], e["target"])) for e in got["edges"]}
    assert pairs == {frozenset(e) for e in seen["edges"]}
    assert 0 < len(got["edges"]) < len(full["edges"])
    assert all(starts[e["key"]] is None or starts[e["key"]] <= "2020-12-31" for e in got["edges"])
    assert any(s and s > "2020-12-31" for s in starts.values()) is False
    # directions as the atlas has them: investments and mentorships directed, partnerships not
    kinds = {e["attributes"]["label"]: e["undirected"] for e in got["edges"]}
    assert all(undirected == (kind == "partnership") for kind, undirected in kinds.items())


@pytest.mark.browser
def test_gexf_export_of_the_hub_summary(server, page, tmp_path):
    url, _ = server
    seen = _open(page, url, "?level=hubs")
    got, _ = _gexf_view(_export(page, "gexf", tmp_path))
    nodes = {n["key"]: n["attributes"] for n in got["nodes"]}
    assert set(nodes) == set(seen["nodes"])
    assert {k: n["label"] for k, n in nodes.items()} == {k: n["label"] for k, n in seen["nodes"].items()}
    assert {frozenset((e["source"], e["target"])) for e in got["edges"]} == {frozenset(e) for e in seen["edges"]}
    assert all(e["undirected"] and e["attributes"]["weight"] >= 1 for e in got["edges"])
    assert sum(n["actors"] for n in nodes.values()) == page.evaluate("window.ecotoneMap.data.summary.actors")


# -- through the API ---------------------------------------------------------------------------------------------

URL = "/api/v1/exports/gexf"


def _world(atlas):
    """Two hubs; in Barcelona two public actors and one its members alone see; a public actor in Texas; ties of
    both visibilities between them; a viewer of Texas and a manager of Barcelona; the app over them."""
    bcn, tmc = atlas.add_all([Hub(name="Barcelona Health Hub", visibility="public"),
                              Hub(name="Texas Medical Center", visibility="public")])
    clinic, kardio, lab, houston = atlas.add_all([
        Organization(name="Hospital Clínic", type="hospital", hub_id=bcn.id, visibility="public"),
        Organization(name="Kardio", type="startup", hub_id=bcn.id, visibility="public"),
        Organization(name="zqhidden lab", type="research_center", hub_id=bcn.id, visibility="hub",
                     owner_kind="hub", owner_id=bcn.id),
        Organization(name="Houston Methodist", type="hospital", hub_id=tmc.id, visibility="public")])
    ties = atlas.add_all([
        Tie(source_id=clinic.id, target_id=kardio.id, kind="partnership", directed=False, start_date="2019-05-01",
            visibility="public"),
        Tie(source_id=kardio.id, target_id=lab.id, kind="co_development", start_date="2021-01-01",
            visibility="public"),
        Tie(source_id=clinic.id, target_id=houston.id, kind="clinical_pilot", start_date="2018-02-01",
            visibility="hub", owner_kind="hub", owner_id=bcn.id),
        Tie(source_id=houston.id, target_id=kardio.id, kind="investment", start_date="2023-03-01",
            visibility="public")])
    headers = {"viewer": bearer(atlas, "viewer@tmc.example", "viewer", [str(tmc.id)]),
               "manager": bearer(atlas, "manager@bcn.example", "manager", [str(bcn.id)])}
    with TestClient(create_app(atlas=atlas)) as client:
        yield client, headers, {"clinic": clinic.id, "kardio": kardio.id, "lab": lab.id, "houston": houston.id,
                                "bcn": bcn.id, "tmc": tmc.id}, {t.kind: t.id for t in ties}


@pytest.fixture
def world(atlas):
    """The small world on each backend (what the caller sees is the atlas's to decide)."""
    yield from _world(atlas)


@pytest.fixture(scope="module")
def sqlite_world(tmp_path_factory):
    """The small world once, on SQLite, for the checks of the request itself (they do not read the database)."""
    from ecotone.store import Atlas

    with Atlas.open(str(tmp_path_factory.mktemp("views") / "atlas.db")) as atlas:
        yield from _world(atlas)


def _view(ids, **extra):
    n = len(ids)
    return {"nodes": {"id": list(ids), "x": [float(i) for i in range(n)], "y": [0.5 * i for i in range(n)],
                      "size": [4.0] * n, "color": ["#0072b2"] * n}, **extra}


def _read(answer):
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/xml")
    assert 'filename="ecotone-map.gexf"' in answer.headers["content-disposition"]
    root = ET.fromstring(answer.content)
    nodes = {n.get("id"): n for n in root.iter(f"{GEXF}node")}
    ties = {int(e.get("id")) for e in root.iter(f"{GEXF}edge")}
    return nodes, ties


def test_a_view_holds_only_what_the_caller_may_see(world):
    client, headers, ids, ties = world
    everyone = [ids["clinic"], ids["kardio"], ids["lab"], ids["houston"]]
    refused = client.post(URL, json=_view(everyone), headers=headers["viewer"])
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert f"not on this map: {ids['lab']}" in problem["detail"] and "not visible to you" in problem["detail"]
    assert problem["errors"][0]["field"] == "nodes.id"
    assert "zqhidden" not in refused.text  # the answer says nothing of what it hides
    seen = [ids["clinic"], ids["kardio"], ids["houston"]]
    nodes, got = _read(client.post(URL, json=_view(seen), headers=headers["viewer"]))
    assert set(nodes) == {str(i) for i in seen}
    assert got == {ties["partnership"], ties["investment"]}  # the Barcelona members' own tie stays hidden
    nodes, got = _read(client.post(URL, json=_view(everyone), headers=headers["manager"]))
    assert set(nodes) == {str(i) for i in everyone} and got == set(ties.values())
    assert nodes[str(ids["lab"])].get("label") == "zqhidden lab"
    anonymous, _ = _read(client.post(URL, json=_view(seen)))  # a visitor sees the public records
    assert set(anonymous) == {str(i) for i in seen}


def test_the_network_export_has_the_server_layout_of_what_the_caller_sees(world):
    """GET /api/v1/exports/gexf (the whole filtered network, no browser): every actor the caller sees, at the
    server layout's position, in the application's colours."""
    client, headers, ids, ties = world
    viz = "{http://gexf.net/1.3/viz}"
    for who, actors, kept in (("viewer", ("clinic", "kardio", "houston"), {"partnership", "investment"}),
                              ("manager", ("clinic", "kardio", "lab", "houston"), set(ties))):
        answer = client.get("/api/v1/exports/gexf", headers=headers[who])
        assert answer.status_code == 200
        root = ET.fromstring(answer.content)
        nodes = {n.get("id"): n for n in root.iter(f"{GEXF}node")}
        assert set(nodes) == {str(ids[a]) for a in actors}
        assert {int(e.get("id")) for e in root.iter(f"{GEXF}edge")} == {ties[k] for k in kept}
        spots = {(n.find(f"{viz}position").get("x"), n.find(f"{viz}position").get("y")) for n in nodes.values()}
        assert len(spots) == len(nodes)  # laid out: no two actors on one spot
        hospital = nodes[str(ids["clinic"])].find(f"{viz}color")
        assert rgb_text(colour("type", "hospital")) == "rgb({},{},{})".format(*(hospital.get(c) for c in "rgb"))


def test_a_view_keeps_the_ties_started_by_its_year_at_the_browsers_positions(world):
    client, headers, ids, ties = world
    everyone = [ids["clinic"], ids["kardio"], ids["lab"], ids["houston"]]
    body = _view(everyone, year=2020, colour="type", size="degree")
    body["nodes"]["color"] = ["#0072b2", "#e69f00", "#009e73", "#abc"]
    nodes, got = _read(client.post(URL, json=body, headers=headers["manager"]))
    assert got == {ties["partnership"], ties["clinical_pilot"]}  # started 2019 and 2018; not 2021 nor 2023
    viz = "{http://gexf.net/1.3/viz}"
    for i, key in enumerate(everyone):
        node = nodes[str(key)]
        position = node.find(f"{viz}position")
        assert (float(position.get("x")), float(position.get("y"))) == (float(i), 0.5 * i)
        assert float(node.find(f"{viz}size").get("value")) == 4.0
    colour = nodes[str(ids["houston"])].find(f"{viz}color")
    assert (colour.get("r"), colour.get("g"), colour.get("b")) == ("170", "187", "204")
    # a hub's own map: only its actors may be in the view
    answer = client.post(URL, json=_view(everyone, hub=[str(ids["bcn"])]), headers=headers["manager"])
    assert answer.status_code == 422 and str(ids["houston"]) in answer.json()["detail"]
    nodes, got = _read(client.post(URL, json=_view([ids["clinic"], ids["kardio"]], hub=["Barcelona Health Hub"]),
                                   headers=headers["manager"]))
    assert got == {ties["partnership"]}


def test_a_view_of_the_hub_summary(sqlite_world):
    client, headers, ids, ties = sqlite_world
    body = {"level": "hubs", "nodes": {"id": [ids["bcn"], ids["tmc"]], "x": [0.0, 1.0], "y": [0.0, 0.0]}}
    nodes, got = _read(client.post(URL, json=body, headers=headers["manager"]))
    assert {k: n.get("label") for k, n in nodes.items()} == {str(ids["bcn"]): "Barcelona Health Hub",
                                                              str(ids["tmc"]): "Texas Medical Center"}
    [edge] = ET.fromstring(client.post(URL, json=body, headers=headers["manager"]).content).iter(f"{GEXF}edge")
    assert edge.get("type") == "undirected" and float(edge.get("weight")) == 2.0  # the pilot and the investment
    [edge] = ET.fromstring(client.post(URL, json=body, headers=headers["viewer"]).content).iter(f"{GEXF}edge")
    assert float(edge.get("weight")) == 1.0  # the viewer does not see the Barcelona members' pilot


@pytest.mark.parametrize("body, field, words", [
    ("{not json", "1", "is not valid JSON"),
    ({"nodes": {"id": [1], "x": [0.0]}}, "nodes.y", "is required"),
    ({"nodes": {"id": [1, 2], "x": [0.0], "y": [0.0, 1.0]}}, "nodes", "1 values of x for 2 ids"),
    ({"nodes": {"id": [], "x": [], "y": []}}, "nodes", "no nodes"),
    ({"nodes": {"id": [1], "x": [0.0], "y": [0.0], "color": ["red"]}}, "nodes.color.0", "'red' is not a colour"),
    ('{"nodes": {"id": [1], "x": [NaN], "y": [0]}}', "nodes.x.0", "must be a number"),
    ({"nodes": {"id": [0], "x": [0.0], "y": [0.0]}}, "nodes.id.0", ""),
    ({"level": "planets", "nodes": {"id": [1], "x": [0.0], "y": [0.0]}}, "level", "actors or hubs"),
    ({"colour": "type", "zoom": 3, "nodes": {"id": [1], "x": [0.0], "y": [0.0]}}, "zoom", "is not a field"),
])
def test_a_malformed_view_is_refused_in_words(sqlite_world, body, field, words):
    client, headers, *_ = sqlite_world
    if isinstance(body, str):
        answer = client.post(URL, content=body.encode(), headers={**headers["manager"],
                                                                  "content-type": "application/json"})
    else:
        answer = client.post(URL, json=body, headers=headers["manager"])
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["title"] == "The request is not valid" and words in problem["detail"]
    assert field in {e["field"] for e in problem["errors"]}


def test_a_view_naming_nodes_twice_or_an_ego_outside_it_is_refused(sqlite_world):
    client, headers, ids, _ = sqlite_world
    twice = _view([ids["clinic"], ids["clinic"]], ego=True, selected=ids["houston"])
    problem = client.post(URL, json=twice, headers=headers["manager"]).json()
    assert problem["status"] == 422
    assert f"{ids['clinic']} given more than once" in problem["detail"]
    assert f"the selected actor {ids['houston']} is not among the view's nodes" in problem["detail"]
    unknown = client.post(URL, json=_view([ids["clinic"], 999_999]), headers=headers["manager"]).json()
    assert unknown["status"] == 422 and "999999" in unknown["detail"]
    assert client.post(URL, json=_view([ids["clinic"]], type=["bank"])).json()["detail"].startswith(
        "'bank' is not a stakeholder type")
    assert client.post(URL, json=_view([ids["clinic"]], hub=["Atlantis"])).json()["status"] == 404


def test_a_view_too_large_is_refused_in_words(sqlite_world):
    client, headers, *_ = sqlite_world
    n = 120_000
    body = json.dumps({"nodes": {"id": list(range(1, n + 1)), "x": [0.123456] * n, "y": [0.123456] * n}})
    answer = client.post(URL, content=body.encode(), headers={**headers["manager"], "content-type": "application/json"})
    assert answer.status_code == 413 and "ECOTONE_MAX_BODY_BYTES" in answer.json()["detail"]


def test_a_browser_session_needs_the_pages_csrf_token(sqlite_world):
    """A cookie-signed POST from another site is refused; the map page's Ecotone.api sends the token."""
    shared, _, ids, _ = sqlite_world
    client = TestClient(shared.app)  # a browser of its own: its cookies stay out of the other tests
    client.get("/")  # the page hands out the CSRF cookie, as a browser's first visit would
    signed = client.post("/login", json={"email": "manager@bcn.example", "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    refused = client.post(URL, json=_view([ids["clinic"]]))
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    token = client.cookies.get("ecotone_csrf")
    assert token
    nodes, _ = _read(client.post(URL, json=_view([ids["clinic"], ids["lab"]]), headers={"x-csrftoken": token}))
    assert str(ids["lab"]) in nodes  # signed in by the session cookie: the manager's own view


