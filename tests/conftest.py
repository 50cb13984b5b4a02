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


def _postgres_atlas():
    """An atlas in a fresh schema on the test server, dropped afterwards."""
    with postgres_schema() as url:
        atlas = Atlas.open(url)
        try:
            yield atlas
        finally:
            atlas.close()


BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql",
                                                                 marks=pytest.mark.postgresql)]


@contextmanager
def fresh_atlas(backend: str, folder: Path):
    """An empty atlas on ``backend`` (for tests that need several, e.g. one per hypothesis example)."""
    if backend == "sqlite":
        with Atlas.open(str(folder / "atlas.db")) as a:
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
        with Atlas.open(str(tmp_path / "atlas.db")) as a:
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
    with Atlas.open(str(tmp_path / "atlas.db")) as a:
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
