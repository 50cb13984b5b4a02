"""A batch: the records read from one input, with batch-local ids, where each came from, and its problems."""

from __future__ import annotations

import datetime as dt
import enum
import typing
from collections.abc import Callable
from collections import defaultdict
from pathlib import PurePath
from dataclasses import dataclass, field
from typing import Any

import annotated_types
from pydantic import ValidationError

from .entities import Record
from .kinds import ENTITIES, REFERENCES
from .problems import Problem, describe_validation_error

__all__ = ["Origin", "Batch", "Rows"]


@dataclass(frozen=True)
class Origin:
    """Where a record was read: file, sheet and row (1-based, as a spreadsheet shows it)."""

    file: str | None = None
    sheet: str | None = None
    row: int | None = None

    def problem(self, reason: str, *, column: str | None = None, hint: str | None = None) -> Problem:
        """A problem located here."""
        return Problem(self.file, self.sheet, self.row, column, reason, hint)

    @property
    def label(self) -> str | None:
        """Where the row is, as its reader would look it up (None when not read from a file).

        >>> Origin("/tmp/x/atlas.xlsx", "Elements", 12).label, Origin("kumu/elements.csv", None, 3).label
        ('atlas.xlsx · Elements · row 12', 'elements.csv · row 3')
        """
        if not self.file:
            return None
        return " · ".join([PurePath(self.file).name, *([self.sheet] if self.sheet else []),
                           *([f"row {self.row}"] if self.row else [])])


@dataclass
class Rows:
    """Records of one kind given as columns, as a reader builds them in bulk (no model object per record).

    ``columns`` maps each field to its values (all of one length; ``id`` holds the batch-local ids; enumerations
    as their values, dates as dates); fields not given take the model's defaults. They are checked all at once
    (:meth:`problems`): a row that breaks a rule is validated by the model itself, so it gets the very reason a
    record would. Bulk rows carry no owner and no external ids (they are matched by their natural key), and refer
    to other records by single ids only: ties and participations, say.

    Examples
    --------
    >>> rows = Rows("tie", {"id": [1, 2], "source_id": [1, 3], "target_id": [2, 3], "kind": ["partnership"] * 2})
    >>> len(rows), rows.columns["directed"], sorted(rows.given)[:3]
    (2, [True, True], ['id', 'kind', 'source_id'])
    >>> [(p.row, p.column, p.reason) for p in rows.problems()]
    [(None, 'record', 'a tie joins two different organisations')]
    """

    entity: str
    columns: dict[str, list]
    #: Where the records come from (what a matched record's provenance names; as a record's own origin).
    origin: Origin = field(default_factory=lambda: Origin())
    #: The file named by a problem with a row.
    file: str | None = None
    given: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        if self.entity in ("organization", "person"):  # a derived helix, a consent rule: records one by one
            raise ValueError(f"{self.entity} records are given one by one")
        cls = ENTITIES[self.entity]
        unknown = set(self.columns) - set(cls.model_fields)
        if unknown:
            raise ValueError(f"{self.entity} has no field {', '.join(sorted(unknown))}")
        lists = [c for c, target in REFERENCES[self.entity].items() if c in self.columns and c.endswith("_ids")]
        if lists or any(v for c in ("owner_kind", "owner_id", "external_ids") for v in self.columns.get(c, ())):
            raise ValueError("bulk rows carry no owner, no external ids and no lists of references")
        n = len(self.columns["id"])
        if any(len(v) != n for v in self.columns.values()):
            raise ValueError("every column of bulk rows has one value per row")
        self.given = frozenset(self.columns)
        for name, info in cls.model_fields.items():
            if name not in self.columns and not info.is_required():
                value = info.get_default(call_default_factory=True)
                value = value.value if isinstance(value, enum.Enum) else value
                # an empty list or dict (tags, external ids) is one object shared by the column's cells, read
                # and never changed in place: 800,000 ties hold one, not 800,000
                self.columns[name] = [value] * n

    def __len__(self) -> int:
        return len(self.columns["id"])

    def records(self) -> list[tuple[Record, Origin]]:
        """The rows as records, each validated by its model (what the bulk path saves; for comparisons)."""
        cls, names = ENTITIES[self.entity], list(self.columns)
        return [(cls.model_validate({k: v for k, v in zip(names, values) if k in self.given}), self.origin)
                for values in zip(*self.columns.values())]

    def problems(self) -> list[Problem]:
        """What is wrong with the rows, all checked at once; each bad row is then validated by the model, for
        the same reasons, fields and wording a record gets (the column is the field's name)."""
        bad = sorted(self._suspects())
        cls, names, out = ENTITIES[self.entity], list(self.columns), []
        for i in bad:
            data = {k: self.columns[k][i] for k in names if k in self.given}
            try:
                record = cls.model_validate(data)
            except ValidationError as exc:
                origin = Origin(self.file)
                out += [origin.problem(reason, column=fieldname) for fieldname, reason in
                        describe_validation_error(exc)]
            else:  # valid once the model normalised it (stripped text, a vocabulary's word as written): keep that
                for k in names:
                    value = getattr(record, k)
                    self.columns[k][i] = value.value if isinstance(value, enum.Enum) else value
        return out

    def _suspects(self) -> set[int]:
        """Rows that may break a rule of the model: a type, a vocabulary, a bound, a length, a required value,
        a rule of the whole record. Cheap checks over whole columns (each distinct value looked at once); the
        model has the last word."""
        import numpy as np

        cls, bad = ENTITIES[self.entity], set()
        for name, info in cls.model_fields.items():
            values = self.columns[name]
            kind = _plain_type(info.annotation)
            if info.is_required() or not _optional(info.annotation):
                bad |= _rows_with(values, lambda v: v is not None)
            if isinstance(kind, type) and issubclass(kind, enum.Enum):
                allowed = {m.value for m in kind}
                bad |= _rows_with(values, lambda v: v is None or (type(v) is str and v in allowed))
            elif kind in (int, float):
                exact = (lambda v: v is None or type(v) is int) if kind is int else \
                    (lambda v: v is None or type(v) in (int, float))
                bad |= _rows_with(values, exact)
                numbers = np.array(values, dtype=float)
                broken = np.isinf(numbers)
                for m in info.metadata:
                    for attr, fails in (("ge", np.less), ("gt", np.less_equal), ("le", np.greater),
                                        ("lt", np.greater_equal)):
                        if getattr(m, attr, None) is not None:
                            broken |= fails(numbers, getattr(m, attr))
                bad.update(np.flatnonzero(broken).tolist())
            elif kind is str:
                longest = next((m.max_length for m in info.metadata if isinstance(m, annotated_types.MaxLen)), None)
                shortest = next((m.min_length for m in info.metadata if isinstance(m, annotated_types.MinLen)), 0)
                bad |= _rows_with(values, lambda v: v is None or (
                    type(v) is str and v == v.strip() and len(v) >= shortest
                    and (longest is None or len(v) <= longest)))
            elif kind is dt.date:
                bad |= _rows_with(values, lambda v: v is None or type(v) is dt.date)
            elif kind is bool:
                bad |= _rows_with(values, lambda v: v is None or type(v) is bool)
            elif typing.get_origin(kind) is list:
                bad |= _rows_with(values, lambda v: type(v) is list and all(type(x) is str for x in v))
            elif typing.get_origin(kind) is dict:
                bad |= _rows_with(values, lambda v: type(v) is dict and not v)
        cols = self.columns
        if self.entity == "tie":  # the tie's own rules: two ends, a window that does not run backwards
            bad.update(np.flatnonzero(np.asarray(cols["source_id"], dtype=object)
                                      == np.asarray(cols["target_id"], dtype=object)).tolist())
        if "start_date" in cols and "end_date" in cols:
            bad.update(i for i, (a, b) in enumerate(zip(cols["start_date"], cols["end_date"])) if a and b and b < a)
        return bad


def _rows_with(values: list, ok: Callable[[Any], bool]) -> set[int]:
    """The rows whose value is not ``ok``: each distinct value is judged once, unless the column mixes numbers of
    several types (1, 1.0 and True are one value in a set), lists or dicts."""
    kinds = set(map(type, values))
    if len(kinds) == 1 and kinds <= {list, dict} and not any(values):  # all empty: judged once
        return set() if ok(values[0]) else set(range(len(values)))
    if len(kinds - {type(None)}) <= 1:
        try:
            distinct = set(values)
        except TypeError:
            pass
        else:
            wrong = {v for v in distinct if not ok(v)}
            if not wrong:
                return set()
            return {i for i, v in enumerate(values) if v in wrong}
    return {i for i, v in enumerate(values) if not ok(v)}


def _plain_type(annotation: Any) -> Any:
    """``int | None`` → int; ``Annotated[str, ...]`` → str; anything else as it is."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, __import__("types").UnionType) and len(args) == 1:
        return _plain_type(args[0])
    if typing.get_origin(annotation) is typing.Annotated:
        return _plain_type(args[0])
    return annotation


def _optional(annotation: Any) -> bool:
    return type(None) in typing.get_args(annotation)


@dataclass
class Batch:
    """Records read from one input, ready to be merged into an atlas.

    Each record's ``id`` and the ids it refers to are local to the batch; the merge maps them to the atlas.
    A *lookup* is a local organisation id that stands for an organisation already in the atlas, named by the input.

    Examples
    --------
    >>> from ecotone.domain import Hub, Organization
    >>> batch = Batch()
    >>> hub = batch.add(Hub(name="BioCity Nottingham"))
    >>> org = batch.add(Organization(name="BioCity", type="hub_operator", hub_id=hub))
    >>> batch.size()
    2
    """

    records: dict[str, list[tuple[Record, Origin]]] = field(default_factory=lambda: defaultdict(list))
    #: Records a reader built in bulk, as columns (see :class:`Rows`), by kind.
    rows: dict[str, Rows] = field(default_factory=dict)
    lookups: dict[tuple[str, int], tuple[str, Origin]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _next: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def new_id(self, entity: str) -> int:
        """A fresh batch-local id for a record of that kind."""
        self._next[entity] += 1
        return self._next[entity]

    def add(self, record: Record, origin: Origin | None = None) -> int:
        """Add a record (giving it a local id unless it has one) and return its local id."""
        if record.id is None:
            record = record.model_copy(update={"id": self.new_id(record.entity)})
        else:
            self._next[record.entity] = max(self._next[record.entity], record.id)
        self.records[record.entity].append((record, origin or Origin()))
        return record.id  # type: ignore[return-value]

    def build(self, cls: type[Record], data: dict[str, Any], origin: Origin,
              columns: dict[str, str] | None = None) -> Record | None:
        """Validate ``data`` as a ``cls``; on failure record a problem per field (named by its column) and return None.

        Examples
        --------
        >>> from ecotone.domain import Organization
        >>> batch = Batch()
        >>> batch.build(Organization, {"name": "X", "type": "bank"}, Origin("a.csv", row=3), {"type": "Kind"})
        >>> p = batch.problems[0]
        >>> p.file, p.row, p.column, p.reason.split(";")[0]
        ('a.csv', 3, 'Kind', "'bank' is not one of the choices: startup, sme, corporate, hospital, clinic, university, research_center, investor, government, regulator, notified_body, incubator, accelerator, industry_association, patient_organization, hub_operator or other")
        """
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            for fieldname, reason in describe_validation_error(exc):
                column = (columns or {}).get(fieldname.split(".")[0], fieldname)
                self.problems.append(origin.problem(reason, column=column))
            return None

    def lookup(self, entity: str, name: str, origin: Origin) -> int:
        """A local id standing for the atlas record of that kind named ``name`` (resolved at merge).

        Examples
        --------
        >>> from ecotone.domain import Organization, Tie
        >>> batch = Batch()
        >>> clinic = batch.lookup("organization", "Hospital Clínic", Origin("connections.csv", row=2))
        >>> kardio = batch.add(Organization(name="Kardio", type="startup"))
        >>> _ = batch.add(Tie(source_id=clinic, target_id=kardio, kind="clinical_pilot"))
        >>> batch.size(), len(batch.lookups)
        (2, 1)
        """
        local = self.new_id(entity)
        self.lookups[(entity, local)] = (name, origin)
        return local

    def size(self) -> int:
        """How many records the batch holds."""
        return sum(len(v) for v in self.records.values()) + sum(len(r) for r in self.rows.values())

    def add_rows(self, rows: Rows) -> None:
        """Add records given as columns (their ids local, as :meth:`new_id` gives them), checked all at once:
        what is wrong with them is added to the problems."""
        if rows.entity in self.rows or self.records.get(rows.entity):
            raise ValueError(f"{rows.entity} records are given either one by one or as one set of rows")
        if len(rows):
            self._next[rows.entity] = max(self._next[rows.entity], max(rows.columns["id"]))
        self.problems.extend(rows.problems())
        self.rows[rows.entity] = rows
