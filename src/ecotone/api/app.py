"""The application factory: one FastAPI app serving the REST API under /api/v1 and the web pages."""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..store import Atlas
from . import problems
from .cache import ResponseCache
from ..services.accounts import csrf_secret
from . import accounts, analysis, files, partnering, simulations
from .auth import CSRF, PrincipalMiddleware
from .jobs import Jobs
from .jobs import router as jobs_router
from .pages import router as pages_router
from .records import router as records_router

__all__ = ["create_app"]

DESCRIPTION = """Ecotone's atlas of a health-innovation ecosystem: its actors and ties (CRUD for every kind of
record, filtered and paged), imports and exports, network analyses, innovation velocity, partner
recommendations, partnership scorecards, brokerage-event scheduling and simulations. Errors are RFC 9457 problem
details; long work runs as a job whose progress `/api/v1/jobs/{id}` reports."""


def create_app(database_url: str | None = None, *, atlas: Atlas | None = None, cache: bool = True) -> FastAPI:
    """The application over the atlas at ``database_url`` (the default atlas when None), or over ``atlas``;
    ``cache`` answers repeated reads from memory while the atlas is unchanged.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from fastapi.testclient import TestClient
    >>> with TestClient(create_app(str(pathlib.Path(tempfile.mkdtemp()) / "atlas.db"))) as client:
    ...     client.get("/api/v1/hubs").json()
    {'data': [], 'count': 0}
    """
    app = FastAPI(title="Ecotone", version=__version__, description=DESCRIPTION, docs_url=None, redoc_url=None,
                  openapi_url="/api/v1/openapi.json")
    app.state.atlas = atlas or Atlas.open(database_url)
    app.state.jobs = Jobs()
    # Outermost last: CSRF checks a change before anyone is resolved; the principal is known before the cache.
    if cache:
        app.add_middleware(ResponseCache)
    app.add_middleware(PrincipalMiddleware, atlas=app.state.atlas)
    app.add_middleware(CSRF, secret=csrf_secret(app.state.atlas))
    problems.install(app)
    app.include_router(accounts.router)
    app.include_router(records_router)
    for module in (analysis, partnering, files, simulations):
        app.include_router(module.router)
    app.include_router(jobs_router)
    app.include_router(pages_router)
    static = resources.files("ecotone.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        # FastAPI's own /docs would fetch Swagger UI from a CDN; ours is vendored, so the page works offline
        return get_swagger_ui_html(openapi_url=app.openapi_url, title="Ecotone API",
                                   swagger_js_url="/static/vendor/swagger-ui-bundle.js",
                                   swagger_css_url="/static/vendor/swagger-ui.css",
                                   swagger_favicon_url="/static/vendor/swagger-favicon-32x32.png")

    return app
