"""Merge a batch of records into an atlas: match, insert, update — atomically, idempotently, with a report."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..domain import REFERENCES, helix_of
from ..domain.problems import InputRejected, Problem
from ..domain.batch import Batch, Rows
from ._audit import CONTACT_FIELDS
from ._bulk import insert_columns
from .atlas import Atlas, Forbidden, Refused, record_to_row
from .tables import TABLES

__all__ = ["MergeReport", "merge", "NATURAL_KEYS"]

def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


#: entity → the columns that identify a record when it has no shared external id.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "hub": ("name",),
    "organization": ("name", "type"),
    "person": ("name", "organization_id"),
    "program": ("name",),
    "participation": ("program_id", "organization_id"),
    "innovation": ("name", "organization_id"),
    "stage_event": ("innovation_id", "stage", "date"),
    "deal": ("recipient_id", "hub_id", "date", "round_type", "amount"),
    "tie": ("source_id", "target_id", "kind"),
    "clinical_need": ("problem", "population", "outcome"),
    "partnership": ("name",),
    "assessment": ("partnership_id", "evaluator", "date"),
    "rating": ("assessment_id", "question"),
    "kpi": ("partnership_id", "name"),
    "kpi_actual": ("kpi_id", "date"),
    "introduction": ("organization_id", "partner_id", "introduced_on"),
    "endorsement": ("need_id", "person_id", "organization_id", "hub_id"),
    "submission": ("program_id", "organization_id", "title"),
    "judge": ("program_id", "name"),
    "score": ("submission_id", "judge_id", "criterion"),
}


def _folded(values: list) -> list:
    """The values with their text case-folded, each distinct text folded once (its folded form shared)."""
    memo: dict[str, str] = {}
    return [(memo.get(v) or memo.setdefault(v, v.casefold())) if isinstance(v, str) else v for v in values]


def _scan_keys(entity: str, columns: dict[str, list], existing_keys: dict[tuple, int]) -> tuple[list[int], bool]:
    """The rows whose natural key an atlas record has (an undirected tie's either way round), and whether the
    input repeats a record: two rows of one key, or an undirected tie with the ends of another tie in either
    order. One pass that keeps one key per distinct record (800,000 ties are one set, not four)."""
    names = NATURAL_KEYS[entity]
    keys = zip(*(_folded(columns[c]) for c in names))
    directed = columns["directed"] if entity == "tie" else itertools.repeat(True)
    s, t = (names.index("source_id"), names.index("target_id")) if entity == "tie" else (0, 0)

    def swapped(key: tuple) -> tuple:
        other = list(key)
        other[s], other[t] = key[t], key[s]
        return tuple(other)

    one_way: set[tuple] = set()    # the keys of records that have one way (all but undirected ties)
    both_ways: set[tuple] = set()  # the undirected ties' keys, their ends in order
    matched, count = [], 0
    for i, (key, one) in enumerate(zip(keys, directed)):
        count += 1
        other = None if one else swapped(key)
        if key in existing_keys or (other is not None and other in existing_keys):
            matched.append(i)
        if one:
            one_way.add(key)
        else:
            both_ways.add(key if key[s] <= key[t] else other)
    twice = len(one_way) + len(both_ways) < count or \
        bool(both_ways) and any((k if k[s] <= k[t] else swapped(k)) in both_ways for k in one_way)
    return matched, twice


def _turned(row: dict[str, Any], tie: dict[str, Any]) -> bool:
    """Whether the tie ``row`` has the ends of ``tie`` the other way round."""
    return (row["source_id"], row["target_id"]) == (tie["target_id"], tie["source_id"])


def _key(entity: str, row: dict[str, Any]) -> tuple:
    return tuple(_fold(row.get(c)) for c in NATURAL_KEYS[entity])


def _reversed_key(tie: dict[str, Any]) -> tuple:
    """The key of an undirected tie read the other way round."""
    return _key("tie", {**tie, "source_id": tie["target_id"], "target_id": tie["source_id"]})


@dataclass
class MergeReport:
    """What a merge created, updated and left unchanged, per kind of record."""

    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)
    #: The organisations the input holds, per stakeholder type.
    types: Counter = field(default_factory=Counter)
    #: The id of the change set the merge wrote: ``ecotone changes --undo-import`` takes it back.
    change_set: str | None = None

    @property
    def changed(self) -> bool:
        """Whether the merge wrote (or, dry, would write) anything."""
        return bool(sum(self.created.values()) + sum(self.updated.values()))

    def rows(self) -> list[dict[str, Any]]:
        """One row per kind of record: created, updated, unchanged."""
        kinds = [k for k in TABLES if self.created[k] or self.updated[k] or self.unchanged[k]]
        return [{"record": k, "created": self.created[k], "updated": self.updated[k],
                 "unchanged": self.unchanged[k]} for k in kinds]


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {} or value == ""


class _Merger:
    def __init__(self, atlas: Atlas, batch: Batch, report: MergeReport,
                 progress: Callable[[str, int, int], None] | None, note: str | None = None) -> None:
        self.atlas = atlas
        self.note = note
        self.batch = batch
        self.report = report
        self.progress = progress
        self.maps: dict[str, dict[int, int]] = {e: {} for e in TABLES}
        self.problems: list[Problem] = []
        self.done: set[str] = set()
        # Owners merged after the record they own (an organisation owning a hub): (entity, local id, owner).
        self.deferred_owners: list[tuple[str, int, str, int, object]] = []
        self.existing_rows: dict[int, dict[str, Any]] = {}

    def _remap(self, entity: str, local: int, row: dict[str, Any], origin) -> bool:
        ok = True
        refs = dict(REFERENCES[entity])
        if row.get("owner_kind"):
            if row["owner_kind"] in self.done:
                refs["owner_id"] = row["owner_kind"]
            else:
                self.deferred_owners.append((entity, local, row["owner_kind"], row["owner_id"], origin))
                row["owner_kind"] = row["owner_id"] = None
        for column, target in refs.items():
            value = row.get(column)
            if value is None:
                continue
            mapping = self.maps[target]
            if isinstance(value, list):
                missing = [v for v in value if v not in mapping]
                row[column] = [mapping[v] for v in value if v in mapping]
            else:
                missing = [] if value in mapping else [value]
                row[column] = mapping.get(value)
            for m in missing:
                ok = False
                self.problems.append(origin.problem(f"refers to {target.replace('_', ' ')} {m}, which is not in the input",
                                                    column=column, hint="add it, or fix the reference"))
        return ok

    def _resolve_lookups(self, entity: str, existing: dict[int, dict[str, Any]]) -> None:
        names: dict[str, list[int]] = {}
        for atlas_id, row in existing.items():
            names.setdefault(_fold(row.get("name")), []).append(atlas_id)
        for (ent, local), (name, origin) in self.batch.lookups.items():
            if ent != entity:
                continue
            found = names.get(_fold(name), [])
            if len(found) == 1:
                self.maps[entity][local] = found[0]
            elif not found:
                self.problems.append(origin.problem(
                    f"no {entity} named {name!r} is in this file or in the atlas",
                    hint="add it to the elements, or check the spelling"))
            else:
                self.problems.append(origin.problem(
                    f"{len(found)} {entity} records in the atlas are named {name!r}",
                    hint="refer to it by its ID instead"))

    def run(self) -> None:
        for entity, table in TABLES.items():
            items = self.batch.records.get(entity, [])
            has_lookups = any(e == entity for e, _ in self.batch.lookups)
            bulk = self.batch.rows.get(entity)
            if bulk is not None and not has_lookups:
                self._merge_rows(entity, table, bulk)
                self.done.add(entity)
                continue
            if not items and not has_lookups:
                continue
            # Matched against every record, seen or not, so that nobody's import duplicates a hidden one.
            existing = {r["id"]: r for r in self.atlas.rows(entity, everyone=True)}
            self._resolve_lookups(entity, existing)
            self._merge_entity(entity, table, items, existing)
            self.done.add(entity)
        self._set_deferred_owners()

    def _set_deferred_owners(self) -> None:
        for entity, local, owner_kind, owner_local, origin in self.deferred_owners:
            owner = self.maps[owner_kind].get(owner_local)
            if owner is None:
                self.problems.append(origin.problem(f"its owner, {owner_kind} {owner_local}, is not in the input",
                                                    column="owner_id"))
                continue
            table = TABLES[entity]
            record_id = self.maps[entity][local]
            before = self.atlas._row(entity, record_id)
            self.atlas.execute(sa.update(table).where(table.c.id == record_id)
                               .values(owner_kind=owner_kind, owner_id=owner))
            self.atlas.trail.changed(entity, record_id, before, {**before, "owner_kind": owner_kind,
                                                                 "owner_id": owner}, note=self.note)

    def _merge_rows(self, entity: str, table: sa.Table, rows: Rows) -> None:
        """Merge records given as columns: those that match no atlas record by their natural key are inserted in
        bulk (:func:`~ecotone.store._bulk.insert_columns`); the rest go the way of records given one by one."""
        columns = dict(rows.columns)
        locals_ = columns.pop("id")
        n = len(locals_)
        for column, target in REFERENCES[entity].items():
            if column not in columns:
                continue
            mapping, values = self.maps[target], columns[column]
            mapped = [mapping.get(v) for v in values]
            for i in (i for i, (v, m) in enumerate(zip(values, mapped)) if m is None and v is not None):
                self.problems.append(rows.origin.problem(
                    f"refers to {target.replace('_', ' ')} {values[i]}, which is not in the input", column=column,
                    hint="add it, or fix the reference"))
            columns[column] = mapped
        if self.problems:
            return
        names = NATURAL_KEYS[entity]
        undirected = entity == "tie"
        # Matched against every record, seen or not (as records one by one are), by natural key only: bulk rows
        # have no external ids.
        existing_keys: dict[tuple, int] = {}
        for row in self.atlas.rows(entity, columns=[*names, *(["directed"] if undirected else [])], everyone=True):
            existing_keys.setdefault(_key(entity, row), row["id"])
            if undirected and not row["directed"]:
                existing_keys.setdefault(_reversed_key(row), row["id"])
        matched, twice = _scan_keys(entity, columns, existing_keys)
        del existing_keys
        if twice or not self.atlas.principal.is_admin:
            matched = list(range(n))  # the input repeats a record, or owners are to be given: one by one
        if matched:
            chosen = set(matched)
            fields = list(columns)
            given = rows.given | {"external_ids"}
            one_by_one = [(locals_[i], dict(zip(fields, (columns[f][i] for f in fields))), given, rows.origin)
                          for i in matched]
            existing = {r["id"]: r for r in self.atlas.rows(entity, everyone=True)}
            self._merge_entity(entity, table, [], existing, one_by_one)
            if self.problems or len(chosen) == n:
                return
            columns = {f: [v for i, v in enumerate(values) if i not in chosen] for f, values in columns.items()}
        created = len(columns["source_id" if entity == "tie" else next(iter(columns))])
        insert_columns(self.atlas, entity, columns, note=self.note)
        if created:
            self.report.created[entity] += created
        if self.progress:
            self.progress(entity, n, n)

    def _merge_entity(self, entity: str, table: sa.Table, items, existing: dict[int, dict[str, Any]],
                      given_rows=()) -> None:
        by_ext: dict[tuple[str, str], int] = {}
        by_key: dict[tuple, int] = {}
        for atlas_id, row in existing.items():
            for pair in row["external_ids"].items():
                by_ext.setdefault(pair, atlas_id)
            by_key.setdefault(_key(entity, row), atlas_id)
            if entity == "tie" and not row["directed"]:
                by_key.setdefault(_reversed_key(row), atlas_id)
        inserts: list[dict[str, Any]] = []
        insert_locals: list[list[int]] = []
        pending: dict[tuple, int] = {}
        pending_ext: dict[tuple[str, str], int] = {}
        changed: dict[int, dict[str, Any]] = {}
        matched: set[int] = set()
        # Records one by one, or rows of a bulk input whose references are already the atlas's.
        entries = itertools.chain(((record_to_row(r), r.model_fields_set | {"external_ids"}, o, True)
                                   for r, o in items),
                                  (({**row, "id": local}, given, o, False) for local, row, given, o in given_rows))
        total = len(items) + len(given_rows)
        for n, (row, provided, origin, refers_locally) in enumerate(entries, 1):
            if self.progress and n % 5000 == 0:
                self.progress(entity, n, total)
            local = row.pop("id")
            if refers_locally and not self._remap(entity, local, row, origin):
                continue
            match = next((by_ext[p] for p in row["external_ids"].items() if p in by_ext), None)
            key = _key(entity, row)
            if match is None:
                match = by_key.get(key)
            reverse = _reversed_key(row) if entity == "tie" and not row["directed"] else None
            if match is None and reverse is not None:
                match = by_key.get(reverse)
            if match is not None and _conflict(existing[match]["external_ids"], row["external_ids"]):
                match = None  # same name, but another identity in a scheme both use: a different record
            if match is not None and reverse is not None and _turned(row, existing[match]):
                provided = provided - {"source_id", "target_id"}  # the same undirected tie: it keeps its ends
            if match is not None:
                current = changed.get(match, existing[match])
                merged = _sourced(existing[match], current, _overlay(entity, current, row, provided),
                                  origin.label if origin is not None else None, self.note)
                if entity == "person" and not self._consented(merged, row, provided, origin):
                    continue
                if merged != existing[match]:
                    changed[match] = merged
                else:
                    changed.pop(match, None)
                self.maps[entity][local] = match
                matched.add(match)
                continue
            slot = next((pending_ext[p] for p in row["external_ids"].items() if p in pending_ext), None)
            if slot is None:
                slot = pending.get(key)
                if slot is None and reverse is not None:
                    slot = pending.get(reverse)
                if slot is not None and _conflict(inserts[slot]["external_ids"], row["external_ids"]):
                    slot = None
            if slot is not None and reverse is not None and _turned(row, inserts[slot]):
                provided = provided - {"source_id", "target_id"}
            if slot is not None:
                inserts[slot] = _overlay(entity, inserts[slot], row, provided)
                insert_locals[slot].append(local)
                continue
            pending.setdefault(key, len(inserts))
            for p in row["external_ids"].items():
                pending_ext[p] = len(inserts)
            inserts.append(row)
            insert_locals.append([local])
        self._authorize(entity, inserts, changed, existing, items)
        if self.problems:
            return
        for counter, n in ((self.report.created, len(inserts)), (self.report.updated, len(changed)),
                           (self.report.unchanged, len(matched - set(changed)))):
            if n:
                counter[entity] += n
        self.existing_rows = existing
        self._write(entity, table, inserts, insert_locals, changed)
        if self.progress:
            self.progress(entity, total, total)

    def _authorize(self, entity: str, inserts: list[dict[str, Any]], changed: dict[int, dict[str, Any]],
                   existing: dict[int, dict[str, Any]], items) -> None:
        """Give a signed-in user's new records their default owner, and refuse what they may not change."""
        if self.atlas.principal.is_admin:
            return
        try:
            for n, row in enumerate(inserts):
                inserts[n] = self.atlas._owned(entity, row)
            for record_id in changed:
                self.atlas.authorize("change", entity, existing[record_id])
        except Forbidden as exc:
            self.problems.append(Problem(reason=str(exc), hint="import only your own hub's records, or ask an admin"))

    def _consented(self, merged: dict[str, Any], row: dict[str, Any], provided: set[str], origin) -> bool:
        """A person's e-mail needs their consent: one given without it is a row error, and consent turned off
        erases the e-mail the atlas held."""
        if merged.get("consent"):
            return True
        if row.get("email"):
            self.problems.append(origin.problem("an e-mail is personal data and needs the person's consent",
                                                column="email", hint="set consent to true once the person has "
                                                "agreed, or leave the e-mail out"))
            return False
        merged["email"] = None
        return True

    def _write(self, entity: str, table: sa.Table, inserts, insert_locals, changed) -> None:
        trail = self.atlas.trail
        if inserts and self.atlas.dialect == "sqlite" and entity not in CONTACT_FIELDS \
                and all(row.keys() == inserts[0].keys() for row in inserts):
            # Straight through the driver, the audit entries made by the database (see _bulk)
            ids = insert_columns(self.atlas, entity, {k: [r[k] for r in inserts] for k in inserts[0]},
                                 note=self.note)
            for locals_, atlas_id in zip(insert_locals, ids, strict=True):
                for local in locals_:
                    self.maps[entity][local] = atlas_id
        elif inserts:
            inserts = self.atlas.with_fresh_ids(entity, inserts)
            if entity == "tie":  # nothing refers to ties: no ids needed back, the driver's fast path will do
                start = self.atlas.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()
                self.atlas.insert_rows(entity, inserts)
                new = self.atlas.execute(sa.select(table.c.id, table.c.source_id, table.c.target_id, table.c.kind)
                                         .where(table.c.id > start)).all()
                ids = {(s, t, k): i for i, s, t, k in new}
                trail.created(entity, [{**row, "id": ids[(row["source_id"], row["target_id"], row["kind"])]}
                                       for row in inserts], note=self.note)
            else:
                stmt = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
                ids = self.atlas.execute(stmt, inserts).scalars().all()
                for locals_, atlas_id in zip(insert_locals, ids, strict=True):
                    for local in locals_:
                        self.maps[entity][local] = atlas_id
                trail.created(entity, [{**row, "id": i} for row, i in zip(inserts, ids, strict=True)], note=self.note)
        if changed:
            columns = [c.name for c in table.c if c.name not in ("id", "version")]
            stmt = (sa.update(table).where(table.c.id == sa.bindparam("_id"))
                    .values({**{c: sa.bindparam(f"_{c}") for c in columns}, "version": table.c.version + 1}))
            self.atlas.execute(stmt, [{"_id": i, **{f"_{c}": row[c] for c in columns}} for i, row in changed.items()])
            trail.changed_many(entity, [(i, self.existing_rows[i], row) for i, row in changed.items()], note=self.note)


def _sourced(stored: dict[str, Any], current: dict[str, Any], merged: dict[str, Any], where: str | None,
             note: str | None) -> dict[str, Any]:
    """``merged`` keeping the record's own source; the fields the input changes get where they were read (the
    file, sheet and row), else the input's source, as their provenance."""
    incoming = where or merged.get("source") or note
    out = {**merged, "source": stored.get("source") or merged.get("source")}
    fields = [k for k, v in out.items()
              if k not in ("id", "version", "provenance", "source", "helix") and v != current.get(k)]
    if fields:
        out["provenance"] = {**(current.get("provenance") or {}), **{k: incoming for k in fields}}
    return out


def _conflict(a: dict[str, str], b: dict[str, str]) -> bool:
    return any(scheme in b and b[scheme] != value for scheme, value in a.items())


def _overlay(entity: str, current: dict[str, Any], row: dict[str, Any], provided: set[str]) -> dict[str, Any]:
    # Values the input gives overwrite; values it leaves empty never erase what the atlas knows.
    merged = dict(current)
    for column in provided:
        if column == "external_ids":
            merged["external_ids"] = {**current.get("external_ids", {}), **row["external_ids"]}
        elif column in row and not _empty(row[column]):
            merged[column] = row[column]
    if entity == "organization":
        merged["helix"] = helix_of(merged["type"]).value
    return merged


def merge(atlas: Atlas, batch: Batch, *, dry_run: bool = False,
          progress: Callable[[str, int, int], None] | None = None, note: str | None = None) -> MergeReport:
    """Merge ``batch`` into ``atlas`` in one transaction and report what changed.

    A record matches an atlas record that shares one of its external ids, else its natural key (a hub's name,
    an organisation's name and type, a tie's ends and kind — an undirected tie's either way round, its ends then
    kept as they are...) unless the two hold different ids in the same
    scheme (two organisations of one name with different CORDIS PICs stay two). Matched records take the values the input
    gives; values it leaves empty never erase. Any problem — in the batch or found while merging — rejects the
    whole batch with :class:`~ecotone.domain.problems.InputRejected` and nothing is written. With
    ``dry_run`` the report says what would change and nothing is written. Every record created or changed is in
    the audit trail under the atlas's principal, with ``note`` (say, the files imported); a signed-in user's new
    records get their default owner, and records they may not change reject the batch.

    Examples
    --------
    >>> from ecotone.domain import Organization
    >>> from ecotone.domain.batch import Batch
    >>> batch = Batch()
    >>> _ = batch.add(Organization(name="Hospital Clínic de Barcelona", type="hospital"))
    >>> with Atlas.open("sqlite://") as atlas:
    ...     first = merge(atlas, batch)
    ...     again = merge(atlas, batch)
    >>> first.created["organization"], again.changed
    (1, False)
    """
    report = MergeReport(dry_run=dry_run, warnings=list(batch.warnings),
                         types=Counter(str(o.type.value) for o, _ in batch.records.get("organization", ())))
    if batch.problems:
        raise InputRejected(list(batch.problems), report)
    merger = _Merger(atlas, batch, report, progress, note)
    try:
        with atlas.transaction(dry_run=dry_run), atlas.trail.change_set() as change_set:
            report.change_set = None if dry_run else change_set
            merger.run()
            if merger.problems:
                raise InputRejected(merger.problems, report)
    except Refused as exc:
        raise InputRejected([Problem(reason=f"the database refused the input: {exc}",
                                     hint="nothing was written; report this with the input file")], report) from exc
    return report
