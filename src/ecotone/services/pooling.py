"""Partial pooling across an atlas's hubs: what the other hubs' pipelines say about each stage, as the prior a
hub's calibration borrows strength from (empirical Bayes; see docs/simulation.md, "Calibration")."""

from __future__ import annotations

import datetime as dt

from ..domain.problems import InputRejected
from ..simulate.ecosystem import ObservedPipeline, PooledPriors, pooled_priors
from ..store import Atlas

__all__ = ["atlas_priors", "other_pipelines"]


def other_pipelines(atlas: Atlas, hub: str, when: dt.date) -> list[ObservedPipeline]:
    """The observed pipelines of every hub of ``atlas`` but ``hub`` (hubs without a stage history are left out)."""
    from .simulate import _state  # the same reading of a hub's history as its own calibration's

    hub_id = atlas.hub_id(hub)
    out = []
    for other in atlas.frame("hub", ["name"]).itertuples():
        if other.id == hub_id:
            continue
        try:
            out.append(_state(atlas, other.name, when)[1])
        except InputRejected:  # no stage history up to then: nothing to pool
            continue
    return out


def atlas_priors(atlas: Atlas, hub: str, when: dt.date) -> PooledPriors | None:
    """The priors ``hub``'s calibration takes from the other hubs of the atlas (None when there are none)."""
    others = other_pipelines(atlas, hub, when)
    return pooled_priors(others) if others else None
