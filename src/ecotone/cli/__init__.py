"""The ``ecotone`` command line: a thin Typer layer over the services.

Importing it registers the top-level commands, whose modules import only Typer and rich (each command imports the
services it calls when it runs); the command groups (``analyze``, ``orgs``, ``simulate``…) are declared in
``app.py`` and their modules imported when a group is used, so ``ecotone --help`` and ``ecotone --version`` answer
at once.
"""

from .app import app, main
from . import demo as _demo  # noqa: F401  (registers `ecotone demo` and `ecotone generate`)
from . import browse as _browse  # noqa: F401  (registers `ecotone hubs` and `ecotone stats`)
from . import velocity as _velocity  # noqa: F401  (registers `ecotone velocity`)
from . import serve as _serve  # noqa: F401  (registers `ecotone serve`)
from . import sharing as _sharing  # noqa: F401  (registers `ecotone share`)
from . import changes as _changes  # noqa: F401  (registers `ecotone changes`)
from . import dedupe as _dedupe  # noqa: F401  (registers `ecotone dedupe`)
from . import check as _check  # noqa: F401  (registers `ecotone check`)
from . import benchmark as _benchmark  # noqa: F401  (registers `ecotone benchmark`)
from . import worker as _worker  # noqa: F401  (registers `ecotone worker`)

__all__ = ["app", "main", "run"]


def run() -> None:
    """Console-script entry point."""
    import sys

    sys.exit(main())
