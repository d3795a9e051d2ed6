"""Every script in examples/ runs as a user runs it (a fresh interpreter, from the repository
root, without ../shared/data) and prints the numbers it explains. The scripts assert their own
results too; here the printed figures are checked against what they must be. The nn_* examples
run in tests/test_nn_examples.py."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.name for p in (REPO / "examples").glob("*.py"))


def run_example(name: str, *args) -> str:
    done = subprocess.run([sys.executable, str(REPO / "examples" / name), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def numbers_after(label: str, text: str) -> list[float]:
    return [float(value) for value in re.findall(re.escape(label) + r"\s*([-\d.e+]+)", text)]


def test_audio_segments():
    out = run_example("audio_segments.py")
    assert "middle    -> (441000,)" in out                  # 20 s at 22 050 Hz
    assert "segments  -> (12, 66150)" in out                # 1 + (20 - 3) // 1.5 segments of 3 s
    assert "a 30 s track gives 19 segments" in out


def test_classic_feature_table_on_a_clean_checkout():
    out = run_example("classic_feature_table.py", "--synthetic")
    assert "200 tracks, 59 features, 8 classes" in out
    accuracies = numbers_after("accuracy", out)
    assert len(accuracies) == 5 and min(accuracies) >= 0.9, out     # chance is 0.125
    matrix = [[int(v) for v in line.split()[1:]] for line in out.splitlines()[-8:]]
    assert sum(map(sum, matrix)) == 40                                 # 20 % of 200 tracks
    forest = accuracies[3]
    assert sum(matrix[i][i] for i in range(8)) / 40 == pytest.approx(forest, abs=5e-4)


def test_data_leaks():
    out = run_example("data_leaks.py")
    assert "refused: track" in out and "refused with artists as groups: group" in out
    assert "accepted: Split('group-aware 80/20" in out
    sides = re.findall(r"artists (\d+)", out)
    assert len(sides) == 2 and int(sides[0]) + int(sides[1]) <= 12     # no artist twice


def test_data_pipeline():
    out = run_example("data_pipeline.py")
    assert "48 tracks" in out and "48 computed, 0 reused, 0 skipped" in out
    assert "segments per side: {'train': 72, 'val': 12, 'test': 12}" in out   # 2 per 6 s clip
    assert out.count("5 batches of x (96, 130)") == 2                          # ceil(72 / 16)
    epochs = re.findall(r"first tracks (\[[\d, ]+\])", out)
    assert len(epochs) == 2 and epochs[0] != epochs[1]                         # reshuffled


def test_features_walkthrough():
    out = run_example("features_walkthrough.py")
    assert "1. frames: (87, 1024)" in out and "7. MFCC: (20, 87)" in out
    assert "loudest bin of frame 43: 13 = 280 Hz" in out                  # C#4 of the chord
    assert numbers_after("max |difference| =", out)[0] < 1e-9


@pytest.mark.slow
def test_train_cnn3_synthetic():
    out = run_example("train_cnn3_synthetic.py")
    test_line = next(line for line in out.splitlines() if "test tracks" in line)
    assert numbers_after("accuracy", test_line)[0] >= 2 / 3
    assert "('metal'," in out


def test_onnx_predict(tmp_path):
    """The exported file classifies a wav with onnxruntime and soundfile alone (the script
    imports nothing of tinymir) and gives the labels `tinymir predict` gives."""
    import ast

    import numpy as np
    import soundfile as sf
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from tinymir import models, nn
    from tinymir.export import to_onnx
    from tinymir.predict import Predictor
    source = ast.parse((REPO / "examples" / "onnx_predict.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(source)
                if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in (node.names if isinstance(node, ast.Import)
                              else [ast.alias(node.module or "")])}
    assert imported == {"argparse", "json", "numpy", "onnxruntime", "soundfile"}
    front = models.default_front("cnn3")
    model = models.build("cnn3", 3, front, seed=4)
    nn.save(tmp_path / "m.npz", model, {
        "tinymir_model": 1, "arch": "cnn3", "front": front.to_dict(),
        "classes": ["calm", "busy", "loud"], "multilabel": False,
        "standardize": {"mean": [-40.0] * front.n_bins, "std": [12.0] * front.n_bins}})
    to_onnx(tmp_path / "m.npz", tmp_path / "m.onnx")
    t = np.arange(int(7.5 * front.sr)) / front.sr
    stereo = np.stack([np.sin(2 * np.pi * 330 * t), np.sin(2 * np.pi * 440 * t) ** 3], 1)
    sf.write(tmp_path / "song.wav", 0.3 * stereo, front.sr, subtype="FLOAT")
    out = run_example("onnx_predict.py", tmp_path / "m.onnx", tmp_path / "song.wav",
                      "--top", "3")
    expected = Predictor.load(tmp_path / "m.npz").predict_file(tmp_path / "song.wav", top=3)
    printed = re.findall(r"(calm|busy|loud) ([\d.]+)", out)
    assert [label for label, _ in printed] == [label for label, _ in expected["top"]], out
    for (_, p), (_, q) in zip(printed, expected["top"]):
        assert abs(float(p) - q) < 1e-3                               # printed to 3 decimals
    assert "(2 segments)" in out                                       # 7.5 s of 3 s segments


def test_every_example_is_run_by_a_test():
    covered = {name[len("test_"):] + ".py" for name in globals() if name.startswith("test_")}
    covered |= {"classic_feature_table.py"}
    assert set(EXAMPLES) - covered <= {name for name in EXAMPLES if name.startswith("nn_")}
