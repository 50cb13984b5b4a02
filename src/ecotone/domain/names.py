"""Organisation names and websites as compared for duplicates: case, accents, punctuation and legal suffixes gone."""

from __future__ import annotations

import functools
import re
import unicodedata
from urllib.parse import urlsplit

__all__ = ["LEGAL_SUFFIXES", "fold", "name_tokens", "normalize_name", "same_name", "website_domain"]

#: Legal-form suffixes removed from the end of a name, as their tokens once punctuation is gone ("S.L." and "SL"
#: alike). Only at the end, and never the whole name: "AB" stays "ab". Sources: the legal forms of the EU member
#: states, the UK, the US, Switzerland, Norway, Singapore, Malaysia, Australia, Japan and Latin America.
LEGAL_SUFFIXES: tuple[str, ...] = (
    # Spain, Portugal, Latin America
    "sl", "s l", "slu", "s l u", "sa", "s a", "sau", "s a u", "sll", "s l l", "slne", "coop", "s coop",
    "lda", "ltda", "sa de cv", "s a de c v", "s de rl", "s de r l", "eireli",
    # Germany, Austria, Switzerland
    "gmbh", "mbh", "ggmbh", "ag", "kg", "kgaa", "ohg", "gbr", "ug", "e v", "ev", "eg", "e g", "se",
    # France, Belgium, Luxembourg
    "sas", "s a s", "sasu", "sarl", "s a r l", "eurl", "sca", "scs", "sprl", "bvba", "asbl", "vzw",
    # Italy
    "spa", "s p a", "srl", "s r l", "srls", "s r l s", "sapa", "scarl", "s c a r l", "onlus",
    # Netherlands
    "bv", "b v", "nv", "n v", "vof", "cv",
    # Nordic countries
    "oy", "oyj", "ab", "publ", "as", "a s", "asa", "aps", "a p s", "ivs", "hf", "ehf",
    # Central and Eastern Europe
    "sp z o o", "spzoo", "sp zoo", "sp k", "sp j", "sp p", "s k a", "sro", "s r o", "spol s r o", "a s",
    "kft", "zrt", "nyrt", "bt", "doo", "d o o", "dd", "d d", "ad", "ood", "eood", "srl", "ou", "uab", "sia",
    # UK, Ireland, US, Commonwealth, Asia
    "ltd", "limited", "plc", "llp", "lp", "llc", "l l c", "pllc", "inc", "incorporated", "corp", "corporation",
    "co", "pty", "pty ltd", "pte", "pte ltd", "sdn bhd", "bhd", "kk", "k k", "gk", "co ltd", "dac", "clg", "cic",
)
_SUFFIXES = {tuple(s.split()) for s in LEGAL_SUFFIXES}
_LONGEST = max(len(s) for s in _SUFFIXES)
# Letters that Unicode does not decompose into a base letter and an accent.
_UNDECOMPOSED = str.maketrans({"ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "þ": "th", "ı": "i",
                               "ħ": "h", "ŧ": "t", "ŀ": "l"})
_SEPARATORS = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """``text`` without case or accents (ł, ø, æ and ß too).

    Examples
    --------
    >>> fold("Hospital Clínic"), fold("Łódź"), fold("Straße"), fold("Ørsted")
    ('hospital clinic', 'lodz', 'strasse', 'orsted')
    """
    text = text.casefold()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_UNDECOMPOSED)


@functools.lru_cache(maxsize=65_536)
def name_tokens(name: str) -> tuple[str, ...]:
    """The words of an organisation's name as compared: folded (:func:`fold`), split at every space or
    punctuation mark, legal suffixes (:data:`LEGAL_SUFFIXES`) removed from the end, however many.

    Examples
    --------
    >>> name_tokens("Medlumics, S.L.")
    ('medlumics',)
    >>> name_tokens("Siemens Healthcare GmbH & Co. KG")
    ('siemens', 'healthcare')
    >>> name_tokens("AB"), name_tokens("AB Volvo (publ)")
    (('ab',), ('ab', 'volvo'))
    """
    tokens = [t for t in _SEPARATORS.split(fold(name)) if t]
    stripped = True
    while stripped:
        stripped = False
        for size in range(min(_LONGEST, len(tokens) - 1), 0, -1):
            if tuple(tokens[-size:]) in _SUFFIXES:
                del tokens[-size:]
                stripped = True
                break
    return tuple(tokens)


def normalize_name(name: str) -> str:
    """An organisation's name as compared for duplicates: its :func:`name_tokens` joined by single spaces.

    Examples
    --------
    >>> normalize_name("Medlumics S.L."), normalize_name("MEDLUMICS"), normalize_name("Medlumics, SL")
    ('medlumics', 'medlumics', 'medlumics')
    >>> normalize_name("Kardio Sp. z o.o."), normalize_name("kardio")
    ('kardio', 'kardio')
    >>> normalize_name("Fraunhofer-Gesellschaft e.V."), normalize_name("Hôpital  Européen   S.A.S.")
    ('fraunhofer gesellschaft', 'hopital europeen')
    """
    return " ".join(name_tokens(name))


def same_name(a: str, b: str) -> bool:
    """Whether two organisation names are the same once normalised (:func:`normalize_name`).

    Examples
    --------
    >>> same_name("Medlumics S.L.", "MEDLUMICS"), same_name("Oryzon Genomics S.A.", "oryzon genomics")
    (True, True)
    >>> same_name("Medlumics", "Medlumix")
    False
    """
    return name_tokens(a) == name_tokens(b)


#: Sites where many organisations have a page: there the first part of the path tells them apart.
_PLATFORMS = {"linkedin.com", "facebook.com", "twitter.com", "x.com", "instagram.com", "youtube.com", "github.com",
              "sites.google.com", "medium.com", "crunchbase.com"}


def website_domain(url: str | None) -> str | None:
    """The site a website address names, as compared for duplicates: host in lower case without ``www.`` (and,
    on platforms such as LinkedIn, with the page's path); None when it names no host.

    Examples
    --------
    >>> website_domain("https://www.Medlumics.com/en/about"), website_domain("medlumics.com")
    ('medlumics.com', 'medlumics.com')
    >>> website_domain("http://linkedin.com/company/medlumics/"), website_domain("n/a")
    ('linkedin.com/company/medlumics', None)
    """
    if not url or not url.strip():
        return None
    text = url.strip()
    if "//" not in text:
        text = "//" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return None
    if "." not in host or " " in host:
        return None
    host = re.sub(r"^www\d*\.", "", host)
    if host in _PLATFORMS:
        path = "/".join([p for p in parts.path.lower().split("/") if p][:2])
        return f"{host}/{path}" if path else host
    return host
