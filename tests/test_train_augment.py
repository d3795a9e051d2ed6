"""Augmentation of training batches: each formula, that only training batches change, seeded
runs repeat bit for bit (also after a resume), and feature stacks."""
import numpy as np
import pytest

from tinymir import backend, models, nn
from tinymir.audio import synth
from tinymir.data.segments import Segments
from tinymir.features import FeatureParams, compute
from tinymir.train import augment, run
from tinymir.train.augment import Augmenter, AugmentError
from tinymir.train.checkpoint import load_state
from tinymir.train.inputs import db_response


def test_parse_fills_defaults_keeps_a_fixed_order_and_names_bad_input():
    got = augment.parse("mixup:alpha=0.4+crop+specaugment:time=5")
    assert [a.name for a in got] == ["crop", "specaugment", "mixup"]
    assert got[1].params == {"time": 5, "freq": 12, "masks": 2}
    assert augment.parse(augment.describe(got)) == got
    assert augment.parse("none") == [] and augment.describe([]) == "none"
    assert [a.name for a in augment.parse("all")] == list(augment.ORDER)
    for bad, says in (("flip", "unknown augmentation 'flip'"), ("gain:gain=3", "gain takes db="),
                      ("mixup:alpha=0", "alpha must be positive"),
                      ("shift:max=x", "must be a number"), ("gain:db=-1", "at least 0")):
        with pytest.raises(AugmentError, match=says):
            augment.parse(bad)


def test_each_augmentation_computes_its_formula(rng):
    x = rng.normal(size=(3, 1, 5, 8)).astype(np.float32)
    shifts = (2, -1, 0, 9, -17)                 # on the CPU a loop, on a device a gather
    wide = rng.normal(size=(5, 1, 5, 8)).astype(np.float32)
    shifted = backend.to_host(augment.time_shift(backend.to_device(wide), np.array(shifts)))
    for b, k in enumerate(shifts):
        np.testing.assert_array_equal(shifted[b], np.roll(wide[b], k, axis=-1))

    direction = np.array([1.0, 0.0, 2.0, 0.0, 0.5])
    gained = backend.to_host(augment.add_gain(backend.to_device(x), np.array([3.0, -1.0, 0.0]),
                                              direction))
    np.testing.assert_allclose(gained, x + np.array([3.0, -1.0, 0.0])[:, None, None, None]
                               * direction[None, None, :, None], rtol=1e-6)

    masked = backend.to_host(augment.mask(backend.to_device(x), np.array([[1], [0], [7]]),
                                          np.array([[2], [0], [1]]), np.array([[0], [4], [0]]),
                                          np.array([[1], [1], [0]])))
    hidden = np.zeros(x.shape, bool)
    hidden[0, :, :, 1:3] = hidden[0, :, 0, :] = True
    hidden[1, :, 4, :] = True
    hidden[2, :, :, 7] = True
    np.testing.assert_array_equal(masked, np.where(hidden, 0.0, x))

    y = np.eye(3, dtype=np.float32)
    mx = augment.mix(backend.to_device(x), 0.7, np.array([2, 0, 1]))
    np.testing.assert_allclose(backend.to_host(mx), 0.7 * x + 0.3 * x[[2, 0, 1]], rtol=1e-6)
    np.testing.assert_allclose(augment.mix(y, 0.7, [2, 0, 1]), 0.7 * y + 0.3 * y[[2, 0, 1]])

    segments = Segments(np.array([0, 0, 1, 2]), np.array([0, 10, 0, 0]), 10)
    starts = augment.crop_starts(segments, [40, 10, 25], np.random.default_rng(0)).start
    assert starts[2] == 0 and 0 <= starts[3] <= 15 and all(0 <= s <= 30 for s in starts[:2])
    many = [augment.crop_starts(segments, [40, 10, 25], np.random.default_rng(s)).start[0]
            for s in range(50)]
    assert len(set(many)) > 10 and min(many) >= 0 and max(many) <= 30


def test_mixup_loss_is_the_lambda_weighted_cross_entropy_of_both_labels(rng):
    logits = backend.to_device(rng.normal(size=(4, 3)))
    labels = np.array([0, 2, 1, 2])
    order, lam = np.array([1, 0, 3, 2]), 0.3
    soft = lam * np.eye(3)[labels] + (1 - lam) * np.eye(3)[labels[order]]
    loss = nn.SoftmaxCrossEntropy()
    mixed = float(loss.forward(logits, backend.to_device(soft)))
    parts = (lam * float(loss.forward(logits, backend.to_device(labels)))
             + (1 - lam) * float(loss.forward(logits, backend.to_device(labels[order]))))
    assert mixed == pytest.approx(parts, rel=1e-6)


def test_gain_direction_is_what_a_louder_clip_does_to_its_features():
    """d_f per dB (tinymir.train.inputs.db_response) against the features of y * 10^(g/20)."""
    y = synth.render_clip("jazz", seed_or_rng=1, seconds=1.0)
    front = models.FrontEnd(kind="mfcc+chroma+contrast+centroid+mel", n_mels=40, n_mfcc=13)
    g = 4.0

    def rows(signal):
        return np.concatenate([backend.to_host(compute(backend.to_device(signal),
                                                       front.part_params(kind)))
                               for kind in front.parts])

    quiet, loud = rows(y), rows(y * 10 ** (g / 20))
    change = (loud - quiet).mean(axis=1)
    assert change.shape == db_response(front).shape == (front.n_bins,)
    np.testing.assert_allclose(change, g * db_response(front), atol=2e-3 * g * np.sqrt(40))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    synth.make_dataset(out, ("electronic", "classical"), per_class=10, seconds=1.0, seed=2)
    return out


def config(data, out, augment="all", epochs=2, **options):
    """cnn3 on MFCCs (its quick 1-D path) unless ``options`` say otherwise."""
    options = {"features": "mfcc", **options}
    return run.TrainConfig(arch="cnn3", data=str(data), out=str(out), segment=0.5, overlap=0.5,
                           epochs=epochs, batch_size=4, seed=3, early_stopping=False,
                           augment=augment, **options)


def test_only_training_batches_are_augmented_and_a_seeded_run_repeats_bit_for_bit(
        tiny, tmp_path, monkeypatch):
    seen = {}
    calls = []
    forward = nn.Sequential.forward
    call = Augmenter.__call__

    def recording_forward(self, x, training=False, **options):
        seen.setdefault(seen["run"], {}).setdefault(training, []).append(backend.to_host(x))
        return forward(self, x, training, **options)

    def counting_call(self, x, y):
        calls.append(seen["run"])
        return call(self, x, y)

    monkeypatch.setattr(nn.Sequential, "forward", recording_forward)
    monkeypatch.setattr(Augmenter, "__call__", counting_call)
    reports = {}
    for name, spec in (("plain", "none"), ("aug", "all"), ("again", "all")):
        seen["run"] = name
        reports[name] = run.train(config(tiny, tmp_path / name, spec), progress=False)
    train_batches = -(-reports["aug"]["segments"]["train"] // 4)
    assert calls.count("aug") == 2 * train_batches and calls.count("plain") == 0
    for a, b in zip(seen["plain"][False], seen["aug"][False]):      # validation and test
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(seen["plain"][True], seen["aug"][True]))
    for a, b in zip(seen["aug"][True], seen["again"][True]):
        np.testing.assert_array_equal(a, b)
    one, two = load_state(tmp_path / "aug" / "state.npz"), load_state(tmp_path / "again" /
                                                                       "state.npz")
    for name, value in one["model"].items():
        np.testing.assert_array_equal(value, two["model"][name], err_msg=name)
    assert reports["aug"]["augment_share"] > 0 and reports["plain"]["augment_share"] is None
    assert one["augment"]["spec"] == reports["aug"]["augment"]


def test_resume_after_a_kill_augments_as_the_uninterrupted_run(tiny, tmp_path, monkeypatch):
    whole = run.train(config(tiny, tmp_path / "whole", epochs=3), progress=False)
    per_epoch = -(-whole["segments"]["train"] // 4)
    calls = []
    original = Augmenter.__call__

    def killed_while_augmenting_epoch_2(self, x, y):
        calls.append(1)
        if len(calls) == per_epoch + 3:
            raise KeyboardInterrupt("killed mid-epoch")
        return original(self, x, y)

    monkeypatch.setattr(Augmenter, "__call__", killed_while_augmenting_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        run.train(config(tiny, tmp_path / "cut", epochs=3), progress=False)
    monkeypatch.setattr(Augmenter, "__call__", original)
    assert load_state(tmp_path / "cut" / "state.npz")["epoch"] == 1
    run.resume(tmp_path / "cut", {}, progress=False)
    a, b = load_state(tmp_path / "whole" / "state.npz"), load_state(tmp_path / "cut" / "state.npz")
    assert a["epoch"] == b["epoch"] == 3 and a["augment"] == b["augment"]
    for name, value in a["model"].items():
        np.testing.assert_array_equal(value, b["model"][name], err_msg=name)


def test_a_feature_stack_trains_where_the_net_reads_it_and_is_refused_elsewhere(tiny, tmp_path):
    front = models.default_front("cnn3").replace(kind="mfcc+chroma+contrast+centroid")
    assert front.parts == ("mfcc", "chroma", "contrast", "centroid") and front.n_bins == 40
    with pytest.raises(models.FrontEndError, match="stacks work with cnn3"):
        models.build("dieleman", 3, front=models.default_front("dieleman").replace(
            kind="mfcc+chroma"))
    for bad in ("mfcc+mfcc", "mfcc+tempo", "chroma"):
        with pytest.raises(models.FrontEndError, match="unknown feature kind"):
            models.FrontEnd(kind=bad)
    report = run.train(config(tiny, tmp_path / "stack", "gain", epochs=3,
                              features="mfcc+chroma+contrast+centroid"), progress=False)
    assert report["front"]["kind"] == "mfcc+chroma+contrast+centroid"
    assert report["results"]["test"]["tracks"]["accuracy"] == 1.0
    with pytest.raises(run.RunError, match="unknown augmentation"):
        run.train(config(tiny, tmp_path / "bad", "flip"), progress=False)
    assert FeatureParams(kind="contrast").kind == "contrast"


class _DeviceBatches:
    """Two batches of 8 random (1, 20, 22) MFCC-like slices with labels 0..2, on the device."""

    n_samples = 16

    def epoch(self, epoch):
        rng = np.random.default_rng(epoch)
        for _ in range(2):
            yield (backend.to_device(rng.standard_normal((8, 1, 20, 22)), np.float32),
                   rng.integers(0, 3, 8), None)


def test_augmenting_adds_no_synchronisation_to_a_training_step(device_syncs):
    """shift, gain, specaugment and mixup on the device (the CuPy stand-in counts
    device-to-host transfers): a step stays within the loop's budget of two."""
    front = models.default_front("cnn3").replace(kind="mfcc", segment=0.5)
    model = models.build("cnn3", 3, front=front)
    augmenter = Augmenter(augment.parse("shift+gain+specaugment+mixup"),
                          gain_direction=db_response(front), n_classes=3)
    trainer = run.Trainer(model, nn.SoftmaxCrossEntropy(), nn.Adam(model.parameters()),
                          validate=lambda m: {}, progress=False, augment=augmenter)
    trainer.train_epoch(_DeviceBatches(), 0)               # warm: lazily built things
    before = device_syncs.syncs
    logs = trainer.train_epoch(_DeviceBatches(), 1)
    assert (device_syncs.syncs - before) / 2 <= 2, device_syncs.causes
    assert np.isfinite(logs["loss"]) and 0 < logs["augment_share"] < 1
