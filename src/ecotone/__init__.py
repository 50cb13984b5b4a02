"""Ecotone: map, analyse, connect and simulate health-innovation ecosystems."""

__all__ = ["__version__"]

__version__ = "0.1.0"
