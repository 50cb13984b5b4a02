"""The REST API and the web pages: one FastAPI application over the services (thin routes, no SQL)."""

from .app import create_app

__all__ = ["create_app"]
