"""Wrong usage and hopeless input for `tinymir train / evaluate / predict / features / synth`:
each gets one clear line (no traceback) and a non-zero exit; training that goes non-finite
stops with its last good model intact."""
import json
import shutil

import numpy as np
import pytest
import soundfile

from _cli_helpers import invoke, refused, two_class_set
from tinymir import nn
from tinymir.data.batches import BatchIterator
from tinymir.models import FrontEnd
from tinymir.train import config as configs
from tinymir.train import prepare, run
from tinymir.train.checkpoint import load_state, save_state

SR = 22050


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return two_class_set(tmp_path_factory.mktemp("data"), seed=5)


def train_args(data, out, *extra):
    return ("train", data, "--arch", "cnn3", "--segment", "0.5", "--overlap", "0.5",
            "--batch-size", "4", "--seed", "1", "--no-early-stopping", "--no-cache", "--quiet",
            "--out", out, *extra)


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "cnn3"
    result = invoke(*train_args(data, out, "--epochs", "2"))
    assert result.exit_code == 0, result.output
    return out


# -- train: options refused before any work ------------------------------------------------
@pytest.mark.parametrize("args, message", [
    (("--lr", "0"), "--lr must be a positive number, got 0.0"),
    (("--lr", "-1"), "--lr must be a positive number, got -1.0"),
    (("--seed", "-5"), "--seed must be 0 or more, got -5"),
    (("--rnn", "gru"), "--rnn does not apply to cnn3 (only crnn takes it)"),
    (("--arch", "dieleman", "--features", "mfcc", "--n-mfcc", "13", "--n-fft", "2048",
      "--hop-length", "1024"), "dieleman cannot read 13x65 inputs"),
])
def test_impossible_training_options_are_one_line(tmp_path, args, message):
    refused(invoke("train", tmp_path, "--arch", "cnn3", "--out", tmp_path / "run", *args),
            message)


def test_lr_given_is_the_lr_used(tmp_path):
    config = configs.check_config(configs.with_defaults(
        configs.TrainConfig(arch="cnn3", data=".", out=str(tmp_path), lr=0.25)))
    assert config.lr == 0.25


def test_a_segment_longer_than_every_track_is_refused(data, tmp_path):
    refused(invoke("train", data, "--arch", "cnn3", "--segment", "100", "--no-cache",
                   "--quiet", "--out", tmp_path / "run"),
            "--segment 100 s is longer than every track", "choose a shorter --segment")


def test_tracks_shorter_than_a_segment_are_counted_in_a_warning():
    class Stream(list):
        write = list.append
    front = FrontEnd(segment=1.0)                         # 44 frames
    stream = Stream()
    prepare.check_segment(front, [100, 20, 44, 30], "data", stream)
    assert stream == ["warning: 2 of 4 tracks are shorter than one 1 s segment; each is "
                      "repeated to fill its segment\n"]
    with pytest.raises(configs.RunError, match="longer than every track"):
        prepare.check_segment(front, [20, 43], "data", stream)


# -- train: RUN_DIR and resume -------------------------------------------------------------
def test_another_architecture_in_out_is_refused_unless_overwrite(data, trained, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(trained, out)
    refused(invoke("train", data, "--arch", "ffnn", "--out", out, "--quiet"),
            f"{out} holds a cnn3 run and this one is ffnn", "--overwrite")
    assert json.loads((out / "config.json").read_text())["arch"] == "cnn3"
    result = invoke("train", data, "--arch", "ffnn", "--segment", "0.5", "--epochs", "1",
                    "--no-cache", "--quiet", "--out", out, "--overwrite")
    assert result.exit_code == 0, result.output
    assert "replacing the earlier cnn3 run" in result.stderr
    assert nn.load(out / "model.npz")[1]["arch"] == "ffnn"
    assert len(load_state(out / "state.npz")["history"]) == 1


def test_resume_with_more_epochs_continues_a_finished_run(trained, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(trained, out)
    result = invoke("train", "--resume", out, "--epochs", "3", "--quiet")
    assert result.exit_code == 0, result.output
    history = (out / "history.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in history[1:]] == ["1", "2", "3"]
    assert json.loads((out / "config.json").read_text())["epochs"] == 3
    refused(invoke("train", "--resume", out, "--epochs", "2"),
            "has already run 3 epochs; --epochs 2 asks for fewer")
    refused(invoke("train", "--resume", out, "--lr", "0.5"),
            "was trained with lr=0.001; this run asks for 0.5")


def test_resume_continues_a_run_stopped_early_when_asked_for_more_epochs(trained, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(trained, out)
    state = load_state(out / "state.npz")
    state["history"][-1]["stopped"] = True                 # as if early stopping had fired
    save_state(out / "state.npz", state)
    result = invoke("train", "--resume", out)
    assert result.exit_code == 0 and "run already finished at epoch 2 (early stopping)" \
        in result.stderr
    assert load_state(out / "state.npz")["epoch"] == 2
    run.resume(out, {}, progress=False, epochs=3)
    assert load_state(out / "state.npz")["epoch"] == 3


# -- train: a NaN in one batch -------------------------------------------------------------
def poison(monkeypatch, epoch, batch):
    """Training batch ``batch`` of epoch ``epoch`` (both from 1) gets a NaN feature."""
    original = BatchIterator.epoch

    def epoch_with_nan(self, e=0):
        for i, (x, y, t) in enumerate(original(self, e)):
            if self.shuffle and e == epoch - 1 and i == batch - 1:
                x = x.copy()
                x[0, 0, 0, 0] = np.nan
            yield x, y, t

    monkeypatch.setattr(BatchIterator, "epoch", epoch_with_nan)


def all_finite(path):
    model, _ = nn.load(path)
    return all(np.isfinite(value).all() for value in model.state_dict().values())


def test_a_nan_batch_stops_training_and_keeps_the_last_good_model(data, tmp_path, monkeypatch):
    out = tmp_path / "run"
    poison(monkeypatch, epoch=2, batch=3)
    result = refused(invoke(*train_args(data, out, "--epochs", "3")),
                     "non-finite loss (nan) at epoch 2, batch 3: training stopped",
                     "model.npz and the reports hold epoch 1")
    assert result.stderr.count("Error:") == 1
    assert all_finite(out / "model.npz") and nn.load(out / "model.npz")[1]["epoch"] == 1
    state = load_state(out / "state.npz")
    assert state["epoch"] == 1 and all(np.isfinite(v).all() for v in state["model"].values())
    report = json.loads((out / "report.json").read_text())
    assert "epoch 2, batch 3" in report["stopped"]


def test_a_nan_in_the_first_epoch_writes_no_model(data, tmp_path, monkeypatch):
    out = tmp_path / "run"
    poison(monkeypatch, epoch=1, batch=2)
    refused(invoke(*train_args(data, out, "--epochs", "2")),
            "at epoch 1, batch 2: training stopped, before any epoch finished, so no model")
    assert not (out / "model.npz").exists() and not (out / "state.npz").exists()


# -- predict -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hopeless(tmp_path_factory, data):
    """Files with nothing to classify, one good clip and one very short but real clip."""
    root = tmp_path_factory.mktemp("hopeless")
    (root / "deeper").mkdir()
    good = np.asarray(soundfile.read(sorted((data / "classical").glob("*.wav"))[0])[0])
    files = {"silence.wav": np.zeros(SR), "tiny.wav": np.full(SR, 1e-30),
             "one_sample.wav": good[:1], "1ms.wav": good[:22], "10ms.wav": good[:220],
             "deeper/good.wav": good, "short.wav": good[:2205]}
    for name, y in files.items():
        soundfile.write(root / name, y, SR, subtype="FLOAT")
    return root


def test_predict_refuses_files_with_nothing_to_classify_and_counts_them(trained, hopeless):
    result = refused(invoke("predict", trained / "model.npz", hopeless),
                     "5 of 7 files could not be labelled")
    assert f"skipped {hopeless / 'silence.wav'}: silent (peak all zeros" in result.stderr
    assert f"skipped {hopeless / 'tiny.wav'}: silent (peak -600 dBFS" in result.stderr
    for name, n in (("one_sample.wav", 1), ("1ms.wav", 22), ("10ms.wav", 220)):
        assert (f"skipped {hopeless / name}: {n} samples ({n / SR:.3g} s), shorter than one "
                "analysis frame (1024 samples)") in result.stderr
    labelled = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert sorted(labelled) == [str(hopeless / "deeper" / "good.wav"), str(hopeless / "short.wav")]
    assert f"warning: {hopeless / 'short.wav'}: about 0.093 s long, much shorter than the " \
           "model's 0.5 s segment" in result.stderr
    assert str(hopeless / "short.wav") not in result.stderr.replace(
        f"warning: {hopeless / 'short.wav'}", "")             # named once
    ok = invoke("predict", trained / "model.npz", hopeless / "deeper")
    assert ok.exit_code == 0 and ok.stdout.startswith(f"{hopeless / 'deeper' / 'good.wav'}: ")


@pytest.mark.parametrize("content", [b"junk" * 50, b""], ids=["garbage", "empty"])
def test_predict_with_a_file_that_is_not_a_model(tmp_path, hopeless, content):
    model = tmp_path / "model.npz"
    model.write_bytes(content)
    result = refused(invoke("predict", model, hopeless / "deeper"),
                     f"{model}: not a tinymir model file")
    assert "pickle" not in result.output and "unsafe" not in result.output


@pytest.mark.parametrize("field, message", [
    ("classes", "the network has 2 outputs but the file names 3 classes"),
    ("standardize", "its standardisation has 5 means and 5 deviations for 128 bins"),
])
def test_predict_with_an_inconsistent_model_file(trained, hopeless, tmp_path, field, message):
    model, metadata = nn.load(trained / "model.npz")
    if field == "classes":
        metadata["classes"] = metadata["classes"] + ["extra"]
    else:
        metadata["standardize"]["mean"] = metadata["standardize"]["mean"][:5]
        metadata["standardize"]["std"] = metadata["standardize"]["std"][:5]
    nn.save(tmp_path / "bad.npz", model, metadata)
    refused(invoke("predict", tmp_path / "bad.npz", hopeless / "deeper"),
            "inconsistent model file", message)


# -- evaluate ------------------------------------------------------------------------------
def test_evaluate_names_what_it_scored_and_warns_about_training_tracks(trained, data):
    result = invoke("evaluate", trained / "model.npz", data, "--no-cache")
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"scored 16 tracks of {data} (all tracks, 12 of them training "
                            "tracks; 0 skipped) with cnn3 model")
    assert "warning: 12 of the 16 tracks scored are training tracks" in result.stderr
    test = invoke("evaluate", trained / "model.npz", data, "--no-cache", "--part", "test")
    assert test.exit_code == 0 and "warning" not in test.stderr
    assert test.stdout.startswith("scored 2 tracks of ")


# -- features and synth --------------------------------------------------------------------
@pytest.mark.parametrize("args, message", [
    (("--n-fft", "3"), "n_fft must be at least 16 samples, got 3"),
    (("--n-mels", "2000"), "n_mels=2000 is more mel bands than the 513 frequency bins"),
])
def test_features_refuse_impossible_spectra(hopeless, tmp_path, args, message):
    refused(invoke("features", hopeless / "deeper", "--out", tmp_path / "f.npz", *args),
            message)


def test_features_warn_about_empty_mel_filters(hopeless, tmp_path):
    result = invoke("features", hopeless / "deeper", "--out", tmp_path / "f.npz",
                    "--n-mels", "500")
    assert result.exit_code == 0, result.output
    assert "warning: 71 of the 500 mel bands hold no frequency bin" in result.stderr


def test_synth_refuses_a_class_named_twice(tmp_path):
    refused(invoke("synth", tmp_path / "demo", "--classes", "rock,rock"),
            "rock given more than once")
    assert not (tmp_path / "demo").exists()
