"""The feature chain against librosa's stored outputs, on every run, without librosa.

``tests/reference/librosa_features.npz`` holds what librosa 0.11.0 computes from short synthetic
signals (``tests/reference/make_librosa_outputs.py`` regenerates it): STFT and iSTFT, mel
filterbank and spectrogram, dB, MFCC, chroma, spectral contrast, onset strength, tempogram,
tempo, and the inverse chain. The signals are made here (``_reference_signals``, on the 16-bit
grid, so they are the same on every machine), not stored. Each case runs tinymir's function on
its input and must agree to the tolerance of the live parity test named beside it
(``tests/test_features_*.py``, which run where librosa is installed).
"""
import json
from pathlib import Path

import numpy as np
import pytest

import _reference_signals as made
from _features_helpers import relative_error
from tinymir import backend, features
from tinymir.features import inverse

STORED = Path(__file__).resolve().parent / "reference" / "librosa_features.npz"

#: case -> (how, tolerance). "relative": max |a − e| / max |e| (per clip where the input is a
#: batch of clips); "absolute": max |a − e|; "rtol": elementwise relative.
TOLERANCES = {
    "stft": ("relative", 2e-6),                      # test_stft_matches_librosa
    "stft_window_reflect": ("relative", 2e-6),
    "stft_float64_uncentred": ("relative", 1e-12),   # test_stft_uncentred_and_float64
    "istft": ("relative", 1e-5),                     # test_istft_matches_librosa_...
    "mel_filterbank": ("relative", 1e-12),           # test_mel_filterbank_matches_librosa
    "mel_filterbank_htk": ("relative", 1e-12),
    "melspectrogram": ("relative", 1e-5),            # test_melspectrogram_matches_librosa
    "melspectrogram_small": ("relative", 1e-5),
    "power_to_db": ("absolute", 1e-5),               # test_power_to_db_matches_librosa_per_clip
    "mfcc": ("relative", 1e-4),                      # test_mfcc_matches_librosa
    "mfcc_13_lifter": ("relative", 1e-4),
    "chroma_filterbank": ("relative", 1e-12),        # test_chroma_filterbank_matches_librosa
    "chroma_stft": ("absolute", 1e-5),               # test_chroma_stft_matches_librosa_...
    "spectral_contrast": ("relative", 2e-3),         # test_spectral_descriptor_matches_librosa
    "spectral_contrast_float64": ("relative", 1e-9),  # ..._float64_matches_librosa_tightly
    "onset_strength": ("relative", 1e-4),            # test_onset_strength_matches_librosa
    "tempogram": ("relative", 1e-8),                 # test_tempogram_matches_librosa
    "tempo": ("rtol", 1e-6),                         # test_tempo_of_click_tracks
    "tempo_slow_prior": ("rtol", 1e-6),              # test_tempo_with_a_different_prior_...
    "tempo_max_tempo": ("rtol", 1e-6),
    "tempo_ac_size": ("rtol", 1e-6),
    "db_to_power": ("rtol", 1e-12),                  # test_db_to_power_and_mfcc_to_mel_...
    "mfcc_to_mel": ("rtol", 1e-4),                   # (and 1e-6 of the peak absolute)
    "mel_to_stft": ("fit", None),                    # test_nnls_magnitude_fits_the_mel_...
    # test_griffinlim_is_librosas_from_the_same_phases allows 1e-4 / 1e-2 in float32; here the
    # magnitude is float64 and the phases the same draws, so the iterations agree to rounding
    "griffinlim_zero_phase": ("relative", 1e-10),
    "griffinlim_random_1": ("relative", 1e-10),
    "griffinlim_random_32": ("relative", 1e-10),
}
#: inputs that are a batch of clips, compared clip by clip
BATCHES = ("signals", "clicks", "mel", "envelope")
#: inputs made here, and inputs that are another case's librosa output
MADE = {"signals": made.signals, "clicks": made.beats, "db": made.db_grid}
OUTPUT_OF = {"mel": "melspectrogram/expected", "envelope": "onset_strength/expected"}


def _load():
    with np.load(STORED) as stored:
        assert str(stored["librosa_version"]) == "0.11.0", str(stored["librosa_version"])
        flat = {key: stored[key] for key in stored.files}
    cases = {}
    for key, value in flat.items():
        case, _, field = key.partition("/")
        if field and case != "input":
            cases.setdefault(case, {})[field] = value
    return flat, cases


STORE, CASES = _load()


def _function(name: str):
    return getattr(inverse, name.split(".", 1)[1]) if name.startswith("inverse.") else \
        getattr(features, name)


def _run(record):
    """tinymir's function on the case's stored input; the result on the host."""
    function, kwargs = _function(str(record["function"])), json.loads(str(record["kwargs"]))
    if "input" not in record:
        with backend.default_dtype(np.dtype(str(record["dtype"]))):
            return backend.to_host(function(**kwargs))
    source = str(record["input"])
    x = (MADE[source]() if source in MADE else STORE[OUTPUT_OF[source]] if source in OUTPUT_OF
         else STORE[source if "/" in source else f"input/{source}"])
    x = x[:int(record["clips"])] if "clips" in record else x
    x = x[..., :int(record["samples"])] if "samples" in record else x
    x = x.astype(str(record["dtype"])) if "dtype" in record else x
    precision = np.float64 if x.dtype in (np.float64, np.complex128) else np.float32
    with backend.default_dtype(precision):
        x = backend.to_device(x)
        if "argument" in record:
            return backend.to_host(function(**{str(record["argument"]): x}, **kwargs))
        return backend.to_host(function(x, **kwargs))


def _misfit_and_error(magnitude, mel, bank, truth):
    fit = np.linalg.norm(bank @ magnitude ** 2 - mel) / np.linalg.norm(mel)
    return fit, np.linalg.norm(magnitude - truth) / np.linalg.norm(truth)


@pytest.mark.parametrize("case", sorted(CASES))
def test_feature_equals_librosa(case):
    record, (how, tolerance) = CASES[case], TOLERANCES[case]
    ours, expected = _run(record), record["expected"]
    assert ours.shape == expected.shape, (ours.shape, expected.shape)
    assert np.isfinite(ours).all()
    if how == "relative":
        batch = str(record.get("input", "")) in BATCHES
        for clip in (range(len(expected)) if batch else [slice(None)]):
            assert relative_error(ours[clip], expected[clip]) <= tolerance, clip
    elif how == "absolute":
        np.testing.assert_allclose(ours, expected, rtol=0, atol=tolerance)
    elif how == "rtol":
        np.testing.assert_allclose(ours, expected, rtol=tolerance,
                                   atol=1e-6 * np.abs(expected).max())
    else:       # NNLS: as good a fit of the mel and as close to the true magnitude as librosa's
        mel, bank, truth = STORE["input/small_mel"], STORE["mel_bank_512"], \
            STORE["input/magnitude"]
        (our_fit, our_error), (their_fit, their_error) = (
            _misfit_and_error(s, mel, bank, truth) for s in (ours, expected))
        assert ours.min() >= 0
        assert our_fit <= their_fit + 1e-3
        assert our_error <= their_error + 0.02
        assert np.linalg.norm(ours - expected) / np.linalg.norm(expected) < 0.25


def test_every_stored_case_has_a_tolerance_and_the_chain_is_covered():
    assert set(CASES) == set(TOLERANCES)
    functions = {str(r["function"]) for r in CASES.values()}
    assert {"stft", "istft", "melspectrogram", "mfcc", "chroma_stft", "spectral_contrast",
            "onset_strength", "tempogram", "tempo", "inverse.mfcc_to_mel",
            "inverse.mel_to_stft", "inverse.griffinlim"} <= functions
