"""The application factory: one FastAPI app serving the REST API under /api/v1 and the web pages."""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..services.jobs import Jobs
from ..services.accounts import csrf_secret
from ..store import Atlas
from . import accounts, analysis, check, files, health, history, map, map_exports, partnering, pathways, problems, simulations, transfers, views
from .auth import CSRF, PrincipalMiddleware
from .benchmark import router as benchmark_router
from .cache import GZIP_LEVEL, ResponseCache
from .counters import CountersReader
from .challenges import router as challenges_router
from .dedupe import router as dedupe_router
from .explorer import router as explorer_router
from .forms import router as forms_router
from .hardening import install_hardening
from . import jobs
from .pages import router as pages_router
from .records import router as records_router

__all__ = ["create_app"]

DESCRIPTION = """Ecotone's atlas of a health-innovation ecosystem: its actors and ties (CRUD for every kind of
record, filtered and paged), imports and exports, network analyses, innovation velocity, partner
recommendations, partnership scorecards, brokerage-event scheduling and simulations. Errors are RFC 9457 problem
details; long work runs as a job whose progress `/api/v1/jobs/{id}` reports."""


def create_app(database_url: str | None = None, *, atlas: Atlas | None = None, cache: bool = True,
               trusted_hosts: str | list[str] | None = None) -> FastAPI:
    """The application over the atlas at ``database_url`` (the default atlas when None), or over ``atlas``;
    ``cache`` answers repeated reads from memory while the atlas is unchanged; ``trusted_hosts`` are the host
    names it answers to (default: the ``ECOTONE_TRUSTED_HOSTS`` setting, loopback only).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from fastapi.testclient import TestClient
    >>> app = create_app(str(pathlib.Path(tempfile.mkdtemp()) / "atlas.db"), trusted_hosts="testserver")
    >>> with TestClient(app) as client:
    ...     client.get("/api/v1/hubs").json()
    {'data': [], 'count': 0}
    """
    app = FastAPI(title="Ecotone", version=__version__, description=DESCRIPTION, docs_url=None, redoc_url=None,
                  openapi_url="/api/v1/openapi.json")
    app.state.atlas = atlas or Atlas.open(database_url)
    app.state.jobs = Jobs(app.state.atlas.engine)
    app.state.counters = CountersReader(app.state.atlas)
    # Outermost last: CSRF checks a change before anyone is resolved; the principal is known before the cache.
    if cache:
        app.add_middleware(ResponseCache)
    # Compression outside the cache, which keeps plain bytes: the map of 20,000 actors goes from 9 MB to about 1 MB
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=GZIP_LEVEL)
    app.add_middleware(PrincipalMiddleware, atlas=app.state.atlas)
    app.add_middleware(CSRF, secret=csrf_secret(app.state.atlas))
    install_hardening(app, trusted_hosts=trusted_hosts)
    problems.install(app)
    jobs.install(app)
    app.include_router(accounts.router)
    app.include_router(records_router)
    app.include_router(forms_router)
    for module in (history, analysis, map, map_exports, views, check, partnering, transfers, files, simulations,
                   pathways):
        app.include_router(module.router)
    app.include_router(challenges_router)
    app.include_router(benchmark_router)
    app.include_router(dedupe_router)
    app.include_router(jobs.router)
    app.include_router(health.router)
    app.include_router(pages_router)
    app.include_router(explorer_router)
    static = resources.files("ecotone.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    return app
