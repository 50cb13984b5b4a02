"""Accounts and sharing: users and roles, API tokens, signing in and out, hubs sharing their records with others."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from ..domain.access import ROLE_RANK, Principal, Role
from ..settings import Settings
from ..store import Atlas
from ..store.accounts import Accounts, now
from ..store.atlas import AtlasError, Forbidden, NotFound, NotSignedIn

__all__ = ["add_user", "update_user", "remove_user", "list_users", "create_token", "revoke_token", "list_tokens",
           "sign_in", "sign_out", "principal_of", "share", "unshare", "shares", "has_accounts", "csrf_secret",
           "SignInRefused", "MIN_PASSWORD", "SESSION_LIFETIME"]

MIN_PASSWORD = 10
SESSION_LIFETIME = dt.timedelta(days=7)
#: After this many failed sign-ins in a row, the account is locked for a while (doubling each time, up to an hour).
LOCK_AFTER = 5
#: Every failed sign-in waits this long before answering, known e-mail or not (guessing is slow, and the answer's
#: timing does not tell whether an account exists).
_FAILURE_WAIT = 0.5
def _password_hasher() -> PasswordHash:
    """Argon2id with the library's current parameters, or at its smallest cost where the settings ask for it
    (test suites only: see :class:`~ecotone.settings.Settings`)."""
    if Settings().password_hash_cost == "minimal":
        return PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))
    return PasswordHash.recommended()


_hasher = _password_hasher()
# Verified when no account has the e-mail, so that an unknown e-mail takes as long as a wrong password.
_DUMMY = _hasher.hash("not a password of anyone")


class SignInRefused(AtlasError):
    """Signing in failed; ``retry_after`` (seconds) is set when the account is locked for a while."""

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _role(role: str | Role) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise AtlasError(f"no role {role!r}; roles: {', '.join(r.value for r in Role)}") from None


def _password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AtlasError(f"a password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def _email(email: str) -> str:
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or " " in email or len(email) > 320:
        raise AtlasError(f"{email!r} is not an e-mail address")
    return email


def _may_manage(atlas: Atlas, hubs: set[int], role: Role | None = None) -> None:
    """Admins manage every account; a hub's manager the editors and viewers of their own hubs."""
    p = atlas.principal
    if p.is_admin:
        return
    if not p.signed_in:
        raise NotSignedIn("sign in to manage accounts")
    if p.role is not Role.manager:
        raise Forbidden(f"{p.actor} may not manage accounts: that takes a hub manager or an admin")
    if not hubs or not hubs <= p.hubs:
        raise Forbidden(f"{p.actor} manages only the members of their own hubs")
    if role is not None and ROLE_RANK[role] >= ROLE_RANK[Role.manager]:
        raise Forbidden("only an admin may make managers and admins")


def _public(user: dict[str, Any], atlas: Atlas) -> dict[str, Any]:
    hubs = atlas.names("hub", user["hubs"]) if user["hubs"] else {}
    org = atlas.names("organization", [user["organization_id"]]) if user["organization_id"] else {}
    return {"id": user["id"], "email": user["email"], "name": user["name"], "role": user["role"],
            "hubs": [hubs.get(h, str(h)) for h in user["hubs"]], "hub_ids": user["hubs"],
            "organization": org.get(user["organization_id"]), "organization_id": user["organization_id"],
            "active": user["active"], "failed_logins": user["failed_logins"]}


def _hub_ids(atlas: Atlas, hubs: list[str] | None) -> list[int]:
    return [atlas.hub_id(h) for h in hubs or []]


def add_user(atlas: Atlas, email: str, *, name: str, role: str | Role, password: str,
             hubs: list[str] | None = None, organization: str | None = None) -> dict[str, Any]:
    """Create an account.

    Parameters
    ----------
    atlas : Atlas
        The atlas, acting for whoever creates the account (an admin, a hub's manager, or the command line).
    email, name : str
        Who it is; the e-mail is the sign-in name (any case).
    role : {"admin", "manager", "editor", "viewer"}
    password : str
        At least ``MIN_PASSWORD`` characters; only its Argon2 hash is kept.
    hubs : list of str, optional
        Hubs (names or ids) the user belongs to.
    organization : str, optional
        The organisation (name or id) the user works for: a founder editing their startup's profile.

    Examples
    --------
    >>> with Atlas.open("sqlite://") as atlas:
    ...     user = add_user(atlas, "Ana@Example.org", name="Ana", role="viewer", password="a long passphrase")
    ...     user["email"], user["role"], sign_in(atlas, "ana@example.org", "a long passphrase")[1].role.value
    ('ana@example.org', 'viewer', 'viewer')
    """
    email, role = _email(email), _role(role)
    hub_ids = _hub_ids(atlas, hubs)
    _may_manage(atlas, set(hub_ids), role)
    accounts = Accounts(atlas)
    if accounts.user(email) is not None:
        raise AtlasError(f"an account for {email} exists already; change it with: ecotone users update {email}")
    org_id = atlas.organization_id(organization) if organization else None
    return _public(accounts.add(email, name, _password(password), role.value, hubs=hub_ids,
                                organization_id=org_id), atlas)


def _user(atlas: Atlas, email: str) -> dict[str, Any]:
    user = Accounts(atlas).user(email)
    if user is None or (not atlas.principal.is_admin and not set(user["hubs"]) & atlas.principal.hubs):
        raise NotFound(f"no account has the e-mail {email!r}; list them with: ecotone users list")
    return user


def update_user(atlas: Atlas, email: str, *, name: str | None = None, role: str | Role | None = None,
                password: str | None = None, hubs: list[str] | None = None, organization: str | None = None,
                active: bool | None = None) -> dict[str, Any]:
    """Change an account: its name, role, password, hubs (replacing them), organisation or whether it may sign in
    (``active=False`` also ends its sessions' use at once)."""
    user = _user(atlas, email)
    new_role = _role(role) if role is not None else Role(user["role"])
    hub_ids = _hub_ids(atlas, hubs) if hubs is not None else None
    _may_manage(atlas, set(user["hubs"]) | set(hub_ids or []), new_role)
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = name
    if role is not None:
        changes["role"] = new_role.value
    if password is not None:
        changes.update(password_hash=_password(password), failed_logins=0, locked_until=None)
    if organization is not None:
        changes["organization_id"] = atlas.organization_id(organization) if organization else None
    if active is not None:
        changes["active"] = active
    accounts = Accounts(atlas)
    updated = accounts.update(user["id"], changes, hub_ids)
    if password is not None or active is False:
        accounts.end_sessions(user["id"])  # a new password, or a closed account, signs every browser out
    return _public(updated, atlas)


def remove_user(atlas: Atlas, email: str) -> None:
    """Delete an account with its tokens and sessions (what it wrote stays, under its e-mail, in the trail)."""
    user = _user(atlas, email)
    _may_manage(atlas, set(user["hubs"]), Role(user["role"]))
    Accounts(atlas).remove(user["id"])


def list_users(atlas: Atlas) -> list[dict[str, Any]]:
    """Every account an admin may see; a manager sees the members of their hubs."""
    p = atlas.principal
    if not p.is_admin:
        _may_manage(atlas, set(p.hubs))
    return [_public(u, atlas) for u in Accounts(atlas).users(None if p.is_admin else set(p.hubs))]


def create_token(atlas: Atlas, email: str, label: str | None = None) -> str:
    """A new API token for the account (``Authorization: Bearer TOKEN``): returned once, only its hash is kept.
    Users may make tokens for themselves; admins for anyone."""
    user = Accounts(atlas).user(email)
    p = atlas.principal
    if user is None or not (p.is_admin or p.user_id == user["id"]):
        raise NotFound(f"no account has the e-mail {email!r}; create it with: ecotone users add {email} ...")
    return Accounts(atlas).add_token(user["id"], label)[1]


def list_tokens(atlas: Atlas, email: str | None = None) -> list[dict[str, Any]]:
    """Tokens (ids, owners, labels, when made and revoked), never their secrets."""
    p = atlas.principal
    user_id = None
    if email is not None:
        user = Accounts(atlas).user(email)
        if user is None:
            raise NotFound(f"no account has the e-mail {email!r}")
        user_id = user["id"]
    if not p.is_admin:
        user_id = p.user_id
    return Accounts(atlas).tokens(user_id)


def revoke_token(atlas: Atlas, token_id: int) -> None:
    """Revoke a token: it stops working at once, in every server process of the atlas."""
    accounts = Accounts(atlas)
    owned = {t["id"] for t in accounts.tokens(None if atlas.principal.is_admin else atlas.principal.user_id)}
    if token_id not in owned or not accounts.revoke_token(token_id):
        raise NotFound(f"no live token has id {token_id}; list them with: ecotone tokens list")


def sign_in(atlas: Atlas, email: str, password: str, *, via: str = "web") -> tuple[str, Principal]:
    """Check an e-mail and password; returns a new session's secret and the principal.

    Each failure is counted on the account and waits half a second before answering; after ``LOCK_AFTER`` in a
    row the account is locked for 1, 2, 4… minutes (up to an hour).
    """
    accounts = Accounts(atlas)
    user = accounts.user(email) if email and len(email) <= 320 else None
    if len(password) > 1000:  # no password is that long: refused before hashing megabytes
        password = ""
    if user is None:
        _hasher.verify(password, _DUMMY)
        time.sleep(_FAILURE_WAIT)
        raise SignInRefused("the e-mail or the password is wrong")
    if user["locked_until"] is not None and user["locked_until"] > now():
        wait = int((user["locked_until"] - now()).total_seconds()) + 1
        raise SignInRefused(f"too many failed sign-ins: try again in {max(1, wait // 60)} minute(s), or ask an "
                            "admin to reset the password", retry_after=wait)
    valid, rehashed = _hasher.verify_and_update(password, user["password_hash"])
    if not user["active"] or not valid:
        failed = user["failed_logins"] + 1
        lock = None
        if failed >= LOCK_AFTER:
            lock = now() + dt.timedelta(minutes=min(2 ** (failed - LOCK_AFTER), 60))
        accounts.update(user["id"], {"failed_logins": failed, "locked_until": lock})
        time.sleep(_FAILURE_WAIT)
        raise SignInRefused("the e-mail or the password is wrong")
    if user["failed_logins"] or rehashed:
        fresh = {"password_hash": rehashed} if rehashed else {}  # the library's parameters moved on
        accounts.update(user["id"], {"failed_logins": 0, "locked_until": None, **fresh})
    return accounts.add_session(user["id"], SESSION_LIFETIME), Accounts.principal(user, via)


def sign_out(atlas: Atlas, session: str) -> None:
    """End a browser session."""
    Accounts(atlas).end_session(session)


def principal_of(atlas: Atlas, *, token: str | None = None, session: str | None = None) -> Principal | None:
    """The principal of an API token (``via`` api) or a session cookie (``via`` web); None when neither is
    live."""
    accounts = Accounts(atlas)
    if token:
        user = accounts.user_of_token(token)
        return Accounts.principal(user, "api") if user else None
    if session:
        user = accounts.user_of_session(session)
        return Accounts.principal(user, "web") if user else None
    return None


def has_accounts(atlas: Atlas) -> bool:
    """Whether any account exists."""
    return Accounts(atlas).count() > 0


def csrf_secret(atlas: Atlas) -> str:
    """The secret that signs this atlas's CSRF tokens (made once, kept in the atlas)."""
    return Accounts(atlas).secret("csrf")


def _may_share(atlas: Atlas, hub_id: int) -> None:
    p = atlas.principal
    if p.is_admin:
        return
    if not p.signed_in:
        raise NotSignedIn("sign in as the hub's manager to share it")
    if p.role is not Role.manager or hub_id not in p.hubs:
        raise Forbidden(f"{p.actor} may not change this hub's sharing: that takes its manager or an admin")


def share(atlas: Atlas, hub: str, with_hub: str) -> dict[str, Any]:
    """Grant ``with_hub``'s members network access to ``hub``'s records (those marked ``network``).

    Examples
    --------
    >>> from ecotone.domain import Hub
    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = atlas.add_all([Hub(name="Medical Innovation Institute"), Hub(name="Barcelona Health Hub")])
    ...     share(atlas, "Medical Innovation Institute", "Barcelona")["shared"]
    True
    """
    hub_id, with_id = atlas.hub_id(hub), atlas.hub_id(with_hub)
    if hub_id == with_id:
        raise AtlasError("a hub's members see its network records already; name another hub")
    _may_share(atlas, hub_id)
    done = Accounts(atlas).share(hub_id, with_id)
    return {"hub": atlas.names("hub", [hub_id])[hub_id], "with": atlas.names("hub", [with_id]).get(with_id),
            "shared": done}


def unshare(atlas: Atlas, hub: str, with_hub: str) -> dict[str, Any]:
    """Withdraw a grant: ``with_hub``'s members stop seeing ``hub``'s network records at once."""
    hub_id, with_id = atlas.hub_id(hub), atlas.hub_id(with_hub)
    _may_share(atlas, hub_id)
    if not Accounts(atlas).revoke_share(hub_id, with_id):
        raise NotFound("that hub does not share with that one; see: ecotone share --list")
    return {"hub": atlas.names("hub", [hub_id])[hub_id], "with": atlas.names("hub", [with_id]).get(with_id),
            "shared": False}


def shares(atlas: Atlas, hub: str | None = None) -> list[dict[str, Any]]:
    """Who shares with whom (given by or to ``hub``, or every grant), between hubs the caller may see; who granted
    it only to the hub's managers and admins (it is someone's e-mail)."""
    grants = Accounts(atlas).shares(atlas.hub_id(hub) if hub else None)
    names = atlas.names("hub", [g["hub_id"] for g in grants] + [g["with_hub_id"] for g in grants])
    p = atlas.principal
    return [{"hub": names[g["hub_id"]], "with": names[g["with_hub_id"]],
             "granted_by": g["granted_by"] if p.is_admin or (p.role is Role.manager and g["hub_id"] in p.hubs)
             else None, "granted_at": g["granted_at"], "hub_id": g["hub_id"], "with_hub_id": g["with_hub_id"]}
            for g in grants if g["hub_id"] in names and g["with_hub_id"] in names]
