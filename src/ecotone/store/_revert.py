"""Undo from the audit trail: one change (a deletion with all that went with it), or a whole change set (an
import). A revert is itself a write: checked against the principal's rights and recorded in the trail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..domain import ENTITIES
from ..domain.access import Role
from ._audit import CONTACT_FIELDS, HIDDEN, chunks, plain
from .tables import TABLES, changes

if TYPE_CHECKING:
    from .atlas import Atlas

__all__ = ["Reverter"]

_META = ("id", "version", "provenance")


class Reverter:
    """Puts records back as the audit trail says they were."""

    def __init__(self, atlas: Atlas) -> None:
        self.atlas = atlas

    def _select(self, *where: sa.ColumnElement[bool]) -> list[dict[str, Any]]:
        return [dict(r) for r in self.atlas.execute(sa.select(changes).where(*where).order_by(changes.c.id)).mappings()]

    def revert_change(self, change_id: int, *, note: str | None = None) -> list[int]:
        from .atlas import NotFound
        found = self._select(changes.c.id == change_id) if 1 <= change_id <= 2**31 - 1 else []
        if not found or not self._may_revert(found[0]):
            raise NotFound(f"no change has id {change_id}; list them with: ecotone changes")
        entry = found[0]
        if entry["entity"] in TABLES and entry["id"] < self.atlas.trail.born(entry["entity"], entry["record_id"]):
            from .atlas import Conflict
            raise Conflict(f"change {change_id} was to an earlier {self._label(entry)}, deleted since; the record "
                           "that has this id now is another one", version=0)
        if entry["action"] == "merge" and entry["batch"]:  # a merge goes back whole
            entries = self._select(changes.c.batch == entry["batch"])
        elif entry["action"] == "delete" and entry["batch"]:
            # A deletion goes back with all it took with it and the references it cleared
            group = self._select(changes.c.batch == entry["batch"])
            entries = [e for e in group if e["action"] == "delete" or (e["action"] == "update" and e["note"]
                                                                        and e["note"].startswith("with "))]
        else:
            entries = [entry]
        return self._revert(entries, note or f"revert of change {change_id}")

    def revert_batch(self, batch: str, *, note: str | None = None) -> list[int]:
        from .atlas import NotFound
        entries = [e for e in self._select(changes.c.batch == batch.strip().lower()) if self._may_revert(e)]
        if not entries:
            raise NotFound(f"no change set is called {batch!r}; imports print theirs, and `ecotone changes` lists them")
        return self._revert(entries, note or f"undo of change set {batch}")

    def _may_revert(self, entry: dict[str, Any]) -> bool:
        """Admins and hub managers revert what they may change; anyone else only their own changes."""
        p = self.atlas.principal
        return p.is_admin or p.role is Role.manager or entry["actor"] == p.actor

    def _revert(self, entries: list[dict[str, Any]], note: str) -> list[int]:
        from .atlas import AtlasError
        for e in entries:
            if e["erased"]:
                raise AtlasError(f"change {e['id']} was erased on a person's request: it cannot be undone")
            if e["action"] == "create" and "ids" in (e["after"] or {}):
                raise AtlasError(f"change {e['id']} generated records in bulk: delete them instead of reverting")
            if e["entity"] not in TABLES:
                raise AtlasError(f"change {e['id']} is about {e['entity'].replace('_', ' ')}, not a record: "
                                 "change it with its own command instead")
        # Deleted records come back first, parents before what hangs from them; then the rest, newest first
        ordered = sorted((e for e in entries if e["action"] == "delete"), key=lambda e: e["id"]) + \
            sorted((e for e in entries if e["action"] != "delete"), key=lambda e: -e["id"])
        atlas = self.atlas
        with atlas.transaction(), atlas.trail.change_set() as batch:
            run: list[dict[str, Any]] = []  # records one change created, of one kind: deleted together
            for e in ordered:
                if run and (e["action"] != "create" or e["entity"] != run[0]["entity"]):
                    self._undo_creates(run, note)
                    run = []
                if e["action"] == "create":
                    run.append(e)
                else:
                    getattr(self, f"_undo_{e['action']}")(e, note)
            if run:
                self._undo_creates(run, note)
            return list(atlas.execute(sa.select(changes.c.id).where(changes.c.batch == batch)
                                      .order_by(changes.c.id)).scalars())

    # -- one entry each ------------------------------------------------------------------------------------
    def _label(self, e: dict[str, Any]) -> str:
        return f"{e['entity'].replace('_', ' ')} {e['record_id']}"

    def _undo_merge(self, e: dict[str, Any], note: str) -> None:
        """Nothing of its own: the records it moved and deleted come back from the other entries of its set."""

    def _undo_delete(self, e: dict[str, Any], note: str) -> None:
        from .atlas import Conflict, record_to_row, row_to_record
        atlas, entity = self.atlas, e["entity"]
        if (current := atlas._row(entity, e["record_id"])) is not None:
            raise Conflict(f"{self._label(e)} exists again: nothing to restore", version=int(current["version"]))
        before = dict(e["before"] or {})
        for name in CONTACT_FIELDS.get(entity, ()):
            if before.get(name) == HIDDEN:
                before[name] = None  # contact details are never kept in the trail: they cannot come back
        row = record_to_row(row_to_record(ENTITIES[entity], before))
        row.update(id=e["record_id"], version=int(before.get("version") or 0) + 1,
                   provenance=before.get("provenance") or {})
        atlas.authorize("create", entity, row)
        atlas._check_references(entity, row)
        table = TABLES[entity]
        atlas.execute(sa.insert(table).values(**row))
        atlas.trail.created(entity, [row], note=note)

    def _undo_creates(self, run: list[dict[str, Any]], note: str) -> None:
        """Delete the records these entries created (those still there), unless one was changed since or has
        records added since hanging from it."""
        from .atlas import Conflict
        atlas, entity = self.atlas, run[0]["entity"]
        table = TABLES[entity]
        wanted = {e["record_id"]: e for e in run}
        current = {r["id"]: dict(r) for chunk in chunks(wanted) for r in atlas.execute(
            sa.select(table).where(table.c.id.in_(chunk))).mappings()}  # those deleted since: already undone
        for record_id, row in current.items():
            e = wanted[record_id]
            changed = [k for k, v in (e["after"] or {}).items() if k not in _META and not self._same(entity, k, row, v)]
            if changed:
                raise Conflict(f"{self._label(e)} was changed since it was created ({', '.join(changed)}): revert "
                               "those changes first", version=int(row["version"]))
        later = atlas.trail._cascade(entity, current) if current else []
        if later:
            what = ", ".join(f"{len(rows)} {kind.replace('_', ' ')}" for kind, rows in later)
            where = self._label(run[0]) if len(run) == 1 else f"{len(current)} {entity.replace('_', ' ')} records"
            raise Conflict(f"{where} now have {what} added since; revert or delete those first", version=0)
        if current:
            atlas.delete_many(ENTITIES[entity], current, note=note)

    def _undo_update(self, e: dict[str, Any], note: str) -> None:
        from .atlas import Conflict, record_to_row, row_to_record
        atlas, entity = self.atlas, e["entity"]
        current = atlas._row(entity, e["record_id"])
        if current is None:
            raise Conflict(f"{self._label(e)} was deleted since: restore it first", version=0)
        before, after = e["before"] or {}, e["after"] or {}
        fields = [k for k in after if k not in _META and before.get(k) != HIDDEN]
        moved = [k for k in fields if not self._same(entity, k, current, after[k])]
        if moved:
            raise Conflict(f"{self._label(e)} was changed since in {', '.join(moved)}: revert the later change "
                           "first, or edit it by hand", version=int(current["version"]))
        restored = record_to_row(row_to_record(ENTITIES[entity], {**current, **{k: before.get(k) for k in fields}}))
        target = {**current, **{k: restored[k] for k in fields if k in restored}}
        for k in fields:
            if k not in restored:  # not a field of the record (helix, derived)
                target[k] = before.get(k)
        if entity == "organization":
            target["helix"] = restored["helix"]
        provenance = None
        if "provenance" in after:  # each reverted field gets back the provenance it had
            provenance = dict(current.get("provenance") or {})
            old = before.get("provenance") or {}
            for k in fields:
                if k in old:
                    provenance[k] = old[k]
                else:
                    provenance.pop(k, None)
        atlas.authorize("change", entity, current)
        atlas.authorize("change", entity, target)
        if not atlas._write_update(entity, current, target, None, note, provenance=provenance):
            raise Conflict(f"{self._label(e)} is being changed by someone else: try again",
                           version=int(current["version"]))

    @staticmethod
    def _same(entity: str, field: str, current: dict[str, Any], value: Any) -> bool:
        if value == HIDDEN and field in CONTACT_FIELDS.get(entity, ()):
            return current.get(field) is not None
        return plain(current.get(field)) == value
