"""Saved map views in the atlas: a user's named view of the map (its URL query), shared by its visibility.

A view's ``visibility`` says who sees it, as a record's does, but its owner is a person (its author) rather than an
organisation: ``private`` the author alone; ``hub`` the members of its ``hub_id``; ``network`` those and the
members of the hubs that hub shares its network records with (the atlas's own sharing, ``hub_shares``); ``public``
anyone, visitors included. The author sees their own views at every level, and admins see all. Any signed-in user
may save a private view; sharing one with a hub, a network or everyone takes an editor, a manager or an admin,
and a hub of one's own (an admin's may be any hub). Only the author, or an admin, changes or deletes a view.
Every write is in the audit trail (entity ``map_view``) under the atlas's principal.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..domain.access import ROLE_RANK, Role
from ..domain.problems import InputRejected, Problem
from .tables import changes, hubs, map_views, users

if TYPE_CHECKING:
    from .atlas import Atlas

__all__ = ["MapViews", "VISIBILITIES", "ENTITY"]

#: The visibility levels of a view, from the narrowest.
VISIBILITIES = ("private", "hub", "network", "public")
#: What the audit trail calls a view.
ENTITY = "map_view"
_FIELDS = ("name", "description", "query", "visibility", "hub_id")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; every time stored here is UTC.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


class MapViews:
    """The atlas's saved map views, read and written on behalf of the atlas's principal.

    Examples
    --------
    >>> from ecotone.store import Atlas
    >>> from ecotone.store.accounts import Accounts
    >>> with Atlas.open("sqlite://") as atlas:
    ...     ana = Accounts(atlas).add("ana@example.org", "Ana", "hash", "viewer", hubs=[], organization_id=None)
    ...     mine = MapViews(atlas.acting_as(Accounts.principal(ana, "api")))
    ...     view = mine.add("Startups", "type=startup&colour=type", "private")
    ...     [(v["name"], v["author"], v["mine"]) for v in mine.visible()], MapViews(atlas).get(view["id"])["query"]
    ([('Startups', 'Ana', True)], 'type=startup&colour=type')
    """

    def __init__(self, atlas: Atlas) -> None:
        self.atlas = atlas

    # -- reading -------------------------------------------------------------------------------------------
    def condition(self) -> sa.ColumnElement[bool] | None:
        """The SQL condition a view must meet for the principal to see it (None: all, for admins)."""
        p = self.atlas.principal
        if p.is_admin:
            return None
        v = map_views.c.visibility
        if not p.signed_in:
            return v == "public"
        mine = sa.false() if p.user_id is None else map_views.c.author_id == p.user_id
        members = sorted(p.hubs)
        network = sorted(p.hubs | self.atlas.scope.shared)  # hubs sharing with one of the principal's hubs
        return sa.or_(mine, v == "public",
                      sa.and_(v == "hub", map_views.c.hub_id.in_(members)),
                      sa.and_(v == "network", map_views.c.hub_id.in_(network)))

    def _select(self) -> sa.Select:
        return (sa.select(map_views, users.c.name.label("author"), hubs.c.name.label("hub"))
                .join(users, users.c.id == map_views.c.author_id)
                .outerjoin(hubs, hubs.c.id == map_views.c.hub_id))

    def _public(self, row: sa.RowMapping) -> dict[str, Any]:
        out = dict(row)
        out["created_at"], out["updated_at"] = _aware(out["created_at"]), _aware(out["updated_at"])
        out["mine"] = out["author_id"] == self.atlas.principal.user_id
        return out

    def visible(self) -> list[dict[str, Any]]:
        """The views the principal may see: its own first, then the others', each newest first."""
        cond = self.condition()
        p = self.atlas.principal
        own = sa.literal(False) if p.user_id is None else map_views.c.author_id == p.user_id
        stmt = self._select().where(*([] if cond is None else [cond])).order_by(
            sa.case((own, 0), else_=1), map_views.c.updated_at.desc(), map_views.c.id.desc())
        return [self._public(r) for r in self.atlas.execute(stmt).mappings()]

    def get(self, view_id: int) -> dict[str, Any]:
        """The view with that id, if the principal may see it; else :class:`NotFound` (a view one may not see
        is not there, as a hidden record is not)."""
        from .atlas import NotFound
        cond = self.condition()
        row = None
        if 1 <= view_id <= 2**31 - 1:
            row = self.atlas.execute(self._select().where(map_views.c.id == view_id,
                                                          *([] if cond is None else [cond]))).mappings().first()
        if row is None:
            raise NotFound(f"no saved view has id {view_id}; the map's saved views list those you may open")
        return self._public(row)

    # -- writing -------------------------------------------------------------------------------------------
    def _check_sharing(self, visibility: str, hub_id: int | None) -> None:
        """Refuse a visibility the principal may not give, or a hub it may not share with."""
        from .atlas import Forbidden
        p = self.atlas.principal
        if visibility not in VISIBILITIES:
            raise InputRejected([Problem(column="visibility", reason=f"must be one of: {', '.join(VISIBILITIES)}")])
        if visibility in ("hub", "network") and hub_id is None:
            raise InputRejected([Problem(column="hub_id", reason=f"is required: a {visibility} view is seen by the "
                                                                 "members of a hub; choose one of yours")])
        if hub_id is not None and not self.atlas._sees("hub", hub_id):
            raise InputRejected([Problem(column="hub_id", reason=f"names no hub: there is no hub {hub_id}")])
        if visibility == "private" or p.is_admin:
            return
        if p.role is None or ROLE_RANK[p.role] < ROLE_RANK[Role.editor]:
            raise Forbidden(f"{p.actor} is a {p.role.value if p.role else 'member'}: a viewer may save private "
                            "views; sharing a view with a hub, a network or everyone takes an editor's, a "
                            "manager's or an admin's account")
        if hub_id is not None and hub_id not in p.hubs:
            raise Forbidden(f"{p.actor} may share views only with their own hubs; hub {hub_id} is not one of them")

    def add(self, name: str, query: str, visibility: str = "private", hub_id: int | None = None,
            description: str | None = None, *, author_id: int | None = None) -> dict[str, Any]:
        """Save a view, authored by the principal (an admin may name another ``author_id``)."""
        from .atlas import AtlasError, Forbidden, NotSignedIn
        p = self.atlas.principal
        if not p.signed_in:
            raise NotSignedIn("sign in to save a view of the map: visitors may open shared views, not save them")
        if author_id is not None and author_id != p.user_id and not p.is_admin:
            raise Forbidden(f"{p.actor} may save views only as themselves")
        author_id = author_id if author_id is not None else p.user_id
        if author_id is None:
            raise AtlasError("a view belongs to an account: sign in to save one (the command line's owner has none)")
        self._check_sharing(visibility, hub_id)
        when = _now()
        row = {"name": name, "description": description, "query": query, "author_id": author_id,
               "visibility": visibility, "hub_id": hub_id, "created_at": when, "updated_at": when, "version": 1}
        with self.atlas.transaction():
            view_id = self.atlas.execute(sa.insert(map_views).returning(map_views.c.id), [row]).scalar_one()
            self.atlas.trail.created(ENTITY, [{**row, "id": view_id}])
        return self.get(view_id)

    def _authored(self, view_id: int, action: str, expected_version: int | None) -> dict[str, Any]:
        """The view, if the principal may see it and is its author or an admin (else NotFound or Forbidden);
        :class:`Conflict` when ``expected_version`` is not its version."""
        from .atlas import Conflict, Forbidden
        view = self.get(view_id)
        p = self.atlas.principal
        if not p.is_admin and view["author_id"] != p.user_id:
            raise Forbidden(f"{p.actor} may not {action} this view: only its author ({view['author']}) or an admin "
                            "may; save a copy of your own instead")
        if expected_version is not None and view["version"] != expected_version:
            who = self.atlas.execute(sa.select(changes.c.actor).where(
                changes.c.entity == ENTITY, changes.c.record_id == view_id).order_by(changes.c.id.desc())
                .limit(1)).scalar()
            raise Conflict(f"this view was changed{f' by {who}' if who else ''} at {view['updated_at']:%Y-%m-%d %H:%M} "
                           f"UTC since you opened it (you had version {expected_version}, it is now version "
                           f"{view['version']}); reload it, and make your change again",
                           version=view["version"], changed_by=who, changed_at=view["updated_at"])
        return view

    def update(self, view_id: int, changes: dict[str, Any], *, expected_version: int | None = None) -> dict[str, Any]:
        """Change a view's name, description, query, visibility or hub (only the fields given)."""
        from .atlas import AtlasError, Conflict
        unknown = sorted(set(changes) - set(_FIELDS))
        if unknown:
            raise AtlasError(f"a view has no field {', '.join(unknown)} to change; fields: {', '.join(_FIELDS)}")
        before = self._authored(view_id, "change", expected_version)
        after = {**before, **changes}
        if after["visibility"] in ("private", "public") and "hub_id" not in changes:
            after["hub_id"] = before["hub_id"] if after["visibility"] == "public" else None
        if any(after[k] != before[k] for k in ("visibility", "hub_id")):
            self._check_sharing(after["visibility"], after["hub_id"])
        diff = {k: after[k] for k in _FIELDS if after[k] != before[k]}
        if not diff:
            return before
        with self.atlas.transaction():
            done = self.atlas.execute(sa.update(map_views).where(map_views.c.id == view_id,
                                                                 map_views.c.version == before["version"])
                                      .values(**diff, updated_at=_now(), version=before["version"] + 1)).rowcount
            if not done:
                raise Conflict("this view was changed by someone else at the same moment; reload it, and make "
                               "your change again", version=before["version"] + 1)
            self.atlas.trail.changed(ENTITY, view_id, {k: before[k] for k in _FIELDS}, {k: after[k] for k in _FIELDS})
        return self.get(view_id)

    def remove(self, view_id: int, *, expected_version: int | None = None) -> None:
        """Delete a view (its author, or an admin)."""
        from .atlas import Conflict
        before = self._authored(view_id, "delete", expected_version)
        stored = {k: before[k] for k in ("id", *_FIELDS, "author_id", "created_at", "updated_at", "version")}
        with self.atlas.transaction():
            self.atlas.trail.deleted(ENTITY, [stored])
            done = self.atlas.execute(sa.delete(map_views).where(map_views.c.id == view_id,
                                                                 map_views.c.version == before["version"])).rowcount
            if not done:
                raise Conflict("this view was changed by someone else while it was being deleted; reload it",
                               version=before["version"])
