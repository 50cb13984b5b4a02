"""The application as an ASGI server loads it in each of its worker processes: the atlas named by
``ECOTONE_DATABASE_URL``. ``ecotone serve --workers N`` runs it so; a server of one's own does too::

    ECOTONE_DATABASE_URL=postgresql+psycopg://ecotone@127.0.0.1/ecotone \\
        uvicorn --factory ecotone.api.asgi:application --host 127.0.0.1 --port 8000 --workers 4
"""

from __future__ import annotations

__all__ = ["application"]


def application():
    """A new application over the atlas of ``ECOTONE_DATABASE_URL`` (every worker process makes its own)."""
    from ..settings import Settings
    from .app import create_app

    return create_app(Settings().database_url)
