"""The ``ecotone users``, ``tokens``, ``share``, ``changes`` and ``people export|erase`` commands: who may use the
atlas, what each hub shares, what changed (and its undoing), and a person's data on request. On a local atlas the
command line acts as its owner. The rest of ``people`` (list, show, add, update, delete) is in ``cli/records.py``."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Optional

import typer

from ..services import accounts, changes, people
from ..store import AtlasError
from ._output import Format, console, emit, emit_record, errors
from .app import FormatOpt, _atlas, app

__all__ = ["users_app", "tokens_app", "people_app"]

users_app = typer.Typer(help="Accounts of the people who use the atlas through the browser or the API: their role "
                             "(admin, manager, editor, viewer), hubs and organisation.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens (`Authorization: Bearer TOKEN`): create one for an account, list and "
                              "revoke them.", no_args_is_help=True)
people_app = typer.Typer(help="People in the organisations (clinicians, mentors, programme managers): list, show, "
                              "add, update and delete them; their own data on request: export it (GDPR art. 15) or "
                              "erase it (art. 17).", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(people_app, name="people")

ROLES = "admin (everything), manager (a hub's records, members and sharing), editor (create and change records of " \
        "their hubs or organisation) or viewer (read)"
HubOpt = Annotated[Optional[list[str]], typer.Option("--hub", help="A hub the user belongs to (name or id); "
                                                     "repeatable.")]
OrgOpt = Annotated[Optional[str], typer.Option("--organization", help="The organisation the user works for (name "
                                               "or id): its own records and people's contacts become theirs.")]


def _password(prompt: bool = True) -> str:
    """The password from ECOTONE_PASSWORD, else asked twice without echo."""
    given = os.environ.get("ECOTONE_PASSWORD")
    if given:
        return given
    if not prompt or not sys.stdin.isatty():
        raise AtlasError("no password: set ECOTONE_PASSWORD, or run the command in a terminal to be asked")
    first = typer.prompt("Password", hide_input=True)
    if typer.prompt("Password again", hide_input=True) != first:
        raise AtlasError("the two passwords differ; nothing was changed")
    return first


def _user_row(user: dict) -> dict:
    return {"email": user["email"], "name": user["name"], "role": user["role"], "hubs": ", ".join(user["hubs"]),
            "organization": user["organization"] or "", "active": user["active"],
            "failed_logins": user["failed_logins"]}


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The user's e-mail: their sign-in name.")],
    name: Annotated[str, typer.Option(help="Their name, as colleagues know it.")],
    role: Annotated[str, typer.Option(help=f"One of: {ROLES}.")],
    hub: HubOpt = None,
    organization: OrgOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Create an account. The password comes from the ECOTONE_PASSWORD environment variable, else it is asked
    twice, hidden; only its Argon2 hash is kept (at least 10 characters).

    Example: `ecotone users add ana@bcnhealthhub.org --name 'Ana Puig' --role manager --hub 'Barcelona Health Hub'`
    """
    with _atlas(ctx) as atlas:
        user = accounts.add_user(atlas, email, name=name, role=role, password=_password(), hubs=hub or [],
                                 organization=organization)
    emit_record(_user_row(user), fmt, title=f"Account {user['email']} created")


@users_app.command("list")
def users_list(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Every account with its role, hubs and organisation.

    Example: `ecotone users list --format csv`
    """
    with _atlas(ctx) as atlas:
        emit([_user_row(u) for u in accounts.list_users(atlas)], fmt, title="Accounts")


@users_app.command("update")
def users_update(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account's e-mail.")],
    name: Annotated[Optional[str], typer.Option(help="A new name.")] = None,
    role: Annotated[Optional[str], typer.Option(help=f"A new role: {ROLES}.")] = None,
    hub: Annotated[Optional[list[str]], typer.Option("--hub", help="The hubs the user belongs to from now on "
                                                     "(replacing the others); repeatable.")] = None,
    organization: Annotated[Optional[str], typer.Option("--organization", help="A new organisation ('' for "
                                                        "none).")] = None,
    password: Annotated[bool, typer.Option("--password", help="Set a new password (ECOTONE_PASSWORD, or asked "
                                           "twice); also unlocks an account locked by failed sign-ins.")] = False,
    active: Annotated[Optional[bool], typer.Option("--active/--inactive", help="Allow or stop signing in (its "
                                                   "tokens and sessions stop working at once).")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Change an account: name, role, hubs, organisation, password, whether it may sign in.

    Example: `ecotone users update ana@bcnhealthhub.org --role editor --hub Barcelona --hub 'Medical Innovation Institute'`
    """
    with _atlas(ctx) as atlas:
        user = accounts.update_user(atlas, email, name=name, role=role, hubs=hub, organization=organization,
                                    password=_password() if password else None, active=active)
    emit_record(_user_row(user), fmt, title=f"Account {user['email']} changed")


@users_app.command("remove")
def users_remove(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account's e-mail.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete an account with its tokens and sessions; what it changed stays in the history under its e-mail.

    Example: `ecotone users remove old.intern@example.org --yes`
    """
    if not yes and not typer.confirm(f"Remove the account {email}?"):
        raise typer.Exit(1)
    with _atlas(ctx) as atlas:
        accounts.remove_user(atlas, email)
    console.print(f"Account {email} removed.")


@tokens_app.command("create")
def tokens_create(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account the token acts for.")],
    label: Annotated[Optional[str], typer.Option(help="What the token is for (shown in `ecotone tokens list`).")]
    = None,
) -> None:
    """Create an API token and print it once, alone on the last line (only its hash is kept: store it now).

    Example: `TOKEN=$(ecotone tokens create ana@bcnhealthhub.org --label dashboard | tail -1)` then
    `curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/api/v1/me`
    """
    with _atlas(ctx) as atlas:
        secret = accounts.create_token(atlas, email, label)
    errors.print(f"API token for {email}{f' ({label})' if label else ''}; it is shown only now:")
    print(secret)


@tokens_app.command("list")
def tokens_list(ctx: typer.Context,
                email: Annotated[Optional[str], typer.Argument(help="Only this account's tokens.")] = None,
                fmt: FormatOpt = Format.table) -> None:
    """Tokens with their ids, accounts, labels and when they were made or revoked (never the tokens themselves).

    Example: `ecotone tokens list ana@bcnhealthhub.org`
    """
    with _atlas(ctx) as atlas:
        emit(accounts.list_tokens(atlas, email), fmt, title="API tokens")


@tokens_app.command("revoke")
def tokens_revoke(ctx: typer.Context, token_id: Annotated[int, typer.Argument(help="The token's id (see "
                                                                              "`ecotone tokens list`).")]) -> None:
    """Revoke a token: it stops working at once, on every server of the atlas.

    Example: `ecotone tokens revoke 3`
    """
    with _atlas(ctx) as atlas:
        accounts.revoke_token(atlas, token_id)
    console.print(f"Token {token_id} revoked.")


@app.command()
def share(
    ctx: typer.Context,
    hub: Annotated[Optional[str], typer.Argument(help="The hub whose network records are shared.")] = None,
    with_hub: Annotated[Optional[str], typer.Option("--with", help="The hub whose members may see them.")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List who shares with whom (of HUB, or all).")] = False,
    revoke: Annotated[bool, typer.Option("--revoke", help="Withdraw HUB's grant to --with.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Share a hub's records marked `network` with another hub's members, list the grants, or withdraw one.

    Example: `ecotone share 'Medical Innovation Institute' --with 'Barcelona Health Hub'`;
    `ecotone share --list`; `ecotone share 'Medical Innovation Institute' --with Barcelona --revoke`
    """
    with _atlas(ctx) as atlas:
        if list_:
            emit(accounts.shares(atlas, hub), fmt, title="Hubs sharing their network records")
            return
        if not hub or not with_hub:
            raise AtlasError("name the hub and the one to share with: ecotone share HUB --with OTHER "
                             "(or ecotone share --list)")
        result = accounts.unshare(atlas, hub, with_hub) if revoke else accounts.share(atlas, hub, with_hub)
    if fmt is Format.table:
        verb = "no longer shares" if revoke else ("now shares" if result["shared"] else "already shares")
        console.print(f"{result['hub']} {verb} its network records with {result['with']}.")
    else:
        emit([result], fmt)


@app.command("changes")
def changes_(
    ctx: typer.Context,
    record: Annotated[Optional[str], typer.Option(help="One record's history: KIND:ID, e.g. organization:12.")] = None,
    user: Annotated[Optional[str], typer.Option(help="Changes made by this e-mail (or cli).")] = None,
    since: Annotated[Optional[str], typer.Option(help="On or after this day (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.", min=1)] = 50,
    revert: Annotated[Optional[int], typer.Option(
        "--revert", metavar="ID", help="Undo the change with this id (a deletion comes back with all it took); "
                                       "the revert is a change of its own.")] = None,
    undo_import: Annotated[Optional[str], typer.Option(
        "--undo-import", metavar="CHANGE_SET", help="Undo a whole import (or any change set): what it created goes, "
                                                    "what it changed gets its values back.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Revert or undo without asking for confirmation.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """The audit trail: who changed what, when, through what (cli, api, web), with the fields before and after and
    the change set each belongs to (an import, a deletion with what went with it); revert one change, or undo a
    whole import.

    Example: `ecotone changes --record organization:12`; `ecotone changes --user ana@bcnhealthhub.org --since 2026-12-01`;
    `ecotone changes --revert 1342`; `ecotone changes --undo-import 5f0c…` (the id the import report gives)
    """
    if revert is not None or undo_import is not None:
        _undo(ctx, revert, undo_import, yes, fmt)
        return
    with _atlas(ctx) as atlas:
        found = changes.list_changes(atlas, record=record, user=user, since=since, limit=limit)
    if fmt is Format.json:
        print(json.dumps(found["data"], ensure_ascii=False, indent=2))
        return
    rows = [{"id": c["id"], "at": c["at"][:19], "actor": c["actor"], "via": c["via"],
             "action": c["action"], "record": c["record"], "fields": _fields(c, fmt is Format.table),
             "note": c["note"] or "", "change_set": c["change_set"] or ""} for c in found["data"]]
    emit(rows, fmt, title="Changes", footer=f"{len(rows)} of {found['count']:,} shown")


def _undo(ctx: typer.Context, revert: int | None, change_set: str | None, yes: bool, fmt: Format) -> None:
    """Revert one change or undo a change set, after asking."""
    if revert is not None and change_set is not None:
        raise AtlasError("give --revert ID or --undo-import CHANGE_SET, not both")
    question = (f"Revert change {revert}: its record gets back what it had before (a deletion, all it took)?"
                if revert is not None else
                f"Undo change set {change_set}: every record it created is deleted, every record it changed or "
                "deleted gets its values back?")
    if not yes and not typer.confirm(question):
        console.print("Nothing was changed.")
        raise typer.Exit(1)
    with _atlas(ctx) as atlas:
        result = (changes.revert_change(atlas, revert) if revert is not None
                  else changes.undo_change_set(atlas, change_set))
    if fmt is Format.table:
        console.print(result["summary"])
    else:
        emit_record(result, fmt)


def _fields(change: dict, short: bool) -> str:
    if change["erased"]:
        return "(erased on request)"
    if change["action"] == "update":
        return "; ".join(f"{k}: {change['before'].get(k)!r} → {v!r}" for k, v in change["after"].items())
    names = ", ".join(sorted((change["after"] or change["before"]).keys() - {"id"}))
    return names[:120] + "…" if short and len(names) > 120 else names


@people_app.command("export")
def people_export(ctx: typer.Context,
                  person: Annotated[str, typer.Argument(help="The person's id or exact name.")]) -> None:
    """Everything the atlas holds about a person, as JSON: their record and its history (GDPR art. 15).

    Example: `ecotone people export 'Dr. Ana Muller' > ana-muller.json`
    """
    with _atlas(ctx) as atlas:
        print(json.dumps(people.export_person(atlas, person), ensure_ascii=False, indent=2, default=str))


@people_app.command("erase")
def people_erase(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="The person's id or exact name.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a person on their request (GDPR art. 17): the record goes, and the history keeps that it changed but
    not the person's fields.

    Example: `ecotone people erase 'Dr. Ana Muller' --yes`
    """
    if not yes and not typer.confirm(f"Erase {person} and their fields in the history? This cannot be undone"):
        raise typer.Exit(1)
    with _atlas(ctx) as atlas:
        result = people.erase_person(atlas, person)
    console.print(f"Erased {result['erased']}; {result['entries_blanked']} history entries blanked.")
