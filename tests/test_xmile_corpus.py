"""The SDXorg test-models corpus (tests/data/sd-test-models): every XMILE model runs in Ecotone and matches its
canonical output (Stella's or Vensim's), within a relative 1e-3 on every column the output has, at every time.

Column names are matched to variables as XMILE compares names (case, spaces or underscores, subscripts
``x[a,b]``). The few files xmutil left broken are repaired first, from what their canonical output shows, as
``corpus.py`` explains (and the columns filled in that way are not counted as evidence).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_HERE = Path(__file__).parent / "data" / "sd-test-models"
_spec = importlib.util.spec_from_file_location("sd_corpus", _HERE / "corpus.py")
corpus = sys.modules.setdefault("sd_corpus", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(corpus)

#: Models that wait on engine work of issue 15 landing (E1's builtins), with what they need.
#: Models expected to fail, with the reason (none: every model of the corpus matches).
PENDING: dict[str, str] = {}


def _param(path: Path):
    name = corpus.model_id(path)
    marks = [pytest.mark.xfail(reason=PENDING[name], strict=True)] if name in PENDING else []
    return pytest.param(path, id=name, marks=marks)


def test_the_corpus_is_all_there():
    assert len(corpus.models()) == 34
    assert all(corpus.canonical_output(p).shape[0] >= 2 for p in corpus.models())


@pytest.mark.parametrize("path", [_param(p) for p in corpus.models()])
def test_model_matches_its_canonical_output(path):
    wrong = corpus.check(path)
    assert not wrong, f"{corpus.model_id(path)}: " + "; ".join(wrong[:5])


def test_a_wrong_trajectory_is_caught():
    """The comparison can fail: teacup with a different cooling time does not match its canonical output."""
    path = _HERE / "samples" / "teacup" / "teacup.xmile"
    text = path.read_text(encoding="utf-8")
    assert "<eqn>10</eqn>" in text
    ours, _ = corpus.run_ecotone(path, text.replace("<eqn>10</eqn>", "<eqn>11</eqn>", 1))
    assert corpus.compare(ours, corpus.canonical_output(path))


def test_repairs_fill_only_what_xmutil_left_out():
    path = _HERE / "tests" / "subscript_constant_call" / "test_subscript_constant_call.xmile"
    fixed = corpus.repaired(path)
    assert "???" not in fixed.text
    assert fixed.filled == {"subscripted_constant[a]", "subscripted_constant[b]", "subscripted_constant[c]"}
