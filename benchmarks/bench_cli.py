"""Start-up of the command line: ``ecotone --version``, ``ecotone --help`` and ``ecotone orgs --help``, each in a
fresh process, against the interpreter starting (``python -c pass``), Typer alone (``python -c "import typer"``) and
the ``--help`` of a one-command Typer app with the same Markdown help (the floor of Typer's and rich's help),
measured in the same run.

Every run is a cold start of a new process (its own imports; the files are in the page cache after the first run,
as they are for a user typing commands one after another). The commands and the peers take turns, run after run,
so that a busy machine slows them alike; the median of the runs is printed, its ratio to each peer, and the peak
resident memory of the process (``os.wait4``'s resource usage of that child, the largest over the runs).
Target: ``ecotone --version`` and ``ecotone --help`` under 0.5 s (issue 18: they took 5.7 s, importing pandas,
SciPy, igraph, OR-Tools, matplotlib and FastAPI before doing anything).

    .venv/bin/python benchmarks/bench_cli.py             # 7 runs of each
    .venv/bin/python benchmarks/bench_cli.py --runs 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_S = 0.5
#: The console script beside this interpreter (what users run), else the module.
SCRIPT = Path(sys.executable).with_name("ecotone")
ECOTONE = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "ecotone"]
#: A Typer app of one command, its help in Markdown as Ecotone's: what Typer and rich take to print any help.
ONE_COMMAND = ("import typer\n"
               "app = typer.Typer(rich_markup_mode='markdown', add_completion=False)\n"
               "@app.callback()\ndef root() -> None:\n    'An app of `one` command.'\n"
               "@app.command()\ndef hello(name: str = 'world') -> None:\n    'Say **hello**.'\n"
               "app(['--help'], prog_name='one')")
PEERS = {"python -c pass": [sys.executable, "-c", "pass"],
         'python -c "import typer"': [sys.executable, "-c", "import typer"],
         "typer app --help (1 cmd)": [sys.executable, "-c", ONE_COMMAND]}
COMMANDS = {"ecotone --version": [*ECOTONE, "--version"], "ecotone --help": [*ECOTONE, "--help"],
            "ecotone orgs --help": [*ECOTONE, "orgs", "--help"]}
TARGETED = ("ecotone --version", "ecotone --help")


def run_once(argv: list[str]) -> tuple[float, float]:
    """Seconds from spawning ``argv`` to its exit, and its peak resident memory in MB; a failure stops the run."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "COLUMNS": "100"})
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {proc.returncode}: {proc.stderr.read().decode()[-500:]}")
    proc.stderr.close()
    return seconds, usage.ru_maxrss / 1024


def measure_all(runs: int) -> dict[str, tuple[float, float]]:
    """Median seconds and peak MB of every command and peer, over ``runs`` rounds taken in turn."""
    every = {**PEERS, **COMMANDS}
    seconds: dict[str, list[float]] = {name: [] for name in every}
    peak: dict[str, float] = dict.fromkeys(every, 0.0)
    for name, argv in every.items():  # one untimed run each: the files into the page cache, .pyc written
        run_once(argv)
    for _ in range(runs):
        for name, argv in every.items():
            s, mb = run_once(argv)
            seconds[name].append(s)
            peak[name] = max(peak[name], mb)
    return {name: (statistics.median(seconds[name]), peak[name]) for name in every}


def verdict(seconds: float) -> str:
    if seconds < TARGET_S:
        return f"met ({seconds:.3f} s < {TARGET_S} s)"
    return f"missed by {seconds - TARGET_S:.3f} s ({seconds:.3f} s, {seconds / TARGET_S:.1f}× the target)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="cold runs of each command (default 7)")
    args = parser.parse_args()
    results = measure_all(args.runs)
    python_s = results["python -c pass"][0]
    typer_s = results['python -c "import typer"'][0]
    floor_s = results["typer app --help (1 cmd)"][0]
    print(f"median of {args.runs} cold runs each, taken in turn; {' '.join(ECOTONE)}; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs\n")
    print(f"{'command':<28}{'median s':>10}{'× python':>10}{'× typer':>10}{'× 1-cmd help':>14}{'peak MB':>10}")
    for name, (s, mb) in results.items():
        print(f"{name:<28}{s:>10.3f}{s / python_s:>10.1f}{s / typer_s:>10.2f}{s / floor_s:>14.2f}{mb:>10.1f}")
    print(f"\ntarget: {' and '.join(TARGETED)} under {TARGET_S} s")
    for name in TARGETED:
        print(f"  {name}: {verdict(results[name][0])}")


if __name__ == "__main__":
    main()
