"""Docs are tested: every command, option, setting and spreadsheet column is documented."""

import re
from pathlib import Path

import pytest
import typer.main

from ecotone.cli.app import app
from ecotone.io.kumu import CONNECTION_COLUMNS, ELEMENT_COLUMNS, HUB_COLUMNS
from ecotone.settings import Settings

DOCS = Path(__file__).resolve().parent.parent / "docs"
CLI_DOC = (DOCS / "cli.md").read_text(encoding="utf-8")


def _commands(command=None, path=("ecotone",)):
    command = command or typer.main.get_command(app)
    subs = getattr(command, "commands", None)
    if subs:
        for name, sub in sorted(subs.items()):
            yield from _commands(sub, (*path, name))
    else:
        yield " ".join(path), [o for p in command.params for o in p.opts if o.startswith("--")]


def _section(title: str) -> str:
    match = re.search(rf"^## `{re.escape(title)}`\n(.*?)(?=^## |\Z)", CLI_DOC, flags=re.M | re.S)
    assert match, f"docs/cli.md has no section '## `{title}`'"
    return match.group(1)


@pytest.mark.parametrize("command, options", list(_commands()))
def test_every_command_and_option_is_documented(command, options):
    section = _section(command)
    for option in options:
        assert f"`{option}" in section, f"{option} of {command} is missing from docs/cli.md"


def test_global_options_and_settings_are_documented():
    for option in ("--db", "--version", "--help"):
        assert f"`{option}" in CLI_DOC
    for name in Settings.model_fields:
        assert f"ECOTONE_{name.upper()}" in CLI_DOC


def test_every_spreadsheet_column_is_documented():
    formats = (DOCS / "formats.md").read_text(encoding="utf-8")
    for column in (*ELEMENT_COLUMNS, *CONNECTION_COLUMNS, *HUB_COLUMNS):
        assert f"`{column.header}`" in formats, column.header
