"""librosa's outputs for tinymir's feature chain, stored for the tests.

Regenerate (needs librosa; the file was written with librosa 0.11.0)::

    python tests/reference/make_librosa_outputs.py

It writes ``librosa_features.npz`` beside this script: what librosa computes from short
synthetic signals made from fixed seeds by ``tests/_reference_signals.py`` (which the test calls
too, so no audio is stored): STFT and its inverse, mel filterbank and spectrogram, dB, MFCC,
chroma, spectral contrast, onset strength, tempogram, tempo, and the inverse chain: dB to
power, MFCC to mel, NNLS mel to STFT magnitude, Griffin-Lim from zero and from seeded random
phases. ``tests/test_librosa_reference.py`` compares tinymir with it to the
tolerances of the live parity tests (``tests/test_features_*.py``), without librosa. Nothing is
imported from tinymir. librosa is called clip by clip where its dB floors are global over what
it is given (tinymir's are per clip), and the clips are stacked.

Each case ``name`` holds ``name/function`` (tinymir's, in ``tinymir.features`` or
``tinymir.features.inverse``), ``name/kwargs`` (JSON), ``name/input`` (the key of the input
array, or ``name/x`` itself) and ``name/expected``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import librosa
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))      # tests/: the signals are made there, for the test too
from _reference_signals import SR, N, beats, db_grid, signals  # noqa: E402


def per_clip(function, y, **kwargs):
    return np.stack([function(y=clip, **kwargs) for clip in y])


def main():
    y = signals()
    clicks = beats()
    envelope = per_clip(librosa.onset.onset_strength, clicks, sr=SR)
    stft = librosa.stft(y, n_fft=1024, hop_length=512)
    mel = per_clip(librosa.feature.melspectrogram, y, sr=SR)
    magnitude = np.abs(librosa.stft(y[1, :2500].astype(np.float64), n_fft=512))
    small_mel = librosa.feature.melspectrogram(S=magnitude ** 2, sr=SR, n_fft=512, n_mels=40)
    coefficients = librosa.feature.mfcc(y=y[1], sr=SR, n_mfcc=13, lifter=22)
    db = db_grid()
    # signals, clicks and db are made by the test itself (tests/_reference_signals.py); envelope
    # and mel are the onset_strength and melspectrogram cases' expected values: only the
    # intermediate librosa results the test cannot have otherwise are stored as inputs
    inputs = {"magnitude": magnitude, "small_mel": small_mel, "coefficients": coefficients}
    cases = {}

    def add(name, function, source, expected, clips=None, samples=None, dtype=None,
            argument=None, **kwargs):
        """``source``: an input's name (its first ``clips`` rows and ``samples`` columns, in
        ``dtype`` when given), passed first or as keyword ``argument``; or None: tinymir's
        function takes only ``kwargs`` and computes in ``dtype``."""
        cases[name] = {"function": function, "input": source, "kwargs": json.dumps(kwargs),
                       "expected": np.asarray(expected), "clips": clips, "samples": samples,
                       "dtype": dtype, "argument": argument}

    add("stft", "stft", "signals", stft, n_fft=1024, hop_length=512)
    add("stft_window_reflect", "stft", "signals",
        librosa.stft(y[:2, :2500], n_fft=512, hop_length=128, win_length=400,
                     pad_mode="reflect"),
        clips=2, samples=2500, n_fft=512, hop_length=128, win_length=400, pad_mode="reflect")
    add("stft_float64_uncentred", "stft", "signals",
        librosa.stft(y[:1].astype(np.float64), n_fft=1024, hop_length=512, center=False),
        clips=1, dtype="float64", n_fft=1024, hop_length=512, center=False)
    add("istft", "istft", "stft/expected", librosa.istft(stft, hop_length=512, length=N),
        hop_length=512, length=N)
    add("mel_filterbank", "mel_filterbank", None,
        librosa.filters.mel(sr=SR, n_fft=1024, n_mels=40, fmin=30.0, fmax=8000.0,
                            dtype=np.float64),
        sr=SR, n_fft=1024, n_mels=40, fmin=30.0, fmax=8000.0, dtype="float64")
    add("mel_filterbank_htk", "mel_filterbank", None,
        librosa.filters.mel(sr=16000, n_fft=512, n_mels=32, htk=True, norm=None,
                            dtype=np.float64),
        sr=16000, n_fft=512, n_mels=32, htk=True, norm=None, dtype="float64")
    add("melspectrogram", "melspectrogram", "signals", mel, sr=SR)
    add("melspectrogram_small", "melspectrogram", "signals",
        per_clip(librosa.feature.melspectrogram, y, sr=SR, n_fft=1024, hop_length=256,
                 n_mels=64, fmax=8000.0),
        sr=SR, n_fft=1024, hop_length=256, n_mels=64, fmax=8000.0)
    add("power_to_db", "power_to_db", "mel", np.stack([librosa.power_to_db(m) for m in mel]))
    add("mfcc", "mfcc", "signals", per_clip(librosa.feature.mfcc, y, sr=SR), sr=SR)
    add("mfcc_13_lifter", "mfcc", "signals",
        per_clip(librosa.feature.mfcc, y, sr=SR, n_mfcc=13, n_mels=40, lifter=22),
        sr=SR, n_mfcc=13, n_mels=40, lifter=22)
    add("chroma_filterbank", "chroma_filterbank", None,
        librosa.filters.chroma(sr=SR, n_fft=512, tuning=0.3, dtype=np.float64),
        sr=SR, n_fft=512, tuning=0.3, dtype="float64")
    add("chroma_stft", "chroma_stft", "signals",
        per_clip(librosa.feature.chroma_stft, y, sr=SR, n_fft=1024, tuning=0.0),
        sr=SR, n_fft=1024)
    add("spectral_contrast", "spectral_contrast", "signals",
        per_clip(librosa.feature.spectral_contrast, y, sr=SR), sr=SR)
    add("spectral_contrast_float64", "spectral_contrast", "signals",
        per_clip(librosa.feature.spectral_contrast, y.astype(np.float64), sr=SR, fmin=100.0,
                 n_bands=5), dtype="float64", sr=SR, fmin=100.0, n_bands=5)
    add("onset_strength", "onset_strength", "clicks", envelope, sr=SR)
    add("tempogram", "tempogram", "envelope",
        per_clip(lambda y, **k: librosa.feature.tempogram(onset_envelope=y, **k),
                 envelope[:, :120], win_length=48), samples=120, argument="onset_envelope",
        win_length=48)
    add("tempo", "tempo", "clicks",
        np.array([librosa.feature.tempo(y=clip, sr=SR)[0] for clip in clicks]), sr=SR)
    for label, prior in (("slow_prior", {"start_bpm": 60.0, "std_bpm": 0.5}),
                         ("max_tempo", {"max_tempo": 100.0}), ("ac_size", {"ac_size": 4.0})):
        add(f"tempo_{label}", "tempo", "envelope",
            np.array([librosa.feature.tempo(onset_envelope=e, **prior)[0] for e in envelope]),
            argument="onset_envelope", **prior)
    add("db_to_power", "inverse.db_to_power", "db", librosa.db_to_power(db, ref=2.0), ref=2.0)
    add("mfcc_to_mel", "inverse.mfcc_to_mel", "coefficients",
        librosa.feature.inverse.mfcc_to_mel(coefficients, n_mels=64, lifter=22),
        n_mels=64, lifter=22)
    # NNLS has no unique answer (bins that share filters): the test holds tinymir's to fit the
    # mel at least as well as this one and to be as close to the true magnitude
    add("mel_to_stft", "inverse.mel_to_stft", "small_mel",
        librosa.feature.inverse.mel_to_stft(small_mel, sr=SR, n_fft=512), sr=SR, n_fft=512)
    add("griffinlim_zero_phase", "inverse.griffinlim", "magnitude",
        librosa.griffinlim(magnitude, n_iter=4, init=None), n_iter=4, init=None)
    for n_iter in (1, 32):
        add(f"griffinlim_random_{n_iter}", "inverse.griffinlim", "magnitude",
            librosa.griffinlim(magnitude, n_iter=n_iter, random_state=np.random.default_rng(3)),
            n_iter=n_iter, random_state=3)

    flat = {"librosa_version": np.array(librosa.__version__),
            "numpy_version": np.array(np.__version__),
            "mel_bank_512": librosa.filters.mel(sr=SR, n_fft=512, n_mels=40, dtype=np.float64)}
    flat.update({f"input/{k}": v for k, v in inputs.items()})
    for name, record in cases.items():
        for field, value in record.items():
            if value is not None:
                flat[f"{name}/{field}"] = np.asarray(value)
    path = HERE / "librosa_features.npz"
    np.savez_compressed(path, **flat)
    print(f"{path.name}: {len(cases)} cases, {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
