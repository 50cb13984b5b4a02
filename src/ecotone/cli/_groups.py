"""Command groups whose commands are made the first time they are needed, so that ``ecotone --help`` and
``ecotone --version`` start without importing what the commands use (pandas, SciPy, igraph, SQLAlchemy…).

A group is declared with its help (what ``ecotone --help`` lists) and the modules that register its commands;
the modules are imported, and the commands made, only when the group itself is used: ``ecotone orgs list``,
``ecotone orgs --help``, or a walk over every command (the documentation's test).
"""

from __future__ import annotations

import importlib
from collections.abc import MutableMapping
from typing import Any

import typer
import typer.main
from typer.core import TyperGroup

__all__ = ["LoadOnUse", "command_group"]


class LoadOnUse(TyperGroup):
    """A Typer group whose ``commands`` are made on first access, after importing ``modules``.

    Commands are made from the group's ``typer.Typer`` as Typer makes them for an eager group (same order, same
    options and help), with the markup of the root they are shown under.
    """

    #: The modules that register the group's commands, in the order they were registered before.
    modules: tuple[str, ...] = ()
    #: The ``typer.Typer`` the modules register the commands on.
    instance: typer.Typer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._made = False
        super().__init__(*args, **kwargs)

    @property
    def commands(self) -> MutableMapping[str, Any]:  # type: ignore[override]
        if not self._made:
            self._made = True
            self._commands = self._make()
        return self._commands

    @commands.setter
    def commands(self, value: MutableMapping[str, Any]) -> None:
        self._commands = value

    def _make(self) -> dict[str, Any]:
        """The group's commands, its modules imported first."""
        for module in self.modules:
            importlib.import_module(module)
        from .app import app  # the root, for how its commands are made

        short = app.pretty_exceptions_short
        made: dict[str, Any] = {}
        for info in self.instance.registered_commands:
            command = typer.main.get_command_from_info(info, pretty_exceptions_short=short,
                                                       rich_markup_mode=self.rich_markup_mode)
            if command.name:
                made[command.name] = command
        for info in self.instance.registered_groups:
            group = typer.main.get_group_from_info(info, pretty_exceptions_short=short,
                                                   rich_markup_mode=self.rich_markup_mode,
                                                   suggest_commands=self.suggest_commands)
            if group.name:
                made[group.name] = group
        return made


def command_group(*modules: str, **options: Any) -> typer.Typer:
    """A ``typer.Typer`` whose commands, registered by ``modules`` (relative to ``ecotone.cli``), are made when the
    group is first used; ``options`` are Typer's (help, no_args_is_help…)."""
    cls = type("LoadOnUse", (LoadOnUse,), {"modules": tuple(f"ecotone.cli.{m}" for m in modules)})
    instance = typer.Typer(cls=cls, **options)
    cls.instance = instance
    return instance
