"""Places as people write them: one name for a city however an address spells it.

Registries write a city the way the post does: CORDIS holds ``PARIS CEDEX 15``, ``KOBENHAVN NV``, ``PRAHA 8``,
``DUBLIN 14``, ``75013 PARIS``, ``GETAFE (MADRID)``, and one city in three languages (``BRUSSEL``, ``BRUXELLES``,
``BRUSSELS``). Grouping actors by city needs them folded to one name: postal districts and CEDEX dropped, a
province in brackets or after a slash dropped, and the common exonyms and transliterations (``MUENCHEN``,
``MUNCHEN``, ``MUNICH``) brought to the English name.
"""
from __future__ import annotations

import re
import unicodedata

#: Spellings (accents and case folded) → the English name. Only names seen in registries or hub lists.
EXONYMS: dict[str, str] = {
    **dict.fromkeys(("brussel", "bruxelles", "brussels", "bruselas"), "Brussels"),
    **dict.fromkeys(("wien", "vienna", "viena"), "Vienna"),
    **dict.fromkeys(("kobenhavn", "koebenhavn", "copenhagen", "copenhague"), "Copenhagen"),
    **dict.fromkeys(("muenchen", "munchen", "munich", "monaco di baviera"), "Munich"),
    **dict.fromkeys(("koeln", "koln", "cologne"), "Cologne"),
    **dict.fromkeys(("nuernberg", "nurnberg", "nuremberg"), "Nuremberg"),
    **dict.fromkeys(("frankfurt am main", "frankfurt/main", "frankfurt a.m.", "frankfurt"), "Frankfurt"),
    **dict.fromkeys(("hannover", "hanover"), "Hannover"),
    **dict.fromkeys(("helsinki", "helsingfors"), "Helsinki"),
    **dict.fromkeys(("goteborg", "goeteborg", "gothenburg"), "Gothenburg"),
    **dict.fromkeys(("lisboa", "lisbon"), "Lisbon"),
    **dict.fromkeys(("madrid", "madride"), "Madrid"),
    **dict.fromkeys(("sevilla", "seville"), "Seville"),
    **dict.fromkeys(("roma", "rome"), "Rome"),
    **dict.fromkeys(("milano", "milan"), "Milan"),
    **dict.fromkeys(("torino", "turin"), "Turin"),
    **dict.fromkeys(("firenze", "florence"), "Florence"),
    **dict.fromkeys(("napoli", "naples"), "Naples"),
    **dict.fromkeys(("genova", "genoa"), "Genoa"),
    **dict.fromkeys(("venezia", "venice"), "Venice"),
    **dict.fromkeys(("praha", "prague"), "Prague"),
    **dict.fromkeys(("warszawa", "warsaw"), "Warsaw"),
    **dict.fromkeys(("krakow", "cracow"), "Krakow"),
    **dict.fromkeys(("athina", "athens", "athinai"), "Athens"),
    **dict.fromkeys(("bucuresti", "bucharest"), "Bucharest"),
    **dict.fromkeys(("beograd", "belgrade"), "Belgrade"),
    **dict.fromkeys(("lefkosia", "nicosia"), "Nicosia"),
    **dict.fromkeys(("den haag", "'s-gravenhage", "s-gravenhage", "the hague"), "The Hague"),
    **dict.fromkeys(("antwerpen", "antwerp", "anvers"), "Antwerp"),
    **dict.fromkeys(("gent", "ghent", "gand"), "Ghent"),
    **dict.fromkeys(("leuven", "louvain"), "Leuven"),
    **dict.fromkeys(("luik", "liege"), "Liège"),
    **dict.fromkeys(("zurich", "zuerich"), "Zurich"),
    **dict.fromkeys(("geneve", "geneva", "genf"), "Geneva"),
    **dict.fromkeys(("tel aviv", "tel-aviv", "tel aviv yafo", "tel aviv-yafo", "tel-aviv yafo"), "Tel Aviv"),
}

_CEDEX = re.compile(r"\bcedex\b.*$")
_BRACKETS = re.compile(r"\s*\(.*?\)\s*")
_POSTCODE = re.compile(r"^\s*[\d-]{4,}\s+|\s+[\d-]{4,}\s*$")   # 75013 PARIS, WARSZAWA 00-950
_DISTRICT = re.compile(r"\s+(\d{1,3}|[nsewkvo]|nv|sv|no|so|nw|sw|ne|se|zuidoost)$")   # DUBLIN 14, KOBENHAVN NV


def _folded(text: str) -> str:
    """Lower case, accents dropped (``ø`` and ``æ`` too), spaces collapsed."""
    text = text.replace("ø", "o").replace("Ø", "o").replace("æ", "ae").replace("Æ", "ae").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).lower().split())


def _title(text: str) -> str:
    """``ALCALA DE HENARES`` → ``Alcala de Henares``: the words of a place name title-cased, its particles not."""
    small = {"de", "del", "la", "las", "los", "di", "da", "do", "dos", "der", "den", "am", "an", "im", "sur",
             "en", "le", "les", "y", "i", "upon", "on"}
    words = text.split()
    return " ".join(w if i and w.lower() in small else w[:1].upper() + w[1:].lower() for i, w in enumerate(words)) \
        if words else text


def city_name(text: object) -> str | None:
    """The one name of a city, however an address writes it; ``None`` for an empty cell.

    >>> [city_name(c) for c in ("PARIS CEDEX 15", "Kobenhavn NV", "KØBENHAVN", "HELSINGFORS", "MADRIDE")]
    ['Paris', 'Copenhagen', 'Copenhagen', 'Helsinki', 'Madrid']
    >>> [city_name(c) for c in ("MUENCHEN", "München", "BRUXELLES", "DUBLIN 14", "75013 PARIS", "PRAHA 8")]
    ['Munich', 'Munich', 'Brussels', 'Dublin', 'Paris', 'Prague']
    >>> [city_name(c) for c in ("GETAFE (MADRID)", "ALCALA DE HENARES/MADRID", "  ", None, "Barcelona")]
    ['Getafe', 'Alcala de Henares', None, None, 'Barcelona']
    """
    if text is None or (isinstance(text, float) and text != text):
        return None
    raw = " ".join(str(text).split())
    if not raw:
        return None
    key = _folded(raw)
    if key in EXONYMS:
        return EXONYMS[key]
    key = _CEDEX.sub("", key).strip()
    key = _BRACKETS.sub(" ", key).strip() or key
    key = key.split("/")[0].strip() or key
    key = _POSTCODE.sub("", key).strip() or key
    key = _DISTRICT.sub("", key).strip() or key
    if key in EXONYMS:
        return EXONYMS[key]
    if _folded(raw) == key:   # nothing dropped: keep the writer's accents
        return _title(raw)
    return _title(key)
