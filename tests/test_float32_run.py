"""A float32 run creates no float64 array on the device (issue 22, part 3).

On the CuPy stand-in, which follows NumPy 2's dtype rules and CuPy 13's value-based rule for
Python scalars, ``cupy.standin.record_dtypes()`` lists every float64 / complex128 array a block
creates with the line that made it. A training step of each kind of network (convolutional with
batch norm and dropout, recurrent), the feature chain, the inverse and the SVM must create none:
on a GPU each one doubles the memory and runs at a fraction of float32's speed.

The tests take ``device_syncs``: on the stand-in in every run, skipped on a real GPU.
"""
import numpy as np
import pytest

from tinymir import backend, features, models, nn
from tinymir.classic.svm import SVC
from tinymir.features import inverse
from tinymir.train.loop import Trainer


def _fail_on(seen):
    assert not seen, (f"{len(seen)} float64/complex128 arrays in a float32 run, e.g.:\n"
                      + "\n".join(f"  {dtype} {shape} at {where}"
                                  for dtype, shape, where in seen[:12]))


class _Batches:
    """Two batches of 4 random float32 inputs with labels 0..2, on the device."""

    n_samples = 8

    def __init__(self, shape):
        self.shape = shape

    def epoch(self, epoch):
        rng = np.random.default_rng(epoch)
        for _ in range(2):
            x = backend.to_device(rng.standard_normal((4, *self.shape)), np.float32)
            yield x, rng.integers(0, 3, 4), None


@pytest.mark.parametrize("arch", ["cnn3", "crnn", "ffnn"])
def test_a_training_step_creates_no_float64_array(device_syncs, arch):
    import cupy

    front = models.default_front(arch).replace(segment=1.0)
    model = models.build(arch, 3, front=front)
    trainer = Trainer(model, nn.SoftmaxCrossEntropy(), nn.AdamW(model.parameters(), lr=1e-3),
                      validate=lambda m: {}, progress=False)
    batches = _Batches(front.input_shape)
    with cupy.standin.record_dtypes() as seen:
        trainer.train_epoch(batches, 0)
        model.predict(next(iter(batches.epoch(1)))[0])
    _fail_on(seen)


def test_the_feature_chain_and_its_inverse_create_no_float64_array(device_syncs):
    import cupy

    sr = 8000
    t = np.arange(2 * sr) / sr
    y = backend.to_device(np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 220 * t)]),
                          np.float32)
    kwargs = {"sr": sr, "n_fft": 512, "hop_length": 128}
    with cupy.standin.record_dtypes() as seen:
        spectrum = features.stft(y, n_fft=512, hop_length=128)
        mel = features.melspectrogram(y, n_mels=32, **kwargs)
        features.mfcc(y, n_mfcc=13, n_mels=32, **kwargs)
        features.chroma_stft(y, **kwargs)
        inverse.mel_to_audio(mel, n_iter=2, **kwargs)
        features.istft(spectrum, hop_length=128)
    _fail_on(seen)
    assert spectrum.dtype == np.complex64 and mel.dtype == np.float32


def test_an_svm_fit_and_predict_create_no_float64_array(device_syncs):
    import cupy

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 120)
    X = backend.to_device(rng.standard_normal((120, 6)) + labels[:, None], np.float32)
    with cupy.standin.record_dtypes() as seen:
        model = SVC().fit(X, labels)
        model.predict_proba(X)
    _fail_on(seen)
