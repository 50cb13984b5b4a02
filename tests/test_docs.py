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


def _known(words: list[str]):
    """The command ``words`` begin with, and the options it takes; None when ``ecotone`` has no such command."""
    command = typer.main.get_command(app)
    for word in words:
        subs = getattr(command, "commands", None)
        if not subs:
            break
        if word not in subs:
            return None
        command = subs[word]
    if getattr(command, "commands", None):
        return None
    return command, {o for p in command.params for o in p.opts}


def test_the_deployment_guide_runs_commands_that_exist():
    guide = (DOCS / "deploy.md").read_text(encoding="utf-8")
    root = {o for p in typer.main.get_command(app).params for o in p.opts}
    seen = 0
    for line in guide.splitlines():
        for call in re.findall(r"(?:^|bin/|`)ecotone((?: [\w@'./:%+=-]+| '[^']*')+)", line):
            words = [w for w in re.findall(r"'[^']*'|\S+", call)]
            while words and words[0] in root | {"--db"}:
                words = words[2:] if words[0] == "--db" else words[1:]
            if not words or not re.fullmatch(r"[a-z]+", words[0]) or words[0] in ("api",):
                continue
            found = _known(words)
            assert found is not None, f"docs/deploy.md runs `ecotone{call}`, which is no command"
            _, options = found
            for option in (w.split("=")[0] for w in words if w.startswith("--")):
                assert option in options, f"docs/deploy.md gives `ecotone{call}` the option {option}, which it lacks"
            seen += 1
    assert seen >= 8
