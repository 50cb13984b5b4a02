"""System dynamics: stock-flow specs, a vectorised engine, the built-in ecosystem model, calibration, scenarios.

The names are imported on first use (PEP 562): NumPy and the engine load when a model is built, not before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy

#: Where each public name lives.
_HOMES = {**dict.fromkeys(("Results", "Simulator", "build"), "engine"),
          **dict.fromkeys(("Aux", "Constant", "Flow", "Graph", "Model", "ModelError", "Stock"), "spec")}

__all__ = ["Aux", "Constant", "Flow", "Graph", "Model", "ModelError", "Results", "Simulator", "Stock", "build"]


__getattr__, __dir__ = lazy(__name__, _HOMES, __all__)


if TYPE_CHECKING:
    from .engine import Results, Simulator, build
    from .spec import Aux, Constant, Flow, Graph, Model, ModelError, Stock
