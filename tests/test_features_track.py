"""track_features (names, values against librosa), FeatureParams and the extract dispatcher."""
import csv
import re

import numpy as np
import pytest

from _features_helpers import click_track, make_signal, on_device, relative_error
from _rounding import assert_float32_close
from tinymir import backend
from tinymir import features as F

SR = 22050


def test_names_follow_the_gtzan_table_pattern():
    names = F.FEATURE_NAMES
    assert len(names) == len(set(names)) == 12 + 1 + 40 + 2 + 4
    assert names[:13] == (
        "chroma_stft_mean", "chroma_stft_var", "rms_mean", "rms_var", "spectral_centroid_mean",
        "spectral_centroid_var", "spectral_bandwidth_mean", "spectral_bandwidth_var",
        "rolloff_mean", "rolloff_var", "zero_crossing_rate_mean", "zero_crossing_rate_var",
        "tempo")
    pattern = re.compile(r"^(tempo|moment_(mean|var|skew|kurtosis)|mfcc\d+_(mean|var)|"
                         r"[a-z_]+_(mean|var))$")
    assert all(pattern.match(name) for name in names)
    assert F.feature_names(13)[-6 - 26:-6] == tuple(
        f"mfcc{q}_{stat}" for q in range(1, 14) for stat in ("mean", "var"))


@pytest.mark.shared_data
def test_names_match_the_gtzan_csv_columns(shared_data):
    with open(shared_data / "gtzan_meta" / "features_30_sec.csv", newline="") as table:
        header = next(csv.reader(table))
    shared = [name for name in F.FEATURE_NAMES if name in header]
    extras = [name for name in F.FEATURE_NAMES if name not in header]
    assert extras == ["spectral_contrast_mean", "spectral_contrast_var", "moment_mean",
                      "moment_var", "moment_skew", "moment_kurtosis"]
    assert shared == [name for name in header if name in shared]   # same order as the table


def librosa_track_features(y, sr):
    """The same summary computed feature by feature with librosa (tuning 0 for chroma)."""
    librosa = pytest.importorskip("librosa", reason="librosa is the oracle for feature parity")
    stats = pytest.importorskip("scipy.stats")
    feature = librosa.feature
    columns = []
    for values in (feature.chroma_stft(y=y, sr=sr, tuning=0.0), feature.rms(y=y),
                   feature.spectral_centroid(y=y, sr=sr), feature.spectral_bandwidth(y=y, sr=sr),
                   feature.spectral_rolloff(y=y, sr=sr), feature.zero_crossing_rate(y)):
        columns += [values.mean(), values.var()]
    columns.append(feature.tempo(y=y, sr=sr)[0])
    mfcc = feature.mfcc(y=y, sr=sr, n_mfcc=20)
    for q in range(20):
        columns += [mfcc[q].mean(), mfcc[q].var()]
    contrast = feature.spectral_contrast(y=y, sr=sr)
    columns += [contrast.mean(), contrast.var()]
    columns += [y.mean(), y.var(), stats.skew(y), stats.kurtosis(y)]
    return np.array(columns, dtype=np.float64)


def test_track_features_match_librosa_and_batching():
    """Every column within 1e-3 relative of librosa's (or 1e-3 absolute for near-zero columns;
    the frame means agree to float32 precision, the variances of the noisiest columns to
    about 1e-4). The batch equals the clips one by one."""
    n = 4 * SR
    y = np.stack([click_track(100.0, n, SR) + make_signal("harmonic", n, SR),
                  make_signal("chirp", n, SR) + 0.1 * make_signal("noise", n, SR)])
    values, names = F.track_features(on_device(y), SR)
    values = backend.to_host(values)
    assert values.shape == (2, len(names)) and values.dtype == np.float32
    for clip in range(2):
        expected = librosa_track_features(y[clip], SR)
        np.testing.assert_allclose(values[clip], expected, rtol=1e-3, atol=1e-3,
                                   err_msg=str(names))
        alone = backend.to_host(F.track_features(on_device(y[clip]), SR)[0])
        assert_float32_close(values[clip], alone)


def test_track_features_other_fft_size_and_mfcc_count():
    y = make_signal("chirp", 3 * SR, SR)
    values, names = F.track_features(on_device(y), SR, n_fft=1024, n_mfcc=13)
    assert backend.to_host(values).shape == (len(names),) == (len(F.feature_names(13)),)
    assert np.isfinite(backend.to_host(values)).all()


def test_feature_params_key_is_stable_and_distinguishes_parameters():
    params = F.FeatureParams()
    assert (params.kind, params.sr, params.n_fft, params.hop_length, params.n_mels,
            params.n_mfcc) == ("mel", 22050, 1024, 512, 128, 20)
    assert params.key() == F.FeatureParams().key()
    assert re.fullmatch(r"mel-[0-9a-f]{16}", params.key())
    others = [F.FeatureParams(kind="mfcc"), F.FeatureParams(n_fft=2048),
              F.FeatureParams(hop_length=256), F.FeatureParams(fmax=8000.0),
              F.FeatureParams(log=False)]
    assert len({p.key() for p in others} | {params.key()}) == len(others) + 1
    assert F.FeatureParams.from_dict(params.to_dict()) == params
    same = F.FeatureParams(sr=np.int64(22050), n_fft=np.int32(1024), fmin=0)
    assert same == params and same.key() == params.key()


@pytest.mark.parametrize("bad,message", [
    ({"kind": "cqt"}, "unknown feature kind 'cqt'"),
    ({"n_fft": 0}, "n_fft must be a positive integer"),
    ({"kind": "mfcc", "n_mfcc": 200}, "n_mfcc=200 cannot exceed n_mels=128"),
    ({"fmax": 20000.0}, "fmax <= sr/2"),
])
def test_feature_params_reject_bad_values(bad, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        F.FeatureParams(**bad)
    with pytest.raises(ValueError, match="unknown feature parameters: colour"):
        F.FeatureParams.from_dict({"colour": 1})


def test_extract_kinds_equal_the_individual_functions():
    librosa = pytest.importorskip("librosa", reason="librosa is the oracle for feature parity")
    y = np.stack([make_signal("harmonic", 2 * SR, SR), make_signal("noise", 2 * SR, SR)])
    device_y = on_device(y)
    mel = backend.to_host(F.extract(device_y, SR, "mel"))
    assert mel.shape == (2, 128, 87)
    np.testing.assert_allclose(
        mel, backend.to_host(F.power_to_db(F.melspectrogram(device_y, SR, n_fft=1024))), atol=1e-4)
    stft = backend.to_host(F.extract(device_y, SR, "stft"))
    expected = librosa.power_to_db(np.abs(librosa.stft(y[0], n_fft=1024, hop_length=512)) ** 2)
    np.testing.assert_allclose(stft[0], expected, atol=1e-2)   # dB; quiet bins: float32 FFT
    mfcc = backend.to_host(F.extract(device_y, SR, "mfcc", n_mfcc=13))
    np.testing.assert_allclose(mfcc, backend.to_host(F.mfcc(device_y, SR, n_fft=1024, n_mfcc=13)),
                               rtol=1e-5, atol=1e-3)
    chroma = backend.to_host(F.extract(device_y, SR, "chroma"))
    np.testing.assert_allclose(chroma, backend.to_host(F.chroma_stft(device_y, SR, n_fft=1024)),
                               atol=1e-6)
    track = backend.to_host(F.extract(device_y, SR, "track"))
    assert track.shape == (2, len(F.FEATURE_NAMES))
    power = backend.to_host(F.extract(device_y, SR, "mel", log=False))
    np.testing.assert_allclose(10 * np.log10(np.maximum(power, 1e-10)).max(), mel.max(), atol=1e-3)


@pytest.mark.shared_data
def test_real_music_excerpts_match_librosa(shared_data):
    """Two real GTZAN excerpts (2-3 s), batched after trimming to one length: mel within 1e-5
    of the peak, MFCC within 1e-4 of the largest coefficient, every track column within 1e-3."""
    librosa = pytest.importorskip("librosa", reason="librosa is the oracle for feature parity")
    soundfile = pytest.importorskip("soundfile")
    paths = sorted((shared_data / "gtzan_excerpts" / "jazz").glob("*.wav"))[:1] + \
        sorted((shared_data / "gtzan_excerpts" / "metal").glob("*.wav"))[:1]
    clips = [soundfile.read(path, dtype="float32")[0] for path in paths]
    length = min(clip.size for clip in clips)
    y = np.stack([clip[:length] for clip in clips])
    mel = F.melspectrogram(on_device(y), SR, n_fft=1024)
    mfcc = F.mfcc(on_device(y), SR, n_fft=1024)
    values = backend.to_host(F.track_features(on_device(y), SR)[0])
    for clip in range(len(y)):
        expected = librosa.feature.melspectrogram(y=y[clip], sr=SR, n_fft=1024)
        assert relative_error(mel[clip], expected) <= 1e-5
        expected = librosa.feature.mfcc(y=y[clip], sr=SR, n_fft=1024)
        assert relative_error(mfcc[clip], expected) <= 1e-4
        np.testing.assert_allclose(values[clip], librosa_track_features(y[clip], SR),
                                   rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("options, message", [
    ({"sr": 11025}, "Nyquist"),
    ({"n_fft": 32}, "no frequency bin"),
])
def test_track_parameters_that_spectral_contrast_cannot_use_are_refused_up_front(options, message):
    with pytest.raises(ValueError, match=message):
        F.FeatureParams(kind="track", **options)
    F.FeatureParams(kind="stft", **options)         # other kinds do not need the octave bands


def test_rich_track_features_extend_the_gtzan_set_with_per_bin_deltas_tonnetz_and_onsets():
    import librosa

    from tinymir.audio import synth
    from tinymir.features.track import rich_feature_names, tonnetz_basis
    y = synth.render_clip("jazz", seed_or_rng=1, seconds=2.0)
    rich, names = F.rich_track_features(backend.to_device(y), SR, n_mfcc=13)
    plain, _ = F.track_features(backend.to_device(y), SR, n_mfcc=13)
    rich, plain = backend.to_host(rich), backend.to_host(plain)
    assert names == rich_feature_names(13) and len(set(names)) == len(names) == rich.shape[-1]
    assert len(names) == len(plain) + 24 + 14 + 26 + 12 + 4
    np.testing.assert_array_equal(rich[:len(plain)], plain)            # the GTZAN set first
    assert np.isfinite(rich).all()
    column = dict(zip(names, rich))
    chroma = backend.to_host(F.chroma_stft(backend.to_device(y), SR, n_fft=2048))
    np.testing.assert_allclose([column[f"chroma{i}_mean"] for i in range(1, 13)],
                               chroma.mean(axis=1), rtol=1e-4, atol=1e-6)
    # The tonnetz matrix is librosa's (on any chroma).
    c = np.random.default_rng(0).random((12, 7))
    np.testing.assert_allclose(tonnetz_basis() @ (c / c.sum(axis=0)),
                               librosa.feature.tonnetz(chroma=c), atol=1e-12)
    assert 0 < column["pulse_clarity"] <= 1 and column["onset_rate"] > 0
    params = F.FeatureParams(kind="track_rich", n_fft=2048, n_mfcc=13)
    assert params.names() == names and params.key() != F.FeatureParams(kind="track").key()
