"""STFT, iSTFT, framing, mel filterbanks, mel spectrograms and dB against librosa 0.11."""
from contextlib import nullcontext

import numpy as np
import pytest

from _features_helpers import SIGNALS, make_signal, on_device, relative_error
from _rounding import assert_float32_close
from tinymir import backend
from tinymir import features as F
from tinymir.features import frames

librosa = pytest.importorskip("librosa", reason="librosa is the oracle for feature parity")

LENGTHS = (700, 5001, 22050)          # shorter than n_fft, not a multiple of hop, 1 s


def test_frame_is_librosa_frame_transposed(rng):
    y = rng.standard_normal(5001).astype(np.float32)
    ours = backend.to_host(frames.frame(on_device(y), 1024, 300))
    np.testing.assert_array_equal(ours, librosa.util.frame(y, frame_length=1024, hop_length=300).T)


def test_frame_shorter_than_one_frame_names_the_lengths():
    with pytest.raises(ValueError, match="100 samples is shorter than one frame"):
        frames.frame(np.zeros(100, np.float32), 256, 64)


@pytest.mark.parametrize("n_fft,win_length", [(1024, None), (2048, 1500), (511, None)])
def test_hann_window_is_scipy_periodic_hann(n_fft, win_length):
    scipy_signal = pytest.importorskip("scipy.signal")
    expected = librosa.util.pad_center(
        scipy_signal.get_window("hann", win_length or n_fft, fftbins=True), size=n_fft)
    ours = backend.to_host(frames.hann_window(n_fft, win_length, backend.xp(), np.float64))
    np.testing.assert_allclose(ours, expected, atol=1e-15)


@pytest.mark.parametrize("signal", SIGNALS)
@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("n_fft,hop,win_length,pad_mode", [
    (1024, 512, None, "constant"), (2048, 300, None, "constant"), (512, 128, 400, "constant"),
    (1024, 256, None, "reflect")])
def test_stft_matches_librosa(signal, n, n_fft, hop, win_length, pad_mode):
    """float32: max |X - X_librosa| <= 2e-6 max |X_librosa| (librosa windows in float64)."""
    if pad_mode == "reflect" and n <= n_fft // 2:
        pytest.skip("reflect padding needs a signal longer than n_fft // 2")
    y = make_signal(signal, n, 22050)
    with pytest.warns(UserWarning) if n < n_fft else nullcontext():  # librosa: n_fft too large
        expected = librosa.stft(y, n_fft=n_fft, hop_length=hop, win_length=win_length,
                                pad_mode=pad_mode)
    ours = F.stft(on_device(y), n_fft, hop, win_length, pad_mode=pad_mode)
    assert ours.dtype == np.complex64
    assert relative_error(ours, expected) <= 2e-6


def test_stft_uncentred_and_float64():
    y = make_signal("chirp", 5001, 16000)
    with backend.default_dtype(np.float64):
        ours = F.stft(on_device(y.astype(np.float64)), 1024, 256, center=False)
        assert ours.dtype == np.complex128
    expected = librosa.stft(y.astype(np.float64), n_fft=1024, hop_length=256, center=False)
    assert relative_error(ours, expected) <= 1e-12


def test_stft_rejects_bad_audio():
    with pytest.raises(ValueError, match="NaN or infinite"):
        F.stft(on_device(np.array([0.0, np.nan, 1.0] * 400, np.float32)), 512)
    with pytest.raises(ValueError, match="empty"):
        F.stft(on_device(np.zeros(0, np.float32)), 512)
    with pytest.raises(ValueError, match="pad_mode 'wrap' is not supported"):
        F.stft(on_device(np.zeros(4096, np.float32)), 512, pad_mode="wrap")


@pytest.mark.parametrize("n,hop,length", [(22050, 512, None), (5001, 256, 5001), (5001, 300, 4000)])
def test_istft_matches_librosa_and_inverts_stft(n, hop, length):
    """float32: 1e-5 of the peak against librosa; 1e-4 round trip (away from the edges)."""
    y = make_signal("harmonic", n, 22050)
    spec = librosa.stft(y, n_fft=1024, hop_length=hop)
    expected = librosa.istft(spec, hop_length=hop, length=length)
    ours = F.istft(on_device(spec), hop_length=hop, length=length)
    assert relative_error(ours, expected) <= 1e-5
    round_trip = backend.to_host(F.istft(F.stft(on_device(y), 1024, hop), hop_length=hop,
                                         length=n))
    np.testing.assert_allclose(round_trip[512:-512], y[512:-512], atol=1e-4 * np.abs(y).max())


def test_power_and_magnitude_spectrogram():
    y = make_signal("noise", 5001, 22050)
    spec = np.abs(librosa.stft(y, n_fft=1024, hop_length=512))
    for power in (1.0, 2.0, 1.5):
        ours = F.spectrogram(on_device(y), 1024, 512, power=power)
        assert relative_error(ours, spec ** power) <= 5e-6


def test_hz_mel_conversions_match_librosa():
    hz = np.array([0.0, 20.0, 440.0, 999.0, 1000.0, 1001.0, 4000.0, 22050.0])
    for htk in (False, True):
        np.testing.assert_allclose(F.hz_to_mel(hz, htk), librosa.hz_to_mel(hz, htk=htk), rtol=1e-12)
        mels = librosa.hz_to_mel(hz, htk=htk)
        np.testing.assert_allclose(F.mel_to_hz(mels, htk), hz, rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(F.mel_frequencies(40, 30.0, 8000.0, htk),
                                   librosa.mel_frequencies(40, fmin=30.0, fmax=8000.0, htk=htk),
                                   rtol=1e-12)


@pytest.mark.parametrize("sr", [22050, 16000, 12000, 44100])
@pytest.mark.parametrize("htk", [False, True])
@pytest.mark.parametrize("norm", ["slaney", None])
def test_mel_filterbank_matches_librosa(sr, htk, norm):
    """Built in float64 like librosa: equal to 1e-12 relative; float32 copy to 1e-7."""
    for n_fft, n_mels, fmin, fmax in ((1024, 128, 0.0, None), (2048, 96, 50.0, sr / 3)):
        expected = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax,
                                       htk=htk, norm=norm, dtype=np.float64)
        ours = F.mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk, norm, dtype=np.float64)
        assert relative_error(ours, expected) <= 1e-12
        ours32 = F.mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk, norm)
        assert ours32.dtype == np.float32 and relative_error(ours32, expected) <= 1e-7


def test_mel_filterbank_rejects_bad_parameters():
    with pytest.raises(ValueError, match="mel norm 'l2'"):
        F.mel_filterbank(22050, 1024, norm="l2")
    with pytest.raises(ValueError, match="fmin < fmax"):
        F.mel_filterbank(22050, 1024, fmin=5000.0, fmax=4000.0)


@pytest.mark.parametrize("sr", [22050, 16000, 12000, 44100])
@pytest.mark.parametrize("n", LENGTHS)
def test_melspectrogram_matches_librosa(sr, n):
    """float32: 1e-5 of the peak mel power."""
    y = np.stack([make_signal(kind, n, sr) for kind in SIGNALS])
    for n_fft, hop, n_mels, htk in ((1024, 512, 128, False), (512, 160, 40, True)):
        with pytest.warns(UserWarning) if n < n_fft else nullcontext():  # librosa: n_fft too large
            expected = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop,
                                                      n_mels=n_mels, htk=htk)
        ours = F.melspectrogram(on_device(y), sr, n_fft, hop, n_mels, htk=htk)
        assert ours.dtype == np.float32
        for clip in range(len(y)):
            assert relative_error(ours[clip], expected[clip]) <= 1e-5


def test_batched_melspectrogram_equals_clip_by_clip():
    y = np.stack([make_signal(kind, 5001, 22050) for kind in SIGNALS]).reshape(2, 2, -1)
    batch = backend.to_host(F.melspectrogram(on_device(y), n_fft=1024))
    for i in range(2):
        for j in range(2):
            single = backend.to_host(F.melspectrogram(on_device(y[i, j]), n_fft=1024))
            assert_float32_close(batch[i, j], single)


def test_power_to_db_matches_librosa_per_clip():
    """Identical formula: 1e-5 dB. The top_db floor is per clip, unlike librosa on a batch."""
    rng = np.random.default_rng(3)
    S = (rng.random((3, 40, 50)) ** 6).astype(np.float32)
    S[1] *= 1e-6                                   # a quiet clip, 60 dB below the others
    for kwargs in ({}, {"ref": np.max}, {"top_db": None}, {"top_db": 30.0, "amin": 1e-6}):
        ours = backend.to_host(F.power_to_db(on_device(S), **kwargs))
        expected = np.stack([librosa.power_to_db(clip, **kwargs) for clip in S])
        np.testing.assert_allclose(ours, expected, atol=1e-5)
        ours_amp = backend.to_host(F.amplitude_to_db(on_device(S), **kwargs))
        expected_amp = np.stack([librosa.amplitude_to_db(clip, **kwargs) for clip in S])
        np.testing.assert_allclose(ours_amp, expected_amp, atol=1e-5)
    ours = backend.to_host(F.power_to_db(on_device(S), ref="max"))
    np.testing.assert_allclose(ours.max(axis=(1, 2)), 0.0, atol=1e-6)
    # each clip keeps its own 80 dB range: the quiet clip is not floored by the loud ones
    assert (ours.max(axis=(1, 2)) - ours.min(axis=(1, 2)) <= 80.0 + 1e-4).all()
    global_floor = librosa.power_to_db(S)
    assert global_floor[1].min() > backend.to_host(F.power_to_db(on_device(S)))[1].min()


def test_power_to_db_rejects_bad_reference():
    with pytest.raises(ValueError, match="ref must be a number, 'max'"):
        F.power_to_db(on_device(np.ones((2, 2), np.float32)), ref="min")


@pytest.mark.parametrize("sr,n_fft,n_mels,fmin,fmax,htk", [
    (22050, 1024, 128, 0.0, None, False), (16000, 512, 40, 300.0, 5000.0, True),
    (22050, 256, 128, 0.0, None, False)])          # the last one has empty filters
def test_blocked_filterbank_product_equals_dense(sr, n_fft, n_mels, fmin, fmax, htk):
    from tinymir.features.kernels.filterbank import apply_filterbank, filter_blocks
    bank = F.mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk)
    power = on_device(np.random.default_rng(0).random((3, 7, 1 + n_fft // 2), np.float32))
    for rows in (1, 7, 32, n_mels):
        blocks = filter_blocks(backend.to_host(bank), rows)
        blocked = backend.to_host(apply_filterbank(power, bank, blocks))
        dense = backend.to_host(apply_filterbank(power, bank))
        assert_float32_close(blocked, dense)
