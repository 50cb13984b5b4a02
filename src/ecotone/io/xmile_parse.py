"""XMILE files parsed safely, with the line each element starts on, and the vendor prefixes tools forget to declare.

xmutil (Vensim's XMILE converter) writes ``<isee:prefs>`` and ``isee:simulation_delay="0"`` without declaring the
``isee`` prefix, which makes the file not namespace-well-formed: a strict parser refuses it outright. Stella and
PySD read such files, so Ecotone does too: the missing prefixes are declared on the root element before parsing
(on the same line, so line numbers do not move) and the caller is told in a warning.

Parsing goes through :mod:`defusedxml`, so a file cannot expand entities or reach out to the network.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

__all__ = ["KNOWN_PREFIXES", "ParsedXml", "declare_prefixes", "parse_xml"]

#: Where the vendor prefixes met in real files point (isee systems' and the Simlab namespace of older Stella files).
KNOWN_PREFIXES = {"isee": "http://iseesystems.com/XMILE", "simlab": "http://simlab.com/XMILE"}

_USED = re.compile(r"</?([A-Za-z_][\w.-]*):[A-Za-z_]|\s([A-Za-z_][\w.-]*):[A-Za-z_][\w.-]*\s*=")
_DECLARED = re.compile(r"xmlns:([A-Za-z_][\w.-]*)\s*=")
_ROOT = re.compile(r"<(?![?!])[A-Za-z_][\w.:-]*")


@dataclass
class ParsedXml:
    """A parsed document: its root, the line of every element, and what had to be repaired on the way."""

    root: ET.Element
    lines: dict[int, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def line(self, el: ET.Element | None) -> int | None:
        """The line (1-based) the element starts on."""
        return None if el is None else self.lines.get(id(el))


def declare_prefixes(text: str) -> tuple[str, list[str]]:
    """Declare on the root element the namespace prefixes the document uses but never declares.

    Examples
    --------
    >>> text, missing = declare_prefixes('<xmile xmlns="x"><isee:prefs a="1"/></xmile>')
    >>> text
    '<xmile xmlns:isee="http://iseesystems.com/XMILE" xmlns="x"><isee:prefs a="1"/></xmile>'
    >>> missing
    ['isee']
    """
    used = {a or b for a, b in _USED.findall(text)} - {"xml", "xmlns"}
    missing = sorted(used - set(_DECLARED.findall(text)))
    if not missing:
        return text, []
    root = _ROOT.search(text)
    if root is None:
        return text, []
    declarations = "".join(f' xmlns:{p}="{KNOWN_PREFIXES.get(p, f"urn:undeclared:{p}")}"' for p in missing)
    return text[: root.end()] + declarations + text[root.end():], missing


class _LineParser(DefusedXMLParser):
    """defusedxml's parser, noting the line every element starts on."""

    def __init__(self) -> None:
        super().__init__(target=ET.TreeBuilder(), forbid_dtd=False, forbid_entities=True, forbid_external=True)
        self.lines: dict[int, int] = {}
        expat = self.parser
        start = expat.StartElementHandler

        def on_start(tag, attrs):
            el = start(tag, attrs)
            self.lines[id(el)] = expat.CurrentLineNumber
            return el

        expat.StartElementHandler = on_start


def parse_xml(text: str) -> ParsedXml:
    """Parse an XMILE document; raises :class:`ValueError` with the line and reason when it is not XML.

    Examples
    --------
    >>> doc = parse_xml('<xmile xmlns="urn:x">\\n  <isee:prefs/>\\n</xmile>')
    >>> doc.line(doc.root[0]), doc.warnings
    (2, ['the file uses the namespace prefix isee: without declaring it (as xmutil writes it); read as if it were declared'])
    >>> parse_xml('<xmile>\\n<model>\\n</xmile>')
    Traceback (most recent call last):
    ...
    ValueError: not well-formed XML: mismatched tag: line 3, column 2
    """
    text, missing = declare_prefixes(text)
    warnings = [f"the file uses the namespace prefix {p}: without declaring it (as xmutil writes it); read as if "
                "it were declared" for p in missing]
    parser = _LineParser()
    try:
        parser.feed(text)
        root = parser.close()
    except ET.ParseError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from None
    except DefusedXmlException as exc:
        raise ValueError(f"the file declares XML entities, which Ecotone does not expand for safety ({exc})") from None
    return ParsedXml(root, parser.lines, warnings)
