"""Regulatory pathways of an atlas: the published table with the hub's overrides, importing and resetting them."""

from __future__ import annotations

from pathlib import Path

from ..data.pathways import (OVERRIDE_COLUMNS, load_overrides, overrides_path, pathways_table, read_overrides,
                             remove_overrides, write_overrides)
from ..store import Atlas
from .analysis import Result, records

__all__ = ["list_pathways", "import_pathways", "reset_pathways"]

_COLUMNS = ["name", "region", "authority", "low", "typical", "high", "overridden", "assumption", "source", "url"]


def list_pathways(atlas: Atlas) -> Result:
    """Every pathway with its months (low, typical, high), whether the hub overrode it, and its source."""
    path = overrides_path(atlas.url)
    table = pathways_table(load_overrides(path))[_COLUMNS]
    return Result(tables={"pathways": records(table)},
                  summary={"pathways": len(table), "overridden": int(table["overridden"].sum()),
                           "overrides_file": str(path) if path.exists() else None})


def import_pathways(atlas: Atlas, file: Path, *, dry_run: bool = False) -> Result:
    """Replace the hub's overrides with those in ``file`` (CSV: pathway, low, typical, high, source). All or
    nothing: a file with any problem changes nothing; importing the same file again changes nothing."""
    found = read_overrides(Path(file))
    path = overrides_path(atlas.url)
    before = load_overrides(path)
    changed = {k for k in found.keys() | before.keys()
               if k not in found or k not in before or _figures(found[k]) != _figures(before[k])}
    if changed and not dry_run:
        write_overrides(path, found, action="import", origin=str(Path(file).resolve()))
    listed = list_pathways(atlas) if not dry_run else None
    rows = [{"pathway": p.name, **{c: getattr(p, c) for c in OVERRIDE_COLUMNS[1:]},
             "change": "unchanged" if k not in changed else ("updated" if k in before else "added")}
            for k, p in found.items()]
    rows += [{"pathway": before[k].name, "low": None, "typical": None, "high": None, "source": None,
              "change": "removed (back to the published figure)"} for k in before if k not in found]
    return Result(tables={"overrides": rows, **(listed.tables if listed else {})},
                  summary={"overrides": len(found), "changed": len(changed), "dry_run": dry_run,
                           "overrides_file": str(path)})


def reset_pathways(atlas: Atlas) -> Result:
    """Drop the hub's overrides: every pathway goes back to its published figures."""
    path = overrides_path(atlas.url)
    count = len(load_overrides(path))
    removed = remove_overrides(path)
    return Result(tables={}, summary={"removed": count if removed else 0, "overrides_file": str(path)})


def _figures(p) -> tuple:
    return (p.low, p.typical, p.high, p.source)
