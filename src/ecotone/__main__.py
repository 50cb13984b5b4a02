"""``python -m ecotone``: the command line, as the ``ecotone`` script runs it."""

from .cli import run

if __name__ == "__main__":
    run()
