"""Which references of a record name records that do not exist: its owner, its ids and its lists of ids."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from ..domain import REFERENCES
from ._audit import chunks
from .tables import TABLES

__all__ = ["missing_references", "referring"]

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


def referring(atlas: Any, gone: dict[str, set[int]]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """The records whose owner or lists of ids name one of the ``gone`` records (which are not foreign keys, so
    the database does not clear them): (entity, the row as stored, the fields with those references cleared).

    >>> from ecotone.domain import Deal, Organization
    >>> from ecotone.store import Atlas
    >>> with Atlas.open("sqlite://") as atlas:
    ...     a, b = atlas.add_all([Organization(name="Ysios", type="investor"), Organization(name="Dycare", type="startup")])
    ...     _ = atlas.add(Deal(recipient_id=b.id, investor_ids=[a.id], round_type="seed", amount=1e6, currency="EUR"))
    ...     [(e, after) for e, _, after in referring(atlas, {"organization": {a.id}})]
    [('deal', {'investor_ids': []})]
    """
    out: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    owners = {k: v for k, v in gone.items() if k in _OWNER_KINDS}
    for entity, table in TABLES.items():
        lists = [f for f, target in REFERENCES[entity].items() if target in gone and isinstance(table.c[f].type, sa.JSON)]
        # Records owned by one that goes (ten thousand owners a statement), and the few that hold lists of ids
        wheres = [sa.and_(table.c.owner_kind == kind, table.c.owner_id.in_(ids))
                  for kind, owned in owners.items() for ids in chunks(owned)]
        if lists:
            wheres.append(sa.or_(*[sa.func.length(sa.cast(table.c[f], sa.Text)) > 2 for f in lists]))
        seen: set[int] = set()
        for where in wheres:
            for row in atlas.execute(sa.select(table).where(where)).mappings():
                if row["id"] in gone.get(entity, ()) or row["id"] in seen:
                    continue
                seen.add(row["id"])
                cleared: dict[str, Any] = {}
                if row["owner_kind"] in owners and row["owner_id"] in owners[row["owner_kind"]]:
                    cleared.update(owner_kind=None, owner_id=None)
                for f in lists:
                    kept = [i for i in row[f] or [] if i not in gone[REFERENCES[entity][f]]]
                    if kept != list(row[f] or []):
                        cleared[f] = kept
                if cleared:
                    out.append((entity, dict(row), cleared))
    return out
