"""End to end on synthetic audio: `tinymir train / evaluate / predict / archs` as a user types
them, resume after a kill, and the one-line errors."""
import json

import numpy as np
import pytest
from click.testing import CliRunner

from tinymir.audio import synth
from tinymir.cli.main import main
from tinymir.data.batches import BatchIterator
from tinymir.train import config as run_config
from tinymir.train import run
from tinymir.train.checkpoint import load_state

CLASSES = ("electronic", "classical", "metal")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Three well-separated synthetic genres, 20 clips of 2 s each."""
    out = tmp_path_factory.mktemp("demo")
    synth.make_dataset(out, CLASSES, per_class=20, seconds=2.0, seed=1)
    return out


def invoke(*args):
    return CliRunner().invoke(main, [*map(str, args)])


@pytest.fixture(scope="module")
def trained(demo, tmp_path_factory):
    """A small cnn3 run: 1 s segments (two per clip), three epochs."""
    out = tmp_path_factory.mktemp("run")
    result = invoke("train", demo, "--arch", "cnn3", "--segment", "1", "--epochs", "3",
                    "--batch-size", "16", "--out", out, "--cache", out / "cache", "--quiet")
    assert result.exit_code == 0, result.output + result.stderr
    return out, result


def test_cnn3_learns_the_synthetic_genres_and_writes_its_run_dir(trained):
    out, result = trained
    report = json.loads((out / "report.json").read_text())
    assert report["results"]["test"]["tracks"]["accuracy"] >= 0.95
    assert report["split"].startswith("stratified 80/10/10")
    assert set(report["tracks"]) == {"train", "val", "test"}
    for name in ("model.npz", "history.csv", "report.md", "state.npz", "curves.png",
                 "confusion.png"):
        assert (out / name).is_file()
    assert len(list((out / "cache").glob("*/features/*/*.npy"))) == 60    # one per clip
    assert "test tracks" in result.output and "accuracy" in result.output
    history = (out / "history.csv").read_text().splitlines()
    assert history[0].startswith("epoch,lr,loss,acc,samples_per_s,data_share")
    assert "| test | tracks |" in (out / "report.md").read_text()


def test_predict_prints_top_labels_per_file_and_json(trained, demo):
    out, _ = trained
    clip = sorted((demo / "metal").glob("*.wav"))[0]
    result = invoke("predict", out / "model.npz", clip, "--top", "2")
    assert result.exit_code == 0, result.stderr
    line = result.stdout.strip()
    assert line.startswith(f"{clip}: ") and line.count(",") == 1
    as_json = json.loads(invoke("predict", out / "model.npz", clip, "--json").stdout)
    assert as_json["file"] == str(clip) and len(as_json["top"]) == 3
    assert abs(sum(p for _, p in as_json["top"]) - 1.0) < 1e-4      # all three classes


def test_evaluate_scores_the_test_part_again(trained, demo):
    out, _ = trained
    entries = sorted((out / "cache").glob("*/features/*/*.npy"))
    result = invoke("evaluate", out / "model.npz", demo, "--part", "test", "--json",
                    "--cache", out / "cache")
    assert result.exit_code == 0, result.stderr
    assert sorted((out / "cache").glob("*/features/*/*.npy")) == entries   # training's cache reused
    evaluated = json.loads(result.stdout)
    report = json.loads((out / "report.json").read_text())
    assert evaluated["tracks"]["accuracy"] == pytest.approx(
        report["results"]["test"]["tracks"]["accuracy"])
    text = invoke("evaluate", out / "model.npz", demo, "--no-cache").output
    assert "segments" in text and "tracks" in text


def test_evaluate_on_another_collection_through_a_labels_map(trained, tmp_path):
    """Another collection names its classes otherwise and has one the model lacks: the map
    renames, the rest is left out and counted; without the map it is one line saying so."""
    out, _ = trained
    other = tmp_path / "other"
    synth.make_dataset(other, ("electronic", "classical", "jazz"), per_class=4, seconds=2.0,
                       seed=9)
    for old, new in (("electronic", "edm"), ("classical", "klassik")):
        (other / old).rename(other / new)
        for wav in (other / new).glob("*.wav"):
            wav.rename(wav.with_name(wav.name.replace(old, new)))
    refused = invoke("evaluate", out / "model.npz", other, "--no-cache")
    assert refused.exit_code == 1 and "give --labels-map FILE" in refused.output
    assert "Traceback" not in refused.output
    mapping = tmp_path / "map.toml"
    mapping.write_text('[labels]\nedm = "electronic"\nklassik = "classical"\n')
    result = invoke("evaluate", out / "model.npz", other, "--no-cache", "--labels-map",
                    mapping, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n_tracks"] == 8 and report["left_out"] == {"jazz": 4}
    assert report["tracks"]["accuracy"] >= 0.75                 # the model knows these two
    text = invoke("evaluate", out / "model.npz", other, "--no-cache", "--labels-map", mapping)
    assert "edm -> electronic" in text.output and "jazz (4 tracks)" in text.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[labels]\nedm = "techno"\n')
    wrong = invoke("evaluate", out / "model.npz", other, "--labels-map", bad)
    assert wrong.exit_code == 1 and "names techno, which the model does not have" in wrong.output


def test_archs_lists_every_architecture_with_shape_and_parameters():
    result = invoke("archs")
    assert result.exit_code == 0
    for name in ("cnn3", "cnn7", "ffnn", "dieleman", "lstm", "crnn", "fcn5", "fma_cnn"):
        assert f"\n{name} " in "\n" + result.output
    assert "1x128x130" in result.output
    cnn3 = next(line for line in result.output.splitlines() if line.startswith("cnn3 "))
    assert "   20    32 adam" in cnn3                   # its recipe: train's defaults for it


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Two classes, 10 clips of 1 s: enough segments for a few batches per epoch."""
    out = tmp_path_factory.mktemp("tiny")
    synth.make_dataset(out, CLASSES[:2], per_class=10, seconds=1.0, seed=2)
    return out


def small_config(data, out, epochs):
    return run.TrainConfig(arch="cnn3", data=str(data), out=str(out), segment=0.5, overlap=0.5,
                           epochs=epochs, batch_size=4, seed=3, early_stopping=False)


def test_resume_after_a_kill_mid_epoch_equals_the_uninterrupted_run(tiny, tmp_path, monkeypatch):
    whole = run.train(small_config(tiny, tmp_path / "whole", 3), progress=False)

    original = BatchIterator.epoch

    def killed_in_epoch_2(self, epoch=0):
        for i, batch in enumerate(original(self, epoch)):
            if self.shuffle and epoch == 1 and i == 2:
                raise KeyboardInterrupt("killed mid-epoch")
            yield batch

    monkeypatch.setattr(BatchIterator, "epoch", killed_in_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        run.train(small_config(tiny, tmp_path / "cut", 3), progress=False)
    assert load_state(tmp_path / "cut" / "state.npz")["epoch"] == 1
    monkeypatch.setattr(BatchIterator, "epoch", original)
    resumed = run.resume(tmp_path / "cut", {"arch": "cnn3"}, progress=False)

    a = load_state(tmp_path / "whole" / "state.npz")
    b = load_state(tmp_path / "cut" / "state.npz")
    assert a["epoch"] == b["epoch"] == 3
    for name, value in a["model"].items():
        np.testing.assert_array_equal(value, b["model"][name], err_msg=name)
    assert [h["loss"] for h in a["history"]] == [h["loss"] for h in b["history"]]
    assert resumed["results"] == whole["results"]


def test_wrong_input_is_one_clear_line(demo, tmp_path):
    result = invoke("train", demo, "--arch", "cnn9", "--out", tmp_path / "x")
    assert result.exit_code == 1 and "unknown architecture 'cnn9'" in result.stderr
    empty = tmp_path / "empty"
    (empty / "rock").mkdir(parents=True)
    (empty / "rock" / "notes.txt").write_text("no audio here")
    result = invoke("train", empty, "--arch", "cnn3", "--out", tmp_path / "y")
    assert result.exit_code == 1 and "Error:" in result.stderr and "Traceback" not in result.stderr
    one = tmp_path / "one"
    (one / "metal").mkdir(parents=True)
    for clip in sorted((demo / "metal").glob("*.wav"))[:3]:
        (one / "metal" / clip.name).write_bytes(clip.read_bytes())
    result = invoke("train", one, "--arch", "cnn3", "--out", tmp_path / "z")
    assert result.exit_code == 1 and "only one class" in result.stderr
    result = invoke("predict", demo / "metal" / "metal.00000.wav",
                    demo / "metal" / "metal.00001.wav")
    assert result.exit_code == 1 and "Error:" in result.stderr and "Traceback" not in result.stderr


def test_resume_refuses_another_front_end(trained):
    out, _ = trained
    result = invoke("train", "--resume", out, "--features", "mfcc")
    assert result.exit_code == 1 and "trained with features=" in result.stderr


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_matches_the_uninterrupted_run(tiny, tmp_path):
    """The real thing: `tinymir train` killed with SIGKILL while epoch 2 runs."""
    import signal
    import subprocess
    import sys

    def command(out):
        return [sys.executable, "-m", "tinymir.cli.main", "train", str(tiny),
                "--arch", "cnn3", "--segment", "0.5", "--overlap", "0.5", "--epochs", "4",
                "--batch-size", "2", "--seed", "3", "--no-early-stopping", "--out", str(out),
                "--cache", str(tmp_path / "cache")]

    subprocess.run(command(tmp_path / "whole"), check=True, capture_output=True)
    victim = subprocess.Popen(command(tmp_path / "cut"), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    for line in victim.stdout:                       # progress lines of epoch 2 have started
        if line.startswith("epoch 2/4:"):
            break
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL
    assert load_state(tmp_path / "cut" / "state.npz")["epoch"] == 1
    subprocess.run([sys.executable, "-m", "tinymir.cli.main", "train", "--resume",
                    str(tmp_path / "cut")], check=True, capture_output=True)
    a = load_state(tmp_path / "whole" / "state.npz")
    b = load_state(tmp_path / "cut" / "state.npz")
    assert a["epoch"] == b["epoch"] == 4
    for name, value in a["model"].items():
        np.testing.assert_array_equal(value, b["model"][name], err_msg=name)


def test_a_corrupt_file_is_named_counted_and_training_goes_on(demo, tmp_path):
    import shutil
    data = tmp_path / "data"
    shutil.copytree(demo, data)
    bad = data / "metal" / "metal.00099.wav"
    bad.write_bytes(b"not a wav file")
    out = tmp_path / "run"
    result = invoke("train", data, "--arch", "cnn3", "--segment", "1", "--epochs", "1",
                    "--batch-size", "16", "--out", out, "--no-cache", "--quiet")
    assert result.exit_code == 0, result.output + result.stderr
    assert f"skipped {bad}: " in result.output and "1 file(s) skipped" in result.output
    report = json.loads((out / "report.json").read_text())
    assert [path for path, _ in report["skipped"]] == [str(bad)]


def test_lr_patience_sets_the_plateau_rule_and_zero_turns_it_off(tiny, tmp_path):
    """A learning rate too small to improve anything: with --lr-patience 1 it drops after a
    flat epoch, with 0 it never moves."""
    import csv
    import dataclasses
    import io

    def rates(name, patience):
        config = dataclasses.replace(small_config(tiny, tmp_path / name, 4), lr=1e-9,
                                     lr_patience=patience)
        run.train(config, progress=False, stream=io.StringIO())
        assert json.loads((tmp_path / name / "config.json").read_text())["lr_patience"] == patience
        with open(tmp_path / name / "history.csv") as handle:
            return [float(row["lr"]) for row in csv.DictReader(handle)]

    assert set(rates("off", 0)) == {1e-9}
    assert rates("on", 1)[-1] < 1e-9
    with pytest.raises(run.RunError, match="--lr-patience must be"):
        run_config.check_config(run_config.with_defaults(dataclasses.replace(
            small_config(tiny, tmp_path / "bad", 1), lr_patience=-1)))
