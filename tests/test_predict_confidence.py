"""Calibrated probabilities, "unsure" and "unlike the training data" (tinymir.train.calibrate
fits them after training, tinymir.predict.confidence applies them): the expected calibration
error by hand, a known temperature recovered, an old model file predicting exactly as before, and
a tiny trained model that flags noise, quiet noise and DC which it would otherwise label with
confidence."""
import json

import numpy as np
import pytest
import soundfile as sf

from _cli_helpers import invoke, tiny_model, two_class_set
from tinymir import metrics, nn
from tinymir.data.segments import aggregate_by_track
from tinymir.features.files import clip_features, file_features
from tinymir.predict.confidence import Confidence
from tinymir.predict.predictor import Predictor
from tinymir.train import calibrate
from tinymir.train.config import RunError
from tinymir.train.evaluate import probabilities, segment_logits
from tinymir.train.inputs import frame_view, part_params, segment_batches, segment_tracks, stack

SR = 22050
KEPT = ("temperature", "unsure_below", "unlike")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("confidence")
    data = two_class_set(root / "data")
    tiny_model(data, root / "run")
    return root


@pytest.fixture(scope="module")
def loaded(run):
    """The calibrated model, and the same weights with the calibration taken out (an old
    model file)."""
    model, metadata = nn.load(run / "run" / "model.npz")
    old = {key: value for key, value in metadata.items() if key not in KEPT}
    return Predictor(model, metadata), Predictor(model, old)


def clips():
    rng = np.random.default_rng(0)
    return {"white noise": rng.normal(0, 0.3, SR).astype(np.float32),
            "quiet noise": rng.normal(0, 0.001, SR).astype(np.float32),
            "DC": np.full(SR, 0.5, np.float32)}


def test_expected_calibration_error_by_hand():
    # confidences 0.9, 0.8, 0.6, 0.7 fall in four different bins of 15; right, wrong, right,
    # wrong: (|1 - 0.9| + |0 - 0.8| + |1 - 0.6| + |0 - 0.7|) / 4 = 2.0 / 4
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.4, 0.6], [0.3, 0.7]])
    assert metrics.expected_calibration_error([0, 1, 1, 0], probs) == pytest.approx(0.5)
    # 10 bins: (0.6, 0.7] holds 0.7, right -> |1 - 0.7| = 0.3; (0.7, 0.8] holds 0.75 (right)
    # and 0.78 (wrong) -> 2 * |0.5 - 0.765| = 0.53; ECE = (0.3 + 0.53) / 3
    probs = np.array([[0.7, 0.3], [0.25, 0.75], [0.78, 0.22]])
    assert metrics.expected_calibration_error([0, 1, 1], probs, bins=10) == pytest.approx(
        0.83 / 3)
    # calibrated by construction: confidence 0.75 in one bin, three of four right
    probs = np.tile([[0.75, 0.25]], (4, 1))
    assert metrics.expected_calibration_error([0, 0, 0, 1], probs) == pytest.approx(0.0)


@pytest.mark.parametrize("temperature", [0.5, 2.0, 4.0])
def test_the_temperature_fit_recovers_a_known_temperature(temperature):
    rng = np.random.default_rng(int(temperature * 10))
    logits = rng.normal(0, 3, (20000, 4))
    p = np.exp(logits / temperature)
    p /= p.sum(axis=1, keepdims=True)
    y = (p.cumsum(axis=1) > rng.random((len(p), 1))).argmax(axis=1)
    assert calibrate.fit_temperature(logits, y) == pytest.approx(temperature, rel=0.03)


def test_a_validation_part_all_right_gives_no_certainty():
    """Platt's targets: n right segments support a top probability near (n + 1) / (n + 2),
    not 1 (the 0/1 likelihood would send T to its lower bound)."""
    logits = np.array([[3.0, 0.0], [0.0, 3.0], [2.0, 0.0], [0.0, 4.0], [5.0, 0.0], [0.0, 2.0]])
    t = calibrate.fit_temperature(logits, [0, 1, 0, 1, 0, 1])
    assert calibrate.TEMPERATURE_BOUNDS[0] * 2 < t
    top = calibrate.calibrated(logits, t).max(axis=1).mean()
    assert 0.8 < top < 0.95


def test_the_unsure_threshold_rule():
    probs = np.array([[0.99, 0.01], [0.95, 0.05], [0.9, 0.1], [0.85, 0.15], [0.4, 0.6]])
    # sorted by confidence: right, right, right, wrong, wrong -> shares 1, 1, 1, 0.75, 0.6
    assert calibrate.unsure_threshold([0, 0, 0, 1, 0], probs) == 0.9
    assert calibrate.unsure_threshold([0, 0, 0, 0, 1], probs) == 0.75      # the floor
    assert calibrate.unsure_threshold([1, 0, 0, 0], probs[:4]) == 1.0  # surest one wrong


def test_the_model_file_and_the_report_keep_the_calibration(run, loaded):
    predictor, _ = loaded
    report = json.loads((run / "run" / "report.json").read_text())
    calibration = report["calibration"]
    assert calibration["temperature"] == pytest.approx(predictor.confidence.temperature)
    assert calibration["unsure_below"] == predictor.confidence.unsure_below >= 0.75
    for part in ("val", "test"):
        for level in ("tracks", "segments"):
            assert set(calibration["ece"][part][level]) == {"before", "after"}
    markdown = (run / "run" / "report.md").read_text()
    assert "- calibration on the validation segments: temperature" in markdown
    assert "expected calibration error of the tracks (15 bins) validation" in markdown


def test_an_old_model_file_predicts_exactly_as_before(run, loaded):
    """No temperature in the file: T = 1, the logits untouched, no new field in the result."""
    _, old = loaded
    assert old.confidence == Confidence()
    path = sorted((run / "data").rglob("*.wav"))[0]
    result = old.predict_file(path)
    feats = frame_view(stack([file_features(path, p) for p in part_params(old.front)]),
                       old.front)
    s = segment_tracks([feats], old.front)
    batches = segment_batches([feats], s, np.zeros(1), old.standardize, 64, shuffle=False)
    expected = aggregate_by_track(probabilities(segment_logits(old.model, batches), False),
                                  s.track, "mean")[1][0]
    order = np.argsort(-expected, kind="stable")
    assert result == {"file": str(path),
                      "top": [(old.classes[c], float(expected[c])) for c in order]}


def test_music_like_the_training_data_is_not_flagged(run, loaded):
    predictor, _ = loaded
    for path in sorted((run / "data").rglob("*.wav")):
        result = predictor.predict_file(path)
        assert result["unlike_training"] is False, (path, result)
        assert "warning" not in result


@pytest.mark.parametrize("kind", list(clips()))
def test_noise_and_dc_are_unlike_the_training_data(loaded, kind):
    predictor, old = loaded
    y = clips()[kind]
    result, before = predictor.predict_array(y, SR), old.predict_array(y, SR)
    assert result["unlike_training"] is True
    assert "unlike the training data (feature distance" in result["warning"]
    feats = frame_view(stack([clip_features(y, p, kind, []) for p in
                              part_params(predictor.front)]), predictor.front)
    # measured: 29 to 36 against a limit of 3.9
    assert predictor.confidence.distance(calibrate.track_profile(feats)) > \
        2.5 * predictor.confidence.unlike_above
    # the calibrated answer is less sure than the raw one (measured T = 3.7 on this model)
    assert result["top"][0][1] < before["top"][0][1]
    if kind in ("DC", "quiet noise"):
        assert before["top"][0][1] > 0.9             # raw: a confident class (measured 0.98)
    if kind == "white noise":
        assert result["unsure"] is True               # measured 0.51 against 0.75


def test_predict_says_unsure_and_warns_unlike(run, tmp_path):
    path = tmp_path / "noise.wav"
    sf.write(path, clips()["white noise"], SR)
    result = invoke("predict", run / "run" / "model.npz", path)
    assert result.exit_code == 0, result.output
    assert f"{path}: unsure (best guess: " in result.stdout
    assert "unlike the training data (feature distance" in result.stderr


def test_a_damaged_temperature_is_one_clear_error(run):
    model, metadata = nn.load(run / "run" / "model.npz")
    for key, value in (("temperature", -1.0), ("temperature", float("nan")),
                       ("unsure_below", 2.0)):
        with pytest.raises(RunError, match="damaged"):
            Predictor(model, {**metadata, key: value})
    unlike = {**metadata["unlike"], "mean": [row[:3] for row in metadata["unlike"]["mean"]]}
    with pytest.raises(RunError, match="training profile"):
        Predictor(model, {**metadata, "unlike": unlike})
