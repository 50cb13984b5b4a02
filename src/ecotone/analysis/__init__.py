"""Network and stakeholder analysis over an immutable graph Snapshot (igraph computes).

``Snapshot`` is imported on first use (PEP 562), so importing one analysis module does not load igraph for another.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["Snapshot"]


def __getattr__(name: str) -> Any:
    """``Snapshot`` from ``ecotone.analysis.snapshot``, imported now; a submodule by its name."""
    if name == "Snapshot":
        value = importlib.import_module(f"{__name__}.snapshot").Snapshot
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
    from .snapshot import Snapshot
