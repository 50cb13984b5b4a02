"""Fixtures: an atlas on each backend (SQLite file, PostgreSQL schema), the CORDIS data, a CLI runner."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from ecotone.store import Atlas

REPO = Path(__file__).resolve().parent.parent
CORDIS_H2020 = REPO / "data" / "cordis" / "h2020-health"
CORDIS_HE = REPO / "data" / "cordis" / "horizon-europe-sample"
PG_SERVER = os.environ.get("ECOTONE_TEST_POSTGRESQL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Set by .ci/run: there a missing PostgreSQL fails the run instead of skipping its tests.
REQUIRED = os.environ.get("ECOTONE_REQUIRE_SERVICES") == "1"
# The in-process test client calls itself "testserver": a host name the app must trust in tests, and only there.
os.environ.setdefault("ECOTONE_TRUSTED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
# The suite creates thousands of accounts: their passwords are hashed at Argon2id's smallest cost (a setting for
# test suites only; tests/test_accounts.py checks the standard cost separately).
os.environ.setdefault("ECOTONE_PASSWORD_HASH_COST", "minimal")
# Jobs run in the web process of each test (on PostgreSQL too): tests/test_deploy.py starts real job workers
os.environ.setdefault("ECOTONE_JOBS", "in-process")


def _postgres_or_skip() -> sa.Engine:
    engine = sa.create_engine(PG_SERVER)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        engine.dispose()
        message = f"PostgreSQL is not reachable at {PG_SERVER} ({str(exc.orig).strip().splitlines()[0]})"
        if REQUIRED:
            pytest.fail(message + "; ECOTONE_REQUIRE_SERVICES=1 makes it required")
        pytest.skip(message + "; set ECOTONE_TEST_POSTGRESQL to run these tests")
    return engine


@contextmanager
def postgres_schema():
    """The URL of a fresh, empty schema on the test server, dropped afterwards (a skip in words without one)."""
    admin = _postgres_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_SERVER else "?"
    try:
        yield f"{PG_SERVER}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def migrate(url: str, revision: str) -> None:
    """Bring the database at ``url`` to the schema of migration ``revision`` (an atlas as an older Ecotone left it)."""
    from alembic import command

    from ecotone.store.atlas import _migrations_config

    engine = sa.create_engine(url)
    cfg = _migrations_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    engine.dispose()


#: Migrated schemas a test has finished with, emptied, for the next test of this worker: migrating a fresh schema
#: takes a second (220 DDL statements), emptying one a few milliseconds. (url, schema, tables)
_POOL: list[tuple[str, str, frozenset[str]]] = []


_KEPT = frozenset({"alembic_version", "atlas_versions"})


def _tables(engine: sa.Engine, schema: str) -> frozenset[str]:
    return frozenset(sa.inspect(engine).get_table_names(schema=schema))


def _postgres_atlas():
    """An empty, migrated atlas in a schema of its own on the test server: a fresh one, or one an earlier test of
    this worker used, emptied (every table but alembic's and the version counters truncated, identities
    restarted) when its tables are still exactly those of a migrated atlas; dropped at the end of the session."""
    admin = _postgres_or_skip()
    if _POOL:
        url, schema, tables = _POOL.pop()
    else:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        sep = "&" if "?" in PG_SERVER else "?"
        url = f"{PG_SERVER}{sep}options=-csearch_path%3D{schema}"
        tables = frozenset()
    atlas = Atlas.open(url)
    tables = tables or _tables(admin, schema)
    try:
        yield atlas
    finally:
        atlas.close()
        _release(admin, url, schema, tables)
        admin.dispose()


def _release(admin: sa.Engine, url: str, schema: str, tables: frozenset[str]) -> None:
    """Empty a used schema back into the pool, or drop it when a test changed its tables (or left it locked)."""
    try:
        if _tables(admin, schema) != tables:
            raise RuntimeError("the test changed the schema's tables")
        with admin.begin() as conn:
            conn.execute(sa.text("SET LOCAL lock_timeout = '5s'"))
            # alembic's revision and the version counters stay: the counters only grow, so no two tests of a
            # schema ever see the same change token (a response cached for the one is never served to the next)
            names = ", ".join(f'{schema}."{t}"' for t in sorted(tables - _KEPT))
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        _POOL.append((url, schema, tables))
    except Exception:  # noqa: BLE001  (a schema that cannot be reused is dropped, as before)
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


def pytest_sessionfinish(session, exitstatus):
    """Drop the pooled schemas of this worker."""
    if not _POOL:
        return
    admin = sa.create_engine(PG_SERVER)
    with admin.begin() as conn:
        for _, schema, _ in _POOL:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()
    _POOL.clear()


_SQLITE_TEMPLATE: list[Path] = []


def sqlite_path(path: Path) -> str:
    """``path`` holding an empty, migrated SQLite atlas, copied from one migrated once per worker (a copy takes
    milliseconds, the migrations a third of a second)."""
    import shutil
    import tempfile

    if not _SQLITE_TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="ecotone-template-")) / "atlas.db"
        Atlas.open(str(template)).close()
        _SQLITE_TEMPLATE.append(template)
    shutil.copyfile(_SQLITE_TEMPLATE[0], path)
    return str(path)


BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql",
                                                                 marks=pytest.mark.postgresql)]


@contextmanager
def fresh_atlas(backend: str, folder: Path):
    """An empty atlas on ``backend`` (for tests that need several, e.g. one per hypothesis example)."""
    if backend == "sqlite":
        with Atlas.open(sqlite_path(folder / "atlas.db")) as a:
            yield a
    else:
        gen = _postgres_atlas()
        try:
            yield next(gen)
        finally:
            gen.close()


@pytest.fixture(params=BACKENDS)
def backend(request):
    """The name of each backend in turn."""
    return request.param


@pytest.fixture(params=BACKENDS)
def atlas(request, tmp_path):
    """An empty atlas on each backend."""
    if request.param == "sqlite":
        with Atlas.open(sqlite_path(tmp_path / "atlas.db")) as a:
            yield a
    else:
        yield from _postgres_atlas()


@pytest.fixture
def postgres_atlas():
    """An empty atlas in a fresh PostgreSQL schema."""
    yield from _postgres_atlas()


@pytest.fixture
def sqlite_atlas(tmp_path):
    """An empty atlas in an SQLite file (for tests about SQLite itself, or too slow to repeat)."""
    with Atlas.open(sqlite_path(tmp_path / "atlas.db")) as a:
        yield a


@pytest.fixture(scope="session", params=BACKENDS)
def cordis_atlas(request, tmp_path_factory):
    """The H2020 health extract imported once per backend; tests must not change it."""
    from ecotone.services.imports import import_files

    if request.param == "sqlite":
        atlas = Atlas.open(str(tmp_path_factory.mktemp("cordis") / "atlas.db"))
        import_files(atlas, "cordis", [CORDIS_H2020])
        yield atlas
        atlas.close()
    else:
        gen = _postgres_atlas()
        atlas = next(gen)
        import_files(atlas, "cordis", [CORDIS_H2020])
        yield atlas
        gen.close()


@pytest.fixture
def demo_atlas(atlas):
    """The demo atlas on each backend."""
    from ecotone.services.demo import build_demo

    build_demo(atlas)
    return atlas


def snapshot(atlas: Atlas) -> dict:
    """Everything an atlas holds (for "nothing changed" checks)."""
    from ecotone.store.tables import TABLES

    return {entity: list(atlas.rows(entity)) for entity in TABLES}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell a failed test (browser screenshots)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


PASSWORD = "correct horse battery staple"


def bearer(atlas: Atlas, email: str = "admin@example.org", role: str = "admin", hubs=(), organization=None) -> dict:
    """An account of that role in ``atlas`` and the header its API token signs requests with."""
    from ecotone.services.accounts import add_user, create_token

    add_user(atlas, email, name=email.split("@")[0].title(), role=role, password=PASSWORD, hubs=list(hubs),
             organization=organization)
    return {"Authorization": f"Bearer {create_token(atlas, email)}"}


@contextmanager
def live_server(app):
    """``app`` served by uvicorn on a free loopback port while the block runs; yields its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def cli(tmp_path, capsys, monkeypatch):
    """Run ``ecotone`` in process against an SQLite atlas in a temporary folder; returns (code, out, err)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ECOTONE_DATABASE_URL", raising=False)

    from ecotone.cli import main

    def run(*args):
        code = main(list(args))
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    return run
