"""System dynamics: stock-flow specs, a vectorised engine, the built-in ecosystem model, calibration, scenarios."""

from .engine import Results, Simulator, build
from .spec import Aux, Constant, Flow, Graph, Model, ModelError, Stock

__all__ = ["Aux", "Constant", "Flow", "Graph", "Model", "ModelError", "Results", "Simulator", "Stock", "build"]
