"""The audit trail: every write to the atlas — who, when, through what, which record, the fields before and after."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .tables import TABLES, changes

if TYPE_CHECKING:
    from .atlas import Atlas

__all__ = ["Trail", "CONTACT_FIELDS", "HIDDEN", "plain", "chunks"]

#: Fields of a person that are personal contact details: the trail says they changed, never what they were.
CONTACT_FIELDS = {"person": ("email",)}
HIDDEN = "(contact details)"


def chunks(ids: Iterable[int], size: int = 10_000) -> Iterator[list[int]]:
    """Ids in sorted chunks a statement's IN can take (far below the bound parameters SQLite allows).

    >>> [len(c) for c in chunks(range(25_000))]
    [10000, 10000, 5000]
    """
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]


def plain(value: Any) -> Any:
    """A value as JSON can hold it (dates in ISO form, enums as their values)."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _redacted(entity: str, row: dict[str, Any]) -> dict[str, Any]:
    out = {k: plain(v) for k, v in row.items()}
    for name in CONTACT_FIELDS.get(entity, ()):
        if out.get(name) is not None:
            out[name] = HIDDEN
    return out


class Trail:
    """Writes the atlas's audit entries, in the transaction of the write they describe, under its principal."""

    def __init__(self, atlas: Atlas) -> None:
        self.atlas = atlas
        self.batch: str | None = None

    @contextmanager
    def change_set(self) -> Iterator[str]:
        """The entries written inside share one change set (its id is yielded): an import, a deletion with what
        went with it, a revert — what is undone together. Nested change sets are the outer one."""
        if self.batch is not None:
            yield self.batch
            return
        self.batch = uuid.uuid4().hex
        try:
            yield self.batch
        finally:
            self.batch = None

    def _entries(self, action: str, entity: str, pairs: Iterable[tuple[int, dict | None, dict | None]],
                 note: str | None) -> list[dict[str, Any]]:
        p = self.atlas.principal
        now = dt.datetime.now(dt.UTC)
        batch = self.batch or uuid.uuid4().hex
        return [{"at": now, "actor": p.actor, "via": p.via, "action": action, "entity": entity, "record_id": rid,
                 "before": before, "after": after, "note": note, "erased": False, "batch": batch}
                for rid, before, after in pairs]

    def _write(self, entries: Sequence[dict[str, Any]]) -> None:
        self.atlas.append_rows(changes, list(entries))

    def created(self, entity: str, rows: Sequence[dict[str, Any]], note: str | None = None) -> None:
        """Records created: each with all its fields."""
        self._write(self._entries("create", entity, ((r["id"], None, _redacted(entity, r)) for r in rows), note))

    def created_range(self, entity: str, first: int, last: int, note: str | None = None) -> None:
        """Records created in bulk (synthetic data), ids ``first`` to ``last``: one entry for them all."""
        self._write(self._entries("create", entity, [(first, None, {"ids": [first, last],
                                                                    "count": last - first + 1})], note))

    def changed(self, entity: str, record_id: int, before: dict[str, Any], after: dict[str, Any],
                note: str | None = None) -> None:
        """A record changed: the fields that differ, before and after (nothing when nothing differs)."""
        self.changed_many(entity, [(record_id, before, after)], note)

    def changed_many(self, entity: str, items: Iterable[tuple[int, dict[str, Any], dict[str, Any]]],
                     note: str | None = None) -> None:
        """Records changed, in one statement."""
        pairs = []
        for record_id, before, after in items:
            old, new = _redacted(entity, before), _redacted(entity, after)
            fields = sorted(k for k in new if k not in ("id", "version") and old.get(k) != new[k]
                            or (k in CONTACT_FIELDS.get(entity, ()) and before.get(k) != after.get(k)))
            if fields:
                pairs.append((record_id, {k: old.get(k) for k in fields}, {k: new[k] for k in fields}))
        self._write(self._entries("update", entity, pairs, note))

    def merged(self, entity: str, survivor: int, loser: int, note: str | None = None) -> None:
        """Record ``loser`` merged into ``survivor`` (what moved is in the entries of the same change set)."""
        self._write(self._entries("merge", entity, [(survivor, None, {"merged_from": f"{entity}:{loser}"})], note))

    def deleted(self, entity: str, rows: Sequence[dict[str, Any]], note: str | None = None) -> dict[str, set[int]]:
        """Records about to be deleted, everything their deletion takes with them (ties, innovations…), and the
        references to them the database clears (``ON DELETE SET NULL``): all that a revert needs to restore them.
        Returns the ids of all the records that go, by kind."""
        entries = self._entries("delete", entity, [(r["id"], _redacted(entity, r), None) for r in rows], note)
        label = f"with {entity.replace('_', ' ')} {rows[0]['id']}" if len(rows) == 1 else \
            f"with {len(rows)} {entity.replace('_', ' ')} records"
        gone: dict[str, set[int]] = {entity: {r["id"] for r in rows}}
        for dep_entity, dep_rows in (self._cascade(entity, [r["id"] for r in rows]) if entity in TABLES else []):
            entries += self._entries("delete", dep_entity, [(r["id"], _redacted(dep_entity, r), None)
                                                            for r in dep_rows], label)
            gone.setdefault(dep_entity, set()).update(r["id"] for r in dep_rows)
        for ref_entity, column, refs in self._cleared(gone):
            entries += self._entries("update", ref_entity, [(r["id"], {column: r[column]}, {column: None})
                                                            for r in refs], label)
        self._write(entries)
        return gone

    def _cleared(self, gone: dict[str, set[int]]) -> list[tuple[str, str, list[dict[str, Any]]]]:
        """The rows whose foreign keys ``ON DELETE SET NULL`` will clear when the ``gone`` records go."""
        out = []
        for ref_entity, table in TABLES.items():
            for fk in table.foreign_keys:
                target = next((e for e, t in TABLES.items() if t is fk.column.table), None)
                if fk.ondelete != "SET NULL" or target not in gone:
                    continue
                col = fk.parent
                rows = [dict(r) for ids in chunks(gone[target]) for r in self.atlas.execute(
                    sa.select(table.c.id, col).where(col.in_(ids))).mappings()]
                rows = [r for r in rows if r["id"] not in gone.get(ref_entity, ())]
                if rows:
                    out.append((ref_entity, col.name, rows))
        return out

    def _cascade(self, entity: str, ids: Iterable[int]) -> list[tuple[str, list[dict[str, Any]]]]:
        """The rows that ``ON DELETE CASCADE`` removes with those records, depth first."""
        out: list[tuple[str, list[dict[str, Any]]]] = []
        parent = TABLES[entity]
        for child_entity, table in TABLES.items():
            for fk in table.foreign_keys:
                if fk.column.table is parent and fk.ondelete == "CASCADE":
                    rows = [dict(r) for chunk in chunks(ids) for r in self.atlas.execute(
                        sa.select(table).where(fk.parent.in_(chunk))).mappings()]
                    if rows:
                        out.append((child_entity, rows))
                        out += self._cascade(child_entity, [r["id"] for r in rows])
        return out

    # -- reading -------------------------------------------------------------------------------------------
    def entries(self, *, kinds: Sequence[str] = (), record_id: int | None = None, actor: str | None = None,
                since: dt.date | None = None, action: str | None = None, limit: int | None = 200, offset: int = 0,
                oldest_first: bool = False) -> tuple[list[dict[str, Any]], int]:
        """Entries of the trail (newest first unless ``oldest_first``) and how many match. An admin's atlas reads
        all; any other principal the entries about records it may see now, and its own."""
        where: list[sa.ColumnElement[bool]] = []
        if kinds:
            where.append(changes.c.entity.in_(list(kinds)))
        if record_id is not None:
            where.append(changes.c.record_id == record_id)
            if kinds:  # not the entries of an earlier record that had this id
                where.append(sa.or_(changes.c.entity != kinds[0], changes.c.id >= self.born(kinds[0], record_id)))
        if actor is not None:
            where.append(changes.c.actor == actor)
        if action is not None:
            where.append(changes.c.action == action)
        if since is not None:
            where.append(changes.c.at >= since)
        stmt = sa.select(changes).where(*where).order_by(changes.c.id if oldest_first else changes.c.id.desc())
        end = None if limit is None else offset + limit
        if self.atlas.principal.is_admin:
            total = self.atlas.execute(sa.select(sa.func.count()).select_from(changes).where(*where)).scalar_one()
            stmt = stmt.offset(offset) if limit is None else stmt.limit(limit).offset(offset)
            return [dict(r) for r in self.atlas.execute(stmt).mappings()], total
        found = [dict(r) for r in self.atlas.execute(stmt).mappings()]
        visible = self._visible_ids(found)
        me = self.atlas.principal.actor
        seen = [r for r in found if r["actor"] == me
                or r["record_id"] in visible.get(_SEEN_AS.get(r["entity"], r["entity"]), ())
                or self._was_theirs(r)]
        return seen[offset:end], len(seen)

    def _was_theirs(self, entry: dict[str, Any]) -> bool:
        """Whether a deletion is of a record that belonged to the principal's hubs or organisation (a deleted
        record is nobody's to see any more: who may restore it is told by what it was)."""
        p, before = self.atlas.principal, entry["before"]
        if entry["action"] != "delete" or not before or entry["entity"] not in TABLES or not p.signed_in:
            return False
        if p.organization_id is not None and before.get("owner_kind") == "organization" \
                and before.get("owner_id") == p.organization_id:
            return True
        return bool(self.atlas.home_hubs(entry["entity"], before) & set(p.hubs))

    def _visible_ids(self, entries: list[dict[str, Any]]) -> dict[str, set[int]]:
        """For each kind of record in ``entries``, the ids among them the principal may see (a thousand a query)."""
        wanted: dict[str, set[int]] = {}
        for e in entries:
            entity = _SEEN_AS.get(e["entity"], e["entity"])
            if entity in TABLES:
                wanted.setdefault(entity, set()).add(e["record_id"])
        out: dict[str, set[int]] = {}
        for entity, ids in wanted.items():
            table, cond = TABLES[entity], self.atlas.scope.condition(entity)
            ordered = sorted(ids)
            out[entity] = set()
            for i in range(0, len(ordered), 1000):
                stmt = sa.select(table.c.id).where(table.c.id.in_(ordered[i:i + 1000]),
                                                   *([] if cond is None else [cond]))
                out[entity].update(self.atlas.execute(stmt).scalars())
        return out

    def born(self, entity: str, record_id: int) -> int:
        """The id of the entry that created the record holding this id now (0 when the trail has none): entries
        before it are about an earlier record, deleted since, whose id the database gave again (SQLite reuses the
        highest id once its row is gone). A record restored by a revert keeps its own history."""
        restored = sa.or_(changes.c.note.like("revert of change %"), changes.c.note.like("undo of change set %"))
        stmt = sa.select(sa.func.max(changes.c.id)).where(
            changes.c.entity == entity, changes.c.record_id == record_id, changes.c.action == "create",
            sa.or_(changes.c.note.is_(None), sa.not_(restored)))
        return self.atlas.execute(stmt).scalar_one() or 0

    def erase(self, entity: str, record_id: int) -> int:
        """Blank the fields of every entry about a record (a person's erasure on request, the one change the
        database's append-only triggers allow); returns how many entries were blanked."""
        return self.atlas.execute(sa.update(changes).where(changes.c.entity == entity,
                                                           changes.c.record_id == record_id)
                                  .values(before=None, after=None, erased=True)).rowcount


#: Entries about what is not a record, seen by whoever sees the record they are kept under (a grant: its hub).
_SEEN_AS = {"hub_share": "hub"}
