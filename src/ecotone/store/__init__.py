"""The store: database tables, migrations and the Atlas repository.

The names are imported on first use (PEP 562): ``ecotone.store._filters`` or ``ecotone.store.tables`` alone do not
load the Atlas (pandas, Alembic), and the command line starts without any of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy

__all__ = ["Atlas", "AtlasError", "NotFound", "Page", "Refused"]


__getattr__, __dir__ = lazy(__name__, dict.fromkeys(__all__, "atlas"), __all__)


if TYPE_CHECKING:
    from .atlas import Atlas, AtlasError, NotFound, Page, Refused
