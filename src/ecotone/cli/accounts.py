"""The ``ecotone users``, ``tokens`` and ``people export|erase`` commands: who may use the atlas, and a person's data
on request. On a local atlas the command line acts as its owner. What each hub shares is ``ecotone share``
(cli/sharing.py), what changed ``ecotone changes`` (cli/changes.py); the rest of ``people`` (list, show, add,
update, delete) is in ``cli/records.py``."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Optional

import typer

from ._output import Format, console, emit, emit_record, errors
from .app import FormatOpt, _atlas, people_app, tokens_app, users_app

__all__ = ["users_app", "tokens_app", "people_app"]


ROLES = "admin (everything), manager (a hub's records, members and sharing), editor (create and change records of " \
        "their hubs or organisation) or viewer (read)"
HubOpt = Annotated[Optional[list[str]], typer.Option("--hub", help="A hub the user belongs to (name or id); "
                                                     "repeatable.")]
OrgOpt = Annotated[Optional[str], typer.Option("--organization", help="The organisation the user works for (name "
                                               "or id): its own records and people's contacts become theirs.")]


def _password(prompt: bool = True) -> str:
    """The password from ECOTONE_PASSWORD, else asked twice without echo."""
    from ..store import AtlasError

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
    from ..services import accounts

    with _atlas(ctx) as atlas:
        user = accounts.add_user(atlas, email, name=name, role=role, password=_password(), hubs=hub or [],
                                 organization=organization)
    emit_record(_user_row(user), fmt, title=f"Account {user['email']} created")


@users_app.command("list")
def users_list(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Every account with its role, hubs and organisation.

    Example: `ecotone users list --format csv`
    """
    from ..services import accounts

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
    from ..services import accounts

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
    from ..services import accounts

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
    from ..services import accounts

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
    from ..services import accounts

    with _atlas(ctx) as atlas:
        emit(accounts.list_tokens(atlas, email), fmt, title="API tokens")


@tokens_app.command("revoke")
def tokens_revoke(ctx: typer.Context, token_id: Annotated[int, typer.Argument(help="The token's id (see "
                                                                              "`ecotone tokens list`).")]) -> None:
    """Revoke a token: it stops working at once, on every server of the atlas.

    Example: `ecotone tokens revoke 3`
    """
    from ..services import accounts

    with _atlas(ctx) as atlas:
        accounts.revoke_token(atlas, token_id)
    console.print(f"Token {token_id} revoked.")


@people_app.command("export")
def people_export(ctx: typer.Context,
                  person: Annotated[str, typer.Argument(help="The person's id or exact name.")]) -> None:
    """Everything the atlas holds about a person, as JSON: their record and its history (GDPR art. 15).

    Example: `ecotone people export 'Dr. Ana Muller' > ana-muller.json`
    """
    from ..services import people

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
    from ..services import people

    if not yes and not typer.confirm(f"Erase {person} and their fields in the history? This cannot be undone"):
        raise typer.Exit(1)
    with _atlas(ctx) as atlas:
        result = people.erase_person(atlas, person)
    console.print(f"Erased {result['erased']}; {result['entries_blanked']} history entries blanked.")
