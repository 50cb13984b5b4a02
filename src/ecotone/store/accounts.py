"""Accounts in the atlas: users and their hubs, API tokens, browser sessions, sharing between hubs, site secrets."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..domain.access import Principal, Role
from .tables import api_tokens, hub_shares, memberships, sessions, site_settings, users

if TYPE_CHECKING:
    from .atlas import Atlas

__all__ = ["Accounts", "digest", "now"]


def digest(secret: str) -> str:
    """The SHA-256 of a token or session secret: what the atlas keeps instead of the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def now() -> dt.datetime:
    """The current time, in UTC."""
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes; every time stored here is UTC.
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


class Accounts:
    """The atlas's accounts; every change is written to the audit trail under the atlas's principal.

    Examples
    --------
    >>> from ecotone.store import Atlas
    >>> with Atlas.open("sqlite://") as atlas:
    ...     accounts = Accounts(atlas)
    ...     user = accounts.add("ana@example.org", "Ana", "hash", "viewer", hubs=[], organization_id=None)
    ...     accounts.count(), accounts.user("ANA@example.org")["name"]
    (1, 'Ana')
    """

    def __init__(self, atlas: Atlas) -> None:
        self.atlas = atlas

    # -- users ---------------------------------------------------------------------------------------------
    def count(self) -> int:
        """How many accounts exist."""
        return self.atlas.execute(sa.select(sa.func.count()).select_from(users)).scalar_one()

    def user(self, email: str) -> dict[str, Any] | None:
        """The account with that e-mail (any case), with its hub ids, or None."""
        row = self.atlas.execute(sa.select(users).where(users.c.email == email.strip().lower())).mappings().first()
        return self._with_hubs(dict(row)) if row else None

    def user_by_id(self, user_id: int) -> dict[str, Any] | None:
        """The account with that id, or None."""
        row = self.atlas.execute(sa.select(users).where(users.c.id == user_id)).mappings().first()
        return self._with_hubs(dict(row)) if row else None

    def _with_hubs(self, row: dict[str, Any]) -> dict[str, Any]:
        row["hubs"] = sorted(self.atlas.execute(sa.select(memberships.c.hub_id)
                                                .where(memberships.c.user_id == row["id"])).scalars())
        row["locked_until"] = _aware(row.get("locked_until"))
        return row

    def users(self, hubs: set[int] | None = None) -> list[dict[str, Any]]:
        """Every account (or the members of ``hubs``), by e-mail."""
        stmt = sa.select(users).order_by(users.c.email)
        if hubs is not None:
            stmt = stmt.where(users.c.id.in_(sa.select(memberships.c.user_id)
                                             .where(memberships.c.hub_id.in_(sorted(hubs)))))
        return [self._with_hubs(dict(r)) for r in self.atlas.execute(stmt).mappings()]

    def add(self, email: str, name: str, password_hash: str, role: str, *, hubs: list[int],
            organization_id: int | None) -> dict[str, Any]:
        """Create an account."""
        row = {"email": email.strip().lower(), "name": name, "password_hash": password_hash, "role": role,
               "organization_id": organization_id, "active": True, "created_at": now(), "failed_logins": 0,
               "locked_until": None}
        with self.atlas.transaction():
            user_id = self.atlas.execute(sa.insert(users).returning(users.c.id), [row]).scalar_one()
            self._set_hubs(user_id, hubs)
            self.atlas.trail.created("user", [self._public({**row, "id": user_id, "hubs": hubs})])
        return self.user_by_id(user_id)  # type: ignore[return-value]

    def update(self, user_id: int, changes: dict[str, Any], hubs: list[int] | None = None) -> dict[str, Any]:
        """Change an account's fields (and its hubs, when given)."""
        before = self.user_by_id(user_id)
        with self.atlas.transaction():
            if changes:
                self.atlas.execute(sa.update(users).where(users.c.id == user_id).values(**changes))
            if hubs is not None:
                self._set_hubs(user_id, hubs)
            after = self.user_by_id(user_id)
            if "failed_logins" not in changes:
                self.atlas.trail.changed("user", user_id, self._public(before), self._public(after))
        return after  # type: ignore[return-value]

    def remove(self, user_id: int) -> None:
        """Delete an account, its tokens and sessions."""
        before = self.user_by_id(user_id)
        with self.atlas.transaction():
            self.atlas.trail.deleted("user", [self._public(before)])
            self.atlas.execute(sa.delete(users).where(users.c.id == user_id))

    def _set_hubs(self, user_id: int, hubs: list[int]) -> None:
        self.atlas.execute(sa.delete(memberships).where(memberships.c.user_id == user_id))
        if hubs:
            self.atlas.execute(sa.insert(memberships), [{"user_id": user_id, "hub_id": h} for h in sorted(set(hubs))])

    @staticmethod
    def _public(row: dict[str, Any] | None) -> dict[str, Any]:
        # Never the password's hash in the audit trail: only that it changed.
        out = {k: v for k, v in (row or {}).items() if k not in ("password_hash", "created_at")}
        if row and "password_hash" in row:  # a fingerprint, so the trail shows when it changed, never what it is
            out["password"] = f"(set; fingerprint {digest(row['password_hash'])[:8]})"
        return out

    @staticmethod
    def principal(user: dict[str, Any], via: str) -> Principal:
        """The principal an account acts as."""
        return Principal("user", email=user["email"], user_id=user["id"], role=Role(user["role"]),
                         hubs=frozenset(user["hubs"]), organization_id=user["organization_id"], via=via)

    # -- tokens and sessions --------------------------------------------------------------------------------
    def add_token(self, user_id: int, label: str | None) -> tuple[int, str]:
        """A new API token for the account: its id, and the secret (shown once, never stored)."""
        secret = "eco_" + secrets.token_urlsafe(32)
        with self.atlas.transaction():
            token_id = self.atlas.execute(sa.insert(api_tokens).returning(api_tokens.c.id), [
                {"user_id": user_id, "label": label, "secret_hash": digest(secret), "created_at": now(),
                 "revoked_at": None}]).scalar_one()
            self.atlas.trail.created("api_token", [{"id": token_id, "user_id": user_id, "label": label}])
        return token_id, secret

    def tokens(self, user_id: int | None = None) -> list[dict[str, Any]]:
        """Tokens (of one account, or all), without their secrets."""
        stmt = (sa.select(api_tokens.c.id, users.c.email, api_tokens.c.label, api_tokens.c.created_at,
                          api_tokens.c.revoked_at).join(users, users.c.id == api_tokens.c.user_id)
                .order_by(api_tokens.c.id))
        if user_id is not None:
            stmt = stmt.where(api_tokens.c.user_id == user_id)
        return [dict(r) for r in self.atlas.execute(stmt).mappings()]

    def revoke_token(self, token_id: int) -> bool:
        """Revoke a token at once; False when no live token has that id."""
        with self.atlas.transaction():
            done = self.atlas.execute(sa.update(api_tokens).where(api_tokens.c.id == token_id,
                                                                  api_tokens.c.revoked_at.is_(None))
                                      .values(revoked_at=now())).rowcount
            if done:
                self.atlas.trail.changed("api_token", token_id, {"revoked": False}, {"revoked": True})
        return bool(done)

    def user_of_token(self, secret: str) -> dict[str, Any] | None:
        """The active account a live token belongs to."""
        stmt = (sa.select(api_tokens.c.user_id).where(api_tokens.c.secret_hash == digest(secret),
                                                      api_tokens.c.revoked_at.is_(None)))
        user_id = self.atlas.execute(stmt).scalar()
        user = self.user_by_id(user_id) if user_id is not None else None
        return user if user and user["active"] else None

    def add_session(self, user_id: int, lifetime: dt.timedelta) -> str:
        """A new browser session: its secret, for the cookie."""
        secret = secrets.token_urlsafe(32)
        self.atlas.execute(sa.insert(sessions), [{"user_id": user_id, "secret_hash": digest(secret),
                                                  "created_at": now(), "expires_at": now() + lifetime}])
        return secret

    def user_of_session(self, secret: str) -> dict[str, Any] | None:
        """The active account of a live session."""
        row = self.atlas.execute(sa.select(sessions.c.user_id, sessions.c.expires_at)
                                 .where(sessions.c.secret_hash == digest(secret))).first()
        if row is None or _aware(row.expires_at) < now():
            return None
        user = self.user_by_id(row.user_id)
        return user if user and user["active"] else None

    def end_sessions(self, user_id: int) -> None:
        """Sign every browser session of an account out."""
        self.atlas.execute(sa.delete(sessions).where(sessions.c.user_id == user_id))

    def end_session(self, secret: str) -> None:
        """Sign a browser session out (and forget the expired ones)."""
        self.atlas.execute(sa.delete(sessions).where(sa.or_(sessions.c.secret_hash == digest(secret),
                                                            sessions.c.expires_at < now())))

    # -- sharing -------------------------------------------------------------------------------------------
    def share(self, hub_id: int, with_hub_id: int) -> bool:
        """Grant ``with_hub_id`` network access to ``hub_id``'s records; False when it had it already."""
        exists = self.atlas.execute(sa.select(hub_shares.c.hub_id).where(
            hub_shares.c.hub_id == hub_id, hub_shares.c.with_hub_id == with_hub_id)).first()
        if exists:
            return False
        with self.atlas.transaction():
            self.atlas.execute(sa.insert(hub_shares), [{"hub_id": hub_id, "with_hub_id": with_hub_id,
                                                         "granted_by": self.atlas.principal.actor,
                                                         "granted_at": now()}])
            self.atlas.trail.created("hub_share", [{"id": hub_id, "hub_id": hub_id, "with_hub_id": with_hub_id}])
        return True

    def revoke_share(self, hub_id: int, with_hub_id: int) -> bool:
        """Withdraw a grant; False when there was none."""
        with self.atlas.transaction():
            done = self.atlas.execute(sa.delete(hub_shares).where(hub_shares.c.hub_id == hub_id,
                                                                   hub_shares.c.with_hub_id == with_hub_id)).rowcount
            if done:
                self.atlas.trail.deleted("hub_share", [{"id": hub_id, "hub_id": hub_id, "with_hub_id": with_hub_id}])
        return bool(done)

    def shares(self, hub_id: int | None = None) -> list[dict[str, Any]]:
        """Grants (given by or to ``hub_id``, or all)."""
        stmt = sa.select(hub_shares).order_by(hub_shares.c.hub_id, hub_shares.c.with_hub_id)
        if hub_id is not None:
            stmt = stmt.where(sa.or_(hub_shares.c.hub_id == hub_id, hub_shares.c.with_hub_id == hub_id))
        return [dict(r) for r in self.atlas.execute(stmt).mappings()]

    # -- site secrets --------------------------------------------------------------------------------------
    def secret(self, key: str) -> str:
        """A random secret kept in the atlas under ``key`` (made on first use), e.g. for CSRF tokens."""
        value = self.atlas.execute(sa.select(site_settings.c.value).where(site_settings.c.key == key)).scalar()
        if value is None:
            value = secrets.token_urlsafe(48)
            try:
                self.atlas.execute(sa.insert(site_settings), [{"key": key, "value": value}])
            except Exception:  # noqa: BLE001 - another process made it first: use theirs
                value = self.atlas.execute(sa.select(site_settings.c.value)
                                           .where(site_settings.c.key == key)).scalar_one()
        return value
