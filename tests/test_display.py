"""How the vocabularies look: one fixed colour per stakeholder type and helix, far enough apart to tell at a
glance (CIEDE2000 computed here from the sRGB values), labels in words, money, and one table for Python and the
browser (the page embeds the very tables of ``ecotone.domain.display``)."""

import enum
import itertools
import json
import math
import re

import pytest
from fastapi.testclient import TestClient

from ecotone.api import create_app
from ecotone.domain import Helix, StakeholderType, display, enums

HEX = re.compile(r"#[0-9A-Fa-f]{6}")
#: The smallest CIEDE2000 difference allowed between two stakeholder types and between two helix sectors. A
#: difference of about 2 is just noticeable side by side; dots on a chart need far more (the table has 18).
TYPE_FLOOR, HELIX_FLOOR = 15.0, 30.0


# -- CIEDE2000 (Sharma, Wu & Dalal 2005), from sRGB through CIE XYZ (D65) -----------------------------------------

def lab(hex_colour: str) -> tuple[float, float, float]:
    """CIELAB (D65) of an sRGB colour."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(int(hex_colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29
    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def ciede2000(lab1, lab2) -> float:
    """The CIEDE2000 colour difference of two CIELAB colours (kL = kC = kH = 1)."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_mean = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_mean ** 7 / (c_mean ** 7 + 25 ** 7)))
    a1p, a2p = a1 * (1 + g), a2 * (1 + g)
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dlp, dcp = l2 - l1, c2p - c1p
    dh = h2p - h1p
    if c1p * c2p == 0:
        dh = 0.0
    elif dh > 180:
        dh -= 360
    elif dh < -180:
        dh += 360
    dhp = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    lp, cp = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        hp = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hp = (h1p + h2p) / 2
    else:
        hp = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(hp - 30)) + 0.24 * math.cos(math.radians(2 * hp))
         + 0.32 * math.cos(math.radians(3 * hp + 6)) - 0.20 * math.cos(math.radians(4 * hp - 63)))
    d_theta = 30 * math.exp(-(((hp - 275) / 25) ** 2))
    rc = 2 * math.sqrt(cp ** 7 / (cp ** 7 + 25 ** 7))
    sl = 1 + 0.015 * (lp - 50) ** 2 / math.sqrt(20 + (lp - 50) ** 2)
    sc, sh = 1 + 0.045 * cp, 1 + 0.015 * cp * t
    rt = -math.sin(math.radians(2 * d_theta)) * rc
    return math.sqrt((dlp / sl) ** 2 + (dcp / sc) ** 2 + (dhp / sh) ** 2 + rt * (dcp / sc) * (dhp / sh))


@pytest.mark.parametrize("one, other, expected", [
    # pairs 1, 7, 17 and 25 of Sharma, Wu & Dalal's test data for CIEDE2000 implementations
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
])
def test_the_colour_difference_is_ciede2000(one, other, expected):
    assert ciede2000(one, other) == pytest.approx(expected, abs=1e-4)
    assert ciede2000(other, one) == pytest.approx(expected, abs=1e-4)


def test_srgb_to_lab_of_known_colours():
    assert lab("#FFFFFF") == pytest.approx((100.0, 0.0, 0.0), abs=0.01)
    assert lab("#000000") == pytest.approx((0.0, 0.0, 0.0), abs=0.01)
    assert lab("#FF0000") == pytest.approx((53.24, 80.09, 67.20), abs=0.05)  # sRGB red in CIELAB (D65)


# -- the tables -------------------------------------------------------------------------------------------------

def test_every_stakeholder_type_and_helix_has_one_colour():
    assert list(display.TYPE_COLOURS) == display.TYPE_ORDER
    assert set(display.TYPE_COLOURS) == set(StakeholderType.choices())
    assert set(display.HELIX_COLOURS) == set(Helix.choices())
    for table in (display.TYPE_COLOURS, display.HELIX_COLOURS, dict(enumerate(display.PALETTE))):
        assert all(HEX.fullmatch(c) for c in table.values()), table
        assert len({c.upper() for c in table.values()}) == len(table), f"two values share a colour: {table}"
    for t in StakeholderType:
        assert display.colour("type", t) == display.colour("type", t.value) == display.TYPE_COLOURS[t.value]
        assert display.colour("type", display.label(t)) == display.TYPE_COLOURS[t.value]  # "Research center" too
    for h in Helix:
        assert display.colour("helix", h.value) == display.HELIX_COLOURS[h.value]


def test_types_are_grouped_by_helix_in_the_legend_order():
    helixes = [enums.helix_of(t).value for t in display.TYPE_ORDER]
    runs = [h for h, _ in itertools.groupby(helixes)]
    assert len(runs) == len(set(runs)), f"a helix's types are not together: {helixes}"


@pytest.mark.parametrize("table, floor", [(display.TYPE_COLOURS, TYPE_FLOOR), (display.HELIX_COLOURS, HELIX_FLOOR)],
                         ids=["types", "helixes"])
def test_colours_are_pairwise_distinguishable(table, floor):
    gaps = sorted((ciede2000(lab(table[a]), lab(table[b])), a, b) for a, b in itertools.combinations(table, 2))
    closest, a, b = gaps[0]
    assert closest >= floor, f"{a} {table[a]} and {b} {table[b]} differ by only ΔE00 {closest:.1f}"


def test_hubs_by_id_take_the_palette_in_order_so_the_first_twenty_differ():
    first = [display.colour("hub", i) for i in range(1, len(display.PALETTE) + 1)]
    assert first == display.PALETTE and len(set(first)) == len(display.PALETTE)
    assert display.colour("hub", len(display.PALETTE) + 1) == display.PALETTE[0]
    assert display.colour("hub", True) == display.colour("hub", "True")  # a flag is text, not an id


def test_other_attributes_hash_to_a_stable_palette_colour():
    names = ["Barcelona Health Hub", "Cambridge–London–Oxford", "Clínic", "ES", "3"]
    shown = [display.colour("hub", n) for n in names]
    assert all(c in display.PALETTE for c in shown)
    assert shown == [display.colour("hub", n) for n in names] == [display.colour("community", n) for n in names]
    assert len({display.colour("hub", f"hub {i}") for i in range(200)}) == len(display.PALETTE)  # all used
    assert display.colour("hub", None) == display.colour("type", None) == display.NONE_COLOUR
    assert display.colour("type", "not a type") == display.TYPE_COLOURS["other"]
    # FNV-1a's published values, so app.js, which computes the same, can be checked against them too
    assert display._fnv1a("a") == 0xE40C292C and display._fnv1a("foobar") == 0xBF9CF968


# -- words ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, words", [
    ("clinical_validation", "Clinical validation"), ("research_center", "Research center"), ("sme", "SME"),
    (StakeholderType.patient_organization, "Patient organization"), ("series_a", "Series A"), ("ipo", "IPO"),
    ("hub_id", "Hub ID"), ("co_participation", "Co-participation"), ("power_authority", "Power authority"),
    ("startup", "Startup"), ("Barcelona Health Hub", "Barcelona Health Hub"), ("manage closely", "manage closely"),
    ("MHRA", "MHRA"), (None, ""), (42, "42"),
])
def test_label(value, words):
    assert display.label(value) == words


def test_every_vocabulary_value_reads_in_words():
    vocabularies = [v for v in vars(enums).values() if isinstance(v, type) and issubclass(v, enums.Vocabulary)
                    and v is not enums.Vocabulary]
    assert len(vocabularies) > 10
    for vocabulary in vocabularies:
        for member in vocabulary:
            words = display.label(member)
            assert "_" not in words and words[:1].isupper(), (vocabulary.__name__, member.value, words)
            assert vocabulary(words) is member or member.value in display.WORDS  # the words read back


@pytest.mark.parametrize("amount, currency, text", [
    (1_500_000_000, "EUR", "EUR 1.5 bn"), (12_300_000, "EUR", "EUR 12.3 M"), (12_000_000, "EUR", "EUR 12.0 M"),
    (350_000, "EUR", "EUR 350 k"), (900, "EUR", "EUR 900"), (1_500, "EUR", "EUR 1.5 k"), (0, "EUR", "EUR 0"),
    (999_999, "EUR", "EUR 1.0 M"), (999_499, "EUR", "EUR 999 k"), (999_949_999, "EUR", "EUR 999.9 M"),
    (2_500_000, "usd", "USD 2.5 M"), (3e12, "GBP", "GBP 3000.0 bn"), (-40_000, "EUR", "EUR -40 k"),
    (1_250_000, "EUR", "EUR 1.3 M"), (-0.4, "EUR", "EUR 0"), (620_000_000.0, None, "EUR 620.0 M"),
    (None, "EUR", ""), (float("nan"), "EUR", ""),
])
def test_money(amount, currency, text):
    assert display.money(amount, currency) == text


# -- one table for Python and the browser -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with TestClient(create_app(str(tmp_path_factory.mktemp("display") / "atlas.db"))) as c:
        yield c


@pytest.mark.parametrize("path", ["/hubs", "/stakeholders", "/login", "/records", "/hubs/999"])
def test_every_page_embeds_the_display_tables(client, path):
    page = client.get(path).text
    found = re.search(r'<script type="application/json" id="ecotone-display">(.*?)</script>', page, re.S)
    assert found, f"{path} does not embed the display tables"
    embedded = json.loads(found.group(1))
    assert embedded == json.loads(json.dumps(display.tables()))
    assert embedded["type"] == display.TYPE_COLOURS and embedded["helix"] == display.HELIX_COLOURS
    # before app.js, which reads it as it loads
    assert page.index('id="ecotone-display"') < page.index('src="/static/app.js"')


def test_tables_are_plain_json():
    tables = display.tables()
    assert json.loads(json.dumps(tables)) == tables
    assert not any(isinstance(v, enum.Enum) for v in tables["type_order"])
