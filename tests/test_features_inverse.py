"""features.inverse against librosa.feature.inverse on the same input, and round trips."""
import librosa
import numpy as np
import pytest

from tinymir import backend
from tinymir.audio import synth
from tinymir.features import inverse, melspectrogram, mfcc

SR = 22050


@pytest.fixture(scope="module")
def clip():
    return synth.render_clip("jazz", 0, seconds=2.0, sr=SR).astype(np.float32)


@pytest.fixture(scope="module")
def magnitude(clip):
    return np.abs(librosa.stft(clip, n_fft=2048))


def test_db_to_power_and_mfcc_to_mel_equal_librosa(clip):
    db = np.linspace(-80, 10, 50).reshape(5, 10)
    assert np.allclose(inverse.db_to_power(db, ref=2.0), librosa.db_to_power(db, ref=2.0))
    coefficients = backend.to_host(mfcc(clip, SR, n_mfcc=13, lifter=22))
    ours = backend.to_host(inverse.mfcc_to_mel(backend.to_device(coefficients), n_mels=64,
                                               lifter=22))
    theirs = librosa.feature.inverse.mfcc_to_mel(coefficients, n_mels=64, lifter=22)
    assert np.allclose(ours, theirs, rtol=1e-4, atol=1e-6 * theirs.max())


def test_griffinlim_is_librosas_from_the_same_phases(magnitude):
    for n_iter in (1, 32):
        ours = backend.to_host(inverse.griffinlim(backend.to_device(magnitude), n_iter=n_iter,
                                                  random_state=3))
        theirs = librosa.griffinlim(magnitude, n_iter=n_iter,
                                    random_state=np.random.default_rng(3))
        convergence = [inverse.spectral_convergence(magnitude, librosa.stft(y))
                       for y in (ours, theirs)]
        assert convergence[0] == pytest.approx(convergence[1], rel=0.02)
        assert np.abs(ours - theirs).max() < 1e-2 * np.abs(theirs).max()
    zero = backend.to_host(inverse.griffinlim(backend.to_device(magnitude), n_iter=4, init=None))
    assert np.allclose(zero, librosa.griffinlim(magnitude, n_iter=4, init=None), atol=1e-4)


def test_griffinlim_convergence_falls_over_the_iterations(magnitude):
    trace = []
    inverse.griffinlim(backend.to_device(magnitude), n_iter=16, trace=trace)
    assert len(trace) == 16 and trace[-1] < 0.5 * trace[0]
    assert all(b <= a + 1e-3 for a, b in zip(trace, trace[1:]))


def test_nnls_magnitude_fits_the_mel_as_well_as_librosas(magnitude):
    """The magnitude under a mel filterbank is not unique (bins that share filters); tinymir's
    solution fits the mel at least as well as librosa's and is as close to the true magnitude,
    and the two solutions differ by less than a quarter of the magnitude's norm."""
    magnitude = magnitude[:, :24]                    # librosa's L-BFGS-B takes seconds per frame
    mel = librosa.feature.melspectrogram(S=magnitude ** 2, sr=SR)
    bank = librosa.filters.mel(sr=SR, n_fft=2048)
    ours = backend.to_host(inverse.mel_to_stft(backend.to_device(mel), sr=SR))
    theirs = librosa.feature.inverse.mel_to_stft(mel, sr=SR)
    assert ours.min() >= 0 and np.isfinite(ours).all()

    def misfit(s):
        return np.linalg.norm(bank @ s ** 2 - mel) / np.linalg.norm(mel)

    def error(s):
        return np.linalg.norm(s - magnitude) / np.linalg.norm(magnitude)

    assert misfit(ours) <= misfit(theirs) + 1e-3
    assert error(ours) <= error(theirs) + 0.02
    assert np.linalg.norm(ours - theirs) / np.linalg.norm(theirs) < 0.25


def test_audio_mel_audio_mel_round_trip(clip):
    """Stated error: the mel of the rebuilt audio is within 25 % (relative L2) of the
    original mel, under 2 dB mean absolute difference (80 dB range); librosa's own round trip
    gives 10-18 % on these clips."""
    mel = melspectrogram(backend.to_device(clip), SR, n_fft=2048)
    audio = inverse.mel_to_audio(mel, sr=SR, length=len(clip))
    again = melspectrogram(audio, SR, n_fft=2048)
    mel, again = backend.to_host(mel), backend.to_host(again)
    assert np.linalg.norm(again - mel) / np.linalg.norm(mel) < 0.25
    db = [np.maximum(10 * np.log10(np.maximum(m, 1e-10) / mel.max()), -80) for m in (mel, again)]
    assert np.abs(db[0] - db[1]).mean() < 2.0


def test_mfcc_audio_mfcc_round_trip(clip):
    """Stated error: MFCC of the rebuilt audio within 8 % (relative L2) of the original."""
    coefficients = mfcc(backend.to_device(clip), SR, n_fft=2048)
    audio = inverse.mfcc_to_audio(coefficients, sr=SR, length=len(clip))
    again = backend.to_host(mfcc(audio, SR, n_fft=2048))
    coefficients = backend.to_host(coefficients)
    assert np.linalg.norm(again - coefficients) / np.linalg.norm(coefficients) < 0.08


def test_bad_options_are_one_clear_error(magnitude):
    with pytest.raises(ValueError, match="momentum"):
        inverse.griffinlim(magnitude, momentum=-1)
    with pytest.raises(ValueError, match="init"):
        inverse.griffinlim(magnitude, init="zeros")
    with pytest.raises(ValueError, match="lifter"):
        inverse.mfcc_to_mel(np.zeros((13, 4)), lifter=-1)
