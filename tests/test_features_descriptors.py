"""MFCC, delta, chroma and the spectral / waveform descriptors against librosa 0.11."""
from contextlib import nullcontext

import numpy as np
import pytest

from _features_helpers import SIGNALS, make_signal, on_device, relative_error
from _rounding import assert_float32_close
from tinymir import backend
from tinymir import features as F

librosa = pytest.importorskip("librosa", reason="librosa is the oracle for feature parity")

SAMPLE_RATES = (22050, 16000, 12000, 44100)
LENGTHS = (700, 5001, 33075)


def clips(n, sr):
    """The four test signals plus a silent clip, ``(5, n)``."""
    return np.stack([make_signal(kind, n, sr) for kind in SIGNALS] + [np.zeros(n, np.float32)])


def librosa_per_clip(function, y, **kwargs):
    """librosa on each clip alone (its dB floors are global over what it is given)."""
    with pytest.warns(UserWarning) if y.shape[-1] < kwargs.get("n_fft", 2048) else nullcontext():
        return np.stack([function(y=clip, **kwargs) for clip in y])


@pytest.mark.parametrize("sr", SAMPLE_RATES)
@pytest.mark.parametrize("n", LENGTHS)
def test_mfcc_matches_librosa(sr, n):
    """float32: 1e-4 of the largest |coefficient| (the log amplifies tiny power differences)."""
    y = clips(n, sr)
    for kwargs in ({"n_fft": 1024, "hop_length": 512}, {"n_mfcc": 13, "n_mels": 40, "lifter": 22}):
        expected = librosa_per_clip(librosa.feature.mfcc, y, sr=sr, **kwargs)
        ours = F.mfcc(on_device(y), sr, **kwargs)
        for clip in range(len(y)):
            assert relative_error(ours[clip], expected[clip]) <= 1e-4


def test_mfcc_from_log_mel_and_dct_matrix():
    scipy_fft = pytest.importorskip("scipy.fft")
    log_mel = np.random.default_rng(0).standard_normal((2, 64, 30)).astype(np.float32)
    ours = F.mfcc(S=on_device(log_mel), n_mfcc=20)
    expected = scipy_fft.dct(log_mel, axis=-2, norm="ortho")[:, :20]
    assert relative_error(ours, expected) <= 1e-6
    basis = backend.to_host(F.dct_matrix(64, 64, dtype=np.float64))
    np.testing.assert_allclose(basis @ basis.T, np.eye(64), atol=1e-12)


@pytest.mark.parametrize("width,order,n_frames", [(9, 1, 40), (5, 2, 40), (9, 1, 9), (3, 1, 100)])
def test_delta_matches_librosa(width, order, n_frames):
    """Same Savitzky-Golay filter: 1e-5 of the peak."""
    data = np.random.default_rng(1).standard_normal((3, 20, n_frames)).astype(np.float32)
    ours = F.delta(on_device(data), width=width, order=order)
    expected = librosa.feature.delta(data, width=width, order=order)
    assert relative_error(ours, expected) <= 1e-5


def test_delta_rejects_too_few_frames():
    with pytest.raises(ValueError, match="width=9 <= the number of frames \\(5\\)"):
        F.delta(on_device(np.zeros((2, 5), np.float32)))


@pytest.mark.parametrize("sr", SAMPLE_RATES)
@pytest.mark.parametrize("tuning", [0.0, 0.3])
def test_chroma_filterbank_matches_librosa(sr, tuning):
    for n_fft, n_chroma in ((1024, 12), (4096, 24)):
        expected = librosa.filters.chroma(sr=sr, n_fft=n_fft, tuning=tuning, n_chroma=n_chroma,
                                          dtype=np.float64)
        ours = F.chroma_filterbank(sr, n_fft, n_chroma, tuning, dtype=np.float64)
        assert relative_error(ours, expected) <= 1e-12


@pytest.mark.parametrize("sr", SAMPLE_RATES)
@pytest.mark.parametrize("n", LENGTHS)
def test_chroma_stft_matches_librosa_with_tuning_zero(sr, n):
    """Max-normalised chroma, float32: 1e-5 absolute (librosa given tuning=0)."""
    y = clips(n, sr)
    expected = librosa_per_clip(librosa.feature.chroma_stft, y, sr=sr, n_fft=1024, tuning=0.0)
    ours = backend.to_host(F.chroma_stft(on_device(y), sr, n_fft=1024))
    np.testing.assert_allclose(ours, expected, atol=1e-5)


SPECTRAL = [
    ("spectral_centroid", {"sr": None}, 1e-5),
    ("spectral_bandwidth", {"sr": None}, 1e-5),
    ("spectral_flatness", {}, 1e-4),
    ("spectral_contrast", {"sr": None}, 2e-3),
    ("rms", {}, 1e-5),
    ("zero_crossing_rate", {}, 0.0),
]


@pytest.mark.parametrize("name,kwargs,tolerance", SPECTRAL, ids=[s[0] for s in SPECTRAL])
@pytest.mark.parametrize("sr", SAMPLE_RATES)
@pytest.mark.parametrize("n", LENGTHS)
def test_spectral_descriptor_matches_librosa(name, kwargs, tolerance, sr, n):
    """float32, relative to each clip's peak value: centroid, bandwidth, rms 1e-5; flatness
    1e-4; zero-crossing rate exactly; contrast 2e-3 (about 0.1 dB: its valleys average the
    quietest 2 % of bins, where the float32 FFT's round-off, ~1e-7 of the peak, is a few
    percent of the value; librosa's FFT runs in float64. float64: 1e-9, see the next test)."""
    kwargs = {key: sr for key in kwargs}
    if name == "spectral_contrast" and sr == 12000:   # default bands reach 12.8 kHz
        kwargs.update(fmin=100.0, n_bands=5)
    y = clips(n, sr)
    if name in ("rms", "zero_crossing_rate"):
        expected = np.stack([getattr(librosa.feature, name)(y=clip) for clip in y])
    else:
        expected = librosa_per_clip(getattr(librosa.feature, name), y, **kwargs)
    ours = getattr(F, name)(on_device(y), **kwargs)
    assert ours.dtype == np.float32
    for clip in range(len(y)):
        assert relative_error(ours[clip], expected[clip]) <= tolerance, clip


@pytest.mark.parametrize("name", ["spectral_centroid", "spectral_bandwidth", "spectral_contrast"])
def test_spectral_descriptor_float64_matches_librosa_tightly(name):
    """float64 in, float64 out (librosa too): 1e-9 of the peak."""
    y = clips(5001, 22050).astype(np.float64)
    expected = librosa_per_clip(getattr(librosa.feature, name), y, sr=22050)
    with backend.default_dtype(np.float64):
        ours = getattr(F, name)(on_device(y), 22050)
    assert ours.dtype == np.float64
    for clip in range(len(y)):
        assert relative_error(ours[clip], expected[clip]) <= 1e-9


@pytest.mark.parametrize("sr", SAMPLE_RATES)
@pytest.mark.parametrize("n", LENGTHS)
def test_spectral_rolloff_matches_librosa(sr, n):
    """The roll-off is a bin frequency: equal to librosa's in >= 99 % of frames, and off by at
    most one bin elsewhere (float32 cumulative sums at the 85 % threshold)."""
    y = clips(n, sr)
    expected = librosa_per_clip(librosa.feature.spectral_rolloff, y, sr=sr)
    ours = backend.to_host(F.spectral_rolloff(on_device(y), sr))
    assert ours.shape == expected.shape
    assert np.mean(ours != expected) <= 0.01
    assert np.abs(ours - expected).max() <= sr / 2048 + 1e-3


def test_rolloff_percent_and_centroid_from_a_given_spectrogram():
    y = make_signal("chirp", 5001, 22050)
    magnitude = np.abs(librosa.stft(y, n_fft=1024))
    ours = F.spectral_rolloff(S=on_device(magnitude), sr=22050, roll_percent=0.5)
    expected = librosa.feature.spectral_rolloff(S=magnitude, sr=22050, roll_percent=0.5)
    ours = backend.to_host(ours)                # a bin: the same rule as the test above
    assert np.mean(ours != expected) <= 0.01
    assert np.abs(ours - expected).max() <= 22050 / 1024 + 1e-3
    ours = F.spectral_centroid(S=on_device(magnitude), sr=22050)
    assert relative_error(ours, librosa.feature.spectral_centroid(S=magnitude, sr=22050)) <= 1e-6


def test_contrast_rejects_bands_above_nyquist():
    with pytest.raises(ValueError, match="exceed the Nyquist frequency 4000.0 Hz"):
        F.spectral_contrast(on_device(np.ones(4000, np.float32)), sr=8000)


def test_zero_crossing_rate_counts_sign_changes():
    y = np.tile(np.array([1.0, -1.0], np.float32), 2048)   # a change between every two samples
    rate = backend.to_host(F.zero_crossing_rate(on_device(y), frame_length=256, hop_length=128,
                                                center=False))
    np.testing.assert_allclose(rate, 255 / 256)


def test_batched_descriptors_equal_clip_by_clip():
    y = clips(5001, 22050)
    for name in ("spectral_contrast", "mfcc", "chroma_stft", "zero_crossing_rate"):
        batch = backend.to_host(getattr(F, name)(on_device(y)))
        for clip in range(len(y)):
            single = backend.to_host(getattr(F, name)(on_device(y[clip])))
            assert_float32_close(batch[clip], single, err_msg=name)


def test_central_moments_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    y = np.random.default_rng(2).standard_normal((3, 20000)).astype(np.float32) ** 3
    ours = backend.to_host(F.central_moments(on_device(y)))
    expected = np.stack([y.mean(-1), y.var(-1), stats.skew(y, axis=-1),
                         stats.kurtosis(y, axis=-1)], axis=-1)
    np.testing.assert_allclose(ours, expected, rtol=2e-4)
    np.testing.assert_array_equal(backend.to_host(F.central_moments(on_device(np.ones(50)))),
                                  [1.0, 0.0, 0.0, 0.0])
