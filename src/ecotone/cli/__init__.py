"""The ``ecotone`` command line: a thin Typer layer over the services."""

from .app import app, main
from . import analysis as _analysis  # noqa: F401  (registers `ecotone analyze stakeholders|brokerage|emerging`)
from . import match as _match  # noqa: F401  (registers `ecotone match`)
from . import simulate as _simulate  # noqa: F401  (registers `ecotone velocity` and `ecotone simulate`)
from . import serve as _serve  # noqa: F401  (registers `ecotone serve`)
from . import accounts as _accounts  # noqa: F401  (registers `ecotone users|tokens|share|changes|people`)
from . import records as _records  # noqa: F401  (registers `ecotone orgs|ties|innovations|deals|…`, `people list…`)
from . import dedupe as _dedupe  # noqa: F401  (registers `ecotone dedupe`)
from . import check as _check  # noqa: F401  (registers `ecotone check`)
from . import pathways as _pathways  # noqa: F401  (registers `ecotone pathways list|import|reset`)
from . import challenges as _challenges  # noqa: F401  (registers `ecotone challenges`)
from . import benchmark as _benchmark  # noqa: F401  (registers `ecotone benchmark`)
from . import needs as _needs  # noqa: F401  (registers `ecotone needs list|show|add|import`)
from . import jobs as _jobs  # noqa: F401  (registers `ecotone jobs list|show|cancel|retry`)
from . import worker as _worker  # noqa: F401  (registers `ecotone worker`)

__all__ = ["app", "main", "run"]


def run() -> None:
    """Console-script entry point."""
    import sys

    sys.exit(main())
