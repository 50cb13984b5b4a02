"""Which references of a record name records that do not exist: its owner, its ids and its lists of ids."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from ..domain import REFERENCES
from .tables import TABLES

__all__ = ["missing_references"]

#: Ids asked for per statement: far below the bound parameters SQLite and PostgreSQL take in one statement.
_CHUNK = 10_000
#: The largest id each backend's INTEGER id columns hold; a larger one cannot name a record (and asking would
#: overflow the driver or the column).
_LARGEST_ID = {"postgresql": 2**31 - 1}
_LARGEST_ID_ELSEWHERE = 2**63 - 1
_OWNER_KINDS = ("organization", "hub")


def _kind(value: Any) -> Any:
    return getattr(value, "value", value)  # an OwnerKind, or its value


def _named(entity: str, row: dict[str, Any]) -> list[tuple[str, str | None, Any]]:
    """(field, entity referred to, id) for each reference ``row`` makes, owner first, then in the order of
    :data:`~ecotone.domain.REFERENCES`; the entity is None when ``owner_kind`` names no kind of record."""
    out: list[tuple[str, str | None, Any]] = []
    if row.get("owner_id") is not None:
        kind = _kind(row.get("owner_kind"))
        out.append(("owner_id", kind if kind in _OWNER_KINDS else None, row["owner_id"]))
    for field, target in REFERENCES[entity].items():
        value = row.get(field)
        if value is None:
            continue
        for item in (value if isinstance(value, list | tuple) else [value]):
            out.append((field, target, item))
    return out


def missing_references(atlas: Any, entity: str, row: dict[str, Any], *,
                       before: dict[str, Any] | None = None) -> list[str]:
    """Why the references of a record of kind ``entity`` (as a table row or a record's fields) do not hold: one
    reason per field and id that names no record, ``[]`` when all of them do.

    ``owner_id`` refers to the hub or organisation its ``owner_kind`` names; every field of
    :data:`~ecotone.domain.REFERENCES` to its entity (``investor_ids`` and ``organization_ids`` id by id). The
    atlas is asked once per kind of record referred to, inside its current transaction (rows written by the same
    import count), whoever its principal is (existence, not visibility). Values that cannot be ids (not a whole
    number, below 1, beyond the backend's INTEGER) are reported without asking.

    Parameters
    ----------
    atlas : Atlas
        Where the referenced records must be.
    entity : str
        The kind of the record (``"deal"``, ``"partnership"``...).
    row : dict
        Its fields; those it lacks or holds as None refer to nothing.
    before : dict, optional
        For an update, the row as stored: references it already made are not checked again, so that a record
        naming one that was deleted since can still be changed in other ways.

    Returns
    -------
    list of str
        ``"FIELD ID: no ENTITY has that id"`` for each reference that does not hold.

    Examples
    --------
    >>> from ecotone.domain import Hub
    >>> from ecotone.store import Atlas
    >>> with Atlas.open("sqlite://") as atlas:
    ...     hub = atlas.add(Hub(name="BioCity Nottingham"))
    ...     missing_references(atlas, "deal", {"hub_id": hub.id, "investor_ids": [7, "x"],
    ...                                        "owner_kind": "hub", "owner_id": 9})
    ['owner_id 9: no hub has that id', 'investor_ids 7: no organization has that id', "investor_ids 'x': not an id (a whole number from 1)"]
    """
    named = _named(entity, row)
    if before is not None:
        kept = set((field, target, repr(value)) for field, target, value in _named(entity, before))
        named = [n for n in named if (n[0], n[1], repr(n[2])) not in kept]
    if not named:
        return []
    largest = _LARGEST_ID.get(atlas.dialect, _LARGEST_ID_ELSEWHERE)
    wanted: dict[str, set[int]] = defaultdict(set)
    for _, target, value in named:
        if target is not None and _is_id(value, largest):
            wanted[target].add(value)
    found = {target: _existing(atlas, target, ids) for target, ids in wanted.items()}
    reasons: list[str] = []
    for field, target, value in named:
        if target is None:
            reason = (f"{field} {value!r}: owner_kind {_kind(row.get('owner_kind'))!r} names no kind of record "
                      f"(use one of: {', '.join(_OWNER_KINDS)})")
        elif not isinstance(value, int) or isinstance(value, bool):
            reason = f"{field} {value!r}: not an id (a whole number from 1)"
        elif value in found.get(target, ()):
            continue
        else:  # not there, or out of any id's range
            reason = f"{field} {value}: no {target.replace('_', ' ')} has that id"
        if reason not in reasons:
            reasons.append(reason)
    return reasons


def _is_id(value: Any, largest: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= largest


def _existing(atlas: Any, entity: str, ids: set[int]) -> set[int]:
    """Which of ``ids`` records of ``entity`` have (one statement, unless there are more than ``_CHUNK``)."""
    table = TABLES[entity]
    wanted = sorted(ids)
    out: set[int] = set()
    for start in range(0, len(wanted), _CHUNK):
        stmt = sa.select(table.c.id).where(table.c.id.in_(wanted[start:start + _CHUNK]))
        out.update(atlas.execute(stmt).scalars())
    return out
