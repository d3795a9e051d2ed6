"""The fast feature functions equal their plain twins in tinymir.features.reference.

In float64, on random and adversarial batches (silence, a click, DC, a pure tone, a level under
``amin``, a loud clip beside a quiet one, clips shorter than a frame), and at every code path of
the fast side: one block, many tiny blocks on 1, 2 and 3 threads (the private thread pool, the
padded-frame pieces, the BLAS limit and the dB floor deferred to the next pass over the blocks).
The twin itself is checked against librosa when librosa is installed.
"""
import functools

import numpy as np
import pytest

from tinymir import backend, threads
from tinymir import features as F
from tinymir.features import reference as R
from tinymir.features.kernels import blocks

SR, N_FFT, HOP = 22050, 512, 128
TOLERANCE = 1e-10            # relative to the largest value of the clip's feature
DB_CASES = {"log_mel", "log_mel_deferred_floor", "mfcc", "mfcc_lifter_no_floor",
            "contrast"}                                          # on a scale of 100 dB


def _batch(kind: str, n: int) -> np.ndarray:
    rng = np.random.default_rng(len(kind) * 1000 + n)
    t = np.arange(n) / SR
    if kind == "noise":
        return rng.standard_normal((3, n))
    if kind == "adversarial":
        click = np.zeros(n)
        click[n // 3] = 1.0
        return np.stack([np.zeros(n), click, np.full(n, 0.5), np.sin(2 * np.pi * 440.0 * t),
                         1e-7 * rng.standard_normal(n)])          # power under amin = 1e-10
    if kind == "loud_and_quiet":                                  # the dB floor is per clip
        return np.stack([10.0 * rng.standard_normal(n), 1e-3 * rng.standard_normal(n)])
    raise ValueError(kind)


SIGNALS = [("noise", 4000), ("noise", 1001), ("noise", 300), ("adversarial", 2500),
           ("loud_and_quiet", 3000)]


@pytest.fixture(params=[(1, blocks.CPU_BLOCK_BYTES), (1, 4096), (2, 4096), (3, 64 * 1024)],
                ids=["one-block", "tiny-blocks", "2-threads", "3-threads"])
def code_path(request, monkeypatch):
    thread_count, block_bytes = request.param
    monkeypatch.setattr(threads, "CPU_THREADS", thread_count)
    monkeypatch.setattr(blocks, "CPU_BLOCK_BYTES", block_bytes)
    with backend.default_dtype(np.float64):
        yield request.param


CASES = {
    "stft": (lambda y: F.stft(y, N_FFT, HOP), lambda y: R.stft(y, N_FFT, HOP)),
    "stft_reflect_short_window": (
        lambda y: F.stft(y, N_FFT, HOP, win_length=400, pad_mode="reflect"),
        lambda y: R.stft(y, N_FFT, HOP, win_length=400, pad_mode="reflect")),
    "magnitude": (lambda y: F.spectrogram(y, N_FFT, HOP, power=1.0),
                  lambda y: R.spectrogram(y, N_FFT, HOP, power=1.0)),
    "mel": (lambda y: F.melspectrogram(y, SR, N_FFT, HOP, n_mels=40),
            lambda y: R.melspectrogram(y, SR, N_FFT, HOP, n_mels=40)),
    "mel_htk_band": (
        lambda y: F.melspectrogram(y, SR, N_FFT, HOP, n_mels=32, fmin=60, fmax=8000, htk=True),
        lambda y: R.melspectrogram(y, SR, N_FFT, HOP, n_mels=32, fmin=60, fmax=8000, htk=True)),
    "log_mel": (
        lambda y: F.power_to_db(F.melspectrogram(y, SR, N_FFT, HOP, n_mels=40)),
        lambda y: R.power_to_db(R.melspectrogram(y, SR, N_FFT, HOP, n_mels=40))),
    "log_mel_deferred_floor": (                 # the floor applied in a second pass of blocks
        lambda y: F.extract(y, SR, "mel", n_fft=N_FFT, hop_length=HOP, n_mels=40),
        lambda y: R.power_to_db(R.melspectrogram(y, SR, N_FFT, HOP, n_mels=40))),
    "mfcc": (lambda y: F.mfcc(y, SR, n_mfcc=13, n_fft=N_FFT, hop_length=HOP, n_mels=40),
             lambda y: R.mfcc(y, SR, n_mfcc=13, n_fft=N_FFT, hop_length=HOP, n_mels=40)),
    "mfcc_lifter_no_floor": (
        lambda y: F.mfcc(y, SR, n_mfcc=13, n_fft=N_FFT, hop_length=HOP, n_mels=40, lifter=22,
                         top_db=None),
        lambda y: R.mfcc(y, SR, n_mfcc=13, n_fft=N_FFT, hop_length=HOP, n_mels=40, lifter=22,
                         top_db=None)),
    "chroma": (lambda y: F.chroma_stft(y, SR, n_fft=N_FFT, hop_length=HOP),
               lambda y: R.chroma_stft(y, SR, n_fft=N_FFT, hop_length=HOP)),
    "centroid": (lambda y: F.spectral_centroid(y, SR, n_fft=N_FFT, hop_length=HOP),
                 lambda y: R.spectral_centroid(y, SR, n_fft=N_FFT, hop_length=HOP)),
    "bandwidth": (lambda y: F.spectral_bandwidth(y, SR, n_fft=N_FFT, hop_length=HOP),
                  lambda y: R.spectral_bandwidth(y, SR, n_fft=N_FFT, hop_length=HOP)),
    "rolloff": (lambda y: F.spectral_rolloff(y, SR, n_fft=N_FFT, hop_length=HOP),
                lambda y: R.spectral_rolloff(y, SR, n_fft=N_FFT, hop_length=HOP)),
    "flatness": (lambda y: F.spectral_flatness(y, n_fft=N_FFT, hop_length=HOP),
                 lambda y: R.spectral_flatness(y, n_fft=N_FFT, hop_length=HOP)),
    "contrast": (lambda y: F.spectral_contrast(y, SR, n_fft=N_FFT, hop_length=HOP, n_bands=5),
                 lambda y: R.spectral_contrast(y, SR, n_fft=N_FFT, hop_length=HOP, n_bands=5)),
    "rms": (lambda y: F.rms(y, 256, 64), lambda y: R.rms(y, 256, 64)),
    "zcr": (lambda y: F.zero_crossing_rate(y, 256, 64),
            lambda y: R.zero_crossing_rate(y, 256, 64)),
}


@functools.lru_cache(maxsize=None)
def reference_result(case, kind, n):
    """The twin's result clip by clip (the same for every code path of the fast side)."""
    return [CASES[case][1](clip) for clip in _batch(kind, n)]


def assert_equal_to_reference(fast, slow, decibels=False):
    fast = backend.to_host(fast)
    assert fast.dtype in (np.float64, np.complex128)
    for actual, wanted in zip(fast, slow):               # clip by clip
        assert actual.shape == wanted.shape
        scale = 100.0 if decibels else max(float(np.abs(wanted).max()), 1e-300)
        np.testing.assert_allclose(actual, wanted, rtol=TOLERANCE, atol=TOLERANCE * scale)


@pytest.mark.parametrize("kind, n", SIGNALS, ids=[f"{k}-{n}" for k, n in SIGNALS])
@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_equals_reference(case, kind, n, code_path):
    fast, slow = CASES[case][0](_batch(kind, n)), reference_result(case, kind, n)
    if case == "contrast" and kind == "adversarial":
        # The pure tone's valleys lie at round-off level (1e-16 of its peak), where the FFT and
        # the plain sum differ in every digit; in dB that is 1e-5 dB of 20.
        tone = 3
        np.testing.assert_allclose(fast[tone], slow[tone], atol=1e-4)
        fast, slow = np.delete(fast, tone, axis=0), slow[:tone] + slow[tone + 1:]
    assert_equal_to_reference(fast, slow, decibels=case in DB_CASES)


def test_the_tiny_blocks_really_split_the_work(monkeypatch):
    monkeypatch.setattr(blocks, "CPU_BLOCK_BYTES", 4096)
    count = 1 + 4000 // HOP
    assert len(blocks.frame_blocks(count, 3 * N_FFT * 8, np)) == count


def test_filterbanks_and_dct_equal_their_twins():
    with backend.default_dtype(np.float64):
        for sr, n_fft, n_mels, fmin, fmax, htk in [(22050, 2048, 128, 0.0, None, False),
                                                   (16000, 400, 40, 20.0, 7600.0, True)]:
            fast = backend.to_host(F.mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk))
            np.testing.assert_allclose(fast, R.mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk),
                                       rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(backend.to_host(F.chroma_filterbank(22050, 2048, tuning=0.3)),
                                   R.chroma_filterbank(22050, 2048, tuning=0.3), rtol=1e-12,
                                   atol=1e-15)
        np.testing.assert_allclose(backend.to_host(F.dct_matrix(20, 128)), R.dct_matrix(20, 128),
                                   atol=1e-14)


def test_the_twins_equal_librosa():
    librosa = pytest.importorskip("librosa")
    y = _batch("noise", 4000)[0]
    pairs = [
        (R.stft(y, N_FFT, HOP), librosa.stft(y, n_fft=N_FFT, hop_length=HOP)),
        (R.melspectrogram(y, SR, N_FFT, HOP, 40),
         librosa.feature.melspectrogram(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=40)),
        (R.mfcc(y, SR, 13, N_FFT, HOP, 40),
         librosa.feature.mfcc(y=y, sr=SR, n_mfcc=13, n_fft=N_FFT, hop_length=HOP, n_mels=40)),
        (R.chroma_stft(y, SR, N_FFT, HOP),
         librosa.feature.chroma_stft(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, tuning=0.0)),
        (R.spectral_centroid(y, SR, N_FFT, HOP),
         librosa.feature.spectral_centroid(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP)),
        (R.spectral_bandwidth(y, SR, N_FFT, HOP),
         librosa.feature.spectral_bandwidth(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP)),
        (R.spectral_rolloff(y, SR, N_FFT, HOP),
         librosa.feature.spectral_rolloff(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP)),
        (R.spectral_flatness(y, N_FFT, HOP),
         librosa.feature.spectral_flatness(y=y, n_fft=N_FFT, hop_length=HOP)),
        (R.spectral_contrast(y, SR, N_FFT, HOP, n_bands=5),
         librosa.feature.spectral_contrast(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, n_bands=5)),
        (R.rms(y, 256, 64), librosa.feature.rms(y=y, frame_length=256, hop_length=64)),
        (R.zero_crossing_rate(y, 256, 64),
         librosa.feature.zero_crossing_rate(y, frame_length=256, hop_length=64)),
    ]
    for ours, theirs in pairs:
        # librosa rounds its STFT to complex64 (see tinymir.features.spectrum)
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4 * np.abs(theirs).max())
