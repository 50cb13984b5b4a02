"""The JSON bundle: Ecotone's lossless, versioned file of a whole atlas."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from .. import __version__
from ..domain import ENTITIES, REFERENCES
from ..domain.batch import Batch, Origin
from ..domain.problems import InputRejected, Problem

__all__ = ["FORMAT", "VERSION", "bundle_of", "write_bundle", "read_bundle"]

FORMAT = "ecotone-bundle"
VERSION = 1


#: Fields naming an account (not a record): left empty in a bundle, which another atlas's accounts would not match.
_ACCOUNTS = {"judge": ("user_id",)}


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def bundle_of(records: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """A bundle of table rows (per entity, in id order). Ids are renumbered 1, 2, … per kind and every reference
    follows, so the same atlas content always gives the same bundle, whatever ids its database assigned.
    References to records that are not in ``records`` are left out.

    Examples
    --------
    >>> rows = {"hub": [{"id": 40, "name": "Munich"}],
    ...         "organization": [{"id": 7, "name": "XLHealth", "type": "investor", "hub_id": 40}]}
    >>> bundle_of(rows)["records"]["organization"][0]["hub_id"]
    1
    """
    renumber: dict[str, dict[int, int]] = {e: {row["id"]: n for n, row in enumerate(rows, 1)}
                                           for e, rows in records.items()}
    out: dict[str, list[dict[str, Any]]] = {}
    for entity, rows in records.items():
        refs = REFERENCES[entity]
        fields = list(ENTITIES[entity].model_fields)
        converted = []
        for row in rows:
            item = {f: _json_value(row.get(f)) for f in fields}
            item["id"] = renumber[entity][row["id"]]
            # A reference to a record the bundle does not hold (one its exporter may not see) is left out.
            for column, target in {**refs, **({"owner_id": row["owner_kind"]} if row.get("owner_kind") else {})}.items():
                value = item.get(column)
                known = renumber.get(target, {})
                if isinstance(value, list):
                    item[column] = [known[v] for v in value if v in known]
                elif value is not None:
                    item[column] = known.get(value)
            for column in _ACCOUNTS.get(entity, ()):  # accounts are not records: a bundle holds none
                item[column] = None
            if item.get("owner_kind") and item.get("owner_id") is None:
                item["owner_kind"] = None
            converted.append(item)
        out[entity] = converted
    return {"format": FORMAT, "version": VERSION, "generator": f"ecotone {__version__}", "records": out}


def write_bundle(bundle: dict[str, Any], path: Path) -> None:
    """Write a bundle as UTF-8 JSON with sorted keys (stable for diffs)."""
    text = json.dumps(bundle, ensure_ascii=False, indent=1, sort_keys=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(path)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(item: dict[str, Any]) -> tuple[str, str] | None:
    """The field of a record holding text no database stores (NUL, which PostgreSQL refuses, or half of a UTF-16
    pair, which is not UTF-8), and why; None when every text can be stored."""
    for field, value in item.items():
        pending = [field, value]
        while pending:
            text = pending.pop()
            if isinstance(text, str):
                found = _UNSTORABLE.search(text)
                if found:
                    return str(field), (f"holds the character U+{ord(found.group()):04X}, which cannot be stored; "
                                        "remove it")
            elif isinstance(text, dict):
                pending.extend([*text.keys(), *text.values()])
            elif isinstance(text, list):
                pending.extend(text)
    return None


def read_bundle(path: Path) -> Batch:
    """Read a bundle file into a batch (ids stay bundle-local until the merge maps them).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "atlas.json"
    >>> write_bundle(bundle_of({"hub": [{"id": 7, "name": "BioCity Nottingham", "visibility": "public",
    ...                                  "external_ids": {}, "kind": "science_park"}]}), path)
    >>> [(h.id, h.name) for h, _ in read_bundle(path).records["hub"]]
    [(1, 'BioCity Nottingham')]
    """
    name = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputRejected([Problem(name, reason="file not found", hint="check the path")]) from None
    except (UnicodeDecodeError, IsADirectoryError) as exc:
        raise InputRejected([Problem(name, reason=f"cannot be read as UTF-8 text ({exc.__class__.__name__})")]) from None
    except json.JSONDecodeError as exc:
        raise InputRejected([Problem(name, row=exc.lineno, column=f"character {exc.colno}",
                                     reason=f"is not valid JSON: {exc.msg}")]) from None
    except RecursionError:
        raise InputRejected([Problem(name, reason="nests deeper than JSON is read here (a bundle nests four levels)",
                                     hint="export the bundle again")]) from None
    except ValueError as exc:  # a number of more than 4,300 digits
        raise InputRejected([Problem(name, reason=f"cannot be read as JSON: {exc}")]) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputRejected([Problem(name, reason=f"is not an Ecotone bundle (no \"format\": \"{FORMAT}\")",
                                     hint="export one with: ecotone export bundle FILE.json")])
    if data.get("version") != VERSION:
        raise InputRejected([Problem(name, column="version", reason=f"bundle version {data.get('version')!r} is not "
                                     f"supported; this Ecotone reads version {VERSION}",
                                     hint="upgrade Ecotone, or export the bundle again")])
    records = data.get("records")
    if not isinstance(records, dict):
        raise InputRejected([Problem(name, column="records", reason="must be an object of record lists")])
    batch = Batch()
    for entity, items in records.items():
        if entity not in ENTITIES:
            batch.problems.append(Problem(name, column=f"records.{entity}",
                                          reason=f"unknown kind of record; kinds: {', '.join(ENTITIES)}"))
            continue
        if not isinstance(items, list):
            batch.problems.append(Problem(name, column=f"records.{entity}", reason="must be a list of records"))
            continue
        seen: set[int] = set()
        for index, item in enumerate(items, 1):
            origin = Origin(name, f"records.{entity}", index)
            if not isinstance(item, dict):
                batch.problems.append(origin.problem("each record must be a JSON object"))
                continue
            unstorable = _unstorable(item)
            if unstorable:
                batch.problems.append(origin.problem(unstorable[1], column=unstorable[0]))
                continue
            record = batch.build(ENTITIES[entity], item, origin)
            if record is None:
                continue
            if record.id is None or record.id in seen:
                batch.problems.append(origin.problem("each record needs its own id", column="id"))
                continue
            seen.add(record.id)
            batch.add(record, origin)
    return batch
