"""Build the demo atlas: the seed articles' ecosystem with illustrative members around it."""

from __future__ import annotations

from collections.abc import Callable

from ..data.demo import demo_batch
from ..store import Atlas
from ..store.merge import MergeReport, merge

__all__ = ["build_demo"]


def build_demo(atlas: Atlas, *, seed: int = 7, progress: Callable[[str, int, int], None] | None = None) -> MergeReport:
    """Merge the demo atlas into ``atlas`` (running it again changes nothing).

    Examples
    --------
    >>> with Atlas.open("sqlite://") as atlas:
    ...     report = build_demo(atlas)
    ...     build_demo(atlas).changed
    False
    """
    return merge(atlas, demo_batch(seed), progress=progress)
