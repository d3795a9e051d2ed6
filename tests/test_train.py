"""Training pieces on their own: run-state files, callbacks, segment batches, evaluation."""
import math

import numpy as np
import pytest

from tinymir import backend, models
from tinymir.data.splits import Split
from tinymir.data.standardize import Standardizer
from tinymir.train.callbacks import BestEpoch, EarlyStopping
from tinymir.train.checkpoint import CheckpointError, load_state, save_state
from tinymir.train.evaluate import (
    choose_thresholds,
    multilabel_report,
    probabilities,
    single_label_report,
)
from tinymir.train.inputs import segment_batches, segment_tracks


def test_state_round_trips_nested_arrays_and_big_ints(tmp_path):
    state = {"model": {"conv/kernel": np.arange(6.0).reshape(2, 3)},
             "optimizer": [np.ones(2, np.float32), {"step": 7}],
             "rng": {"state": 2 ** 100}, "history": [{"epoch": 1, "loss": 0.5}]}
    save_state(tmp_path / "s.npz", state)
    back = load_state(tmp_path / "s.npz")
    assert np.array_equal(back["model"]["conv/kernel"], state["model"]["conv/kernel"])
    assert back["optimizer"][0].dtype == np.float32 and back["optimizer"][1] == {"step": 7}
    assert back["rng"]["state"] == 2 ** 100 and back["history"] == state["history"]
    assert not (tmp_path / "s.npz.tmp").exists()


def test_truncated_or_foreign_state_is_one_clear_error(tmp_path):
    save_state(tmp_path / "s.npz", {"w": np.zeros(1000)})
    data = (tmp_path / "s.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="cut.npz: truncated or corrupt tinymir run state"):
        load_state(tmp_path / "cut.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(2))
    with pytest.raises(CheckpointError, match="not a tinymir run state"):
        load_state(tmp_path / "other.npz")
    with pytest.raises(CheckpointError, match="missing.npz: no such tinymir run state"):
        load_state(tmp_path / "missing.npz")


def test_best_epoch_ranks_on_accuracy_then_loss_and_ignores_nan():
    saved = []
    best = BestEpoch("val_acc", saved.append)
    logs = [(0.5, 1.0), (0.8, 0.9), (0.8, 0.7), (0.8, 0.695), (math.nan, 0.1), (0.7, 0.1)]
    for epoch, (acc, loss) in enumerate(logs, start=1):
        best.on_epoch_end(epoch, {"val_acc": acc, "val_loss": loss})
    assert saved == [1, 2, 3] and best.best_epoch == 3        # 0.005 less loss is a tie
    other = BestEpoch("val_acc")
    other.load_state_dict(best.state_dict())
    assert other.tracker.best == (0.8, 0.7) and other.best_epoch == 3


def test_early_stopping_counts_epochs_without_a_better_score():
    stop = EarlyStopping("val_acc", patience=2)
    logs = [(0.5, 1.0), (0.6, 1.0), (0.6, 0.9), (0.6, 0.895), (0.55, 0.8)]
    assert [stop.on_epoch_end(e, {"val_acc": a, "val_loss": loss}) for e, (a, loss) in
            enumerate(logs, 1)] == [False, False, False, False, True]


def tiny_tracks():
    """Three tracks of (4 bins, n frames) features."""
    rng = np.random.default_rng(0)
    return [rng.standard_normal((4, n)).astype(np.float32) for n in (10, 7, 3)]


def test_segments_stay_in_their_track_and_short_tracks_have_none():
    feats = tiny_tracks()
    front = models.FrontEnd(n_mels=4, segment=4 * 512 / 22050, overlap=0.5)  # 5 frames, hop 2
    assert front.segment_frames == 5 and front.hop_frames == 2
    s = segment_tracks(feats, front)
    assert s.track.tolist() == [0, 0, 0, 1, 1] and s.start.tolist() == [0, 2, 4, 0, 2]
    assert segment_tracks(feats, front, tracks=[1]).track.tolist() == [1, 1]


def test_batches_are_standardised_with_training_statistics_and_reshuffled_per_epoch():
    feats = tiny_tracks()
    split = Split("two and one", {"train": [0, 1], "test": [2]})
    standardize = Standardizer.fit_split(split, feats)
    train = np.concatenate([feats[0], feats[1]], axis=1)
    assert np.allclose(standardize.mean, train.mean(axis=1), atol=1e-6)
    front = models.FrontEnd(n_mels=4, segment=2 * 512 / 22050)   # 3 frames every 2
    s = segment_tracks(feats, front, split["train"])
    batches = segment_batches(feats, s, np.array([0, 1, 2]), standardize, batch_size=2, seed=3)
    first = [y.tolist() for _, y, _ in batches.epoch(0)]
    assert first == [y.tolist() for _, y, _ in batches.epoch(0)]          # same epoch, same order
    orders = {tuple(np.concatenate([backend.to_host(y) for _, y, _ in batches.epoch(e)]))
              for e in range(6)}
    assert len(orders) > 1                                              # epochs reshuffle
    x, _, _ = next(segment_batches(feats, s, np.zeros(3), standardize, 8, shuffle=False).epoch())
    assert x.shape == (len(s), 1, 4, 3)
    x = backend.to_host(x)
    assert np.allclose(x[0, 0], (feats[0][:, :3] - standardize.mean[:, None])
                       / standardize.std[:, None], atol=1e-5)


def test_probabilities_softmax_and_sigmoid():
    z = np.array([[0.0, np.log(3.0)], [50.0, -50.0]])
    assert np.allclose(probabilities(z, False), [[0.25, 0.75], [1.0, 0.0]])
    assert np.allclose(probabilities(np.zeros((1, 3)), True), 0.5)


def test_thresholds_maximise_validation_f1_per_tag():
    targets = np.array([[1, 0], [1, 0], [0, 1], [0, 0]])
    probs = np.array([[0.9, 0.2], [0.35, 0.1], [0.3, 0.15], [0.1, 0.3]])
    thresholds = choose_thresholds(targets, probs)
    assert thresholds[0] == pytest.approx(0.35)        # catches both positives, no negative
    assert thresholds[1] == pytest.approx(0.15)        # F1 2/3 beats 0 at any higher cut


def test_tag_report_shows_the_all_zeros_baseline_beside_binary_accuracy():
    targets = np.zeros((20, 10))
    targets[np.arange(20), np.arange(20) % 10] = 1       # one tag in ten per track
    all_zero = np.zeros_like(targets) + 0.01
    report = multilabel_report(targets, all_zero, [f"t{i}" for i in range(10)], [0.5] * 10)
    assert report["binary_accuracy"] == pytest.approx(0.9)
    assert report["all_zeros_binary_accuracy"] == pytest.approx(0.9)
    assert report["macro_f1"] == 0.0                     # what all-zeros really is worth


def test_single_label_report_counts_and_confusion():
    y = np.array([0, 0, 1, 2])
    probs = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])
    report = single_label_report(y, probs, ["a", "b", "c"])
    assert report["accuracy"] == 0.75
    assert report["confusion"] == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]
    assert report["per_class"]["b"] == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3),
                                        "support": 1}


@pytest.mark.shared_data
@pytest.mark.parametrize("method", ["random", "group", "kfold"])
def test_tag_split_of_the_4q_clips_leaves_tracks_on_every_side(shared_data, method):
    from tinymir.data import read_dataset
    from tinymir.data.splits import make_split

    table = read_dataset(shared_data / "mer4q_dev", dataset="tags",
                         tags_column="MoodsStrSplit", min_count=6)
    split = make_split(table, method, seed=0)
    assert table.multilabel and (method == "group" or "not stratified" in split.name)
    assert min(split.sizes().values()) >= 5


@pytest.mark.parametrize("method", ["random", "group", "kfold"])
def test_a_tag_split_with_many_rare_tags_leaves_tracks_on_every_side(method):
    """Stratified on each track's rarest tag, 40 tracks whose rarest tags are all different
    (2 tracks each, by one artist) left the test side empty under the group split and the
    validation side empty in k-fold."""
    from tinymir.data.splits import make_split
    from tinymir.data.table import Track, TrackTable

    tracks = [Track(f"t{i}", f"t{i}.wav", ("common", f"rare{i // 2}"), group=f"artist{i // 2}")
              for i in range(40)]
    split = make_split(TrackTable(tracks, "tags"), method, seed=0)
    assert min(split.sizes().values()) >= 3
    if method == "group":
        artists = {side: {tracks[i].group for i in part} for side, part in split.parts.items()}
        assert not artists["train"] & artists["test"] and not artists["val"] & artists["test"]


def test_a_saturated_validation_accuracy_still_ranks_epochs_by_a_halved_loss():
    saved = []
    best = BestEpoch("val_acc", saved.append)
    for epoch, loss in enumerate([0.0025, 0.0011, 0.0019, 0.00108, 4e-5], start=1):
        best.on_epoch_end(epoch, {"val_acc": 1.0, "val_loss": loss})
    assert saved == [1, 2, 5]          # 0.0011 -> 0.00108 is under 5 %: a tie


def test_macro_f1_of_tags_leaves_out_a_tag_nobody_has():
    targets = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0]], np.float32)    # tag 2: no one
    report = multilabel_report(targets, targets * 0.9, ["a", "b", "c"], [0.5, 0.5, 0.5])
    assert report["macro_f1"] == 1.0 and report["per_class"]["c"]["f1"] == 0.0
    report = single_label_report([0, 1, 1], np.eye(3)[[0, 1, 1]], ["a", "b", "c"])
    assert report["accuracy"] == 1.0 and report["macro_f1"] == 1.0


#: config.json as runs before the nested front end wrote it (dataclasses.asdict of the flat
#: TrainConfig: the front-end options under their command-line names, None when unset).
FLAT_CONFIG = {"arch": "cnn3", "data": "songs", "out": "runs/cnn3", "features": "mfcc",
               "segment": 0.5, "overlap": 0.5, "n_fft": None, "hop_length": None, "n_mels": None,
               "n_mfcc": 13, "split": "random", "split_seed": None, "fold": 0, "folds": 5,
               "epochs": 2, "batch_size": 8, "lr": 0.001, "optimizer": "adam", "seed": 0,
               "class_weights": None, "patience": None, "lr_patience": 5, "early_stopping": True,
               "aggregate": "mean", "rnn": None, "dataset": "auto", "reader_options": {},
               "cache": None, "jobs": 1, "augment": "none", "resample": "none"}


def test_a_config_json_of_the_flat_form_is_still_read_by_resume_and_experiment(tmp_path):
    import json

    from tinymir.train import config as run_config
    (tmp_path / "config.json").write_text(json.dumps(FLAT_CONFIG))
    old = run_config.check_config(run_config.with_defaults(run_config.read_config(tmp_path)))
    assert old.front_end == models.default_front("cnn3").replace(
        kind="mfcc", segment=0.5, overlap=0.5, n_mfcc=13)
    new = run_config.TrainConfig(arch="cnn3", data="songs", out=str(tmp_path), features="mfcc",
                                 segment=0.5, overlap=0.5, n_mfcc=13, epochs=2, batch_size=8,
                                 lr=0.001, optimizer="adam", augment="none")
    new = run_config.check_config(run_config.with_defaults(new))
    assert old == new
    # the new form round-trips, and compares with the old one option by option (experiment)
    (tmp_path / "new").mkdir()
    run_config.write_config(tmp_path / "new", new)
    assert "front_end" in json.loads((tmp_path / "new" / "config.json").read_text())
    assert run_config.read_config(tmp_path / "new") == \
        run_config.TrainConfig(**{**vars(new), "out": str(tmp_path / "new")})
    saved_new = json.loads((tmp_path / "new" / "config.json").read_text())
    assert run_config.comparable(FLAT_CONFIG) == {**run_config.comparable(saved_new),
                                                  "out": "runs/cnn3"}
    assert run_config.comparable(FLAT_CONFIG)["features"] == "mfcc"
    # --resume's rule, by the options' names
    run_config.check_resumed_options(tmp_path, old, {"features": "mfcc", "segment": 0.5})
    with pytest.raises(run_config.RunError, match="trained with segment=0.5"):
        run_config.check_resumed_options(tmp_path, old, {"segment": 1.0})
