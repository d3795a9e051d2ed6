"""End to end on synthetic audio: `tinymir explain represent / saliency`, `tinymir dataset
profile` and `tinymir features invert`, and what the input optimisation achieves."""
import csv
import json

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

from tinymir.audio import synth
from tinymir.cli.main import main
from tinymir.data import Track, TrackTable
from tinymir.explain import measure, pictures
from tinymir.explain.represent import Settings
from tinymir.train import run

CLASSES = ("electronic", "classical", "metal")


def invoke(*args):
    return CliRunner().invoke(main, ["--device", "cpu", *map(str, args)])


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    synth.make_dataset(out, CLASSES, per_class=8, seconds=2.0, seed=1)
    return out


@pytest.fixture(scope="module")
def model(demo, tmp_path_factory):
    """A small cnn3 (1 s slices, three epochs) that tells the three classes apart."""
    out = tmp_path_factory.mktemp("run")
    report = run.train(run.TrainConfig(arch="cnn3", data=str(demo), out=str(out), segment=1.0,
                                       epochs=3, batch_size=8, cache=str(out / "cache")),
                       progress=False)
    assert report["results"]["test"]["tracks"]["accuracy"] == 1.0      # it learned the classes
    return out / "model.npz"


@pytest.fixture(scope="module")
def represented(model, demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("represent")
    result = invoke("explain", "represent", model, "--data", demo, "--steps", "25",
                    "--out", out, "--audio", out / "audio")
    assert result.exit_code == 0, result.output + result.stderr
    return out, result


def test_represent_writes_npz_png_wav_and_the_table_for_every_class(represented):
    out, result = represented
    for name in CLASSES:
        for path in (out / f"{name}.npz", out / f"{name}.png", out / "audio" / f"{name}.wav"):
            assert path.is_file(), path
        stored = np.load(out / f"{name}.npz")
        assert stored["features"].shape == (128, 44) and np.isfinite(stored["features"]).all()
        assert json.loads(str(stored["params"]))["kind"] == "mel"
        assert len(stored["trajectory"]) == 25
        y, sr = soundfile.read(out / "audio" / f"{name}.wav")
        assert sr == 22050 and len(y) > 0.9 * sr and 0.5 < np.abs(y).max() <= 0.91
        assert f"{name}: max achievable logit" in result.output
    rows = list(csv.DictReader(open(out / "scores.csv")))
    assert sorted(r["class"] for r in rows) == sorted(CLASSES)
    assert all(r["best_track"].startswith(r["class"]) for r in rows)
    assert (out / "scores.md").is_file() and (out / "scores.png").is_file()


def test_optimised_input_beats_every_real_track_and_its_score_rises(represented):
    """On the trained model: each class's optimised input scores above every real track of
    that class (their best is in the table), and the score climbs over the steps."""
    out, _ = represented
    summary = json.loads((out / "summary.json").read_text())
    for row in summary["classes"]:
        assert row["max_score"] > row["best_score"], row
        trajectory = np.load(out / f"{row['class']}.npz")["trajectory"]
        assert trajectory[-5:].mean() > trajectory[:5].mean() + 1.0
        assert row["max_score"] > row["start_score"]


def test_features_invert_turns_stored_features_back_into_audio(demo, tmp_path):
    clip = sorted((demo / "metal").glob("*.wav"))[0]
    for kind in ("mel", "mfcc", "stft"):
        assert invoke("features", clip, "--kind", kind, "--out", tmp_path / f"{kind}.npz"
                      ).exit_code == 0
        result = invoke("features", "invert", tmp_path / f"{kind}.npz", "--out",
                        tmp_path / f"{kind}.wav", "--iterations", "4")
        assert result.exit_code == 0, result.output
        y, sr = soundfile.read(tmp_path / f"{kind}.wav")
        assert sr == 22050 and abs(len(y) - 2 * sr) < 1024
    bad = tmp_path / "bad.npz"
    np.savez(bad, x=np.zeros(3))
    result = invoke("features", "invert", bad, "--out", tmp_path / "bad.wav")
    assert result.exit_code == 1 and "no 'features' and 'params'" in result.output
    assert "Traceback" not in result.output


def test_saliency_writes_track_and_slice_pictures(model, demo, tmp_path):
    clip = sorted((demo / "classical").glob("*.wav"))[0]
    result = invoke("explain", "saliency", model, clip, "--class", "classical", "--out", tmp_path)
    assert result.exit_code == 0, result.output + result.stderr
    assert "grad-cam" in result.output
    for name in ("track.png", "slice_000.png", "slice_001.png", "saliency.npz"):
        assert (tmp_path / name).is_file()
    maps = np.load(tmp_path / "saliency.npz")
    for key in ("track_gradient", "track_gradient_x_input", "track_grad-cam"):
        assert maps[key].shape == maps["features"].shape
        assert 0 <= maps[key].min() and maps[key].max() <= 1 and maps[key].max() > 0
    wrong = invoke("explain", "saliency", model, clip, "--class", "jazz", "--out", tmp_path)
    assert wrong.exit_code == 1 and "no class 'jazz'" in wrong.output


def test_dataset_profile_single_label(demo, tmp_path):
    result = invoke("dataset", "profile", demo, "--plot", tmp_path, "--base", "metal")
    assert result.exit_code == 0, result.output
    for name in ("class_means.png", "differences.png", "class_counts.png", "durations.png"):
        assert (tmp_path / name).is_file()
    numbers = json.loads((tmp_path / "profile.json").read_text())
    assert numbers["base"] == "metal" and numbers["class_counts"]["classical"] == 8
    means = np.load(tmp_path / "class_means.npz")
    assert means["means"].shape == (3, 128, 87)


def test_dataset_profile_multilabel_cooccurrence(demo, tmp_path):
    files = sorted(demo.glob("*/*.wav"))[:6]
    tags = ["rock;pop", "pop", "rock;pop;jazz", "jazz", "pop;jazz", "rock"]
    table = tmp_path / "tags.csv"
    with open(table, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "tags"])
        writer.writerows([[str(f), t] for f, t in zip(files, tags)])
    result = invoke("dataset", "profile", table, "--plot", tmp_path / "out", "--dataset", "tags",
                    "-o", "tags_column=tags")
    assert result.exit_code == 0, result.output
    numbers = json.loads((tmp_path / "out" / "profile.json").read_text())
    assert numbers["multilabel"]
    assert numbers["cooccurrence"] == [[3, 2, 1], [2, 4, 2], [1, 2, 3]]   # jazz, pop, rock
    assert numbers["labels_per_track"] == {"1": 3, "2": 2, "3": 1}
    for name in ("cooccurrence.png", "labels_per_track.png"):
        assert (tmp_path / "out" / name).is_file()


def test_without_matplotlib_numbers_are_written_and_pictures_skipped(demo, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setattr(pictures, "available", lambda: False)
    result = invoke("dataset", "profile", demo, "--plot", tmp_path)
    assert result.exit_code == 0 and "pictures skipped" in result.output
    assert (tmp_path / "profile.json").is_file() and not list(tmp_path.glob("*.png"))


def test_periods_compare_the_best_track_of_each_period(tmp_path):
    table = TrackTable([Track("a", "a.wav", ("rock",), year=1995),
                        Track("b", "b.wav", ("rock",), year=2003),
                        Track("c", "c.wav", ("rock",), year=2004),
                        Track("d", "d.wav", ("pop",), year=1985),
                        Track("e", "e.wav", ("pop",), year=None)], "dated")
    scores = np.array([[1.0, 0.0], [2.0, 0.5], [3.0, 0.1], [0.0, 9.0], [0.0, 8.0]])
    result = measure.per_period(tmp_path, table, scores, ["rock", "pop"], ["rock", "pop"],
                                np.array([5.0, 10.0]), [1990, 2000], "logit", drawing=False)
    assert result["left_out"] == 2
    rows = {(r["class"], r["period"]): r for r in result["rows"]}
    assert rows["rock", "1990-1999"]["best_track"] == "a"
    assert rows["rock", "2000-"]["best_track"] == "c"
    assert rows["rock", "2000-"]["difference"] == pytest.approx(2.0)
    assert "best_track" not in rows["pop", "2000-"]
    assert (tmp_path / "periods.csv").is_file()
    assert measure.period_of(1989, [1990, 2000]) is None
    assert measure.period_names([2010, 1990, 2000]) == ["1990-1999", "2000-2009", "2010-"]


def test_bad_settings_are_one_clear_error(model):
    result = invoke("explain", "represent", model, "--lr", "-1")
    assert result.exit_code == 1 and "lr > 0" in result.output
    result = invoke("explain", "represent", model, "--by", "year")
    assert result.exit_code == 1 and "--periods" in result.output
    with pytest.raises(ValueError, match="objective"):
        Settings(objective="prob")
