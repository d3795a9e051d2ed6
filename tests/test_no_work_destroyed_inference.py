"""No command that writes destroys what a user made: `predict --out`, `features --out/--plot`,
`features invert`, `explain represent|saliency` and `dataset profile` check their data and
options before they write, build their files beside the old ones and replace those only once
all of their own work has succeeded.

For each command: a failure before the work starts leaves the folder exactly as it was (file
list and hashes); a failure in the middle of the work (a write that fails, e.g. a full disk)
leaves it as it was too, without temporaries; success replaces the files of the same names and
keeps the others."""
import errno
import shutil

import numpy as np
import pytest

from _cli_helpers import invoke, refused, tiny_model, tree_digest, two_class_set
from tinymir.data import engines
from tinymir.explain import measure, pictures
from tinymir.explain import profile as profiling
from tinymir.features import npz as feature_file


def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def failing_after(original):
    """``original``, then a full disk: the work was done, a later write fails."""
    def call(*args, **kwargs):
        original(*args, **kwargs)
        full_disk()
    return call


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return two_class_set(tmp_path_factory.mktemp("data"), seed=7)


@pytest.fixture(scope="module")
def model(data, tmp_path_factory):
    return tiny_model(data, tmp_path_factory.mktemp("run"), seed=2)


@pytest.fixture(scope="module")
def few(data, tmp_path_factory):
    """Two clips of the dataset, for the commands that draw one picture per file."""
    out = tmp_path_factory.mktemp("few")
    for name in ("classical", "electronic"):
        (out / name).mkdir()
        shutil.copy(data / name / f"{name}.00000.wav", out / name)
    return out


@pytest.fixture(scope="module")
def earlier(model, data, few, tmp_path_factory):
    """Earlier results of every writing command, as a user keeps them."""
    ws = tmp_path_factory.mktemp("earlier")
    clip = data / "classical" / "classical.00000.wav"
    for args in (("predict", model, data, "--out", ws / "tags.csv", "--quiet"),
                 ("features", few, "--out", ws / "feats.npz", "--plot", ws / "pictures"),
                 ("features", "invert", ws / "feats.npz", "--out", ws / "inverted.wav",
                  "--iterations", "1"),
                 ("explain", "represent", model, "--steps", "1", "--out", ws / "represent"),
                 ("explain", "saliency", model, clip, "--out", ws / "saliency",
                  "--max-segments", "0"),
                 ("dataset", "profile", data, "--plot", ws / "profile")):
        result = invoke(*args)
        assert result.exit_code == 0, result.output
    for folder in ("pictures", "represent", "saliency", "profile"):
        (ws / folder / "my notes.txt").write_text("kept whatever happens\n")
    return ws


@pytest.fixture
def ws(earlier, tmp_path):
    out = tmp_path / "ws"
    shutil.copytree(earlier, out)
    return out


def leaves_it_as_it_was(ws, result, *texts):
    before = tree_digest(ws)
    refused(result(), *texts)
    assert tree_digest(ws) == before
    assert not [p for p in ws.rglob("*") if p.name.startswith(".tmp-")]


# -- a failure before the work starts ------------------------------------------------------
def test_predict_out_refused_before_it_starts(ws, model, data, tmp_path, monkeypatch):
    lines = (ws / "tags.csv").read_text().splitlines(keepends=True)
    (ws / "tags.csv").write_text("".join(lines[:6]) + lines[6][:30])      # a killed run
    other = tmp_path / "other.npz"
    shutil.copy(model, other)
    with open(other, "ab") as handle:
        handle.write(b"\0")                    # another file: another model
    leaves_it_as_it_was(ws, lambda: invoke("predict", other, data, "--out", ws / "tags.csv"),
                        "tags.csv: written by another model")
    monkeypatch.setattr(engines, "CONNECT_TIMEOUT", 1)
    leaves_it_as_it_was(ws, lambda: invoke("predict", model, data, "--out", ws / "tags.csv",
                                           "--scheduler", "tcp://127.0.0.1:1"),
                        "no Dask scheduler answers at tcp://127.0.0.1:1")   # torn line kept


def test_features_refused_before_they_start(ws, data):
    leaves_it_as_it_was(ws, lambda: invoke("features", data, "--out", ws / "feats.npz", "--plot",
                                           ws / "pictures", "--n-mels", "1000"),
                        "more mel bands than the")


def test_invert_refused_before_it_starts(ws, tmp_path):
    np.savez(tmp_path / "bad.npz", features=np.zeros((64, 10), np.float32),
             params=np.array('{"kind": "mel"}'))
    leaves_it_as_it_was(ws, lambda: invoke("features", "invert", tmp_path / "bad.npz", "--out",
                                           ws / "inverted.wav"), "do not fit mel features")


def test_explain_refused_before_it_starts(ws, model, data):
    leaves_it_as_it_was(ws, lambda: invoke("explain", "represent", model, "--steps", "2",
                                           "--out", ws / "represent", "--data", data, "--by",
                                           "year", "--periods", "1990,2000"),
                        "no track has a year")
    leaves_it_as_it_was(ws, lambda: invoke("explain", "saliency", model,
                                           data / "classical" / "classical.00001.wav",
                                           "--class", "jazz", "--out", ws / "saliency"),
                        "no class 'jazz'")


def test_profile_refused_before_it_starts(ws, data):
    leaves_it_as_it_was(ws, lambda: invoke("dataset", "profile", data, "--plot", ws / "profile",
                                           "--seconds", "1000"), "longer than every readable")


# -- a failure in the middle of the work -----------------------------------------------------
def test_features_failing_to_write_leave_npz_and_pictures(ws, few, monkeypatch):
    monkeypatch.setattr(feature_file, "write_atomically", full_disk)
    leaves_it_as_it_was(ws, lambda: invoke("features", few, "--out", ws / "feats.npz", "--plot",
                                           ws / "pictures", "--kind", "mfcc"),
                        "No space left on device")


def test_invert_writes_no_clip_unless_it_writes_them_all(ws, few, tmp_path, monkeypatch):
    assert invoke("features", few, "--out", tmp_path / "two.npz").exit_code == 0
    for k in range(2):
        (ws / f"inverted_{k:03d}.wav").write_bytes(b"an earlier clip")
    calls = []

    def second_fails(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 2:
            full_disk()
        return original(*args, **kwargs)

    original = measure.write_audio
    monkeypatch.setattr(measure, "write_audio", second_fails)
    leaves_it_as_it_was(ws, lambda: invoke("features", "invert", tmp_path / "two.npz", "--out",
                                           ws / "inverted.wav", "--iterations", "1"),
                        "No space left on device")
    assert len(calls) == 2 and calls[0].parent == ws and calls[0].name.startswith(".tmp-")


def test_represent_failing_late_leaves_the_earlier_folder(ws, model, monkeypatch):
    monkeypatch.setattr(measure, "write_table", failing_after(measure.write_table))
    leaves_it_as_it_was(ws, lambda: invoke("explain", "represent", model, "--steps", "1",
                                           "--out", ws / "represent", "--seed", "5"),
                        "No space left on device")


def test_saliency_failing_late_leaves_the_earlier_folder(ws, model, data, monkeypatch):
    monkeypatch.setattr(measure, "write_saliency", failing_after(measure.write_saliency))
    leaves_it_as_it_was(ws, lambda: invoke("explain", "saliency", model,
                                           data / "electronic" / "electronic.00003.wav",
                                           "--out", ws / "saliency", "--max-segments", "1"),
                        "No space left on device")


def test_profile_failing_late_leaves_the_earlier_folder(ws, data, monkeypatch):
    if not pictures.available():
        pytest.skip("needs matplotlib (the failure is in drawing)")
    monkeypatch.setattr(profiling, "_draw", failing_after(profiling._draw))
    leaves_it_as_it_was(ws, lambda: invoke("dataset", "profile", data, "--plot", ws / "profile",
                                           "--seconds", "0.5"), "No space left on device")


# -- success replaces the files of the same names and keeps the others -----------------------
def test_success_replaces_same_names_and_keeps_the_rest(ws, data, few):
    before = tree_digest(ws)
    result = invoke("dataset", "profile", data, "--plot", ws / "profile", "--seconds", "0.5")
    assert result.exit_code == 0, result.output
    after = tree_digest(ws)
    assert after["profile/my notes.txt"] == before["profile/my notes.txt"]
    assert after["profile/class_means.npz"] != before["profile/class_means.npz"]
    assert set(after) == set(before)
    result = invoke("features", few, "--out", ws / "feats.npz", "--kind", "mfcc")
    assert result.exit_code == 0, result.output
    assert dict(np.load(ws / "feats.npz"))["features"].shape[1] == 20
    assert not [p for p in ws.rglob("*") if p.name.startswith(".tmp-")]
