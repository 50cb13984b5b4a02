"""The ``ecotone`` command line: a thin Typer layer over the services."""

from .app import app, main

__all__ = ["app", "main", "run"]


def run() -> None:
    """Console-script entry point."""
    import sys

    sys.exit(main())
