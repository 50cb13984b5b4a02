"""The Atlas: the repository through which every record of an ecosystem is read and written."""

from __future__ import annotations

import datetime as dt
import enum
import json
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any, Generic, TypeVar

import pandas as pd
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic import BaseModel, ValidationError

from ..domain import ENTITIES, Organization, OwnerKind, Record
from ..domain.access import OWNER, Principal
from ..settings import Settings, database_url
from ._audit import Trail, chunks
from ._changes import change_token, counters
from ._filters import conditions
from ._references import missing_references, referring
from ._rules import refusals
from ._visibility import HOME, PARENTS, Scope
from .tables import TABLES, changes, hubs, metadata, organizations, ties

__all__ = ["Atlas", "AtlasError", "NotFound", "Refused", "Forbidden", "NotSignedIn", "Conflict", "Page"]

R = TypeVar("R", bound=Record)
T = TypeVar("T")


class AtlasError(Exception):
    """The atlas cannot do what was asked; the message says why and what to do."""


class NotFound(AtlasError):
    """No record has that id (or name)."""


class Refused(AtlasError):
    """The database refused a write (a duplicate, a reference to a record that does not exist)."""


class Forbidden(AtlasError):
    """The principal may not do this (a viewer writing, an editor changing another hub's record)."""


class NotSignedIn(Forbidden):
    """Nobody is signed in, and this needs an account."""


class Conflict(AtlasError):
    """The record changed since the writer read it (its version is not the one the writer names)."""

    def __init__(self, message: str, *, version: int, changed_by: str | None = None,
                 changed_at: dt.datetime | None = None) -> None:
        super().__init__(message)
        self.version, self.changed_by, self.changed_at = version, changed_by, changed_at


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a filtered query: the records and the count of all that match."""

    items: list[T]
    total: int
    limit: int | None
    offset: int


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, BaseModel):  # a challenge's rubric criterion
        return value.model_dump(mode="json")
    return value


def record_to_row(record: Record) -> dict[str, Any]:
    """The table row of a record: enums as their values, helix derived for organisations."""
    row = {k: _plain(v) for k, v in record.__dict__.items()}
    if row.get("id") is None:
        row.pop("id", None)
    if isinstance(record, Organization):
        row["helix"] = record.helix.value
    return row


def _valid(entity: str, row: dict[str, Any]) -> bool:
    """Whether a row is a record its model accepts (a partnership needs two organisations, say)."""
    try:
        row_to_record(ENTITIES[entity], row)
    except ValidationError:
        return False
    return True


def row_to_record(cls: type[R], row: sa.RowMapping | dict[str, Any]) -> R:
    """The record of a table row."""
    data = {k: row[k] for k in cls.model_fields if k in row}
    return cls.model_validate(data)


def _refusal(exc: sa.exc.IntegrityError | sa.exc.DataError) -> str:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    lowered = reason.lower()
    if "unique" in lowered or "duplicate" in lowered:
        return f"that record exists already ({reason}); find it and update it instead"
    if "foreign key" in lowered:
        return f"it refers to a record that does not exist ({reason})"
    if "out of range" in lowered:
        return f"a number is too large for the database ({reason})"
    return f"the database refused it: {reason}"


def _encoder(column_type: sa.types.TypeEngine, dialect: str) -> Any:
    if isinstance(column_type, sa.JSON):
        return lambda v: json.dumps(v, ensure_ascii=False)
    if isinstance(column_type, sa.Date) and dialect == "sqlite":
        return lambda v: v.isoformat()
    return None


_EMPTY_JSON = {"[]": list, "{}": dict}


def _decoder(column_type: sa.types.TypeEngine, dialect: str) -> Any:
    if dialect != "sqlite":
        return None  # psycopg hands back JSON, dates and booleans decoded
    if isinstance(column_type, sa.JSON):
        return lambda v: _EMPTY_JSON[v]() if v in _EMPTY_JSON else json.loads(v)
    if isinstance(column_type, sa.Date):
        return dt.date.fromisoformat
    if isinstance(column_type, sa.Boolean):
        return bool
    return None


def _is_id(value: Any) -> bool:
    # Ids are INTEGER columns: a number beyond them names no record (and would overflow the driver)
    return isinstance(value, int) and 1 <= value <= 2**31 - 1


def ours(name: str | None, type_: str, parent_names: Any = None) -> bool:
    """Whether a table (or another schema object) is Ecotone's: the job queue engine keeps tables of its own
    (``procrastinate_jobs``…) in the same database, made by its own schema, not compared with ours."""
    return not (name or "").startswith("procrastinate")


def _migrations_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("ecotone.store") / "migrations"))
    return cfg


def _on_sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    """Each new SQLite connection: foreign keys enforced, write-ahead log (readers never wait for a writer), and a
    write that finds another writer's lock waits up to ``ECOTONE_SQLITE_BUSY_TIMEOUT`` for it, SQLite retrying
    with a growing pause, before failing with "database is locked" (see :func:`busy`).

    No ``BEGIN IMMEDIATE`` is needed: the driver (pysqlite's own transaction control) begins a transaction at its
    first write statement, so no transaction reads under a snapshot and then asks to write — the case in which
    SQLite fails at once instead of waiting (SQLITE_BUSY_SNAPSHOT) — while a transaction that only reads takes no
    lock at all."""
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {round(Settings().sqlite_busy_timeout * 1000)}")  # before WAL: it may wait
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


#: PostgreSQL's answers to a transaction that met another one: a serialization failure, a deadlock, a lock not
#: had within ``lock_timeout``. The transaction was rolled back; the same one again may succeed.
_PG_CONTENDED = frozenset({"40001", "40P01", "55P03"})
#: How often a statement that is a whole transaction by itself is tried again after such an answer, and the first
#: pause in seconds (doubled each time, with jitter so that two writers do not meet again).
RETRIES, RETRY_PAUSE = 3, 0.05


def busy(exc: BaseException) -> bool:
    """Whether a database error says the database was busy with other work, so that nothing was written and the
    same again in a moment may succeed: SQLite's lock held past the busy timeout ("database is locked"),
    PostgreSQL's serialization failure, deadlock or lock timeout, or every connection of the pool in use past its
    timeout (a web worker with more requests at once than connections).

    >>> import sqlite3
    >>> busy(sa.exc.OperationalError("UPDATE …", {}, sqlite3.OperationalError("database is locked")))
    True
    >>> busy(sa.exc.OperationalError("SELECT …", {}, sqlite3.OperationalError("no such table: hubs")))
    False
    >>> busy(sa.exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"))
    True
    """
    if isinstance(exc, sa.exc.TimeoutError):
        return True
    orig = getattr(exc, "orig", None)
    if not isinstance(exc, sa.exc.DBAPIError) or orig is None:
        return False
    if getattr(orig, "sqlstate", None) in _PG_CONTENDED:
        return True
    name = getattr(orig, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or str(orig).startswith(
        ("database is locked", "database is busy", "database table is locked"))


class Atlas:
    """An ecosystem atlas stored in SQLite (default) or PostgreSQL; the only door to the database.

    Open it with :meth:`open`; its migrations are applied then. Every write outside :meth:`transaction`
    commits at once; inside, all writes commit together or not at all.

    Examples
    --------
    >>> from ecotone.domain import Hub, Organization
    >>> with Atlas.open("sqlite://") as atlas:
    ...     bcn = atlas.add(Hub(name="Barcelona Health Hub", city="Barcelona", country="ES"))
    ...     org = atlas.add(Organization(name="Medlumics", type="startup", hub_id=bcn.id))
    ...     atlas.find(Organization, hub="Barcelona Health Hub").total
    1
    """

    def __init__(self, engine: sa.Engine, principal: Principal = OWNER) -> None:
        self.engine = engine
        self.principal = principal
        self._conn: sa.Connection | None = None
        self._scope: Scope | None = None
        self.trail = Trail(self)

    def acting_as(self, principal: Principal) -> Atlas:
        """The same atlas read and written on behalf of ``principal``: it sees only what that principal may see,
        and its writes are checked against its role and recorded under its name.

        Examples
        --------
        >>> from ecotone.domain import Hub
        >>> from ecotone.domain.access import ANONYMOUS
        >>> with Atlas.open("sqlite://") as atlas:
        ...     _ = atlas.add_all([Hub(name="Open", visibility="public"), Hub(name="Members only", visibility="hub")])
        ...     [h.name for h in atlas.acting_as(ANONYMOUS).find(Hub).items], atlas.count(Hub)
        (['Open'], 2)
        """
        return Atlas(self.engine, principal)

    @property
    def scope(self) -> Scope:
        """What this atlas's principal may see and change (resolved once)."""
        if self._scope is None:
            with self._connection() as conn:
                self._scope = Scope.of(self.principal, conn)
        return self._scope

    def _visible(self, entity: str) -> list[sa.ColumnElement[bool]]:
        cond = self.scope.condition(entity)
        return [] if cond is None else [cond]

    # -- opening -------------------------------------------------------------------------------------------
    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True, principal: Principal = OWNER) -> Atlas:
        """Open the atlas at ``url`` (a SQLAlchemy URL or an SQLite path; default ``ECOTONE_DATABASE_URL``), read
        and written on behalf of ``principal`` (the local owner unless told otherwise)."""
        url = database_url(url)
        try:
            engine = sa.create_engine(url)
        except (sa.exc.ArgumentError, ImportError) as exc:
            raise AtlasError(f"cannot use database URL {url!r}: {exc}. "
                             "Give a path to an SQLite file or a URL like postgresql+psycopg://user@host/db") from exc
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _on_sqlite_connect)
        atlas = cls(engine, principal)
        try:
            if migrate:
                atlas.migrate()
            else:
                with engine.connect():
                    pass
        except sa.exc.OperationalError as exc:
            engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise AtlasError(f"cannot open the atlas at {atlas.url}: {reason}. "
                             "Check that the database server runs and the URL is right (--db or ECOTONE_DATABASE_URL)") from exc
        return atlas

    @property
    def url(self) -> str:
        """The database URL, with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def migrate(self) -> None:
        """Bring the schema to the newest revision (done by :meth:`open`)."""
        cfg = _migrations_config()
        head = ScriptDirectory.from_config(cfg).get_current_head()
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":  # processes starting together (web and job workers) migrate once
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(current_schema()))"))
            if MigrationContext.configure(conn).get_current_revision() == head:
                return
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def revision(self) -> tuple[str | None, str]:
        """The schema's revision and the newest one this release knows (equal once :meth:`migrate` ran)."""
        with self.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        return current, ScriptDirectory.from_config(_migrations_config()).get_current_head()

    def schema_differences(self) -> list:
        """How the database's schema differs from the tables this release defines (Alembic's comparison; empty
        when the migrations built exactly those). The job queue's own tables (``procrastinate_…``) are its
        engine's, not ours."""
        from alembic.autogenerate import compare_metadata

        with self.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": ours})
            return compare_metadata(context, metadata)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def change_token(self, names: Iterable[str] | None = None) -> str:
        """A token that changes whenever anything is committed to the atlas, by this process or another; equal
        tokens mean nothing changed in between (for caches). With ``names`` (of :meth:`counters`), only when one
        of those counters moves (``("accounts",)``: who a principal is).

        Examples
        --------
        >>> import pathlib, tempfile
        >>> from ecotone.domain import Hub
        >>> with Atlas.open(str(pathlib.Path(tempfile.mkdtemp()) / "a.db")) as atlas:
        ...     before = atlas.change_token()
        ...     same = atlas.change_token() == before
        ...     _ = atlas.add(Hub(name="Stockholm"))
        ...     same, atlas.change_token() == before
        (True, False)
        """
        return change_token(self.engine) if names is None else change_token(self.engine, names)

    def counters(self) -> dict[str, int] | None:
        """The atlas's version counters by name, as committed now (see :func:`ecotone.store._changes.counters`):
        what caches of answers about one hub or one kind of record are keyed on; None for an in-memory atlas.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> from ecotone.domain import Hub, Organization
        >>> with Atlas.open(str(pathlib.Path(tempfile.mkdtemp()) / "a.db")) as atlas:
        ...     a, b = atlas.add_all([Hub(name="Stockholm"), Hub(name="Oslo")])
        ...     before = atlas.counters()
        ...     _ = atlas.add(Organization(name="Karolinska", type="hospital", hub_id=a.id))
        ...     after = atlas.counters()
        >>> sorted(k for k in after if after[k] != before.get(k, 0))
        ['content', 'h:1', 'k:organizations', 'm:organizations']
        """
        return counters(self.engine)

    def organization_hub(self, id: int) -> int | None:
        """The hub of the organisation with that id, whoever asks (for a cache's dependencies; never shown)."""
        if not _is_id(id):
            return None
        with self.engine.connect() as conn:
            return conn.execute(sa.select(organizations.c.hub_id).where(organizations.c.id == id)).scalar()

    def __enter__(self) -> Atlas:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ----------------------------------------------------------------------------------------
    @contextmanager
    def transaction(self, *, dry_run: bool = False) -> Iterator[Atlas]:
        """All writes inside commit together, or none if an exception escapes or ``dry_run`` is true.

        Examples
        --------
        >>> from ecotone.domain import Hub
        >>> with Atlas.open("sqlite://") as atlas:
        ...     with atlas.transaction(dry_run=True):
        ...         _ = atlas.add(Hub(name="Previewed only"))
        ...     try:
        ...         with atlas.transaction():
        ...             _ = atlas.add(Hub(name="Half-written"))
        ...             raise KeyboardInterrupt
        ...     except KeyboardInterrupt:
        ...         pass
        ...     atlas.count(Hub)
        0
        """
        if self._conn is not None:
            yield self
            return
        conn = self.engine.connect()
        trans = conn.begin()
        self._conn = conn
        try:
            yield self
            if dry_run:
                trans.rollback()
            else:
                trans.commit()
        except BaseException:
            trans.rollback()
            raise
        finally:
            self._conn = None
            conn.close()

    @contextmanager
    def _connection(self) -> Iterator[sa.Connection]:
        if self._conn is not None:
            yield self._conn
        else:
            with self.engine.begin() as conn:
                yield conn

    def execute(self, statement: sa.Executable, params: Any = None) -> sa.CursorResult:
        """Run a SQLAlchemy statement in the current transaction (for the store's own modules). Outside one, the
        statement is a whole transaction: one that PostgreSQL rolled back for meeting another (:func:`busy`) is
        run again, after a growing pause (SQLite's busy timeout already waited for its lock)."""
        attempt = 0
        while True:
            try:
                return self._execute(statement, params)
            except sa.exc.OperationalError as exc:
                if self._conn is not None or self.dialect != "postgresql" or attempt == RETRIES or not busy(exc):
                    raise
                time.sleep(RETRY_PAUSE * 2 ** attempt * (0.5 + random.random()))
                attempt += 1

    def _execute(self, statement: sa.Executable, params: Any) -> sa.CursorResult:
        with self._connection() as conn:
            try:
                result = conn.execute(statement, params) if params is not None else conn.execute(statement)
            except (sa.exc.IntegrityError, sa.exc.DataError) as exc:
                raise Refused(_refusal(exc)) from exc
            if result.returns_rows:
                # Buffer before an autocommitting connection closes.
                result = result.freeze()()  # type: ignore[assignment]
            return result

    # -- create, read, update, delete -----------------------------------------------------------------------
    def _row(self, entity: str, id: int) -> dict[str, Any] | None:
        """A stored row as it is, whoever asks (for the store's own checks)."""
        if not _is_id(id):
            return None
        table = TABLES[entity]
        row = self.execute(sa.select(table).where(table.c.id == id)).mappings().first()
        return dict(row) if row is not None else None

    def _sees(self, entity: str, id: int) -> bool:
        """Whether a record with that id exists and the principal may see it."""
        if not _is_id(id):
            return False
        table = TABLES[entity]
        stmt = sa.select(table.c.id).where(table.c.id == id, *self._visible(entity))
        return self.execute(stmt).first() is not None

    def may_change(self, entity: str, id: int) -> bool:
        """Whether the principal may change the record with that id (one it may see).

        >>> from ecotone.domain import Hub
        >>> from ecotone.domain.access import ANONYMOUS
        >>> with Atlas.open("sqlite://") as atlas:
        ...     hub = atlas.add(Hub(name="BioCity Nottingham", visibility="public"))
        ...     atlas.may_change("hub", hub.id), atlas.acting_as(ANONYMOUS).may_change("hub", hub.id)
        (True, False)
        """
        row = self._row(entity, id) if self._sees(entity, id) else None
        if row is None:
            return False
        try:
            self.authorize("change", entity, row)
        except Forbidden:
            return False
        return True

    def home_hubs(self, entity: str, row: dict[str, Any]) -> set[int | None]:
        """The hubs a record belongs to: its owner's (the owner hub, or the owner organisation's hub), else its
        own (a hub, a ``hub_id``, the hubs of the organisations it names, or its parent's)."""
        kind, owner = row.get("owner_kind"), row.get("owner_id")
        if kind == "hub":
            return {owner}
        if kind == "organization":
            org_ids = [owner]
        elif entity == "hub":
            return {row.get("id")}
        else:
            org_ids = [row[c] for c in HOME.get(entity, ()) if row.get(c) is not None]
            org_ids += [i for i in row.get("organization_ids") or [] if isinstance(i, int)]
            if entity == "organization" and row.get("hub_id") is not None:
                return {row["hub_id"]}
            if row.get("hub_id") is not None:
                return {row["hub_id"]} | self._hubs_of(org_ids)
            if not org_ids:
                for column, parent, _ in PARENTS.get(entity, [])[:1]:
                    parent_row = self._row(parent, row[column]) if row.get(column) is not None else None
                    if parent_row is not None:
                        return self.home_hubs(parent, parent_row)
                return set()
        return self._hubs_of(org_ids)

    def _hubs_of(self, org_ids: list[int]) -> set[int | None]:
        if not org_ids:
            return set()
        stmt = sa.select(organizations.c.hub_id).where(organizations.c.id.in_(org_ids))
        return set(self.execute(stmt).scalars())

    def authorize(self, action: str, entity: str, row: dict[str, Any]) -> None:
        """Raise :class:`NotSignedIn` or :class:`Forbidden` unless this atlas's principal may ``action`` (create,
        change, delete) a record like ``row``."""
        p = self.principal
        if p.is_admin:
            return
        label = entity.replace("_", " ")
        article = "an" if label[0] in "aeiou" else "a"
        if not p.signed_in:
            raise NotSignedIn(f"sign in to {action} {article} {label}: visitors may only read public records")
        if not p.may_write:
            raise Forbidden(f"{p.actor} is a {p.role.value if p.role else 'member'} and may only read; "
                            "ask a manager of your hub for the editor role")
        if not self.scope.may_change(entity, row, self.home_hubs(entity, row)):
            raise Forbidden(f"{p.actor} may not {action} this {label}: it belongs to another hub or organisation; "
                            "ask its owners, or an admin")

    def _owned(self, entity: str, row: dict[str, Any]) -> dict[str, Any]:
        """``row`` as the principal may write it: given a default owner when it names none, then checked."""
        if not self.principal.is_admin and row.get("owner_kind") is None:
            kind, owner = self.scope.default_owner(self.home_hubs(entity, row))
            row = {**row, "owner_kind": kind, "owner_id": owner}
        self.authorize("create", entity, row)
        self._check_references(entity, row)
        return row

    def _check_references(self, entity: str, row: dict[str, Any], before: dict[str, Any] | None = None) -> None:
        # Owners and id lists are not foreign keys: checked here, so that no record can name what is not there
        # (an update, only for the references it adds: one to a record deleted since does not block it)
        missing = missing_references(self, entity, row, before=before)
        if missing:
            raise Refused(f"it refers to a record that does not exist: {'; '.join(missing)}")
        broken = refusals(self, entity, row)
        if broken:
            raise Refused("; ".join(broken))

    def add(self, record: R) -> R:
        """Insert a record and return it with its new id (and the owner it was given)."""
        return self.add_all([record])[0]

    def add_all(self, records: Sequence[R]) -> list[R]:
        """Insert records of one kind in one statement; returns them with their ids, in order."""
        if not records:
            return []
        entity = records[0].entity
        table = TABLES[entity]
        # A record says where it comes from: given, or the principal who wrote it (``cli``, a user and the way in)
        rows = [self._owned(entity, {**row, "source": row.get("source") or self.principal.label})
                for row in map(record_to_row, records)]
        rows = self.with_fresh_ids(entity, rows)
        stmt = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
        ids = self.execute(stmt, rows).scalars().all()
        self.trail.created(entity, [{**row, "id": i} for row, i in zip(rows, ids, strict=True)])
        return [r.model_copy(update={"id": i, "owner_kind": OwnerKind(row["owner_kind"]) if row["owner_kind"] else None,
                                     "owner_id": row["owner_id"], "source": row["source"]})
                for r, row, i in zip(records, rows, ids, strict=True)]

    def with_fresh_ids(self, entity: str, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """``rows`` to insert, given ids no record of ``entity`` ever had where the database would reuse one.

        SQLite (without AUTOINCREMENT) gives a new row the highest id plus one, so once the newest record is deleted
        its id would come again: the old record's history would land on the new one and the old one could no
        longer be restored. Only then — when the trail knows a higher id than the table holds — are ids given
        here, counting on from the highest either has seen. PostgreSQL's sequences never reuse an id.
        """
        rows = list(rows)
        if self.dialect != "sqlite" or not rows:
            return rows
        table = TABLES[entity]
        top = self.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()
        seen = self.execute(sa.select(sa.func.coalesce(sa.func.max(changes.c.record_id), 0))
                            .where(changes.c.entity == entity)).scalar_one()
        if seen <= top:
            return rows
        return [{**row, "id": seen + 1 + i} for i, row in enumerate(rows)]

    def insert_rows(self, entity: str, rows: Sequence[dict[str, Any]]) -> None:
        """Insert plain table rows without validation, straight through the database driver (bulk loads).

        Every row must have the same keys. JSON values are encoded here and, on SQLite, dates written in ISO
        form, as SQLAlchemy's column types would; skipping its per-value processing makes bulk loads about
        twice as fast.
        """
        if not rows:
            return
        table = TABLES[entity]
        columns, params = self._encoded(table, rows)
        with self._connection() as conn:
            self._write_rows(conn, table.name, columns, params)

    def append_rows(self, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
        """Append rows (all with the same keys) to a table of the store's own, such as the audit trail: on
        PostgreSQL with COPY, elsewhere as one executemany."""
        if not rows:
            return
        if self.dialect != "postgresql":
            self.execute(sa.insert(table), list(rows))
            return
        columns, params = self._encoded(table, rows)
        with self._connection() as conn:
            self._copy_rows(conn, table.name, columns, params)

    def _encoded(self, table: sa.Table, rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[tuple]]:
        """The rows' columns and values as the driver takes them (JSON encoded; on SQLite, dates in ISO form)."""
        columns = list(rows[0])
        encoders = [_encoder(table.c[c].type, self.dialect) for c in columns]
        return columns, [tuple(v if enc is None or v is None else enc(v) for v, enc in zip(row.values(), encoders))
                         for row in rows]

    @staticmethod
    def _write_rows(conn: sa.Connection, table: str, columns: list[str], params: list[tuple]) -> None:
        """Rows the driver takes as they are (see :meth:`_encoded`) written to ``table``: on PostgreSQL with COPY,
        on SQLite as one executemany; a refusal of the database (a broken reference, a value too long) is
        :class:`Refused`."""
        if conn.dialect.name == "postgresql":
            Atlas._copy_rows(conn, table, columns, params)
            return
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['?'] * len(columns))})"
        try:
            conn.exec_driver_sql(sql, params)
        except (sa.exc.IntegrityError, sa.exc.DataError) as exc:
            raise Refused(_refusal(exc)) from exc

    @staticmethod
    def _copy_rows(conn: sa.Connection, table: str, columns: list[str], params: list[tuple]) -> None:
        """PostgreSQL's COPY: one statement for all the rows. Inserted one statement a row, each would fire the
        version counter's statement trigger, and a hundred thousand updates of one counter row in a transaction
        slow down quadratically (each walks the row's chain of versions): 126 s for the H2020 extract's rows,
        against a few with COPY."""
        import psycopg

        raw = conn.connection.driver_connection
        try:
            with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in params:
                    copy.write_row(row)
        except (psycopg.errors.IntegrityError, psycopg.errors.DataError) as exc:
            wrapped = (sa.exc.IntegrityError if isinstance(exc, psycopg.errors.IntegrityError) else sa.exc.DataError)(
                f"COPY {table}", None, exc)
            raise Refused(_refusal(wrapped)) from exc

    def last_ids(self) -> dict[str, int]:
        """The highest id of each kind of record (0 when there is none): where bulk loads start numbering."""
        return {entity: self.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()
                for entity, table in TABLES.items()}

    def resync_ids(self) -> None:
        """After rows were inserted with explicit ids, make PostgreSQL's id sequences continue past them."""
        if self.dialect != "postgresql":
            return
        for table in TABLES.values():
            self.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                 f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))

    def get(self, cls: type[R], id: int) -> R:
        """The record of that kind with that id; raises :class:`NotFound`.

        Examples
        --------
        >>> from ecotone.domain import Organization
        >>> with Atlas.open("sqlite://") as atlas:
        ...     org = atlas.add(Organization(name="Oryzon Genomics", type="sme"))
        ...     org.description = "Epigenetics"
        ...     _ = atlas.update(org)
        ...     print(atlas.get(Organization, org.id).description)
        ...     atlas.delete(Organization, org.id)
        ...     atlas.get(Organization, org.id)
        Traceback (most recent call last):
        ...
        ecotone.store.atlas.NotFound: no organization has id 1
        """
        entity = cls.entity
        table = TABLES[entity]
        if not _is_id(id):
            raise NotFound(f"no {entity.replace('_', ' ')} has id {id}")
        stmt = sa.select(*self.scope.columns(entity)).where(table.c.id == id, *self._visible(entity))
        row = self.execute(stmt).mappings().first()
        if row is None:
            raise NotFound(f"no {entity.replace('_', ' ')} has id {id}")
        return row_to_record(cls, row)

    def _existing(self, entity: str, id: int) -> dict[str, Any]:
        row = self._row(entity, id)
        if row is None or not self._sees(entity, id):
            raise NotFound(f"no {entity.replace('_', ' ')} has id {id}")
        return row

    def version(self, entity: str, id: int) -> int:
        """The version of a record the principal may see (1 when created, one more at each change): what an
        ETag says and an If-Match must name."""
        return int(self._existing(entity, id)["version"])

    def _conflict(self, entity: str, row: dict[str, Any], expected: int) -> Conflict:
        last = self.execute(sa.select(changes.c.actor, changes.c.at).where(
            changes.c.entity == entity, changes.c.record_id == row["id"]).order_by(changes.c.id.desc()).limit(1)).first()
        who, when = (last.actor, last.at) if last is not None else (None, None)
        label = entity.replace("_", " ")
        since = f" by {who}" + (f" at {when:%Y-%m-%d %H:%M} UTC" if when else "") if who else ""
        return Conflict(f"this {label} was changed{since} since you opened it (you had version {expected}, it is "
                        f"now version {row['version']}); reload it, and make your change again",
                        version=int(row["version"]), changed_by=who, changed_at=when)

    def update(self, record: R, *, note: str | None = None, expected_version: int | None = None,
               fields: Iterable[str] | None = None, source: str | None = None) -> R:
        """Write a changed record back (its id says which); only the principal's own records may be changed, and
        the change is recorded with the fields before and after.

        Only the fields that differ from the stored record are written (of ``fields`` alone, when given), in one
        statement that checks the version it read: two writers changing one record never overwrite each other's
        fields. With ``expected_version`` (an If-Match), a record changed since is refused with :class:`Conflict`.
        Each field written records where its value came from — ``source``, else the principal (``cli``, or the
        user and the way in) — as its provenance.

        >>> from ecotone.domain import Hub
        >>> with Atlas.open("sqlite://") as atlas:
        ...     hub = atlas.add(Hub(name="BioCity", source="seed article"))
        ...     _ = atlas.update(hub.model_copy(update={"city": "Nottingham"}), expected_version=1)
        ...     print(atlas.version("hub", hub.id), atlas.provenance("hub", hub.id)["city"],
        ...           atlas.provenance("hub", hub.id)["name"])
        ...     try:
        ...         atlas.update(hub.model_copy(update={"city": "Derby"}), expected_version=1)
        ...     except Conflict as exc:
        ...         print(exc)
        2 cli seed article
        this hub was changed by cli at ... since you opened it (you had version 1, it is now version 2); reload it, and make your change again
        """
        if record.id is None:
            raise AtlasError("cannot update a record that has no id; add it first")
        entity, cls = record.entity, type(record)
        given = record_to_row(record)
        wanted = set(given) - {"id"} if fields is None else set(fields) & set(given)
        if entity == "organization" and "type" in wanted:
            wanted.add("helix")
        for _ in range(50):  # another writer got in between the read and the write: read again
            before = self._existing(entity, record.id)
            if expected_version is not None and before["version"] != expected_version:
                raise self._conflict(entity, before, expected_version)
            after = {**before, **{k: given[k] for k in wanted}}
            if entity == "person" and "email" in wanted and after.get("consent") and after.get("email") is None \
                    and before.get("email") is not None and not self._sees_contacts(before):
                after["email"] = before["email"]  # blanked on reading for this principal; not erased by writing back
            if not self.principal.is_admin and after.get("owner_kind") is None and before.get("owner_kind") is None \
                    and after.get("visibility") in ("hub", "private") and after.get("visibility") != before.get("visibility"):
                # made hub-only or private by a member: it becomes their hub's (or organisation's), else the
                # restriction would hold nobody back (an unowned record is every member's)
                kind, owner = self.scope.default_owner(self.home_hubs(entity, after))
                after.update(owner_kind=kind, owner_id=owner)
            row_to_record(cls, after)  # the record as it will be stored holds together (consent, dates...)
            self.authorize("change", entity, before)
            self.authorize("change", entity, after)
            self._check_references(entity, after, before)
            if self._write_update(entity, before, after, source or self.principal.label, note):
                try:  # as this principal reads it (contact details blanked for who may not see them)
                    return self.get(cls, record.id)
                except NotFound:  # changed so that it no longer may (made private to another organisation)
                    return record
            if expected_version is not None:
                raise self._conflict(entity, self._existing(entity, record.id), expected_version)
        raise AtlasError(f"this {entity.replace('_', ' ')} is being changed by many writers at once; try again")

    def _write_update(self, entity: str, before: dict[str, Any], after: dict[str, Any], source: str | None,
                      note: str | None, provenance: dict[str, Any] | None = None) -> bool:
        """Write the fields of ``after`` that differ from ``before`` if the record is still at ``before``'s version
        (False when it is not: someone else wrote in between); each changed field gets ``source`` as provenance,
        unless ``provenance`` gives the whole of it."""
        table = TABLES[entity]
        diff = {k: v for k, v in after.items() if k not in ("id", "version", "provenance") and before.get(k) != v}
        if not diff:
            return True
        if provenance is None:
            provenance = {**(before.get("provenance") or {}),
                          **{k: source for k in diff if source is not None and k not in ("source", "helix")}}
        with self.transaction():
            done = self.execute(sa.update(table).where(table.c.id == before["id"],
                                                       table.c.version == before["version"])
                                .values(**diff, provenance=provenance, version=before["version"] + 1)).rowcount
            if done:
                self.trail.changed(entity, before["id"], before, {**before, **diff, "provenance": provenance},
                                   note=note)
        return bool(done)

    def provenance(self, entity: str, id: int) -> dict[str, str | None]:
        """Where each field of a record got its value: the field's own source when a later write changed it,
        else the record's source (the file, article or person it was created from)."""
        row = self._existing(entity, id)
        cls = ENTITIES[entity]
        own = row.get("provenance") or {}
        return {f: own.get(f, row.get("source")) for f in cls.model_fields
                if f not in ("id", "source", "external_ids") and f in row}

    def _sees_contacts(self, row: dict[str, Any]) -> bool:
        p = self.principal
        return p.is_admin or (p.organization_id is not None and p.organization_id in
                              (row.get("organization_id"), row.get("owner_id") if row.get("owner_kind") == "organization" else None))

    def delete(self, cls: type[Record], id: int, *, note: str | None = None,
               expected_version: int | None = None) -> None:
        """Delete a record; ties, participations and innovations of a deleted organisation go with it, and
        references to it from elsewhere (owners, investors of a deal, partners of a partnership) are cleared —
        each recorded in the audit trail, as one change set that a revert restores."""
        before = self._existing(cls.entity, id)
        if expected_version is not None and before["version"] != expected_version:
            raise self._conflict(cls.entity, before, expected_version)
        self._delete_rows(cls.entity, [before], note)

    def delete_many(self, cls: type[Record], ids: Iterable[int], *, note: str | None = None) -> int:
        """:meth:`delete` for many records of one kind at once, in one change set (ten thousand a statement);
        returns how many went."""
        entity, table = cls.entity, TABLES[cls.entity]
        wanted = sorted(set(ids))
        rows = [dict(r) for chunk in chunks(wanted) for r in self.execute(
            sa.select(table).where(table.c.id.in_(chunk), *self._visible(entity))).mappings()]
        missing = sorted(set(wanted) - {r["id"] for r in rows})
        if missing:
            raise NotFound(f"no {entity.replace('_', ' ')} has id {', '.join(map(str, missing[:5]))}")
        if rows:
            self._delete_rows(entity, rows, note)
        return len(rows)

    def _delete_rows(self, entity: str, rows: list[dict[str, Any]], note: str | None) -> None:
        table = TABLES[entity]
        for row in rows:
            self.authorize("delete", entity, row)
        with self.transaction(), self.trail.change_set():
            gone = self.trail.deleted(entity, rows, note=note)
            label = f"with {entity.replace('_', ' ')} {rows[0]['id']}" if len(rows) == 1 else \
                f"with {len(rows)} {entity.replace('_', ' ')} records"  # as the trail labels what went with them
            left_invalid = []  # what the cleared reference would leave invalid (a partnership of one) goes too
            for ref_entity, row, cleared in referring(self, gone):
                if _valid(ref_entity, {**row, **cleared}):
                    self._write_update(ref_entity, row, {**row, **cleared}, self.principal.label, label)
                else:
                    left_invalid.append((ref_entity, row["id"]))
            if len(rows) == 1:  # still at the version read: else someone changed it in between
                done = self.execute(sa.delete(table).where(table.c.id == rows[0]["id"],
                                                           table.c.version == rows[0]["version"])).rowcount
            else:
                done = sum(self.execute(sa.delete(table).where(table.c.id.in_(chunk))).rowcount
                           for chunk in chunks(r["id"] for r in rows))
            if done != len(rows):
                raise Conflict(f"{len(rows) - done} of these {entity.replace('_', ' ')} records changed or went "
                               "while they were being deleted; try again", version=0)
            for ref_entity, ref_id in left_invalid:  # read again: the deletion's SET NULLs have reached them
                row = self._row(ref_entity, ref_id)
                self.trail.deleted(ref_entity, [row], note=label)
                self.execute(sa.delete(TABLES[ref_entity]).where(TABLES[ref_entity].c.id == ref_id))

    def deletion_preview(self, entity: str, id: int) -> dict[str, int]:
        """What deleting a record takes with it, by kind (``{"tie": 12, "innovation": 2}``), and how many other
        records lose a reference to it (``"references cleared"``): what a confirmation should say."""
        self._existing(entity, id)
        out: dict[str, int] = {}
        gone = {entity: {id}}
        for dep_entity, dep_rows in self.trail._cascade(entity, [id]):
            out[dep_entity] = out.get(dep_entity, 0) + len(dep_rows)
            gone.setdefault(dep_entity, set()).update(r["id"] for r in dep_rows)
        cleared = sum(len(rows) for _, _, rows in self.trail._cleared(gone))
        for ref_entity, row, fields in referring(self, gone):
            if _valid(ref_entity, {**row, **fields}):
                cleared += 1
            else:  # it would be left invalid (a partnership of one): it goes too
                out[ref_entity] = out.get(ref_entity, 0) + 1
        if cleared:
            out["references cleared"] = cleared
        return out

    def revert(self, change_id: int, *, note: str | None = None) -> list[int]:
        """Undo one entry of the audit trail (a deletion with all that went with it); returns the new entries.
        Refused with :class:`Conflict` when the record was changed since in the same fields."""
        from ._revert import Reverter
        return Reverter(self).revert_change(change_id, note=note)

    def undo(self, batch: str, *, note: str | None = None) -> list[int]:
        """Undo a whole change set (an import): every record it created, changed or deleted goes back."""
        from ._revert import Reverter
        return Reverter(self).revert_batch(batch, note=note)

    # -- queries ----------------------------------------------------------------------------------------------
    def hub_id(self, hub: int | str) -> int:
        """The id of a hub given by id or by name (any case; a part of the name that only one hub has will do).

        Examples
        --------
        >>> from ecotone.domain import Hub
        >>> with Atlas.open("sqlite://") as atlas:
        ...     _ = atlas.add_all([Hub(name="Barcelona Health Hub"), Hub(name="Madrid Health Hub")])
        ...     atlas.hub_id("barcelona"), atlas.hub_id("Madrid Health Hub"), atlas.hub_id("2")
        (1, 2, 2)
        """
        if isinstance(hub, int) or (isinstance(hub, str) and hub.isascii() and hub.isdigit()):
            if not self._sees("hub", int(hub)):
                raise NotFound(f"no hub has id {hub}")
            return int(hub)
        visible = self._visible("hub")
        found = self.execute(sa.select(hubs.c.id).where(sa.func.lower(hubs.c.name) == hub.lower(), *visible)
                             ).scalars().all()
        if not found:  # a part of the name will do when only one hub has it
            found = self.execute(sa.select(hubs.c.id).where(hubs.c.name.ilike(f"%{hub}%"), *visible)).scalars().all()
            found = found if len(found) == 1 else []
        if not found:
            names = self.execute(sa.select(hubs.c.name).where(*visible).order_by(hubs.c.name)).scalars().all()
            listed = ", ".join(names[:12]) + (" …" if len(names) > 12 else "") if names else "none yet"
            raise NotFound(f"no hub is named {hub!r}; hubs: {listed}")
        return found[0]

    def organization_id(self, org: int | str) -> int:
        """The id of an organisation given by id, by name, or by external id (``scheme:value``)."""
        if isinstance(org, int) or (org.isascii() and org.isdigit()):
            if not self._sees("organization", int(org)):
                raise NotFound(f"no organisation has id {org}")
            return int(org)
        found = self.execute(
            sa.select(organizations.c.id).where(sa.func.lower(organizations.c.name) == org.lower(),
                                                *self._visible("organization"))
        ).scalars().all()
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise AtlasError(f"{len(found)} organisations are named {org!r} (ids {', '.join(map(str, found))}); "
                             "give the id instead")
        raise NotFound(f"no organisation is named {org!r}; search with: ecotone orgs list --search {org!r}")

    def find(self, cls: type[R], *, limit: int | None = 50, offset: int = 0, order_by: str = "id",
             **filters: Any) -> Page[R]:
        """Records of a kind that pass the filters, one page at a time, with the count of all matches.

        Parameters
        ----------
        cls : type of Record
            The kind of record (``Organization``, ``Tie``...).
        limit, offset : int
            The page; ``limit=None`` returns every match.
        order_by : str
            A column, ``-column`` for descending order.
        **filters
            Each applies where it makes sense, an unknown one is an error: ``hub`` (id or name), ``type``,
            ``helix``, ``country``, ``tag``, ``stage``, ``kind`` (one value or a list), ``organization`` (id or
            name), ``program``, ``since`` and ``until`` (a time window), ``search`` (part of a name, any case).

        Returns
        -------
        Page
            ``items`` (records) and ``total`` (all matches).

        Examples
        --------
        >>> from ecotone.domain import Organization
        >>> with Atlas.open("sqlite://") as atlas:
        ...     _ = atlas.add_all([Organization(name=n, type=t, country="ES") for n, t in
        ...                        [("Ysios Capital", "investor"), ("Hospital Clínic", "hospital"), ("Dycare", "startup")]])
        ...     page = atlas.find(Organization, helix="industry", order_by="name", limit=1)
        >>> [o.name for o in page.items], page.total
        (['Dycare'], 2)
        """
        rows, total = self._page(cls, limit, offset, order_by, filters)
        return Page([row_to_record(cls, r._mapping) for r in rows], total, limit, offset)

    def find_rows(self, cls: type[Record], *, limit: int | None = 50, offset: int = 0, order_by: str = "id",
                  **filters: Any) -> Page[dict[str, Any]]:
        """:meth:`find`, but each match as a plain dict of the record's fields, as stored (validated when it was
        written); for serving pages of records fast.

        Examples
        --------
        >>> from ecotone.domain import Hub
        >>> with Atlas.open("sqlite://") as atlas:
        ...     _ = atlas.add(Hub(name="Stockholm", country="SE"))
        ...     page = atlas.find_rows(Hub)
        >>> page.items[0]["name"], page.items[0]["external_ids"], page.total
        ('Stockholm', {}, 1)
        """
        rows, total = self._page(cls, limit, offset, order_by, filters)
        columns = list(TABLES[cls.entity].c.keys())
        keep = [(k, columns.index(k)) for k in [*cls.model_fields, "version"] if k in columns]
        return Page([{k: row[i] for k, i in keep} for row in rows], total, limit, offset)

    def _page(self, cls: type[Record], limit: int | None, offset: int, order_by: str,
              filters: dict[str, Any]) -> tuple[Sequence[sa.Row], int]:
        table = TABLES[cls.entity]
        where = conditions(self, cls, filters) + self._visible(cls.entity)
        if order_by.lstrip("-") not in table.c:
            raise AtlasError(f"cannot order {cls.entity} records by {order_by!r}; "
                             f"use one of: {', '.join(table.c.keys())}")
        column = table.c[order_by.lstrip("-")]
        if cls.entity == "person" and column.name == "email" and self.scope.contact_condition() is not None:
            raise AtlasError("people can be ordered by e-mail only by those who may see the e-mails")
        stmt = sa.select(*self.scope.columns(cls.entity)).where(*where).order_by(column.desc() if order_by.startswith("-") else column,
                                                       table.c.id)
        if limit is not None:
            stmt = stmt.limit(limit)
        rows = self.execute(stmt.offset(offset)).all()
        return rows, self.count(cls, **filters)

    def count(self, cls: type[Record], **filters: Any) -> int:
        """How many records of a kind pass the filters (those of :meth:`find`).

        Examples
        --------
        >>> from ecotone.domain import Organization
        >>> with Atlas.open("sqlite://") as atlas:
        ...     _ = atlas.add_all([Organization(name="AEMPS", type="regulator"), Organization(name="Glovo", type="startup")])
        ...     atlas.count(Organization), atlas.count(Organization, helix="government"), atlas.counts()["tie"]
        (2, 1, 0)
        """
        table = TABLES[cls.entity]
        where = conditions(self, cls, filters) + self._visible(cls.entity)
        return self.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()

    def counts(self) -> dict[str, int]:
        """How many records of each kind the atlas holds."""
        return {name: self.count(cls) for name, cls in ENTITIES.items()}

    def rows(self, entity: str, *, columns: Iterable[str] | None = None, batch: int = 20_000,
             everyone: bool = False) -> Iterator[dict[str, Any]]:
        """Every row of a table as plain dicts, in id order, streamed in batches (for exports and snapshots).

        >>> from ecotone.domain import Hub
        >>> with Atlas.open("sqlite://") as atlas:
        ...     _ = atlas.add(Hub(name="Finland", kind="national", country="FI"))
        ...     list(atlas.rows("hub", columns=["name", "country"]))
        [{'name': 'Finland', 'country': 'FI', 'id': 1}]

        Rows are read straight through the database driver and decoded here (JSON, and on SQLite dates), as
        SQLAlchemy's column types would: several times faster on large tables.
        """
        table = TABLES[entity]
        names = list(columns) if columns else [c.name for c in table.c]
        if "id" not in names:
            names.append("id")
        decoders = [_decoder(table.c[n].type, self.dialect) for n in names]
        # ``everyone``: the store's own matching (imports) reads every row, whoever the principal is.
        scope = Scope(OWNER, frozenset()) if everyone else self.scope
        stmt = (sa.select(*scope.columns(entity, names))
                .where(table.c.id > sa.bindparam("after", 0), *([] if everyone else self._visible(entity)))
                .order_by(table.c.id).limit(int(batch)))
        sql, params = self._driver_sql(stmt)
        at = names.index("id")
        last = 0
        while True:
            with self._connection() as conn:
                chunk = conn.exec_driver_sql(sql, params(after=last)).fetchall()
            if not chunk:
                return
            for values in chunk:
                yield {n: v if dec is None or v is None else dec(v) for n, v, dec in zip(names, values, decoders)}
            last = chunk[-1][at]

    def _driver_sql(self, stmt: sa.Select) -> tuple[str, Any]:
        """``stmt`` as the driver's own SQL, and a function giving its parameters (with some replaced): reading
        through the driver skips SQLAlchemy's per-value processing, several times faster on large tables."""
        compiled = stmt.compile(dialect=self.engine.dialect, compile_kwargs={"render_postcompile": True})
        fixed = dict(compiled.params)
        order = compiled.positiontup

        def params(**given: Any) -> Any:
            values = {**fixed, **given}
            return tuple(values[k] for k in order) if order is not None else values

        return str(compiled), params

    def frame(self, entity: str, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """A whole table as a pandas DataFrame in id order, for analyses: dates become ``datetime64``
        (missing ones ``NaT``), JSON columns Python lists and dicts.

        >>> from ecotone.domain import Hub
        >>> with Atlas.open("sqlite://") as atlas:
        ...     _ = atlas.add(Hub(name="Finland", kind="national", country="FI"))
        ...     atlas.frame("hub", ["name", "country"]).to_dict("records")
        [{'id': 1, 'name': 'Finland', 'country': 'FI'}]

        One query through the driver, no object per row: a million ties load in about two seconds.
        """
        table = TABLES[entity]
        names = ["id", *[n for n in (columns or [c.name for c in table.c]) if n != "id"]]
        unknown = [n for n in names if n not in table.c]
        if unknown:
            raise ValueError(f"{entity} has no column {', '.join(unknown)}")
        sql, params = self._driver_sql(sa.select(*self.scope.columns(entity, names)).where(*self._visible(entity))
                                       .order_by(table.c.id))
        with self._connection() as conn:
            # Plain DBAPI tuples: pandas reads them several times faster than SQLAlchemy's Row objects.
            rows = conn.exec_driver_sql(sql, params()).cursor.fetchall()
        out = pd.DataFrame.from_records(rows, columns=names)
        for name in names:
            kind = table.c[name].type
            if isinstance(kind, sa.Date):
                out[name] = pd.to_datetime(out[name], format="ISO8601") if len(out) else out[name].astype("M8[ns]")
            elif isinstance(kind, sa.Boolean):
                out[name] = out[name].astype(bool)
            elif isinstance(kind, sa.JSON) and self.dialect == "sqlite":
                decode = _decoder(kind, "sqlite")
                out[name] = [None if v is None else decode(v) for v in out[name]]
        return out

    def names(self, entity: str, ids: Iterable[int]) -> dict[int, str]:
        """The names of the records of a kind with these ids (one query per thousand ids).

        >>> from ecotone.domain import Hub
        >>> with Atlas.open("sqlite://") as atlas:
        ...     _ = atlas.add_all([Hub(name="London"), Hub(name="Berlin")])
        ...     atlas.names("hub", [2])
        {2: 'Berlin'}
        """
        table = TABLES[entity]
        wanted = sorted(set(ids))
        out: dict[int, str] = {}
        for i in range(0, len(wanted), 1000):
            stmt = sa.select(table.c.id, table.c.name).where(table.c.id.in_(wanted[i:i + 1000]),
                                                             *self._visible(entity))
            out.update({row.id: row.name for row in self.execute(stmt)})
        return out

    def records(self, cls: type[R]) -> Iterator[R]:
        """Every record of a kind, in id order."""
        for row in self.rows(cls.entity):
            yield row_to_record(cls, row)

    def coverage(self) -> list[tuple[str | None, str, int]]:
        """(hub name, stakeholder type, organisations) for every pair present; no hub is ``None``."""
        stmt = (
            sa.select(hubs.c.name, organizations.c.type, sa.func.count())
            .select_from(organizations.outerjoin(hubs, organizations.c.hub_id == hubs.c.id))
            .where(*self._visible("organization"))
            .group_by(hubs.c.name, organizations.c.type)
        )
        return [tuple(r) for r in self.execute(stmt).all()]  # type: ignore[misc]

    def hub_summaries(self) -> list[dict[str, Any]]:
        """Every hub with its counts of organisations and of ties inside it and leaving it.

        Examples
        --------
        >>> from ecotone.domain import Hub, Organization, Tie
        >>> with Atlas.open("sqlite://") as atlas:
        ...     bcn, pl = atlas.add_all([Hub(name="Barcelona Health Hub"), Hub(name="Medical Innovation Institute")])
        ...     a, b, c = atlas.add_all([Organization(name="Clínic", type="hospital", hub_id=bcn.id),
        ...                              Organization(name="Ysios", type="investor", hub_id=bcn.id),
        ...                              Organization(name="Kardio", type="startup", hub_id=pl.id)])
        ...     _ = atlas.add_all([Tie(source_id=a.id, target_id=c.id, kind="clinical_validation"),
        ...                        Tie(source_id=b.id, target_id=a.id, kind="partnership")])
        ...     [(h["name"], h["organizations"], h["ties_inside"], h["ties_across"]) for h in atlas.hub_summaries()]
        [('Barcelona Health Hub', 2, 1, 1), ('Medical Innovation Institute', 1, 0, 1)]
        """
        seen_orgs = self._visible("organization")
        org_hub = sa.select(organizations.c.id, organizations.c.hub_id).where(*seen_orgs).subquery()
        orgs_per_hub = (sa.select(organizations.c.hub_id, sa.func.count().label("n")).where(*seen_orgs)
                        .group_by(organizations.c.hub_id).subquery())
        src = org_hub.alias("src")
        tgt = org_hub.alias("tgt")
        tie_hubs = (sa.select(src.c.hub_id.label("a"), tgt.c.hub_id.label("b"))
                    .select_from(ties.join(src, ties.c.source_id == src.c.id).join(tgt, ties.c.target_id == tgt.c.id))
                    .where(*self._visible("tie")).subquery())
        inside = (sa.select(tie_hubs.c.a.label("hub_id"), sa.func.count().label("n"))
                  .where(tie_hubs.c.a == tie_hubs.c.b).group_by(tie_hubs.c.a).subquery())
        ends = sa.union_all(
            sa.select(tie_hubs.c.a.label("hub_id")).where(tie_hubs.c.a.is_distinct_from(tie_hubs.c.b)),
            sa.select(tie_hubs.c.b.label("hub_id")).where(tie_hubs.c.a.is_distinct_from(tie_hubs.c.b)),
        ).subquery()
        crossing = sa.select(ends.c.hub_id, sa.func.count().label("n")).group_by(ends.c.hub_id).subquery()
        stmt = (
            sa.select(hubs, sa.func.coalesce(orgs_per_hub.c.n, 0).label("organizations"),
                      sa.func.coalesce(inside.c.n, 0).label("ties_inside"),
                      sa.func.coalesce(crossing.c.n, 0).label("ties_across"))
            .outerjoin(orgs_per_hub, orgs_per_hub.c.hub_id == hubs.c.id)
            .outerjoin(inside, inside.c.hub_id == hubs.c.id)
            .outerjoin(crossing, crossing.c.hub_id == hubs.c.id)
            .where(*self._visible("hub"))
            .order_by(hubs.c.name)
        )
        return [dict(r) for r in self.execute(stmt).mappings().all()]

