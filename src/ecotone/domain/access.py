"""Who is asking: the principal behind a read or a write, its role, its hubs and organisation."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = ["Role", "Principal", "OWNER", "ANONYMOUS", "ROLE_RANK"]


class Role(str, enum.Enum):
    """What a signed-in user may do: ``admin`` everything; ``manager`` the records, members and sharing of their
    hubs; ``editor`` create and change records of their hubs or organisation; ``viewer`` read."""

    admin = "admin"
    manager = "manager"
    editor = "editor"
    viewer = "viewer"


#: How much each role may do, for "at least" comparisons.
ROLE_RANK = {Role.viewer: 0, Role.editor: 1, Role.manager: 2, Role.admin: 3}


@dataclass(frozen=True)
class Principal:
    """The one on whose behalf the atlas is read or written.

    ``kind`` is ``owner`` (the command line on a local atlas: everything, as its file's owner), ``user`` (a signed-in
    account) or ``anonymous`` (public records only, no writes). ``via`` says through what the request came (``cli``,
    ``api``, ``web``), for the audit trail.

    Examples
    --------
    >>> viewer = Principal("user", email="ana@bcn.org", role=Role.viewer, hubs=frozenset({1}), via="api")
    >>> viewer.may_write, viewer.is_admin, OWNER.is_admin, ANONYMOUS.signed_in
    (False, False, True, False)
    >>> viewer.actor, OWNER.actor
    ('ana@bcn.org', 'cli')
    """

    kind: str
    email: str | None = None
    user_id: int | None = None
    role: Role | None = None
    hubs: frozenset[int] = field(default_factory=frozenset)
    organization_id: int | None = None
    via: str = "cli"

    @property
    def is_admin(self) -> bool:
        """Sees and may change everything (the local owner, or an admin account)."""
        return self.kind == "owner" or self.role is Role.admin

    @property
    def signed_in(self) -> bool:
        """Not anonymous."""
        return self.kind != "anonymous"

    @property
    def may_write(self) -> bool:
        """May create or change records at all (some of them)."""
        return self.is_admin or (self.kind == "user" and self.role in (Role.manager, Role.editor))

    @property
    def actor(self) -> str:
        """Who, in the audit trail: the user's e-mail, ``cli`` for the local owner, ``anonymous`` otherwise."""
        if self.kind == "owner":
            return "cli"
        return self.email or "anonymous"

    @property
    def label(self) -> str:
        """Where a value it writes comes from, as provenance says it: ``cli``, or the user and the way in.

        >>> Principal("user", email="ana@bcn.org", role=Role.editor, via="web").label, OWNER.label
        ('ana@bcn.org (web)', 'cli')
        """
        return "cli" if self.kind == "owner" else f"{self.actor} ({self.via})"

    def scope_key(self) -> str:
        """What decides which records this principal sees (for caches shared by principals of one scope)."""
        if self.is_admin:
            return "admin"
        if not self.signed_in:
            return "anonymous"
        hubs = ",".join(map(str, sorted(self.hubs)))
        return f"{self.role.value if self.role else '-'}|{hubs}|{self.organization_id or ''}"


OWNER = Principal("owner", via="cli")
"""The atlas's owner: the command line on a local file."""
ANONYMOUS = Principal("anonymous", via="web")
"""Nobody signed in: public records only."""
