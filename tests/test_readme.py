"""The README's two set-up commands, and CI running the test one verbatim."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    setup = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)\n```", setup, flags=re.S)


def test_the_readme_has_exactly_two_setup_commands():
    run, test = _commands()
    assert "\n" not in run and "\n" not in test
    assert run.endswith("ecotone demo")
    assert test.endswith("pytest")


def test_ci_runs_the_readme_test_command():
    _, test = _commands()
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test in ci.splitlines()
    assert "ECOTONE_REQUIRE_SERVICES=1" in ci
