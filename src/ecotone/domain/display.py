"""How the vocabularies look to people: one fixed colour per stakeholder type and helix, labels in words, money.

Every page, chart and report draws a stakeholder type in the same colour, so a manager who learnt that hospitals
are green on the map finds them green on the power–interest grid, the hub dashboard and the report. The browser
gets these tables from the server (``base.html`` embeds :func:`tables` as JSON, ``static/app.js`` reads it), so
there is one source of truth.

The colours
-----------
The four helix sectors take four Okabe–Ito colours (Okabe & Ito 2008, *Color Universal Design*), which stay
apart for readers with any of the common colour-vision deficiencies: academia blue, industry orange,
government bluish green, civil society reddish purple.

The seventeen stakeholder types are grouped by their helix (:data:`ecotone.domain.enums.HELIX_OF`), so related
types are related hues: academia in blues, government and healthcare providers in greens and teals, industry and
its intermediaries in warm hues (orange, yellow, vermillion, reds, browns, black for hub operators), patient
organisations in purple and *other* in grey. The colours are taken from Okabe–Ito and Tableau 10/20 (Stone,
Tableau Software, 2016) and were chosen by a search over those palettes that maximised the smallest CIEDE2000
difference between any two types: the closest pair (incubator pink and accelerator red) differs by ΔE₀₀ ≈ 18
for normal colour vision, where 2 is a just-noticeable difference (``tests/test_display.py`` holds the floor).
Seventeen categories cannot all stay apart under colour-vision deficiencies; there the legend, tooltips and the
type's name written beside highlighted actors carry the difference, and the helix colours stay apart.

A hub given by its id takes :data:`PALETTE` in id order, so the first twenty hubs never share a colour. Any other
attribute (community, country, tie kind …) takes a colour from :data:`PALETTE` by a stable hash of its text (32-bit
FNV-1a over UTF-8, the same in ``app.js``), so the same value has the same colour everywhere.
"""

from __future__ import annotations

import enum
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .enums import Helix, StakeholderType

__all__ = ["TYPE_COLOURS", "HELIX_COLOURS", "PALETTE", "NONE_COLOUR", "TYPE_ORDER", "WORDS", "colour", "label",
           "money", "tables"]

#: One colour per stakeholder type, grouped by helix (see the module's notes on how they were chosen).
TYPE_COLOURS: dict[str, str] = {
    # academia: blues
    StakeholderType.university.value: "#0072B2",            # Okabe–Ito blue
    StakeholderType.research_center.value: "#56B4E9",       # Okabe–Ito sky blue
    # industry and its intermediaries: warm hues
    StakeholderType.startup.value: "#E69F00",               # Okabe–Ito orange
    StakeholderType.sme.value: "#F0E442",                   # Okabe–Ito yellow
    StakeholderType.corporate.value: "#D55E00",             # Okabe–Ito vermillion
    StakeholderType.investor.value: "#7B2D26",              # maroon
    StakeholderType.notified_body.value: "#8C6D31",         # Tableau 20b ochre
    StakeholderType.incubator.value: "#FF9DA7",             # Tableau 10 pink
    StakeholderType.accelerator.value: "#E15759",           # Tableau 10 red
    StakeholderType.industry_association.value: "#79706E",  # Tableau 20 warm grey
    StakeholderType.hub_operator.value: "#000000",          # Okabe–Ito black
    # government and healthcare providers: greens and teals
    StakeholderType.hospital.value: "#009E73",              # Okabe–Ito bluish green
    StakeholderType.clinic.value: "#8CD17D",                # Tableau 20 light green
    StakeholderType.government.value: "#006D2C",            # dark green
    StakeholderType.regulator.value: "#86BCB6",             # Tableau 20 light teal
    # civil society
    StakeholderType.patient_organization.value: "#B07AA1",  # Tableau 10 purple
    StakeholderType.other.value: "#BAB0AC",                 # Tableau 10 grey
}

#: One colour per helix sector (Okabe–Ito, safe for the common colour-vision deficiencies).
HELIX_COLOURS: dict[str, str] = {
    Helix.academia.value: "#0072B2",
    Helix.industry.value: "#E69F00",
    Helix.government.value: "#009E73",
    Helix.civil_society.value: "#CC79A7",
}

#: The types in legend order: by helix (academia, industry, government, civil society), then as declared.
TYPE_ORDER: list[str] = list(TYPE_COLOURS)

#: The colours other attributes are hashed onto (Tableau 20, darker tone first, then Okabe–Ito's extra blues).
PALETTE: list[str] = ["#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F", "#EDC948", "#B07AA1", "#FF9DA7",
                      "#9C755F", "#BAB0AC", "#A0CBE8", "#FFBE7D", "#8CD17D", "#B6992D", "#499894", "#86BCB6",
                      "#F1CE63", "#D37295", "#FABFD2", "#D4A6C8"]

#: The colour of a missing value (an actor without a hub, a tie without a kind).
NONE_COLOUR = "#9AA3B2"

#: Words written differently from their lower-case spelling, and whole values that read better another way.
WORDS: dict[str, str] = {
    "sme": "SME", "smes": "SMEs", "ipo": "IPO", "id": "ID", "ids": "IDs", "eu": "EU", "ec": "EC", "eur": "EUR",
    "kpi": "KPI", "kpis": "KPIs", "url": "URL", "csv": "CSV", "gexf": "GEXF", "png": "PNG", "svg": "SVG",
    "json": "JSON", "html": "HTML", "ai": "AI", "rd": "R&D", "pagerank": "PageRank", "cordis": "CORDIS",
    "pre_seed": "Pre-seed", "series_a": "Series A", "series_b": "Series B", "series_c": "Series C",
    "co_development": "Co-development", "co_participation": "Co-participation",
    "cross_sector_integration": "Cross-sector integration", "open_innovation": "Open-innovation culture",
}

_SNAKE = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")

_ATTRIBUTES = {"type": TYPE_COLOURS, "stakeholder_type": TYPE_COLOURS, "helix": HELIX_COLOURS}


def _text(value: Any) -> str:
    return value.value if isinstance(value, enum.Enum) else str(value)


def _fnv1a(text: str) -> int:
    """32-bit FNV-1a of the text's UTF-8 bytes (``app.js`` computes the same).

    >>> _fnv1a("")
    2166136261
    >>> _fnv1a("a")
    3826002220
    """
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def colour(attribute: str, value: Any) -> str:
    """The colour of a value of an attribute: fixed for ``type`` and ``helix``, a stable palette colour otherwise.

    >>> colour("type", "hospital")
    '#009E73'
    >>> colour("type", StakeholderType.university)
    '#0072B2'
    >>> colour("helix", "Civil society")
    '#CC79A7'
    >>> colour("hub", "Barcelona Health Hub") == colour("hub", "Barcelona Health Hub")
    True
    >>> colour("hub", None)
    '#9AA3B2'

    A hub given by its id takes the palette in id order, so the first twenty hubs never share a colour:

    >>> [colour("hub", i) for i in (1, 2, 21)] == [PALETTE[0], PALETTE[1], PALETTE[0]]
    True
    """
    if value is None or value == "":
        return NONE_COLOUR
    if attribute == "hub" and isinstance(value, int) and not isinstance(value, bool):
        return PALETTE[(value - 1) % len(PALETTE)]
    table = _ATTRIBUTES.get(attribute)
    if table is not None:
        text = _text(value).strip().lower().replace("-", "_").replace(" ", "_")
        return table.get(text, TYPE_COLOURS["other"] if table is TYPE_COLOURS else NONE_COLOUR)
    return PALETTE[_fnv1a(_text(value)) % len(PALETTE)]


def label(value: Any) -> str:
    """A vocabulary value in words for people; text that is not a snake_case value is left as it is.

    >>> label("clinical_validation")
    'Clinical validation'
    >>> label("research_center")
    'Research center'
    >>> label(StakeholderType.sme)
    'SME'
    >>> label("series_a"), label("hub_id"), label("co_development")
    ('Series A', 'Hub ID', 'Co-development')
    >>> label("Barcelona Health Hub"), label(None), label(3)
    ('Barcelona Health Hub', '', '3')
    """
    if value is None:
        return ""
    text = _text(value)
    if not _SNAKE.fullmatch(text):
        return text
    if text in WORDS:
        return WORDS[text]
    words = [WORDS.get(w, w) for w in text.split("_")]
    first = words[0]
    words[0] = first if first != first.lower() else first[:1].upper() + first[1:]
    return " ".join(words)


def _fixed(x: float, digits: int) -> str:
    """``x`` to ``digits`` decimals, half away from zero on its exact value (as JavaScript's toFixed), no "-0".

    >>> _fixed(0.25, 1), _fixed(-2.5, 0), _fixed(-0.04, 1)
    ('0.3', '-3', '0.0')
    """
    text = str(Decimal(abs(x)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
    return ("-" if x < 0 and Decimal(text) != 0 else "") + text


def money(amount: float | int | None, currency: str | None = "EUR") -> str:
    """An amount of money in words people read at a glance: billions, millions and thousands, one decimal.

    >>> money(1_500_000_000)
    'EUR 1.5 bn'
    >>> money(12_300_000), money(12_000_000)
    ('EUR 12.3 M', 'EUR 12.0 M')
    >>> money(350_000), money(1_500), money(900)
    ('EUR 350 k', 'EUR 1.5 k', 'EUR 900')
    >>> money(999_999), money(2_500_000, "usd"), money(-40_000)
    ('EUR 1.0 M', 'USD 2.5 M', 'EUR -40 k')
    >>> money(None), money(float("nan"))
    ('', '')
    """
    if amount is None:
        return ""
    value = float(amount)
    if math.isnan(value):
        return ""
    code = (currency or "EUR").strip().upper()
    size = abs(value)
    if size >= 999_950_000:
        text = f"{_fixed(value / 1e9, 1)} bn"
    elif size >= 999_950:
        text = f"{_fixed(value / 1e6, 1)} M"
    elif size >= 9_999.5:
        thousands = _fixed(value / 1e3, 0)
        text = f"{_fixed(value / 1e6, 1)} M" if abs(int(thousands)) >= 1000 else f"{thousands} k"
    elif size >= 999.5:
        text = f"{_fixed(value / 1e3, 1)} k"
    else:
        text = _fixed(value, 0)
    return f"{code} {text}"


def tables() -> dict[str, Any]:
    """The display tables the browser reads (``base.html`` embeds them; ``Ecotone.colours`` in ``app.js``).

    >>> sorted(tables())
    ['helix', 'none', 'palette', 'type', 'type_order', 'words']
    """
    return {"type": dict(TYPE_COLOURS), "helix": dict(HELIX_COLOURS), "palette": list(PALETTE),
            "none": NONE_COLOUR, "type_order": list(TYPE_ORDER), "words": dict(WORDS)}
