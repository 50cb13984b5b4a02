"""Network and stakeholder analysis over an immutable graph Snapshot (igraph computes).

``Snapshot`` is imported on first use (PEP 562), so importing one analysis module does not load igraph for another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy

__all__ = ["Snapshot"]


__getattr__, __dir__ = lazy(__name__, {"Snapshot": "snapshot"}, __all__)


if TYPE_CHECKING:
    from .snapshot import Snapshot
