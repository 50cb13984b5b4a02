"""The store: database tables, migrations and the Atlas repository.

The names are imported on first use (PEP 562): ``ecotone.store._filters`` or ``ecotone.store.tables`` alone do not
load the Atlas (pandas, Alembic), and the command line starts without any of it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["Atlas", "AtlasError", "NotFound", "Page", "Refused"]


def __getattr__(name: str) -> Any:
    """A public name from ``ecotone.store.atlas``, imported now; a submodule by its name."""
    if name in __all__:
        value = getattr(importlib.import_module(f"{__name__}.atlas"), name)
        globals()[name] = value
        return value
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:
    from .atlas import Atlas, AtlasError, NotFound, Page, Refused
