"""System dynamics: stock-flow specs, a vectorised engine, the built-in ecosystem model, calibration, scenarios.

The names are imported on first use (PEP 562): NumPy and the engine load when a model is built, not before.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Where each public name lives.
_HOMES = {**dict.fromkeys(("Results", "Simulator", "build"), "engine"),
          **dict.fromkeys(("Aux", "Constant", "Flow", "Graph", "Model", "ModelError", "Stock"), "spec")}

__all__ = ["Aux", "Constant", "Flow", "Graph", "Model", "ModelError", "Results", "Simulator", "Stock", "build"]


def __getattr__(name: str) -> Any:
    """A public name from its module, imported now; a submodule by its name (``ecotone.simulate.engine``)."""
    home = _HOMES.get(name)
    if home is None:
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:
    from .engine import Results, Simulator, build
    from .spec import Aux, Constant, Flow, Graph, Model, ModelError, Stock
