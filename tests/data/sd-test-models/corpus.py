"""The SDXorg test-models corpus (this folder): every XMILE model, its canonical output, and how many of them a tool
reproduces. Used by ``tests/test_xmile_corpus.py`` and the simulation benchmark (``python
tests/data/sd-test-models/corpus.py`` prints the score of Ecotone and of PySD).

A few files are broken as upstream ships them, because xmutil could not translate every Vensim construct; they are
repaired here the way a modeller would repair them in Stella, from what the canonical output shows, before either
tool reads them (:func:`repaired`):

- ``???`` equations (xmutil's mark for Vensim constant lists) get the constant values the canonical output
  records for them (columns that do not change over time); the columns filled this way prove nothing and are
  left out of the comparison.
- ``macro_expression`` and ``macro_multi_macros`` call macros whose definitions xmutil dropped; the ``<macro>``
  definitions the upstream Vensim models hold (``input * parameter`` and ``input / parameter``, which the
  canonical outputs 5.5 = 5 × 1.1 and 4.54545 = 5 / 1.1 confirm) are added back.
- ``subscript_subranges`` uses the subrange ``Subrange of Dim1`` without declaring it; it is declared with the
  elements the canonical output gives ``Subrange Vals`` (Entry 1 and Entry 2), and ``Subrange Vals`` is arrayed
  over it, as in the upstream Vensim model.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
#: Relative tolerance on every value, and an absolute one of a millionth of the column's largest value (the outputs
#: are printed to six significant digits, so a value that should be zero shows as a few millionths).
RTOL, ATOL = 1e-3, 1e-6

#: Columns of a canonical output that name no variable of the XMILE file (the Vensim model it was made from had
#: them; xmutil's translation left them out), so no XMILE reader can compute them.
ABSENT = {"test_smooth_and_stock.xmile": {"input", "smoothed_input", "smoothing_time"}}

_MACROS = {
    "test_macro_expression.xmile": [("EXPRESSION MACRO", ("input", "parameter"), "input * parameter")],
    "test_macro_multi_macros.xmile": [("EXPRESSION MACRO", ("input", "parameter"), "input * parameter"),
                                      ("SECOND MACRO", ("input", "parameter"), "input / parameter")],
}


def models() -> list[Path]:
    """Every XMILE file of the corpus, in a stable order."""
    return sorted(HERE.rglob("*.xmile"))


def model_id(path: Path) -> str:
    """A short name for a corpus file (its folder, and the file when the folder holds several)."""
    siblings = list(path.parent.glob("*.xmile"))
    return path.parent.name if len(siblings) == 1 else f"{path.parent.name}/{path.stem}"


def canonical_output(path: Path) -> pd.DataFrame:
    """The canonical output next to ``path``: a row per time (index ``Time``), a column per variable."""
    for name, sep in (("output.csv", ","), ("output.tab", "\t")):
        out = path.parent / name
        if out.exists():
            text = out.read_text(encoding="utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
            lines = [ln for ln in text.split("\n") if ln.strip()]
            rows = [[c.strip().strip('"') for c in ln.split(sep)] for ln in lines]
            header, body = rows[0], rows[1:]
            frame = pd.DataFrame([r + [""] * (len(header) - len(r)) for r in body], columns=header)
            frame = frame.replace("", np.nan).apply(pd.to_numeric, errors="coerce").ffill()
            time = next(c for c in frame.columns if c.lower() == "time")
            return frame.set_index(time)
    raise FileNotFoundError(f"no output.csv or output.tab next to {path}")


def key(name: str) -> str:
    """A column or variable name as XMILE compares names: case, spaces/underscores and subscripts' spacing.

    >>> key('"Two Dims[A, D]"') == key("two_dims[a,d]")
    True
    """
    name = name.strip().strip('"').replace("\\n", " ")
    m = re.fullmatch(r"(.*?)\[(.*)\]", name)
    base, subs = (m.group(1), m.group(2).split(",")) if m else (name, [])
    norm = lambda s: re.sub(r"[\s_]+", "_", s.strip()).lower()  # noqa: E731
    return norm(base) + (f"[{','.join(norm(s) for s in subs)}]" if subs else "")


# -- repairs --------------------------------------------------------------------------------------------------------
@dataclass
class Repaired:
    text: str
    filled: set[str] = field(default_factory=set)  # keys of columns whose values came from the canonical output


def repaired(path: Path) -> Repaired:
    """The file's text with the repairs the module docstring lists (unchanged for files that need none)."""
    text = path.read_text(encoding="utf-8")
    if "???" not in text and path.name not in _MACROS and "Subrange_of_Dim1" not in text:
        return Repaired(text)
    canon = canonical_output(path)
    constant = {key(c): canon[c].iloc[0] for c in canon.columns if canon[c].nunique(dropna=True) <= 1}
    filled: set[str] = set()

    def value(name: str, subscript: str | None = None) -> str | None:
        wanted = key(f"{name}[{subscript}]") if subscript else key(name)
        if wanted not in constant:
            return None
        filled.add(wanted)
        return f"<eqn>{constant[wanted]:.12g}</eqn>"

    # per-element ??? first, then whole arrays (as one <element> per column the output has)
    def variable(m: re.Match[str]) -> str:
        block, name = m.group(0), m.group(2)
        block = re.sub(r'(<element subscript="([^"]*)">\s*)<eqn>\s*\?\?\?\s*</eqn>',
                       lambda e: e.group(1) + (value(name, e.group(2)) or "<eqn> ??? </eqn>"), block)
        if "<element" not in block and re.search(r"<eqn>\s*\?\?\?\s*</eqn>", block):
            prefix = key(name) + "["
            originals = {key(c): c for c in canon.columns}
            cols = [k for k in constant if k.startswith(prefix)]
            if cols:
                elements = "".join(
                    f'<element subscript="{originals[k][len(name) + 1:-1]}">{value(originals[k])}</element>'
                    for k in cols)
                block = re.sub(r"<eqn>\s*\?\?\?\s*</eqn>", lambda _: elements, block, count=1)
            elif key(name) in constant:
                block = re.sub(r"<eqn>\s*\?\?\?\s*</eqn>", lambda _: value(name), block)
        return block

    text = re.sub(r'<(aux|flow|stock) name="([^"]*)">.*?</\1>', variable, text, flags=re.S)
    if path.name in _MACROS:
        macros = "".join(
            f'<macro name="{name}">{"".join(f"<parm>{p}</parm>" for p in parms)}<eqn>{eqn}</eqn></macro>'
            for name, parms, eqn in _MACROS[path.name])
        text = text.replace("</xmile>", macros + "</xmile>")
    if "Subrange_of_Dim1" in text:
        elems = [c[len("Subrange Vals["):-1] for c in canon.columns if c.startswith("Subrange Vals[")]
        dim = '<dim name="Subrange of Dim1">' + "".join(f'<elem name="{e}"/>' for e in elems) + "</dim>"
        text = text.replace("</dimensions>", dim + "</dimensions>", 1)
        text = re.sub(r'(<aux name="Subrange Vals">\s*<dimensions>\s*)<dim name="Dim1"/>',
                      r'\1<dim name="Subrange of Dim1"/>', text)
    return Repaired(text, filled)


# -- running --------------------------------------------------------------------------------------------------------
def run_ecotone(path: Path, text: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Ecotone's trajectories of a corpus model (columns keyed by :func:`key`) and the reader's warnings."""
    from ecotone.io.xmile import read_xmile_text
    from ecotone.simulate.engine import Simulator, build

    found: list[str] = []
    model = read_xmile_text(text if text is not None else path.read_text(encoding="utf-8"), source=str(path),
                            warnings=found)
    built = build(model)
    results = Simulator().run(built)
    frame = pd.DataFrame({key(v): results.values[:, i, 0] for i, v in enumerate(results.variables)},
                         index=results.times)
    flat = getattr(built, "flat", None) or built.model
    for c in flat.constants:
        frame[key(c.name)] = c.value
    # Vensim's outputs also record its time settings, which XMILE keeps in <sim_specs>
    for name, v in (("initial_time", model.start), ("final_time", model.stop), ("time_step", model.dt),
                    ("saveper", model.dt)):
        if name not in frame.columns:
            frame[name] = v
    return frame, found


def run_pysd(path: Path, text: str | None = None) -> pd.DataFrame:
    """PySD's trajectories of a corpus model (translated in a temporary folder, so the corpus stays clean)."""
    import pysd

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / path.name
        if text is None:
            shutil.copy(path, copy)
        else:
            copy.write_text(text, encoding="utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = pysd.read_xmile(str(copy))
            out = model.run()
    return pd.DataFrame({key(str(c)): out[c].to_numpy() for c in out.columns}, index=out.index.to_numpy())


def compare(ours: pd.DataFrame, canon: pd.DataFrame, skip: set[str] = frozenset()) -> list[str]:
    """What differs: every column of the canonical output, at every time it records, within RTOL (and ATOL)."""
    wrong = []
    ours_keys = set(ours.columns)
    times = np.asarray(ours.index, dtype=float)
    rows = [int(np.argmin(np.abs(times - t))) for t in canon.index]
    missing_times = [t for t, r in zip(canon.index, rows) if abs(times[r] - t) > 1e-9 * max(1.0, abs(t))]
    if missing_times:
        return [f"no result at time {missing_times[0]} (and {len(missing_times) - 1} more)"]
    for column in canon.columns:
        k = key(column)
        if k in skip:
            continue
        if k not in ours_keys:
            wrong.append(f"{column}: not computed")
            continue
        expected = canon[column].to_numpy(dtype=float)
        got = ours[k].to_numpy(dtype=float)[rows]
        scale = np.nanmax(np.abs(expected)) if np.isfinite(expected).any() else 0.0
        ok = np.isclose(got, expected, rtol=RTOL, atol=max(ATOL, ATOL * scale)) | np.isnan(expected)
        if not ok.all():
            i = int(np.argmin(ok))
            wrong.append(f"{column}: {got[i]:.6g} at time {canon.index[i]:g}, the canonical output has "
                         f"{expected[i]:.6g}")
    return wrong


def check(path: Path, tool: str = "ecotone") -> list[str]:
    """What the tool gets wrong on one corpus model (empty when it matches); a failure to read or run is one."""
    fix = repaired(path)
    try:
        ours = run_ecotone(path, fix.text)[0] if tool == "ecotone" else run_pysd(path, fix.text)
    except Exception as exc:  # noqa: BLE001 - the count reports any failure as a miss
        return [f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"]
    return compare(ours, canonical_output(path), fix.filled | ABSENT.get(path.name, set()))


def score(tools: tuple[str, ...] = ("ecotone", "pysd")) -> dict[str, tuple[int, int]]:
    """How many corpus models each tool reproduces: ``{tool: (matched, total)}``."""
    paths = models()
    return {tool: (sum(not check(p, tool) for p in paths), len(paths)) for tool in tools}


if __name__ == "__main__":
    chosen = tuple(sys.argv[1:]) or ("ecotone", "pysd")
    for p in models():
        print(model_id(p), *("ok" if not (w := check(p, t)) else f"{t}: {w[0]}" for t in chosen), sep="  ")
    for tool, (n, total) in score(chosen).items():
        print(f"{tool}: {n} of {total} corpus models match their canonical output")
