"""Wrong usage of the commands that use a trained model or stored features: `predict` (and
`--out`), `evaluate`, `features` (compute and invert), `explain represent|saliency`, `dataset
profile` and `--scheduler`. Each case gets one clear line naming the file or option (no
traceback), the exit status says it failed, and nothing the user had was removed or changed:
the folder of their files, the dataset and the model hash the same before and after."""
import csv
import json
import shutil

import numpy as np
import pytest
import soundfile

from _cli_helpers import invoke, tiny_model, tree_digest, two_class_set
from tinymir import nn
from tinymir.audio import synth
from tinymir.audio.checks import content_warning, spectral_flatness
from tinymir.predict import catalogue

SR = 22050


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return two_class_set(tmp_path_factory.mktemp("data"), seed=5)


@pytest.fixture(scope="module")
def model(data, tmp_path_factory):
    return tiny_model(data, tmp_path_factory.mktemp("run"), seed=1)


def _model_with(model, path, **changes):
    """A copy of ``model`` with its metadata or one weight changed."""
    network, metadata = nn.load(model)
    if "weight" in changes:
        state = network.state_dict()
        name = next(iter(state))
        state[name] = np.array(state[name], copy=True)
        state[name].flat[0] = changes.pop("weight")
        network.load_state_dict(state)
    for key, value in changes.items():
        if key in ("mean", "std"):
            standardize = dict(metadata["standardize"])
            standardize[key] = [value] + list(standardize[key][1:])
            metadata = dict(metadata, standardize=standardize)
        else:
            metadata = dict(metadata, **{key: value})
    nn.save(path, network, metadata)


def _features_npz(path, features, params=None, **extra):
    params = params or {"kind": "mel"}
    np.savez(path, features=features, params=np.array(json.dumps(params)), **extra)


@pytest.fixture(scope="module")
def bad(model, data, tmp_path_factory):
    """Hopeless inputs: damaged models, feature files, audio and lists."""
    out = tmp_path_factory.mktemp("bad")
    _model_with(model, out / "nan_weight.npz", weight=np.nan)
    _model_with(model, out / "inf_weight.npz", weight=np.inf)
    _model_with(model, out / "zero_std.npz", std=0.0)
    _model_with(model, out / "nan_mean.npz", mean=float("nan"))
    _model_with(model, out / "nan_threshold.npz", thresholds=[float("nan"), 0.5])
    _model_with(model, out / "same_classes.npz", classes=["rock", "rock"])
    (out / "text_model.npz").write_text("not a model\n")
    (out / "empty.npz").write_bytes(b"")
    mel = np.random.default_rng(0).normal(-40, 10, (128, 20)).astype(np.float32)
    _features_npz(out / "good.npz", mel)
    (out / "truncated.npz").write_bytes((out / "good.npz").read_bytes()[:300])
    (out / "text.npz").write_text("features, params\n1, 2\n")
    np.savez(out / "no_params.npz", features=mel)
    np.savez(out / "params_not_json.npz", features=mel, params=np.array("mel please"))
    _features_npz(out / "unknown_param.npz", mel, {"kind": "mel", "colour": "blue"})
    _features_npz(out / "wrong_rows.npz", mel[:64])
    _features_npz(out / "stft_rows.npz", mel, {"kind": "stft"})
    _features_npz(out / "mfcc_rows.npz", mel, {"kind": "mfcc"})
    _features_npz(out / "chroma.npz", mel[:12], {"kind": "chroma"})
    _features_npz(out / "strings.npz", np.array(["a", "b"]))
    _features_npz(out / "no_frames.npz", np.zeros((1, 128, 0), np.float32))
    _features_npz(out / "nan_features.npz", np.where(mel > -40, np.nan, mel))
    _features_npz(out / "frames_wrong.npz", mel, n_frames=np.array([5, 5]))
    _features_npz(out / "frames_negative.npz", mel, n_frames=np.array([25, -5]))
    _features_npz(out / "negative_power.npz", mel, {"kind": "mel", "log": False})
    np.savez(out / "pickled.npz", features=np.array([{"a": 1}], dtype=object),
             params=np.array("{}"))
    (out / "latin1.txt").write_bytes("caf\xe9.wav\n".encode("latin-1"))
    (out / "empty_list.txt").write_text("# nothing here\n\n")
    (out / "empty_folder").mkdir()
    (out / "broken" / "rock").mkdir(parents=True)
    (out / "broken" / "rock" / "a.wav").write_bytes(b"RIFF\x00\x00junk")
    soundfile.write(out / "silent.wav", np.zeros(SR, np.float32), SR)
    soundfile.write(out / "short.wav", np.sin(np.arange(3000) / 3).astype(np.float32), SR)
    (out / "notes.csv").write_text("not audio\n")
    (out / "other_classes" / "jazz").mkdir(parents=True)
    shutil.copy(next(data.glob("*/*.wav")), out / "other_classes" / "jazz" / "a.wav")
    return out


@pytest.fixture(scope="module")
def template(model, data, tmp_path_factory):
    """What a user has in their folder: earlier results of every command, and files of their
    own where a command might write."""
    ws = tmp_path_factory.mktemp("template")
    assert invoke("predict", model, data, "--out", ws / "tags.csv", "--quiet").exit_code == 0
    other = ws / "other.npz"
    _model_with(model, other, seed=99)           # the same network, another model file
    assert invoke("predict", other, data, "--out", ws / "other.csv", "--quiet").exit_code == 0
    other.unlink()
    (ws / "mine.csv").write_bytes("Name;Genre\nsong;caf\xe9\n".encode("latin-1"))
    (ws / "torn.csv").write_text("path,label_1")
    (ws / "columns.csv").write_text("path,genre\n/a.wav,rock\n")
    (ws / "cells.csv").write_text((ws / "tags.csv").read_text().splitlines()[0] + "\n/a.wav,x\n")
    (ws / "notes.csv").write_text("path,label_1,probability_1,label_2,probability_2,warning,"
                                  "model\n")
    (ws / "notes.errors.csv").write_text("my own notes, not tinymir's\n")
    (ws / "feats.npz").write_bytes(b"my features")
    for folder in ("pictures", "represent", "saliency", "profile"):
        (ws / folder).mkdir()
        (ws / folder / "earlier.png").write_bytes(b"an earlier picture")
    (ws / "song.wav").write_bytes(b"my song")
    return ws


@pytest.fixture
def ws(template, tmp_path):
    out = tmp_path / "ws"
    shutil.copytree(template, out)
    return out


def everything(ws, bad, data, model):
    return {name: tree_digest(path) for name, path in
            (("ws", ws), ("bad", bad), ("data", data), ("model", model))}


# (arguments, exit status, texts that stderr must hold). In the arguments {model}, {data},
# {bad} and {ws} name the trained model, the dataset, the hopeless inputs and the user's folder.
PREDICT = [
    ("predict {ws}/MISSING.npz {data}", 1, ["MISSING.npz: no such tinymir model file"]),
    ("predict {bad}/text_model.npz {data}", 1, ["text_model.npz: not a tinymir model file"]),
    ("predict {bad}/empty.npz {data}", 1, ["empty.npz: not a tinymir model file", "empty"]),
    ("predict {bad}/nan_weight.npz {data}", 1,
     ["nan_weight.npz: conv2d_1.kernel holds 1 NaN or infinite values", "train it again"]),
    ("predict {bad}/inf_weight.npz {data}", 1, ["inf_weight.npz: conv2d_1.kernel holds 1 NaN"]),
    ("predict {bad}/zero_std.npz {data}", 1,
     ["zero_std.npz: inconsistent model file", "zero or negative deviation in 1 of 128 bins"]),
    ("predict {bad}/nan_mean.npz {data}", 1,
     ["nan_mean.npz: inconsistent model file", "standardisation holds NaN or infinite"]),
    ("predict {bad}/nan_threshold.npz {data}", 1, ["tag thresholds hold NaN or infinite"]),
    ("predict {bad}/same_classes.npz {data}", 1,
     ["same_classes.npz: inconsistent model file: it names the classes rock more than once"]),
    ("predict {model} {data} --jobs 2", 2, ["--jobs and --scheduler tag a catalogue"]),
    ("predict {model} {data} --scheduler dask", 2, ["--jobs and --scheduler tag a catalogue"]),
    ("predict {model} {data} --top 0", 2, ["Invalid value for '--top'"]),
    ("predict {model} {ws}/missing.wav", 1, ["missing.wav", "1 of 1 files could not be"]),
    ("predict {model} {bad}/broken", 1, ["a.wav", "1 of 1 files could not be labelled"]),
    ("predict {model} {bad}/silent.wav", 1, ["silent.wav: silent", "nothing to classify"]),
    ("predict {model} {bad}/notes.csv", 1, ["notes.csv: unsupported format '.csv'"]),
    ("predict {model} {bad}/empty_folder", 1, ["empty_folder: no audio files"]),
    ("predict {model} {data} --json --out {ws}/new.csv", 2, ["with --out give one DATA"]),
    ("predict {model} {data} {data} --out {ws}/new.csv", 2, ["with --out give one DATA"]),
    ("predict {model} {data} --out {ws}", 2, ["is a directory"]),
]
PREDICT_OUT = [
    ("predict {model} {data} --out {ws}/mine.csv", 1,
     ["mine.csv: exists and is not a CSV of `tinymir predict` (not UTF-8 text)",
      "give another --out to keep it"]),
    ("predict {model} {data} --out {ws}/torn.csv", 1, ["torn.csv: exists and is not a CSV",
                                                        "one line without an end"]),
    ("predict {model} {data} --out {ws}/other.csv", 1,
     ["other.csv: written by another model", "give another --out to keep it"]),
    ("predict {model} {data} --out {ws}/columns.csv", 1,
     ["columns.csv: its columns (path,genre) are not the ones this model writes"]),
    ("predict {model} {data} --out {ws}/cells.csv", 1, ["cells.csv: line 2 has 2 cells, not 7"]),
    ("predict {model} {data} --out {ws}/notes.csv", 1,
     ["notes.errors.csv: exists and is not an errors list"]),
    ("predict {model} {data} --out {ws}/feats.npz", 1, ["feats.npz: exists and is not a CSV"]),
    ("predict {model} {data} --out {ws}/tags.csv --top 1", 1,
     ["tags.csv: its columns", "it was written with --top 2, give that again"]),
    ("predict {model} {data} --out {ws}/song.wav/new.csv", 1,
     ["song.wav is a file, not a folder; give another --out"]),
    ("predict {model} {data} --out {ws}/song.wav/deeper/new.csv", 1,
     ["song.wav is a file, not a folder"]),
    ("predict {ws}/MISSING.npz {data} --out {ws}/new.csv --scheduler dask", 1,
     ["MISSING.npz: no such tinymir model file"]),
    ("predict {bad}/nan_weight.npz {data} --out {ws}/new.csv", 1, ["holds 1 NaN"]),
    ("predict {bad}/zero_std.npz {data} --out {ws}/new.csv --scheduler dask", 1,
     ["zero or negative deviation"]),
    ("predict {model} {ws}/nodir --out {ws}/new.csv", 1, ["nodir: no such file or folder"]),
    ("predict {model} {bad}/latin1.txt --out {ws}/new.csv", 1,
     ["latin1.txt: a file list must be UTF-8 text"]),
    ("predict {model} {bad}/empty_list.txt --out {ws}/new.csv", 1,
     ["empty_list.txt: the file list names no audio file"]),
    ("predict {model} {bad}/empty_folder --out {ws}/new.csv", 1, ["no audio files"]),
    ("predict {model} {data} --out {ws}/new.csv --dataset bogus", 1,
     ["unknown dataset 'bogus'"]),
    ("predict {model} {data} --out {ws}/new.csv --jobs 0", 2, ["Invalid value for '--jobs'"]),
]
SCHEDULER = [
    ("predict {model} {data} --out {ws}/new.csv --scheduler tcp://", 2,
     ["tcp://: a Dask scheduler address needs a host and a port"]),
    ("predict {model} {data} --out {ws}/new.csv --scheduler http://127.0.0.1:1", 2,
     ["http://127.0.0.1:1: a Dask scheduler address starts with tcp://"]),
    ("predict {model} {data} --out {ws}/new.csv --scheduler yarn", 2,
     ["unknown scheduler 'yarn': processes, dask or an address"]),
    ("predict {model} {data} --out {ws}/new.csv --scheduler tcp://host:0", 2,
     ["needs a host and a port"]),
    ("predict {model} {data} --out {ws}/new.csv --scheduler tcp://:8786", 2,
     ["needs a host and a port"]),
    ("predict {model} {data} --out {ws}/new.csv --scheduler tcp://host:99999", 2,
     ["needs a host and a port"]),
    ("predict {model} {data} --out {ws}/new.csv --scheduler tcp://host:port", 2,
     ["needs a host and a port"]),
    ("predict {model} {data} --out {ws}/new.csv --scheduler inproc://x", 2,
     ["starts with tcp://"]),
    ("features {data} --cache {ws}/cache --scheduler tcp://", 2, ["needs a host and a port"]),
    ("features {data} --cache {ws}/cache --scheduler http://127.0.0.1:1", 2,
     ["starts with tcp://"]),
    ("features {data} --cache {ws}/cache --scheduler Dask", 2, ["unknown scheduler 'Dask'"]),
]
EVALUATE = [
    ("evaluate {ws}/MISSING.npz {data} --no-cache", 1, ["MISSING.npz: no such tinymir model"]),
    ("evaluate {bad}/nan_weight.npz {data} --no-cache", 1, ["holds 1 NaN or infinite"]),
    ("evaluate {bad}/zero_std.npz {data} --no-cache", 1, ["zero or negative deviation"]),
    ("evaluate {bad}/nan_mean.npz {data} --no-cache", 1, ["standardisation holds NaN"]),
    ("evaluate {model} {ws}/nodir --no-cache", 1, ["nodir: no such file or folder"]),
    ("evaluate {model} {bad}/empty_folder --no-cache", 1, ["no audio files"]),
    ("evaluate {model} {bad}/other_classes --no-cache", 1,
     ["classes jazz are not among the model's"]),
    ("evaluate {model} {data} --no-cache --part bogus", 2, ["Invalid value for '--part'"]),
    ("evaluate {model} {data} --no-cache --jobs 0", 2, ["Invalid value for '--jobs'"]),
    ("evaluate {model} {data} --no-cache --dataset bogus", 1, ["unknown dataset 'bogus'"]),
]
FEATURES = [
    ("features {data}", 1, ["say where the features go: --out FILE.npz, --cache DIR"]),
    ("features {data} --out {ws}/new.npz --jobs 2", 1, ["--jobs and --scheduler need --cache"]),
    ("features {data} --out {ws}/new.npz --scheduler dask", 1,
     ["--jobs and --scheduler need --cache"]),
    ("features {ws}/nodir --out {ws}/new.npz", 2, ["does not exist"]),
    ("features {data} --out {ws}/new.npz --sr 0", 1, ["sr must be a positive integer, got 0"]),
    ("features {data} --out {ws}/new.npz --n-fft 8", 1, ["n_fft must be at least 16"]),
    ("features {data} --out {ws}/new.npz --hop 0", 1, ["hop_length must be a positive"]),
    ("features {data} --out {ws}/new.npz --n-mels 0", 1, ["n_mels must be a positive"]),
    ("features {data} --out {ws}/new.npz --kind mfcc --n-mfcc 200", 1,
     ["n_mfcc=200 cannot exceed n_mels=128"]),
    ("features {data} --out {ws}/new.npz --n-mels 1000", 1, ["more mel bands than the"]),
    ("features {data} --out {ws}/new.npz --kind bogus", 2, ["Invalid value for '--kind'"]),
    ("features {data} --out {ws}/new.npz --kind track --plot {ws}/pictures", 1,
     ["--plot draws spectrogram-like features; --kind track"]),
    ("features {bad}/empty_folder --out {ws}/new.npz", 1, ["no audio files in this folder"]),
    ("features {bad}/broken --out {ws}/feats.npz", 1,
     ["none of the 1 audio files could be read"]),
    ("features {data} --out {ws}/pictures", 2, ["is a directory"]),
    ("features {data} --out {ws}/new.npz --plot {ws}/song.wav", 2, ["is a file"]),
    ("features {data} --cache {ws}/cache --jobs 0", 2, ["Invalid value for '--jobs'"]),
    ("features {bad}/silent.wav --out {ws}/feats.npz", 1,
     ["silent.wav: silent", "none of the 1 audio files could be read"]),
]
INVERT = [
    ("features invert {bad}/truncated.npz --out {ws}/song.wav", 1,
     ["truncated.npz: truncated or corrupt features file (.npz)"]),
    ("features invert {bad}/text.npz --out {ws}/song.wav", 1,
     ["text.npz: not a features file (.npz) (not a NumPy .npz archive"]),
    ("features invert {bad}/empty.npz --out {ws}/song.wav", 1, ["empty.npz: not a features",
                                                                "it is empty"]),
    ("features invert {bad}/no_params.npz --out {ws}/song.wav", 1,
     ["no_params.npz: no 'features' and 'params' in it"]),
    ("features invert {bad}/params_not_json.npz --out {ws}/song.wav", 1,
     ["params_not_json.npz: its 'params' are not feature parameters"]),
    ("features invert {bad}/unknown_param.npz --out {ws}/song.wav", 1,
     ["unknown feature parameters: colour"]),
    ("features invert {bad}/wrong_rows.npz --out {ws}/song.wav", 1,
     ["wrong_rows.npz: 64 rows x 20 frames do not fit mel features", "(128 rows"]),
    ("features invert {bad}/stft_rows.npz --out {ws}/song.wav", 1,
     ["128 rows x 20 frames do not fit stft features", "(513 rows"]),
    ("features invert {bad}/mfcc_rows.npz --out {ws}/song.wav", 1,
     ["do not fit mfcc features", "(20 rows"]),
    ("features invert {bad}/chroma.npz --out {ws}/song.wav", 1,
     ["chroma.npz: chroma features cannot be turned back into audio"]),
    ("features invert {bad}/strings.npz --out {ws}/song.wav", 1,
     ["strings.npz: expected a real (bins, frames) array"]),
    ("features invert {bad}/no_frames.npz --out {ws}/song.wav", 1,
     ["no_frames.npz: 128 rows x 0 frames do not fit"]),
    ("features invert {bad}/nan_features.npz --out {ws}/song.wav", 1,
     ["nan_features.npz: the features are not all finite"]),
    ("features invert {bad}/frames_wrong.npz --out {ws}/song.wav", 1,
     ["its n_frames (2 clips, 10 frames) do not add up to the 20 frames"]),
    ("features invert {bad}/frames_negative.npz --out {ws}/song.wav", 1,
     ["frames_negative.npz: its n_frames"]),
    ("features invert {bad}/negative_power.npz --out {ws}/song.wav", 1,
     ["power features (log=False) hold negative values"]),
    ("features invert {bad}/pickled.npz --out {ws}/song.wav", 1,
     ["pickled.npz: truncated or corrupt features file (.npz) (holds Python objects)"]),
    ("features invert {bad}/good.npz --out {ws}/song.txt", 1,
     ["--out", "song.txt: an audio file name ending in", ".wav"]),
    ("features invert {bad}/good.npz --out {ws}/song.wav --iterations 0", 2,
     ["Invalid value for '--iterations'"]),
    ("features invert {ws}/missing.npz --out {ws}/song.wav", 2, ["does not exist"]),
    ("features invert {bad} --out {ws}/song.wav", 2, ["is a directory"]),
    ("features invert {bad}/good.npz --out {ws}/pictures", 2, ["is a directory"]),
]
REPRESENT = [
    ("explain represent {model} --out {ws}/represent --by year", 1,
     ["--by year needs --periods B1,B2,... and --data"]),
    ("explain represent {model} --out {ws}/represent --periods 1990,2000", 1,
     ["--by year needs --periods"]),
    ("explain represent {model} --out {ws}/represent --by year --periods abc --data {data}", 1,
     ["--periods 'abc': expected increasing years like 1990,2000,2010"]),
    ("explain represent {model} --out {ws}/represent --by year --periods 2000,1990 "
     "--data {data}", 1, ["--periods '2000,1990': expected increasing years"]),
    ("explain represent {model} --out {ws}/represent --by year --periods , --data {data}", 1,
     ["expected increasing years"]),
    ("explain represent {model} --out {ws}/represent --by year --periods 1990,1990 "
     "--data {data}", 1, ["expected increasing years"]),
    ("explain represent {model} --out {ws}/represent --by year --periods 1990,2000 "
     "--data {data}", 1, ["no track has a year, so there are no periods to compare"]),
    ("explain represent {model} --out {ws}/represent --lr 0", 1,
     ["need steps >= 1, lr > 0, bound > 0 and jitter >= 0"]),
    ("explain represent {model} --out {ws}/represent --lr nan", 1,
     ["--lr nan: must be a finite number"]),
    ("explain represent {model} --out {ws}/represent --l2 -1", 1,
     ["the regulariser weights l2, tv_time, tv_freq must be >= 0"]),
    ("explain represent {model} --out {ws}/represent --bound inf", 1,
     ["--bound inf: must be a finite number"]),
    ("explain represent {model} --out {ws}/represent --tv-time nan", 1,
     ["--tv-time nan: must be a finite number"]),
    ("explain represent {model} --out {ws}/represent --tv-freq inf", 1,
     ["--tv-freq inf: must be a finite number"]),
    ("explain represent {model} --out {ws}/represent --class nope", 1,
     ["no class nope (it has classical, electronic)"]),
    ("explain represent {model} --out {ws}/represent --start {ws}/missing.wav", 1,
     ["missing.wav: file not found"]),
    ("explain represent {model} --out {ws}/represent --start {bad}/silent.wav", 1,
     ["silent.wav: silent"]),
    ("explain represent {model} --out {ws}/represent --objective bogus", 2,
     ["Invalid value for '--objective'"]),
    ("explain represent {model} --out {ws}/represent --steps 0", 2,
     ["Invalid value for '--steps'"]),
    ("explain represent {model} --out {ws}/represent --jitter -1", 2,
     ["Invalid value for '--jitter'"]),
    ("explain represent {bad}/nan_weight.npz --out {ws}/represent", 1, ["holds 1 NaN"]),
    ("explain represent {bad}/zero_std.npz --out {ws}/represent", 1,
     ["zero or negative deviation"]),
    ("explain represent {model} --out {ws}/song.wav", 2, ["is a file"]),
    ("explain represent {ws}/MISSING.npz --out {ws}/represent", 2, ["does not exist"]),
    ("explain represent {model} --out {model.parent}", 1, ["is the folder of", "give another"]),
    ("explain represent {model} --out {ws}/represent --data {ws}/nodir", 2,
     ["does not exist"]),
    ("explain represent {model} --out {ws}/represent --data {bad}/other_classes", 1,
     ["other_classes: none of its classes (jazz) is one of the model's (classical, "
      "electronic)"]),
]
SALIENCY = [
    ("explain saliency {model} {data}/classical/classical.00000.wav --out {ws}/saliency "
     "--class nope", 1, ["no class 'nope' (it has classical, electronic)"]),
    ("explain saliency {model} {bad}/short.wav --out {ws}/saliency", 1,
     ["short.wav: 6 frames long, shorter than one 0.5 s segment (22 frames)"]),
    ("explain saliency {model} {bad}/notes.csv --out {ws}/saliency", 1,
     ["notes.csv: unsupported format '.csv'"]),
    ("explain saliency {model} {bad}/silent.wav --out {ws}/saliency", 1,
     ["silent.wav: silent"]),
    ("explain saliency {model} {ws}/song.wav --out {ws}/saliency", 1, ["song.wav"]),
    ("explain saliency {bad}/nan_weight.npz {data}/classical/classical.00000.wav "
     "--out {ws}/saliency", 1, ["holds 1 NaN"]),
    ("explain saliency {bad}/nan_mean.npz {data}/classical/classical.00000.wav "
     "--out {ws}/saliency", 1, ["standardisation holds NaN"]),
    ("explain saliency {model} {data}/classical/classical.00000.wav --out {ws}/song.wav", 2,
     ["is a file"]),
    ("explain saliency {model} {data}/classical/classical.00000.wav --out {ws}/saliency "
     "--objective bogus", 2, ["Invalid value for '--objective'"]),
    ("explain saliency {model} {data}/classical/classical.00000.wav --out {ws}/saliency "
     "--max-segments -1", 2, ["Invalid value for '--max-segments'"]),
    ("explain saliency {model} {ws}/missing.wav --out {ws}/saliency", 2, ["does not exist"]),
    ("explain saliency {model} {data}/classical/classical.00000.wav --out {model.parent}", 1,
     ["is the folder of", "whose files would be replaced"]),
]
PROFILE = [
    ("dataset profile {data} --plot {ws}/profile --seconds -1", 1,
     ["--seconds -1: the common length must be a positive number of seconds"]),
    ("dataset profile {data} --plot {ws}/profile --seconds 0", 1, ["--seconds 0: the common"]),
    ("dataset profile {data} --plot {ws}/profile --seconds nan", 1, ["--seconds nan: the"]),
    ("dataset profile {data} --plot {ws}/profile --seconds inf", 1, ["--seconds inf: the"]),
    ("dataset profile {data} --plot {ws}/profile --seconds 1000", 1,
     ["--seconds 1000 is longer than every readable track", "(the longest is 1.00 s); "
      "choose at most 1.00"]),
    ("dataset profile {data} --plot {ws}/profile --seconds 1.5", 1,
     ["--seconds 1.5 is longer than every readable track"]),
    ("dataset profile {data} --plot {ws}/profile --seconds 0.01", 1,
     ["--seconds 0.01 is less than one hop (0.023 s)"]),
    ("dataset profile {data} --plot {ws}/profile --base nope", 1,
     ["--base 'nope' is not a class of", "(it has classical, electronic)"]),
    ("dataset profile {data}", 2, ["Missing option '--plot'"]),
    ("dataset profile {data} --plot {ws}/song.wav", 2, ["is a file"]),
    ("dataset profile {bad}/broken --plot {ws}/profile", 1,
     ["none of the 1 tracks of", "could be read"]),
    ("dataset profile {data} --plot {ws}/profile -o nonsense", 2, ["expected KEY=VALUE"]),
    ("dataset profile {ws}/nodir --plot {ws}/profile", 2, ["does not exist"]),
    ("dataset profile {bad}/empty_folder --plot {ws}/profile", 1, ["empty_folder"]),
    ("dataset profile {data} --plot {ws}/profile --dataset bogus", 2,
     ["Invalid value for '--dataset'"]),
]
CASES = PREDICT + PREDICT_OUT + SCHEDULER + EVALUATE + FEATURES + INVERT + REPRESENT + \
    SALIENCY + PROFILE


def test_there_are_at_least_100_cases():
    assert len(CASES) >= 100
    assert len({args for args, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize("args, status, texts", CASES, ids=[args for args, _, _ in CASES])
def test_wrong_usage_is_one_line_and_changes_nothing(args, status, texts, ws, bad, data,
                                                     model):
    before = everything(ws, bad, data, model)
    words = [word.format(model=model, data=data, bad=bad, ws=ws) for word in args.split()]
    result = invoke(*words)
    assert result.exit_code == status, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, result.stderr
    for text in texts:
        assert text in result.stderr, result.stderr
    if "--scheduler dask" in args:
        assert "engine:" not in result.stderr            # refused before a cluster started
    assert everything(ws, bad, data, model) == before


# -- what is handled as the user meant ----------------------------------------------------
@pytest.fixture(scope="module")
def no_content(tmp_path_factory):
    """A constant (DC) clip, random bytes read as 16-bit samples, and a short clip."""
    out = tmp_path_factory.mktemp("no_content")
    rng = np.random.default_rng(3)
    soundfile.write(out / "dc.wav", np.full(SR, 0.3, np.float32), SR)
    soundfile.write(out / "bytes.wav", rng.integers(-32768, 32767, SR, dtype=np.int16), SR,
                    subtype="PCM_16")
    soundfile.write(out / "short.wav", np.sin(np.arange(3000) / 3).astype(np.float32), SR)
    return out


def test_clips_without_content_are_flagged_and_music_is_not():
    rng = np.random.default_rng(0)
    assert "constant (a DC offset of 0.3" in content_warning(np.full(SR, 0.3, np.float32))
    assert "flat spectrum" in content_warning(rng.uniform(-1, 1, SR).astype(np.float32))
    assert spectral_flatness(rng.standard_normal(SR)) > 0.95
    for genre in synth.resolve_classes(8):
        for seed in range(3):
            clip = synth.render_clip(genre, seed, 1.0)
            assert content_warning(clip) is None, (genre, seed)


def test_predict_warns_about_constant_noise_and_short_files(model, no_content):
    result = invoke("predict", model, no_content)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert any("dc.wav: constant (a DC offset of 0.3" in line for line in lines)
    assert any("bytes.wav: noise with a flat spectrum" in line for line in lines)
    assert any("short.wav: about 0.12 s long" in line for line in lines)


def test_predict_out_carries_the_warnings_and_the_model(model, no_content, tmp_path):
    out = tmp_path / "p.csv"
    result = invoke("predict", model, no_content, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    with open(out, newline="") as handle:
        header, *rows = list(csv.reader(handle))
    assert header[-2:] == ["warning", "model"]
    by_name = {row[0].rsplit("/", 1)[-1]: row for row in rows}
    assert "constant" in by_name["dc.wav"][-2] and "flat spectrum" in by_name["bytes.wav"][-2]
    assert "much shorter than the model's 0.5 s segment" in by_name["short.wav"][-2]
    assert {row[-1] for row in rows} == {catalogue.model_id(model)}


def test_counts_name_only_the_tracks_read(model, data, tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(data, folder)
    (folder / "classical" / "classical.00098.wav").write_bytes(b"RIFF\x00\x00junk")
    profiled = invoke("dataset", "profile", folder, "--plot",
                      tmp_path / "profile")
    assert profiled.exit_code == 0, profiled.output
    assert "profiled 16 tracks of 2 classes" in profiled.stdout
    assert "1 skipped" in profiled.stdout
    numbers = json.loads((tmp_path / "profile" / "profile.json").read_text())
    assert numbers["tracks"] == 16 and numbers["class_counts"]["classical"] == 8
    scored = invoke("evaluate", model, folder, "--no-cache")
    assert scored.exit_code == 0, scored.output
    assert scored.stdout.startswith("scored 16 tracks of") and "1 skipped" in scored.stdout


def test_a_very_short_file_does_not_set_the_common_length(data, tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(data, folder)
    soundfile.write(folder / "classical" / "classical.00099.wav",
                    np.sin(np.arange(2000) / 3).astype(np.float32), SR)      # 90 ms
    result = invoke("dataset", "profile", folder, "--plot", tmp_path / "p")
    assert result.exit_code == 0, result.output
    assert "1.00 s averages; 1 shorter tracks left out of the averages" in result.stdout
    numbers = json.loads((tmp_path / "p" / "profile.json").read_text())
    assert (numbers["frames"], numbers["short"], numbers["tracks"]) == (44, 1, 17)
