"""A batch: the records read from one input, with batch-local ids, where each came from, and its problems."""

from __future__ import annotations

from collections import defaultdict
from pathlib import PurePath
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from .entities import Record
from .problems import Problem, describe_validation_error

__all__ = ["Origin", "Batch"]


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
        return sum(len(v) for v in self.records.values())
