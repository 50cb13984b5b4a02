"""The store: database tables, migrations and the Atlas repository."""

from .atlas import Atlas, AtlasError, NotFound, Page, Refused

__all__ = ["Atlas", "AtlasError", "NotFound", "Page", "Refused"]
