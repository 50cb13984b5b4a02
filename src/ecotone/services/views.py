"""Saved map views: a named view of the map (its URL query string) saved by a user and shared by its visibility.

The query is what follows ``?`` in the map's address (``hub=3&type=startup&colour=type&x=0.5&y=0.5&ratio=0.4``):
only the map's own parameters are kept, each checked, so a saved view opens the map and nothing else. Who may see,
change and delete a view is the store's (:mod:`ecotone.store.views`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from ..domain.enums import StakeholderType, TieKind
from ..domain.problems import InputRejected, Problem
from ..store import Atlas
from ..store.views import VISIBILITIES, MapViews

__all__ = ["MAP_PARAMETERS", "MAX_QUERY", "MAX_NAME", "map_query", "visible_views", "read_view", "create_view",
           "update_view", "delete_view", "view_link"]

#: The longest query a view keeps (a map's address is far shorter: a dozen short parameters).
MAX_QUERY = 2000
#: The longest name of a view.
MAX_NAME = 200


def _number(low: float, high: float) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        try:
            number = float(value)
        except ValueError:
            return "must be a number"
        if not math.isfinite(number) or not low <= number <= high:
            return f"must be a number from {low:g} to {high:g}"
        return None
    return check


def _year(value: str) -> str | None:
    return None if re.fullmatch(r"\d{4}", value) and 1800 <= int(value) <= 2100 else "must be a year, such as 2020"


def _choice(words: list[str]) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in words else f"must be one of: {', '.join(words)}"
    return check


def _switch(value: str) -> str | None:
    return None if value.lower() in ("0", "1", "true", "false", "on", "off") else "must be 1 or 0"


def _word(value: str) -> str | None:
    return None if re.fullmatch(r"[a-z_]{1,40}", value) else "must be the name of an attribute, such as type"


def _text(limit: int) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        if len(value) > limit:
            return f"is longer than {limit} characters"
        return "holds a control character" if any(ord(c) < 32 for c in value) else None
    return check


#: The map's URL parameters (the browser's ``window.ecotoneMap.viewQuery()``) → the check of one value (None:
#: fine; else why not). Empty values are allowed: ``kind=`` is "every kind". ``hub``, ``type`` and ``kind`` may
#: repeat (several hubs or types at once).
MAP_PARAMETERS: dict[str, Callable[[str], str | None]] = {
    "hub": _text(300),
    "type": _choice([t.value for t in StakeholderType]),
    "kind": _choice([k.value for k in TieKind]),
    "level": _choice(["auto", "actors", "hubs"]),
    "year": _year,
    "colour": _word,
    "size": _word,
    "ego": _switch,
    "neighbours": _switch,
    "selected": _text(100),
    "x": _number(-1e9, 1e9),
    "y": _number(-1e9, 1e9),
    "ratio": _number(1e-9, 1e9),
    "angle": _number(-1e3, 1e3),
}
_REPEATABLE = {"hub", "type", "kind"}


def map_query(text: str) -> str:
    """The map query of a view, checked: only the map's own parameters, each once (hub, type and kind may
    repeat), with values the map reads; a leading ``?`` or ``/?`` is dropped. Raises :class:`InputRejected`
    naming each parameter that is wrong and why.

    Examples
    --------
    >>> map_query("?hub=3&type=startup&kind=&year=2020&colour=type&x=0.5&y=0.5&ratio=0.4")
    'hub=3&type=startup&kind=&year=2020&colour=type&x=0.5&y=0.5&ratio=0.4'
    >>> try:
    ...     map_query("hub=3&password=x&year=soon")
    ... except InputRejected as exc:
    ...     print(exc)
    column query: password is not a parameter of the map (the map's parameters: hub, type, kind, level, year, colour, size, ego, neighbours, selected, x, y, ratio, angle)
    column query: year must be a year, such as 2020
    """
    def refused(reason: str) -> InputRejected:
        return InputRejected([Problem(column="query", reason=reason)])

    if not isinstance(text, str):
        raise refused("must be the map's query string, such as hub=3&colour=type")
    text = text.strip()
    if len(text) > MAX_QUERY:
        raise refused(f"is {len(text):,} characters long; a view's query may have at most {MAX_QUERY:,}")
    if "://" in text or "#" in text:
        raise refused("give the map's query string (what follows ? in its address), not a whole address")
    text = text.removeprefix("/").removeprefix("?")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True) if text else []
    except ValueError:
        raise refused("is not a query string: write it as name=value pairs joined by &, such as hub=3&colour=type")
    problems: list[Problem] = []
    seen: set[str] = set()
    for name, value in pairs:
        if name not in MAP_PARAMETERS:
            shown = name if len(name) <= 40 else name[:40] + "…"
            problems.append(Problem(column="query", reason=f"{shown} is not a parameter of the map (the map's "
                                                            f"parameters: {', '.join(MAP_PARAMETERS)})"))
            continue
        if name in seen and name not in _REPEATABLE:
            problems.append(Problem(column="query", reason=f"{name} is given more than once"))
        seen.add(name)
        why = MAP_PARAMETERS[name](value) if value != "" else None
        if why:
            problems.append(Problem(column="query", reason=f"{name} {why}"))
    if problems:
        raise InputRejected(problems)
    return urlencode(pairs)


def _name(text: Any) -> str:
    name = text.strip() if isinstance(text, str) else ""
    if not name:
        raise InputRejected([Problem(column="name", reason="cannot be empty: name the view, such as "
                                                           "'Barcelona startups'")])
    if len(name) > MAX_NAME:
        raise InputRejected([Problem(column="name", reason=f"may have at most {MAX_NAME} characters")])
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise InputRejected([Problem(column="name", reason="holds a control character: write it on one line")])
    return name


def _description(text: Any) -> str | None:
    description = (text or "").strip()
    if any((ord(c) < 32 and c not in "\n\r\t") or ord(c) == 127 for c in description):
        raise InputRejected([Problem(column="description", reason="holds a control character")])
    return description or None


def view_link(view: dict[str, Any]) -> str:
    """The map's address of a view: ``/?`` and its query.

    >>> view_link({"query": "hub=3&colour=type"}), view_link({"query": ""})
    ('/?hub=3&colour=type', '/')
    """
    return f"/?{view['query']}" if view["query"] else "/"


def _public(view: dict[str, Any]) -> dict[str, Any]:
    return {"id": view["id"], "name": view["name"], "description": view["description"], "query": view["query"],
            "link": view_link(view), "page": f"/views/{view['id']}", "visibility": view["visibility"],
            "hub_id": view["hub_id"], "hub": view["hub"], "author_id": view["author_id"], "author": view["author"],
            "mine": view["mine"], "created_at": view["created_at"].isoformat(),
            "updated_at": view["updated_at"].isoformat(), "version": view["version"]}


def visible_views(atlas: Atlas) -> list[dict[str, Any]]:
    """The views the atlas's principal may see: its own first, then others' by visibility, newest first."""
    return [_public(v) for v in MapViews(atlas).visible()]


def read_view(atlas: Atlas, view_id: int) -> dict[str, Any]:
    """One view the principal may see (else :class:`~ecotone.store.atlas.NotFound`)."""
    return _public(MapViews(atlas).get(view_id))


def _visibility(value: Any) -> str:
    if value not in VISIBILITIES:
        raise InputRejected([Problem(column="visibility", reason=f"must be one of: {', '.join(VISIBILITIES)}")])
    return value


def create_view(atlas: Atlas, *, name: str, query: str, visibility: str = "private", hub_id: int | None = None,
                description: str | None = None) -> dict[str, Any]:
    """Save a view of the map for the principal.

    Parameters
    ----------
    name : str
        What the view is called in lists (at most ``MAX_NAME`` characters).
    query : str
        The map's query string (checked by :func:`map_query`).
    visibility : {"private", "hub", "network", "public"}
        Who sees it: the author alone, the members of ``hub_id``, those and the hubs it shares with, anyone.
    hub_id : int, optional
        The hub of a hub or network view: one of the author's hubs (an admin's: any).
    description : str, optional

    Examples
    --------
    >>> from ecotone.store.accounts import Accounts
    >>> with Atlas.open("sqlite://") as atlas:
    ...     ana = Accounts(atlas).add("ana@example.org", "Ana", "hash", "viewer", hubs=[], organization_id=None)
    ...     view = create_view(atlas.acting_as(Accounts.principal(ana, "api")), name=" Startups ",
    ...                        query="?type=startup")
    ...     view["name"], view["link"], view["visibility"]
    ('Startups', '/?type=startup', 'private')
    """
    view = MapViews(atlas).add(_name(name), map_query(query), _visibility(visibility), hub_id,
                               _description(description))
    return _public(view)


def update_view(atlas: Atlas, view_id: int, changes: dict[str, Any], *,
                expected_version: int | None = None) -> dict[str, Any]:
    """Change a view's name, description, query, visibility or hub (its author, or an admin)."""
    checked = dict(changes)
    if "name" in checked:
        checked["name"] = _name(checked["name"])
    if "query" in checked:
        checked["query"] = map_query(checked["query"])
    if "visibility" in checked:
        checked["visibility"] = _visibility(checked["visibility"])
    if "description" in checked:
        checked["description"] = _description(checked["description"])
    return _public(MapViews(atlas).update(view_id, checked, expected_version=expected_version))


def delete_view(atlas: Atlas, view_id: int, *, expected_version: int | None = None) -> None:
    """Delete a view (its author, or an admin)."""
    MapViews(atlas).remove(view_id, expected_version=expected_version)
