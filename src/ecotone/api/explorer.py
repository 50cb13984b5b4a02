"""The API explorer at ``/docs``: Swagger UI (vendored) started by a script file, so the page runs under the CSP."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(resources.files("ecotone.web") / "templates"))


@router.get("/docs", response_class=HTMLResponse)
def api_explorer(request: Request) -> HTMLResponse:
    """Swagger UI over the application's OpenAPI document; FastAPI's own page starts it with an inline script,
    which the Content-Security-Policy refuses, and fetches it from a CDN.

    Examples
    --------
    >>> from fastapi import FastAPI
    >>> from fastapi.testclient import TestClient
    >>> app = FastAPI(openapi_url="/api/v1/openapi.json", docs_url=None)
    >>> app.include_router(router)
    >>> 'data-openapi-url="/api/v1/openapi.json"' in TestClient(app).get("/docs").text
    True
    """
    return templates.TemplateResponse(request, "explorer.html",
                                      {"title": "Ecotone API", "openapi_url": request.app.openapi_url})
