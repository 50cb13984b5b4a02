"""Regulatory pathways of an atlas: the published table with the hub's overrides, importing and resetting them."""

from __future__ import annotations

import getpass
from pathlib import Path

from ..data.pathways import (OVERRIDE_COLUMNS, load_overrides, overrides_path, pathways_table, published,
                             read_overrides, remove_overrides, write_overrides)
from ..domain.access import OWNER
from ..store import Atlas
from .analysis import Result, records

__all__ = ["list_pathways", "import_pathways", "reset_pathways", "who"]

#: The listed columns; the first four of the overrides file lead, so the list exported as CSV imports back.
_COLUMNS = ["pathway", "low", "typical", "high", "source", "url", "region", "authority", "overridden", "assumption"]


def list_pathways(atlas: Atlas) -> Result:
    """Every pathway with its months (low, typical, high), its source, whether the hub overrode it. The table's
    columns are those of an overrides file and more, so its CSV, edited, is a file ``import_pathways`` reads."""
    path = overrides_path(atlas.url)
    table = pathways_table(load_overrides(path)).rename(columns={"name": "pathway"})[_COLUMNS]
    return Result(tables={"pathways": records(table)},
                  summary={"pathways": len(table), "overridden": int(table["overridden"].sum()),
                           "overrides_file": str(path) if path.exists() else None})


def import_pathways(atlas: Atlas, file: Path, *, dry_run: bool = False) -> Result:
    """Replace the hub's overrides with those in ``file`` (CSV: pathway, low, typical, high, source; url and the
    other columns of the exported list are read or ignored). A row with exactly the published figures is no
    override, so the list exported unedited changes nothing. All or nothing: a file with any problem changes
    nothing; importing the same file again changes nothing."""
    rows_read = read_overrides(Path(file))
    found = {k: p for k, p in rows_read.items() if not published(p)}
    path = overrides_path(atlas.url)
    before = load_overrides(path)
    changed = {k for k in found.keys() | before.keys()
               if k not in found or k not in before or _figures(found[k]) != _figures(before[k])}
    if changed and not dry_run:
        write_overrides(path, found, action="import", origin=str(Path(file).resolve()), who=who(atlas))
    listed = list_pathways(atlas) if not dry_run else None
    rows = [{"pathway": p.name, **{c: getattr(p, c) for c in OVERRIDE_COLUMNS[1:]},
             "change": ("published figure (no override)" if k not in found else "unchanged" if k not in changed
                        else "updated" if k in before else "added")}
            for k, p in rows_read.items() if k in found or k not in before]
    rows += [{"pathway": before[k].name, "low": None, "typical": None, "high": None, "source": None,
              "change": "removed (back to the published figure)"} for k in before if k not in found]
    return Result(tables={"overrides": rows, **(listed.tables if listed else {})},
                  summary={"overrides": len(found), "changed": len(changed), "dry_run": dry_run,
                           "overrides_file": str(path)})


def reset_pathways(atlas: Atlas) -> Result:
    """Drop the hub's overrides: every pathway goes back to its published figures."""
    path = overrides_path(atlas.url)
    count = len(load_overrides(path))
    removed = remove_overrides(path, who=who(atlas))
    return Result(tables={}, summary={"removed": count if removed else 0, "overrides_file": str(path)})


def who(atlas) -> str:
    """Who changes the overrides, for their log: the atlas's principal as the audit trail names it (``cli`` for
    the command line's owner on a local atlas, with the operating-system user when known; a user's e-mail).

    Examples
    --------
    >>> from ecotone.domain.access import Principal, Role
    >>> class A: principal = Principal("user", email="ana@bcn.org", role=Role.admin)
    >>> who(A())
    'ana@bcn.org'
    >>> who(object()).startswith("cli")
    True
    """
    principal = getattr(atlas, "principal", OWNER)
    if principal.kind != "owner":
        return principal.actor
    try:
        user = getpass.getuser()
    except (OSError, KeyError, ImportError):
        user = ""
    return f"{principal.actor} ({user})" if user else principal.actor


def _figures(p) -> tuple:
    return (p.low, p.typical, p.high, p.source, p.url)
