"""The teaching examples run, and the numbers they print say what their text claims: the hand
computation equals the layers, the fast layers equal their plain twins, the gradient check's
errors are small."""
import re
import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("nn_*.py"))
BY_HAND = {"nn_dense_by_hand", "nn_conv_by_hand", "nn_pool_by_hand", "nn_batchnorm_by_hand",
           "nn_lstm_cell"}


def run(path, capsys) -> str:
    runpy.run_path(str(path), run_name="__main__")
    return capsys.readouterr().out


def twin_tables(out: str) -> list[list[float]]:
    """The max |diff| column of every 'fast vs reference twin' table in ``out``."""
    tables = []
    for block in out.split("\n\n"):
        lines = block.strip().splitlines()
        if lines and lines[0].endswith("fast vs reference twin"):
            tables.append([float(line.split()[-1]) for line in lines[2:]])
    return tables


@pytest.mark.parametrize("name", sorted(BY_HAND))
def test_hand_computation_fast_layer_and_twin_agree(name, capsys):
    out = run(Path(EXAMPLES[0]).with_name(f"{name}.py"), capsys)
    by_hand = re.findall(r"by hand vs tinymir, largest difference: (\S+)", out)
    assert len(by_hand) == 1 and float(by_hand[0]) < 1e-12
    tables = twin_tables(out)
    assert tables and all(rows for rows in tables)
    assert max(max(rows) for rows in tables) < 1e-10


def test_the_numbers_worked_on_paper(capsys):
    dense = run(EXAMPLES[0].with_name("nn_dense_by_hand.py"), capsys)
    assert "= 0.7" in dense and "fast layer: y\n [[ 0.7   0.4 ]" in dense
    pool = run(EXAMPLES[0].with_name("nn_pool_by_hand.py"), capsys)
    # the two lower windows share their first maximum: 3 + 4 lands on one cell
    assert "fast layer: y\n [[3. 3.]\n [5. 5.]]" in pool
    assert " [0. 0. 7. 0. 0. 0.]" in pool and "= 2.0" in pool
    bn = run(EXAMPLES[0].with_name("nn_batchnorm_by_hand.py"), capsys)
    assert "μ = [ 3. 20.]" in bn and "σ² = [ 3.5 50. ]" in bn


def test_gradcheck_example_errors(capsys):
    out = run(EXAMPLES[0].with_name("nn_gradcheck_explained.py"), capsys)
    rows = re.findall(r"^\s*(\d\.?\d*e[+-]\d+)\s+(\S+)\s+(\S+)$", out, re.M)
    errors = {float(eps): float(err) for eps, _, err in rows}
    assert set(errors) == {1e-1, 1e-3, 1e-5, 1e-7, 1e-9, 1e-11}
    # the truncation error falls as ε² until rounding takes over
    assert errors[1e-3] < errors[1e-1] / 1e3 and min(errors.values()) < 1e-8
    assert errors[1e-11] > min(errors.values())
    table = re.findall(r"^\s+dense_\d\.\w+\s+\(.*?\)\s+(\S+)\s+\S+$", out, re.M)
    assert len(table) == 4 and max(float(rel) for rel in table) < 1e-6


def test_every_nn_example_is_tested():
    assert {p.stem for p in EXAMPLES} == BY_HAND | {"nn_gradcheck_explained"}
