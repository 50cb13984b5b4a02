"""Packages whose public names are imported on first use (PEP 562): the command line starts without loading
pandas, igraph or SQLAlchemy for a name it does not use."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy"]


def lazy(package: str, homes: Mapping[str, str], names: list[str]) -> tuple[Callable[[str], Any],
                                                                            Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__``: a public name from its module (``homes``: name → the
    submodule that defines it), imported when first asked for and kept in the package; a submodule by its name.

    >>> getattr_, dir_ = lazy("ecotone.simulate", {"Model": "spec"}, ["Model"])
    >>> getattr_("Model").__name__, getattr_("spec").__name__
    ('Model', 'ecotone.simulate.spec')
    """
    module = importlib.import_module(package)

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            try:
                return importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.{name}":
                    raise
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        setattr(module, name, value)  # looked up once
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(module), *names})

    return __getattr__, __dir__
