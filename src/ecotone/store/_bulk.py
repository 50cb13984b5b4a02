"""Bulk writes of new records given as columns: straight through the driver, with their audit entries."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ._audit import CONTACT_FIELDS
from .tables import TABLES, changes

if TYPE_CHECKING:
    from .atlas import Atlas

__all__ = ["insert_columns"]

#: Rows sent to the driver at a time: the encoded tuples of one chunk are all that is held besides the columns.
CHUNK = 50_000


def _encode(column_type: sa.types.TypeEngine, dialect: str, values: list) -> list:
    """Values as the driver takes them (JSON as text; on SQLite, dates in ISO form), as ``Atlas.insert_rows``."""
    if isinstance(column_type, sa.JSON):
        # most are empty: those need no encoder
        return [None if v is None else ("[]" if type(v) is list else "{}") if not v else
                json.dumps(v, ensure_ascii=False) for v in values]
    if isinstance(column_type, sa.Date) and dialect == "sqlite":
        return [None if v is None else v.isoformat() for v in values]
    return values


def _json_of(column: sa.Column) -> sa.ColumnElement:
    """SQLite SQL for a column's value in an audit entry, as Python's JSON of the row would decode: JSON columns
    as JSON, booleans as true/false, floats with the 17 digits that give back the very same float."""
    if isinstance(column.type, sa.JSON):
        return sa.func.json(column)
    if isinstance(column.type, sa.Boolean):
        return sa.func.json(sa.case((column.is_(None), "null"), (column == sa.true(), "true"), else_="false"))
    if isinstance(column.type, sa.Float):
        return sa.func.json(sa.case((column.is_(None), "null"), else_=sa.func.printf("%!.17g", column)))
    return column


def insert_columns(atlas: Atlas, entity: str, columns: dict[str, list], *,
                   note: str | None = None) -> range | None:
    """Insert new records given as columns (no ids; the same fields as their records' rows, in one transaction)
    and write one audit entry per record, with all its fields, as ``Trail.created`` would. Returns the ids given,
    in order, on SQLite (None on PostgreSQL, whose sequences give them).

    On SQLite the rows get ids no record ever had (the next after the highest the table or the trail has seen,
    as ``Atlas.with_fresh_ids``: inside the write transaction nobody else can take them), go through one
    ``executemany`` per chunk, and their audit entries are made by the database from the rows just inserted
    (one ``INSERT … SELECT``): the entries hold exactly what a Python-made entry holds, once decoded. On
    PostgreSQL the rows go through COPY, and the entries are made from the rows read back.
    """
    names = list(columns)
    count = len(columns[names[0]]) if names else 0
    if not count:
        return range(0) if atlas.dialect == "sqlite" else None
    if entity in CONTACT_FIELDS:
        raise ValueError(f"{entity} records are written one by one: their audit entries hide contact details")
    table = TABLES[entity]
    dialect = atlas.dialect
    start = atlas.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()
    ids = None
    if dialect == "sqlite":
        seen = atlas.execute(sa.select(sa.func.coalesce(sa.func.max(changes.c.record_id), 0))
                             .where(changes.c.entity == entity)).scalar_one()
        start = max(start, seen)
        ids = range(start + 1, start + 1 + count)
        columns = {"id": ids, **columns}
    names = list(columns)
    from .atlas import Atlas as _Atlas

    with atlas._connection() as conn:
        for at in range(0, count, CHUNK):
            params = list(zip(*(_encode(table.c[n].type, dialect, list(columns[n][at:at + CHUNK])) for n in names)))
            _Atlas._write_rows(conn, table.name, names, params)
            del params
    fields = [n for n in names if n != "id"] + ["id"]
    if dialect == "sqlite":
        _audit_in_sql(atlas, entity, table, fields, start, note)
    else:
        for rows in _read_back(atlas, entity, fields, start):
            atlas.trail.created(entity, rows, note=note)
    return ids


def _audit_in_sql(atlas: Atlas, entity: str, table: sa.Table, fields: list[str], start: int,
                  note: str | None) -> None:
    p = atlas.principal
    after = sa.func.json_object(*[part for n in fields for part in (sa.literal(n), _json_of(table.c[n]))])
    values = {"at": sa.literal(dt.datetime.now(dt.UTC), changes.c.at.type), "actor": sa.literal(p.actor),
              "via": sa.literal(p.via), "action": sa.literal("create"), "entity": sa.literal(entity),
              "record_id": table.c.id, "before": sa.null(), "after": after,
              "note": sa.literal(note, changes.c.note.type), "erased": sa.literal(False, changes.c.erased.type),
              "batch": sa.literal(atlas.trail.batch or uuid.uuid4().hex)}
    select = sa.select(*[v.label(k) if hasattr(v, "label") else v for k, v in values.items()]) \
        .where(table.c.id > start).order_by(table.c.id)
    atlas.execute(sa.insert(changes).from_select(list(values), select))


def _read_back(atlas: Atlas, entity: str, fields: list[str], start: int):
    """The rows inserted after id ``start``, decoded, a chunk at a time."""
    chunk: list[dict[str, Any]] = []
    for row in atlas.rows(entity, columns=fields, everyone=True, batch=CHUNK):
        if row["id"] <= start:
            continue
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
