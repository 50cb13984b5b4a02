"""The report's pictures: the network drawn at the map's positions and the power–interest grids, read back as
images (size, ink, the stakeholder types' colours), in words (alternative text, legend, quadrant names), on an
atlas with hubs and on atlases without (grouped by country, else community), and opened in Chromium."""

from __future__ import annotations

import base64
import io
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import CORDIS_HE
from ecotone.analysis.brokerage import GROUPINGS
from ecotone.domain import Organization, Tie
from ecotone.domain.display import TYPE_COLOURS, label
from ecotone.io.charts import network_chart, tie_raster
from ecotone.services.report import write_report
from ecotone.store import Atlas
from test_web import browser  # noqa: F401  (the fixture: Debian's chromium, or a skip in words)
from test_web import ARTIFACTS, FLAGS  # noqa: F401

BARCELONA = "Barcelona Health Hub"


class _Images(HTMLParser):
    """Every <img> of a page with its attributes, and the text of each section (by its heading)."""

    def __init__(self):
        super().__init__()
        self.images, self.sections, self._heading = [], {}, None
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append({**dict(attrs), "section": self._heading})
        self._in_h2 = tag == "h2"

    def handle_endtag(self, tag):
        self._in_h2 = False if tag == "h2" else self._in_h2

    def handle_data(self, data):
        if self._in_h2:
            self._heading = data
            self.sections[data] = []
        elif self._heading:
            self.sections[self._heading].append(data)


def _read(html: str) -> _Images:
    page = _Images()
    page.feed(html)
    return page


def _pixels(img: dict) -> np.ndarray:
    """The picture of an <img> with a PNG data URL, decoded: (height, width, 3) bytes."""
    prefix = "data:image/png;base64,"
    assert img["src"].startswith(prefix)
    png = Image.open(io.BytesIO(base64.b64decode(img["src"][len(prefix):])))
    assert png.format == "PNG"
    return np.asarray(png.convert("RGB"))


def _count(pixels: np.ndarray, hex_colour: str, tolerance: int = 6) -> int:
    """How many pixels are (almost exactly) this colour."""
    rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int(np.count_nonzero(np.abs(pixels.astype(int) - rgb).max(axis=2) <= tolerance))


def _ink(pixels: np.ndarray) -> float:
    """The share of pixels that are not white."""
    return float(np.mean(pixels.min(axis=2) < 245))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo atlas (SQLite file) and its report, whole and focused on Barcelona."""
    from ecotone.services.demo import build_demo

    folder = tmp_path_factory.mktemp("report")
    with Atlas.open(str(folder / "demo.db")) as atlas:
        build_demo(atlas)
        whole = write_report(atlas, folder / "report.html")
        focused = write_report(atlas, folder / "bcn.html", hub=BARCELONA)
        counts = {t: atlas.count(Organization, type=t) for t in TYPE_COLOURS}
        barcelona = atlas.count(Organization, hub=BARCELONA)
        yield {"whole": whole, "focused": focused, "counts": counts, "barcelona": barcelona}


def test_the_report_draws_the_network_in_the_types_colours(demo):
    html = demo["whole"].read_text(encoding="utf-8")
    page = _read(html)
    network = [img for img in page.images if img["section"] == "The network"]
    assert len(network) == 1
    img = network[0]
    pixels = _pixels(img)
    assert pixels.shape == (int(img["height"]), int(img["width"]), 3) == (750, 1100, 3)
    assert _ink(pixels) > 0.03  # dots and lines, not an empty frame
    counts = demo["counts"]
    # Every stakeholder type with a few actors shows in its own colour (legend dots alone are ~50 pixels).
    for kind in ("startup", "hospital", "investor", "university", "incubator", "regulator"):
        assert counts[kind] >= 5
        assert _count(pixels, TYPE_COLOURS[kind]) > 150, kind
    # A colour no type has is absent: the colours are the fixed table's, not a palette of the picture's own.
    assert _count(pixels, "#ff00ff") == 0
    # The alternative text says what is drawn, the legend's types in words with their counts, and who is named.
    alt = img["alt"]
    total = sum(counts.values())
    assert alt.startswith(f"The network: {total} actors and ")
    assert f"Startup ({counts['startup']})" in alt and f"Research center ({counts['research_center']})" in alt
    assert "research_center" not in alt and "hub_operator" not in alt
    named = alt.split("named where the name fits: ", 1)[1].rstrip(".").split(", ")
    central = re.findall(r"<tr><td>([^<]+)</td>", html.split("<h2>Central players</h2>", 1)[1].split("<h2>")[0])
    assert len(named) == 12 and named == central[:12]
    caption = " ".join(page.sections["The network"])
    assert "laid out as on the map" in caption and "coloured by stakeholder type" in caption


def test_the_focused_network_colours_the_hub_and_pales_the_rest(demo):
    whole = _pixels(next(i for i in _read(demo["whole"].read_text()).images if i["section"] == "The network"))
    focused_page = _read(demo["focused"].read_text())
    img = next(i for i in focused_page.images if i["section"] == "The network")
    focused = _pixels(img)
    assert _ink(focused) > 0.03
    # Fewer startups in colour (Barcelona's only), and the rest still drawn (pale): the picture is not emptier.
    assert 0 < _count(focused, TYPE_COLOURS["startup"]) < 0.6 * _count(whole, TYPE_COLOURS["startup"])
    assert _ink(focused) > 0.6 * _ink(whole)
    assert f"the actors of {BARCELONA} in colour and the rest pale" in img["alt"]


def test_the_power_interest_grids_are_pictures_with_quadrants_and_names(demo):
    page = _read(demo["whole"].read_text(encoding="utf-8"))
    grids = [img for img in page.images if img["section"] == "Power–interest grid"]
    assert len(grids) == 1
    pixels = _pixels(grids[0])
    assert pixels.shape[1] >= 1000 and _ink(pixels) > 0.03
    assert _count(pixels, TYPE_COLOURS["startup"]) > 100 and _count(pixels, TYPE_COLOURS["hospital"]) > 30
    assert _count(pixels, "#c3c9d4", tolerance=3) > 200  # the dashed cross at 0.5 in every panel
    alt = grids[0]["alt"]
    assert alt.startswith(f"Power–interest grids of {BARCELONA}, ")
    for name, where in (("manage closely", "top right"), ("keep informed", "top left"),
                        ("keep satisfied", "bottom right"), ("monitor", "bottom left")):
        assert f"{name} {where}" in alt
    note = " ".join(page.sections["Power–interest grid"])
    assert "manage closely" in note and "keep satisfied" in note and "keep informed" in note and "monitor" in note
    # Focused: one large panel, every Barcelona actor placed, the twelve to act on first named.
    focused = _read(demo["focused"].read_text(encoding="utf-8"))
    img = next(i for i in focused.images if i["section"] == "Power–interest grid")
    assert f"of {BARCELONA}: {demo['barcelona']} actors placed" in img["alt"]
    named = img["alt"].split("named where the name fits: ", 1)[1].rstrip(".").split(", ")
    priority = re.findall(r"<tr><td>[^<]*</td><td>([^<]+)</td>",
                          demo["focused"].read_text().split("<h2>Priority list</h2>", 1)[1].split("<h2>")[0])
    assert named == priority[:12]


def test_the_report_speaks_words_and_money(demo):
    html = demo["whole"].read_text(encoding="utf-8")
    tables = html.split("<h2>Priority list</h2>", 1)[1]
    cells = re.findall(r"<td>([^<]*)</td>", tables)
    for value in ("research_center", "hub_operator", "industry_association", "clinical_validation"):
        assert value not in cells
    assert label("hospital") in cells and label("hub_operator") in cells and label("regulator") in cells
    assert re.search(r"<td[^>]*>EUR \d+(\.\d)? (k|M|bn)</td>", tables)
    headings = re.findall(r"<th>([^<]*)</th>", tables)
    assert "z_total" not in headings and "hub_a" not in headings and "power_authority" not in headings
    assert {"Authority", "Resources", "Position", "z-score (total)", "Hub A"} <= set(headings)


def test_a_report_without_hubs_groups_by_country_and_says_so(tmp_path):
    from ecotone.services.imports import import_files

    with Atlas.open(str(tmp_path / "cordis.db")) as atlas:
        import_files(atlas, "cordis", [CORDIS_HE])
        assert atlas.counts()["hub"] == 0
        html = write_report(atlas, tmp_path / "report.html").read_text(encoding="utf-8")
    page = _read(html)
    brokers = " ".join(page.sections["Top brokers between countries"])
    assert GROUPINGS["country"] in brokers and "grouped by country" in GROUPINGS["country"]
    assert "Who is where: actors per country and stakeholder type" in page.sections
    assert "Ecotone network report: the whole atlas" in html
    # The tables name countries where they would name the missing hubs, and the grid has all actors.
    section = html.split("<h2>Top brokers between countries</h2>", 1)[1].split("<h2>", 1)[0]
    assert "<th>Country</th>" in section and re.search(r"<td>[A-Z]{2}</td>", section)
    central = html.split("<h2>Central players</h2>", 1)[1].split("<h2>", 1)[0]
    assert "<th>Country</th>" in central and "(no hub)" not in central
    assert len(re.findall(r"<tr><td>", central)) == 20
    bridges = html.split("<h2>Bridges between countries</h2>", 1)[1].split("<h2>", 1)[0]
    assert "<th>Country A</th><th>Country B</th>" in bridges
    assert re.search(r"<tr><td>[A-Z]{2}</td><td>[A-Z]{2}</td><td>[^<]+</td><td>[A-Z]{2}</td>", bridges)
    grid = next(i for i in page.images if i["section"] == "Power–interest grid")
    assert grid["alt"].startswith("Power–interest grid of All actors: 92 actors")
    network = next(i for i in page.images if i["section"] == "The network")
    assert _ink(_pixels(network)) > 0.03


def test_a_report_without_hubs_or_countries_groups_by_community(tmp_path):
    with Atlas.open(str(tmp_path / "atlas.db")) as atlas:
        ids = [atlas.add(Organization(name=f"Lab {i}", type="university")).id for i in range(8)]
        pairs = [(a, b) for group in (ids[:4], ids[4:]) for k, a in enumerate(group) for b in group[k + 1:]]
        for a, b in [*pairs, (ids[0], ids[4])]:
            atlas.add(Tie(source_id=a, target_id=b, kind="partnership"))
        html = write_report(atlas, tmp_path / "report.html").read_text(encoding="utf-8")
    assert GROUPINGS["community"] in html and "grouped by their Leiden community" in GROUPINGS["community"]
    assert "<h2>Top brokers between communities</h2>" in html
    brokers = html.split("<h2>Top brokers between communities</h2>", 1)[1].split("<h2>", 1)[0]
    listed = re.findall(r"<tr><td>([^<]+)</td><td>community \d+</td>", brokers)
    assert listed and set(listed) <= {"Lab 0", "Lab 4"}  # the ends of the one tie between the communities


def test_tie_raster_counts_each_tie_once_in_every_pixel_it_crosses():
    """The vectorised rasteriser against a plain loop over the ties (in small chunks, so chunking is tried)."""
    rng = np.random.default_rng(3)
    a, b = rng.random((300, 2)) * [50, 30], rng.random((300, 2)) * [50, 30]
    b[:20] = a[:20]  # ties of no length (two actors at one place)
    b[20:40] = a[20:40] + [80, 0]  # ties that leave the picture
    expected = np.zeros((30, 50), dtype=int)
    for p, q in zip(a, b):
        steps = min(int(np.ceil(np.abs(q - p).max())), 2 * (50 + 30)) + 1
        crossed = {tuple(np.floor(p + (q - p) * t).astype(int)) for t in np.linspace(0, 1, steps)}
        for x, y in crossed:
            if 0 <= x < 50 and 0 <= y < 30:
                expected[y, x] += 1
    assert (tie_raster(a, b, 50, 30, chunk=500) == expected).all()
    assert expected.sum() > 3000


def test_the_network_picture_is_two_drawing_calls_however_many_actors(tmp_path):
    """20,000 actors are as many drawing calls as 20: the ties one numpy raster, the actors one scatter, both
    pixels in an SVG (embedded images), so the file has no element per actor or tie."""
    rng = np.random.default_rng(1)
    n, m = 5000, 20000
    out = network_chart(rng.normal(size=n), rng.normal(size=n), [TYPE_COLOURS["startup"]] * n,
                        rng.integers(0, n, (m, 2)), tmp_path / "network.svg", sizes=rng.random(n),
                        labels={0: "First", 1: "Second"}, legend=[("Startup", TYPE_COLOURS["startup"])])
    svg = ET.parse(out).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    assert 1 <= len(list(svg.iter(f"{ns}image"))) <= 2  # matplotlib merges neighbouring rasterised artists
    assert len(list(svg.iter(f"{ns}path"))) + len(list(svg.iter(f"{ns}use"))) < 200


def test_the_report_opens_in_chromium_with_its_pictures_and_words(demo, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(Path(demo["whole"]).as_uri())
        page.wait_for_load_state("load")
        images = page.evaluate("""() => [...document.images].map(i => ({
            alt: i.alt, width: i.naturalWidth, height: i.naturalHeight, complete: i.complete,
            shown: i.getBoundingClientRect().width}))""")
        assert len(images) == 2
        network, grid = images
        assert network["complete"] and (network["width"], network["height"]) == (1100, 750)
        assert grid["complete"] and grid["width"] >= 1000 and grid["height"] > 0
        assert network["alt"].startswith("The network: ") and grid["alt"].startswith("Power–interest grids of ")
        assert 0 < network["shown"] <= 1280  # scaled to the page, never wider than the window
        assert page.locator("h2", has_text="The network").is_visible()
        # one file: nothing asked of the network but the page itself (the pictures are data URLs)
        assert [u for u in requests if not u.startswith(("file://", "data:"))] == []
        assert not errors
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report_pictures.png"), full_page=True)
        raise
    finally:
        context.close()


def test_the_report_accounts_for_every_stated_need(demo):
    """Each need an actor of the demo states has a row saying how the atlas meets it: matched, weak (with its
    score) or no provider anywhere; none is dropped because no offer reads the same."""
    from ecotone.domain import Organization as Org

    html = demo["whole"].read_text(encoding="utf-8")
    section = html.split("<h2>Stated needs and who can meet them</h2>", 1)[1].split("<h2>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", section, re.S)[1:]
    shown = {re.findall(r"<td[^>]*>([^<]*)</td>", r)[0]: re.findall(r"<td[^>]*>([^<]*)</td>", r)[2] for r in rows}
    with Atlas.open(str(demo["whole"].parent / "demo.db")) as atlas:
        stated = {n for o in atlas.find(Org, limit=None).items for n in o.needs}
    assert stated and set(shown) == stated
    assert all(re.match(r"matched: |weak \(0\.\d\d\): resembles |no provider anywhere", how) for how in shown.values())
    assert shown["seed funding"].startswith("matched")
