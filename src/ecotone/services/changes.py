"""The audit trail read back: who changed what, when and through what, filtered by record, user and day."""

from __future__ import annotations

from typing import Any

from ..domain.access import Role
from ..domain.parsing import day
from ..store import Atlas
from ..store.atlas import AtlasError, Forbidden, NotSignedIn
from ..store.tables import TABLES
from .dedupe import organization_history

__all__ = ["list_changes", "parse_record", "revert_change", "undo_change_set", "ACTIONS"]

#: What an entry of the history records.
ACTIONS = ("create", "update", "delete", "merge")
#: What else the trail records besides records: accounts, tokens, sharing grants and saved map views.
HISTORIED = ("user", "api_token", "hub_share", "map_view")


def parse_record(text: str) -> tuple[str, int]:
    """``organization:12`` → ``("organization", 12)``.

    Examples
    --------
    >>> parse_record("organization:12"), parse_record("stage_event:3")
    (('organization', 12), ('stage_event', 3))
    """
    kind, sep, number = text.partition(":")
    kind = kind.strip().replace("-", "_")
    if not sep or not number.strip().isdigit() or int(number) >= 2 ** 63:
        raise AtlasError(f"{text!r} is not KIND:ID; for example organization:12 or tie:7")
    return kind, int(number)


def list_changes(atlas: Atlas, *, record: str | None = None, user: str | None = None, since: str | None = None,
                 kind: str | None = None, action: str | None = None, gone: bool = False, limit: int = 200,
                 offset: int = 0) -> dict[str, Any]:
    """Entries of the audit trail, newest first, with how many match.

    Admins see every entry; a hub's manager sees the entries about records they may see (and their own). An
    organisation's history holds those of the organisations merged into it (``ecotone dedupe --merge``).

    Examples
    --------
    >>> from ecotone.domain import Hub
    >>> with Atlas.open("sqlite://") as atlas:
    ...     hub = atlas.add(Hub(name="BioCity Nottingham"))
    ...     hub.city = "Nottingham"
    ...     _ = atlas.update(hub)
    ...     [(c["action"], c["actor"], c["after"].get("city")) for c in list_changes(atlas, record="hub:1")["data"]]
    [('update', 'cli', 'Nottingham'), ('create', 'cli', None)]
    """
    p = atlas.principal
    if not p.signed_in:
        raise NotSignedIn("sign in as a hub manager or an admin to read the history of changes")
    if not (p.is_admin or p.role is Role.manager):
        raise Forbidden(f"{p.actor} may not read the history of changes: that takes a hub manager or an admin")
    kinds: list[str] = []
    record_id = None
    if record:
        entity, record_id = parse_record(record)
        if entity not in TABLES and entity not in HISTORIED:
            raise AtlasError(f"no kind of record is called {entity!r}; kinds: {', '.join(TABLES)}")
        # A hub's history holds the grants of its sharing too (recorded under the granting hub's id)
        kinds = [entity, "hub_share"] if entity == "hub" else [entity]
    elif kind:  # every record of a kind: what was deleted of the organisations lately, say
        entity = kind.strip().replace("-", "_")
        if entity not in TABLES and entity not in HISTORIED:
            raise AtlasError(f"no kind of record is called {kind!r}; kinds: {', '.join(TABLES)}")
        kinds = [entity]
    if action is not None and action not in ACTIONS:
        raise AtlasError(f"no change is a {action!r}; actions: {', '.join(ACTIONS)}")
    query = {"actor": user.strip().lower() if user else None, "since": day(since, "since") if since else None,
             "action": action, "limit": limit, "offset": offset}
    if kinds == ["organization"] and record_id is not None:  # with the history of the organisations merged into it
        rows, total = organization_history(atlas, record_id, **query)  # type: ignore[arg-type]
    else:
        rows, total = atlas.trail.entries(kinds=kinds, record_id=record_id, **query)
    if gone:  # only the deletions of records still gone (not restored since): what can be restored
        rows = [r for r in rows if r["action"] == "delete" and r["entity"] in TABLES
                and atlas._row(r["entity"], r["record_id"]) is None]
        total = len(rows)
    return {"data": [_public(r) for r in rows], "count": total}


def _public(row: dict[str, Any]) -> dict[str, Any]:
    # The record's fields before and after; where each changed field's new value came from apart, as ``sources``
    before, after = dict(row["before"] or {}), dict(row["after"] or {})
    before.pop("provenance", None)
    provenance = after.pop("provenance", None) or {}
    sources = {k: provenance[k] for k in after if k in provenance} if row["action"] == "update" else {}
    return {"id": row["id"], "at": row["at"].isoformat(), "actor": row["actor"], "via": row["via"],
            "action": row["action"], "record": f"{row['entity']}:{row['record_id']}", "entity": row["entity"],
            "record_id": row["record_id"], "before": before, "after": after, "sources": sources,
            "note": row["note"], "erased": bool(row["erased"]), "change_set": row.get("batch")}


def revert_change(atlas: Atlas, change_id: int) -> dict[str, Any]:
    """Undo one change of the history (a deletion comes back with all it took with it); the revert is a change
    of its own, recorded in the history. Hub managers and admins revert what they may change, others their own.

    Examples
    --------
    >>> from ecotone.domain import Hub
    >>> with Atlas.open("sqlite://") as atlas:
    ...     hub = atlas.add(Hub(name="BioCity Nottingham"))
    ...     _ = atlas.update(hub.model_copy(update={"city": "Derby"}))
    ...     last = list_changes(atlas, record="hub:1")["data"][0]["id"]
    ...     revert_change(atlas, last)["summary"], atlas.get(Hub, 1).city
    ('Reverted change 2: 1 change written.', None)
    """
    _signed_in(atlas, "revert a change")
    written = atlas.revert(change_id)
    return {"reverted": change_id, "changes": written,
            "summary": f"Reverted change {change_id}: {len(written)} change{'s' if len(written) != 1 else ''} written."}


def undo_change_set(atlas: Atlas, change_set: str) -> dict[str, Any]:
    """Undo a whole change set (an import: the id its report gives): every record it created goes, every record it
    changed gets its values back."""
    _signed_in(atlas, "undo an import")
    written = atlas.undo(change_set)
    return {"undone": change_set, "changes": written,
            "summary": f"Undid change set {change_set}: {len(written)} change{'s' if len(written) != 1 else ''} written."}


def _signed_in(atlas: Atlas, what: str) -> None:
    if not atlas.principal.signed_in:
        raise NotSignedIn(f"sign in to {what}")
