"""A trained model on real listening material: samples in memory give the labels of the file
that holds them, and a long recording made of clips of known classes gets a timeline whose
changes fall where the clips change."""
import dataclasses

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

from _cli_helpers import invoke, refused
from tinymir import audio, load_model
from tinymir.audio import synth
from tinymir.cli.main import main
from tinymir.features.files import file_features
from tinymir.predict.listen import listen
from tinymir.train import run
from tinymir.train.inputs import part_params, stack

CLASSES = ("electronic", "classical")
SR = 22050


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    """A cnn3 trained on 2 s clips of two synthetic genres, 1 s segments."""
    root = tmp_path_factory.mktemp("long")
    data = root / "data"
    synth.make_dataset(data, CLASSES, per_class=10, seconds=2.0, seed=11)
    run.train(run.TrainConfig(arch="cnn3", data=str(data), out=str(root / "run"), segment=1.0,
                              overlap=0.5, epochs=6, batch_size=8, seed=2, cache=None),
              progress=False)
    return root / "run" / "model.npz"


def clip(genre, seed, seconds):
    return synth.render_clip(genre, seed, seconds=seconds, sr=SR)


def test_samples_in_memory_get_the_labels_of_the_file_holding_them(model_path, tmp_path):
    predictor = load_model(model_path)
    y = clip("classical", 101, 3.0)
    path = tmp_path / "clip.wav"
    soundfile.write(path, y, SR, subtype="FLOAT")
    from_file = predictor.predict_file(path)
    from_array = predictor.predict_array(y, SR)
    assert [label for label, _ in from_array["top"]] == [label for label, _ in from_file["top"]]
    np.testing.assert_allclose([p for _, p in from_array["top"]],
                               [p for _, p in from_file["top"]], rtol=1e-5, atol=1e-6)
    stereo_44k = audio.resample(np.stack([y, y]), SR, 44100)
    assert predictor.predict_array(stereo_44k, 44100)["top"][0][0] == from_file["top"][0][0]
    batch = predictor.predict_arrays([y, clip("electronic", 102, 3.0)], SR)
    assert [result["top"][0][0] for result in batch] == ["classical", "electronic"]


@pytest.mark.parametrize("y, sr, message", [
    (np.zeros(SR, np.float32), SR, "silent"),
    (np.ones(100, np.float32), SR, "shorter than one analysis frame"),
    (np.full(SR, np.nan, np.float32), SR, "NaN"),
    (np.zeros((SR, 2), np.float32) + 0.1, SR, "not \\(samples, channels\\)"),
    (np.arange(SR), SR, "floats"),
    (np.zeros(SR, np.float32) + 0.1, 0, "positive whole number"),
])
def test_bad_samples_in_memory_are_one_clear_error(model_path, y, sr, message):
    with pytest.raises(audio.AudioError, match=message):
        load_model(model_path).predict_array(y, sr)


def test_a_long_recording_changes_label_where_its_clips_change(model_path, tmp_path):
    predictor = load_model(model_path)
    plan = [("electronic", 8.0), ("classical", 8.0), ("electronic", 6.0)]
    y = np.concatenate([clip(genre, 200 + i, seconds) for i, (genre, seconds) in enumerate(plan)])
    path = tmp_path / "mix.wav"
    soundfile.write(path, y, SR, subtype="FLOAT")
    found = predictor.timeline(path, block_seconds=5.0)
    assert [span.label for span in found.spans] == [genre for genre, _ in plan]
    changes = np.cumsum([seconds for _, seconds in plan])[:-1]
    hop = predictor.front.segment * (1 - predictor.front.overlap)
    for span, change in zip(found.spans, changes):
        assert abs(span.end - change) <= hop, (span, change)
    assert found.spans[0].start == 0 and found.spans[-1].end == pytest.approx(len(y) / SR)
    in_memory = predictor.timeline(y, sr=SR, block_seconds=5.0)
    assert [(s.start, s.end, s.label) for s in in_memory.spans] == \
        [(s.start, s.end, s.label) for s in found.spans]
    written = found.write(tmp_path / "mix.timeline")
    assert {p.suffix for p in written} >= {".csv", ".json"}
    assert (tmp_path / "mix.timeline.csv").read_text().splitlines()[0] == "start,end,label,score"


def test_the_timeline_does_not_depend_on_the_block_size(model_path):
    predictor = load_model(model_path)
    y = np.concatenate([clip("classical", 300, 5.0), clip("electronic", 301, 5.0)])
    small = predictor.timeline(y, sr=SR, block_seconds=2.0, how="none")
    large = predictor.timeline(y, sr=SR, block_seconds=60.0, how="none")
    np.testing.assert_array_equal(small.starts, large.starts)
    # The features agree to float32 rounding (the dB floor is per block, 80 dB below its
    # loudest value, which music this loud never reaches: tests/test_predict_recording.py);
    # the network carries that rounding into the probabilities a few times larger.
    np.testing.assert_allclose(small.scores, large.scores, atol=1e-4)
    assert [s.label for s in small.spans] == [s.label for s in large.spans]


def test_predict_timeline_on_the_command_line(model_path, tmp_path):
    y = np.concatenate([clip("classical", 400, 6.0), clip("electronic", 401, 6.0)])
    path = tmp_path / "two.wav"
    soundfile.write(path, y, SR, subtype="FLOAT")
    result = invoke("predict", model_path, path, "--timeline", "--timeline-dir",
                    tmp_path / "timelines")
    assert result.exit_code == 0, result.output + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{path}:" and lines[1].startswith("  0:00-0:0")
    assert "classical" in lines[1] and "electronic" in lines[2]
    assert (tmp_path / "timelines" / "two.timeline.csv").exists()
    assert (tmp_path / "timelines" / "two.timeline.json").exists()


def test_a_stream_labels_each_segment_as_the_timeline_does(model_path):
    """The same samples, the same blocks: a stream in pieces of any size gives the timeline's
    segments and scores (to float32 rounding: the model sees other batch sizes)."""
    predictor = load_model(model_path)
    y = np.concatenate([clip("classical", 500, 4.0), clip("electronic", 501, 4.0)])
    offline = predictor.timeline(y, sr=SR, block_seconds=0.5, how="none")
    pieces = (y[i:i + 1234] for i in range(0, len(y), 1234))
    heard = list(listen(predictor, pieces, SR, block_seconds=0.5))
    np.testing.assert_array_equal([h.start for h in heard], offline.starts)
    from _rounding import assert_float32_close
    assert_float32_close(np.stack([h.scores for h in heard]), offline.scores)
    assert [h.label for h in heard][:2] == ["classical"] * 2
    assert [h.label for h in heard][-2:] == ["electronic"] * 2
    assert all(h.latency >= 0 for h in heard)


def test_listen_reads_raw_pcm_from_stdin(model_path):
    y = clip("electronic", 600, 3.0)
    stereo_44k = audio.resample(np.stack([y, y]), SR, 44100).T          # interleaved frames
    raw = np.round(stereo_44k * 32767).astype("<i2").tobytes()
    result = CliRunner().invoke(main, ["listen", str(model_path), "--format", "s16le", "--sr",
                                       "44100", "--channels", "2"], input=raw)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # 3 s: 130 frames; 1 s segments of 44 frames every 22 frames start at 0, 22, 44 and 66
    assert len(lines) == 4 and all("electronic" in line for line in lines)
    assert lines[0].split()[0] == "0.0-1.0" and "latency" in lines[0]


def test_listening_to_a_device_without_sounddevice_says_what_to_install(model_path,
                                                                        monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "sounddevice", None)
    refused(invoke("listen", model_path), "needs sounddevice", "--format")


def test_a_file_longer_than_a_block_is_labelled_in_blocks_as_if_whole(model_path, tmp_path):
    """Over 60 s a file is read and scored in blocks; its segments (of the frames the front end
    keeps: here the middle 30 s less 2 s at each end) and their mean are those of the whole
    file, to float32 rounding."""
    predictor = load_model(model_path)
    predictor.front = dataclasses.replace(predictor.front, center=30.0, discard=2.0)
    y = np.concatenate([clip("classical", 700, 33.0), clip("electronic", 701, 30.0)])
    path = tmp_path / "long.wav"
    soundfile.write(path, y, SR, subtype="FLOAT")
    blocked = predictor.predict_file(path, top=2)
    feats = stack([file_features(path, params) for params in part_params(predictor.front)])
    whole = predictor._labels(feats, top=2, warnings=[])
    assert [label for label, _ in blocked["top"]] == [label for label, _ in whole["top"]]
    np.testing.assert_allclose([p for _, p in blocked["top"]], [p for _, p in whole["top"]],
                               atol=1e-5)
    assert {key: blocked.get(key) for key in ("unsure", "unlike_training")} == \
        {key: whole.get(key) for key in ("unsure", "unlike_training")}


def test_a_heard_segment_below_the_unsure_limit_says_unsure():
    from tinymir.predict.listen import Heard
    sure = Heard(1.5, 2.5, "rock", 0.91, np.array([0.91, 0.09]), 0.012)
    unsure = Heard(1.5, 2.5, "rock", 0.51, np.array([0.51, 0.49]), 0.012, unsure=True)
    assert sure.line() == "     1.5-2.5 s  rock 0.91  (latency 0.012 s)"
    assert unsure.line() == "     1.5-2.5 s  unsure (best guess: rock 0.51)  (latency 0.012 s)"
