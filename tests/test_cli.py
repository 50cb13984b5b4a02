"""The command line: every command works, prints table/json/csv, and fails with a message, never a traceback."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CORDIS_HE


def test_demo_then_browse(cli, tmp_path):
    code, out, _ = cli("demo")
    assert code == 0 and "Barcelona Health Hub" in out
    assert (tmp_path / "ecotone.db").exists()
    code, out, _ = cli("demo")  # again (as `demo --users` would be): said in a line, not listed record by record
    assert code == 0 and "already in" in out and "nothing changed" in out and "Imported" not in out
    code, out, _ = cli("hubs", "--format", "json")
    hubs = {h["name"]: h for h in json.loads(out)}
    assert hubs["Texas Medical Center"]["organizations"] > 10
    code, out, _ = cli("stats", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    bcn = next(r for r in rows if r["hub"] == "Barcelona Health Hub")
    assert int(bcn["startup"]) > 10 and int(bcn["total"]) == sum(int(v) for k, v in bcn.items()
                                                                  if k not in ("hub", "total"))
    code, out, _ = cli("stats")
    assert "missing roles" in out
    code, out, _ = cli("orgs", "list", "--hub", "Barcelona Health Hub", "--type", "investor", "-f", "json")
    assert {"Ysios Capital", "Caixa Capital Risc"} <= {o["name"] for o in json.loads(out)}
    code, out, _ = cli("orgs", "show", "Medlumics", "-f", "json")
    card = json.loads(out)
    assert card["hub"] == "Madrid Health Hub" and card["innovations"] == ["Ablaview (Clinical validation)"]
    code, out, _ = cli("ties", "list", "--org", "GlyCardial", "-f", "csv")
    assert len(list(csv.DictReader(io.StringIO(out)))) == 3


def test_add_organisations_and_ties(cli):
    cli("demo")
    code, out, _ = cli("orgs", "add", "Kardio Labs", "--type", "startup", "--hub", "Medical Innovation Institute",
                       "--country", "PL", "--needs", "clinical validation", "--focus", "cardiology", "-f", "json")
    assert code == 0 and json.loads(out)["helix"] == "industry"
    code, out, _ = cli("ties", "add", "Kardio Labs", "AEMPS (Spanish Agency of Medicines and Medical Devices)",
                       "--kind", "regulatory advice", "--start", "2026-01-15", "-f", "json")
    assert code == 0 and json.loads(out)["kind"] == "regulatory_advice"
    code, out, _ = cli("orgs", "list", "--search", "kardio", "-f", "json")
    assert json.loads(out)[0]["hub"] == "Medical Innovation Institute"


@pytest.mark.parametrize("args, message", [
    (("orgs", "add", "X", "--type", "bank"), "--type: 'bank' is not one of the choices"),
    (("orgs", "add", "X", "--type", "startup", "--country", "Poland"), "--country"),
    (("orgs", "list", "--hub", "Atlantis"), "no hub is named 'Atlantis'"),
    (("orgs", "show", "Nobody"), "no organisation is named"),
    (("ties", "add", "Medlumics", "Medlumics", "--kind", "partnership"), "two different"),
    (("ties", "list", "--since", "yesterday"), "2024-01-31"),
    (("ties", "add", "GlyCardial", "Cardiovascular Science Institute of Catalonia", "--kind", "co_development"),
     "exists already"),
    (("import", "kumu", "missing.xlsx"), "file not found"),
    (("import", "bundle", "a.json", "--dry-run"), "not found"),
    (("--db", "postgresql+psycopg://nobody@127.0.0.1:1/x?connect_timeout=2", "hubs"), "cannot open the atlas"),
])
def test_errors_are_explained_with_a_non_zero_exit(cli, args, message):
    cli("demo")
    code, out, err = cli(*args)
    assert code != 0
    assert message in " ".join((out + err).split())


def test_usage_errors(cli):
    code, _, err = cli("orgs", "list", "--limit", "0")
    assert code == 2 and "--limit" in err
    code, _, err = cli("nonsense")
    assert code == 2


def test_import_preview_and_rejection(cli, tmp_path):
    code, out, _ = cli("import", "cordis", str(CORDIS_HE), "--dry-run", "-f", "json")
    assert code == 0 and {r["record"] for r in json.loads(out)} >= {"organization", "program", "tie"}
    code, out, _ = cli("hubs", "-f", "json")
    assert json.loads(out) == []
    bad = tmp_path / "elements.csv"
    bad.write_text("Label,Type\nSant Pau,University Hospital\n", encoding="utf-8")
    code, out, err = cli("import", "kumu", str(bad))
    text = " ".join((out + err).split())
    assert code == 1 and "nothing was written" in text and "University Hospital" in text and "2" in text
    code, out, _ = cli("import", "kumu", str(bad), "-f", "json")
    [problem] = json.loads(out)
    assert (problem["row"], problem["column"]) == (2, "Type")
    code, out, _ = cli("import", "kumu", str(bad), "--map-type", "University Hospital=hospital", "-f", "json")
    assert code == 0 and json.loads(out) == [{"record": "organization", "created": 1, "updated": 0, "unchanged": 0}]
    code, _, err = cli("import", "kumu", str(bad), "--map-type", "oops")
    assert code == 1 and "NAME=VALUE" in err


def test_exports(cli, tmp_path):
    cli("demo")
    for args, produced in ((("export", "bundle", "a.json"), ["a.json"]),
                           (("export", "kumu", "a.xlsx"), ["a.xlsx"]),
                           (("export", "kumu", "kumu"), ["kumu/elements.csv", "kumu/connections.csv"]),
                           (("export", "csv", "tables"), ["tables/organizations.csv", "tables/ties.csv"])):
        code, out, _ = cli(*args)
        assert code == 0
        for name in produced:
            assert (tmp_path / name).stat().st_size > 100
    bundle = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert len(bundle["records"]["organization"]) > 200
    with open(tmp_path / "tables" / "organizations.csv", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert {"name", "type", "helix", "hub_id", "external_ids", "source"} <= set(header)


def test_generate(cli):
    code, out, _ = cli("--db", "big.db", "generate", "--orgs", "300", "--hubs", "4", "--seed", "2", "-f", "json")
    assert code == 0 and json.loads(out)[0]["ties"] == 3000


def test_help_teaches(cli):
    code, out, _ = cli("--help")
    assert code == 0 and "ecotone demo" in " ".join(out.split())
    code, out, _ = cli("import", "kumu", "--help")
    assert "--map-type" in out and "Example" in out
    code, out, _ = cli("--version")
    assert out.startswith("ecotone ")


def test_the_installed_command_runs_and_reads_the_environment(tmp_path):
    env = {**os.environ, "ECOTONE_DATABASE_URL": str(tmp_path / "env.db")}
    exe = Path(sys.executable).with_name("ecotone")
    done = subprocess.run([str(exe), "demo", "-f", "json"], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "env.db").exists() and not (tmp_path / "ecotone.db").exists()
    done = subprocess.run([str(exe), "orgs", "show", "nobody"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr


@pytest.mark.postgresql
def test_cli_against_postgresql(postgres_atlas, cli):
    url = postgres_atlas.engine.url.render_as_string(hide_password=False)
    code, out, _ = cli("--db", url, "demo", "-f", "json")
    assert code == 0
    code, out, _ = cli("--db", url, "hubs", "-f", "json")
    assert len(json.loads(out)) == 13



# -- start-up: what `ecotone --version` and `--help` import (issue 18) -----------------------------------------
#: What the command line must not load before a command needs it (each takes a tenth of a second or more).
#: (pydantic is left out: Typer itself imports it to convert some options' values.)
HEAVY = ("pandas", "numpy", "scipy", "igraph", "networkx", "matplotlib", "ortools", "fastapi", "starlette",
         "sqlalchemy", "alembic", "openpyxl", "uvicorn")


def _imported(*args: str) -> tuple[set[str], str]:
    """The top-level packages ``python -m ecotone ARGS`` imports (from ``-X importtime``), and what it printed."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "ecotone", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "COLUMNS": "100"})
    assert done.returncode == 0, done.stderr[-2000:]
    names = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in done.stderr.splitlines()
             if line.startswith("import time:") and line.count("|") == 2}
    assert "typer" in names  # the parse found the imports
    return names, done.stdout


@pytest.mark.parametrize("args", [("--version",), ("--help",)])
def test_version_and_help_start_without_the_heavy_libraries(args):
    names, out = _imported(*args)
    assert sorted(names & set(HEAVY)) == []
    assert ("ecotone 0.1.0" in out) if args == ("--version",) else ("orgs" in out and "simulate" in out)


def test_a_command_group_loads_its_modules_when_used():
    code = ("import sys, contextlib, io; from ecotone.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()): main(['--help'])\n"
            "before = 'ecotone.cli.records' in sys.modules\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out: main(['orgs', '--help'])\n"
            "print(before, 'ecotone.cli.records' in sys.modules, 'list' in out.getvalue())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["False", "True", "True"], done.stderr[-2000:]


def test_the_choices_named_in_the_cli_are_the_services():
    """The few choices the command line names itself, so as to start without pandas, are the services' own."""
    from ecotone.cli import benchmark, check, velocity
    from ecotone.services import benchmark as benchmark_service
    from ecotone.services import check as check_service
    from ecotone.services import velocity as velocity_service

    assert velocity.GROUPS == tuple(velocity_service.GROUPS)
    assert benchmark.GROUPINGS == tuple(benchmark_service.GROUPINGS)
    assert check.KINDS == tuple(check_service.KINDS)
