"""The teaching examples run and their hand computations agree with the layers."""
import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("nn_*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_and_agrees(path, capsys):
    runpy.run_path(str(path), run_name="__main__")
    out = capsys.readouterr().out
    assert "False" not in out
    assert "agrees" in out or "rel. error" in out


def test_all_four_examples_are_there():
    assert {p.stem for p in EXAMPLES} >= {"nn_dense_by_hand", "nn_conv_by_hand",
                                          "nn_lstm_cell", "nn_gradcheck_explained"}
