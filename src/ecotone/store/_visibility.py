"""Who sees and who may change which record: visibility and ownership as SQL conditions, applied by the Atlas.

A record's ``visibility`` says who may read it: ``public`` anyone, anonymous included; ``network`` the members of
the owner's hub and of the hubs that hub shares with; ``hub`` the members of the owner's hub; ``private`` the
owner organisation (or owner hub) alone. The owner organisation's own members see its records at every level, and
admins see everything. A record with no owner belongs to the atlas as a whole: at ``hub`` and ``network`` level any
signed-in member sees it, ``private`` ones only admins. A record whose parent the viewer may not see is hidden with
it: a tie with either end, an innovation with its organisation, a stage event with its innovation, a rating with its
assessment, and so on — so nothing leaks through what hangs from a hidden record.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..domain.access import Principal, Role
from .tables import TABLES, hub_shares, organizations

__all__ = ["Scope", "PARENTS", "HOME"]

#: entity → (column, parent entity, may be empty): a record is hidden when the parent it names is.
PARENTS: dict[str, list[tuple[str, str, bool]]] = {
    "person": [("organization_id", "organization", True)],
    "participation": [("program_id", "program", False), ("organization_id", "organization", False)],
    "innovation": [("organization_id", "organization", False)],
    "stage_event": [("innovation_id", "innovation", False)],
    "deal": [("recipient_id", "organization", True)],
    "tie": [("source_id", "organization", False), ("target_id", "organization", False)],
    "assessment": [("partnership_id", "partnership", False)],
    "rating": [("assessment_id", "assessment", False)],
    "kpi": [("partnership_id", "partnership", False)],
    "kpi_actual": [("kpi_id", "kpi", False)],
    "introduction": [("organization_id", "organization", False), ("partner_id", "organization", False),
                     ("program_id", "program", True)],
    # open innovation: an endorsement goes with its need and its endorser; a challenge's submissions and judges
    # are seen by who sees the challenge, a score by who sees its submission and its judge
    "endorsement": [("need_id", "clinical_need", False), ("person_id", "person", True),
                    ("organization_id", "organization", True), ("hub_id", "hub", True)],
    "submission": [("program_id", "program", False)],
    "judge": [("program_id", "program", False)],
    "score": [("submission_id", "submission", False), ("judge_id", "judge", False)],
}

#: entity → the columns naming organisations whose hub is the record's home (for records without an owner).
HOME: dict[str, tuple[str, ...]] = {
    "person": ("organization_id",), "participation": ("organization_id",), "innovation": ("organization_id",),
    "deal": ("recipient_id",), "tie": ("source_id", "target_id"), "introduction": ("organization_id", "partner_id"),
    "clinical_need": ("raised_by_id",),
}


@dataclass(frozen=True)
class Scope:
    """A principal's reach, resolved once against the atlas: its hubs, the hubs that share with them, and its
    organisation. ``None`` conditions mean "no restriction" (admins and the local owner).

    Examples
    --------
    >>> from ecotone.domain.access import ANONYMOUS
    >>> scope = Scope(ANONYMOUS, frozenset())
    >>> print(scope.condition("hub"))
    hubs.visibility = :visibility_1
    """

    principal: Principal
    shared: frozenset[int]  # hubs sharing with one of the principal's hubs (their network records are visible)

    @classmethod
    def of(cls, principal: Principal, conn: sa.Connection) -> Scope:
        """Resolve ``principal``'s scope with one query (the hubs sharing with its hubs)."""
        shared: frozenset[int] = frozenset()
        if principal.signed_in and not principal.is_admin and principal.hubs:
            rows = conn.execute(sa.select(hub_shares.c.hub_id)
                                .where(hub_shares.c.with_hub_id.in_(sorted(principal.hubs)))).scalars()
            shared = frozenset(rows)
        return cls(principal, shared)

    # -- reading -------------------------------------------------------------------------------------------
    def condition(self, entity: str) -> sa.ColumnElement[bool] | None:
        """The SQL condition a row of ``entity`` must meet to be visible, or None when everything is (built once
        per scope and kind of record: SQLAlchemy expressions are immutable, and rebuilding them was most of a
        small read's time)."""
        if self.principal.is_admin:
            return None
        p = self.principal
        return _condition(p.kind, p.role, p.hubs, p.organization_id, self.shared, entity)

    def _condition(self, entity: str) -> sa.ColumnElement[bool]:
        table = TABLES[entity]
        own = self._own(table)
        parents = []
        for column, parent, optional in PARENTS.get(entity, []):
            ptable = TABLES[parent]
            # A correlated EXISTS, not "column IN (visible parents)": with IN on both ends of a tie, SQLite
            # probes its (source, target) index for every pair of visible organisations (20,000² at scale).
            inside = sa.exists().where(ptable.c.id == table.c[column], self._condition(parent)).correlate(table)
            parents.append(sa.or_(table.c[column].is_(None), inside) if optional else inside)
        return sa.and_(own, *parents)

    def _owned_by(self, table: sa.Table, hubs: Iterable[int]) -> sa.ColumnElement[bool]:
        hubs = sorted(hubs)
        p = self.principal
        by_hub = sa.and_(table.c.owner_kind == "hub", table.c.owner_id.in_(hubs))
        members = organizations.alias("members")  # never correlated with an enclosing query on organisations
        by_member = sa.and_(table.c.owner_kind == "organization", table.c.owner_id.in_(
            sa.select(members.c.id).where(members.c.hub_id.in_(hubs))))
        parts = [by_hub, by_member] if hubs else []
        if p.organization_id is not None:
            parts.append(sa.and_(table.c.owner_kind == "organization", table.c.owner_id == p.organization_id))
        return sa.or_(*parts) if parts else sa.false()

    def _own(self, table: sa.Table) -> sa.ColumnElement[bool]:
        v = table.c.visibility
        public = v == "public"
        p = self.principal
        if not p.signed_in:
            return public
        unowned = table.c.owner_kind.is_(None)
        private_owner = [sa.and_(table.c.owner_kind == "hub", table.c.owner_id.in_(sorted(p.hubs)))]
        if p.organization_id is not None:
            private_owner.append(sa.and_(table.c.owner_kind == "organization",
                                         table.c.owner_id == p.organization_id))
        return sa.or_(
            public,
            sa.and_(v == "network", sa.or_(unowned, self._owned_by(table, p.hubs | self.shared))),
            sa.and_(v == "hub", sa.or_(unowned, self._owned_by(table, p.hubs))),
            sa.and_(v == "private", sa.or_(*private_owner)),
        )

    def contact_condition(self) -> sa.ColumnElement[bool] | None:
        """Where a person's contact details may be shown: to admins, and to the members of the person's own
        organisation (or of the organisation owning the record)."""
        p = self.principal
        if p.is_admin:
            return None
        people = TABLES["person"]
        if p.organization_id is None:
            return sa.false()
        return sa.or_(people.c.organization_id == p.organization_id,
                      sa.and_(people.c.owner_kind == "organization", people.c.owner_id == p.organization_id))

    def columns(self, entity: str, names: Iterable[str] | None = None) -> list[sa.ColumnElement[Any]]:
        """The columns to select for ``entity``, contact details blanked where this principal may not see them."""
        table = TABLES[entity]
        cols = [table.c[n] for n in names] if names is not None else list(table.c)
        if entity != "person":
            return cols
        contact = self.contact_condition()
        if contact is None:
            return cols
        return [sa.case((contact, c), else_=sa.null()).label("email") if c.name == "email" else c for c in cols]

    # -- writing -------------------------------------------------------------------------------------------
    def may_change(self, entity: str, row: dict[str, Any], home_hubs: set[int | None]) -> bool:
        """Whether this principal may create, change or delete a record like ``row``: admins anything; managers
        and editors the records owned by their organisation or one of their hubs (or by an organisation of
        their hubs), and records without an owner whose home hub (``home_hubs``) is one of theirs."""
        p = self.principal
        if p.is_admin:
            return True
        if not p.may_write:
            return False
        kind, owner = row.get("owner_kind"), row.get("owner_id")
        if kind == "organization" and owner is not None and owner == p.organization_id:
            return True
        if kind == "hub":
            return owner in p.hubs
        if kind == "organization":
            return bool(home_hubs & p.hubs)
        if entity == "organization" and row.get("id") is not None and row.get("id") == p.organization_id:
            return True
        if p.organization_id is not None and p.organization_id in {row.get(c) for c in HOME.get(entity, ())}:
            return True
        return bool(home_hubs & p.hubs)

    def default_owner(self, home_hubs: set[int | None]) -> tuple[str | None, int | None]:
        """The owner a user's new record gets when it names none: the record's home hub if it is one of the
        user's hubs, else the user's first hub, else the user's organisation; admins' records stay unowned."""
        p = self.principal
        if p.is_admin:
            return None, None
        mine = sorted(h for h in home_hubs if h in p.hubs)
        if mine:
            return "hub", mine[0]
        if p.organization_id is not None:
            return "organization", p.organization_id
        if p.hubs:
            return "hub", min(p.hubs)
        return None, None


@functools.lru_cache(maxsize=4096)
def _condition(kind: str, role: Role | None, hubs: frozenset[int], organization_id: int | None,
               shared: frozenset[int], entity: str) -> sa.ColumnElement[bool]:
    who = Principal(kind, role=role, hubs=hubs, organization_id=organization_id)
    return Scope(who, shared)._condition(entity)
