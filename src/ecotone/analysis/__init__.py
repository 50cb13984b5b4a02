"""Network and stakeholder analysis over an immutable graph Snapshot (igraph computes)."""

from .snapshot import Snapshot

__all__ = ["Snapshot"]
