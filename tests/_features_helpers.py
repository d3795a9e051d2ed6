"""Test signals and comparison helpers for the feature tests (librosa is the oracle)."""
import numpy as np

from tinymir import backend

SIGNALS = ("chirp", "harmonic", "clicks", "noise")


def make_signal(kind: str, n: int, sr: int, seed: int = 0) -> np.ndarray:
    """A float32 test signal of ``n`` samples at ``sr`` (host numpy).

    Tonal signals carry a -60 dB noise floor, as any recording does: without it their spectral
    valleys sit at FFT round-off level, where float32 and librosa's float64 FFT legitimately
    differ by orders of magnitude in dB.
    """
    rng = np.random.default_rng(seed)
    floor = 1e-3 * rng.standard_normal(n)
    t = np.arange(n) / sr
    if kind == "chirp":        # 100 Hz -> 0.4 sr, exponential sweep
        f0, f1, duration = 100.0, 0.4 * sr, max(t[-1], 1e-3)
        k = np.log(f1 / f0) / duration
        y = 0.5 * np.sin(2 * np.pi * f0 * (np.exp(k * t) - 1) / k) + floor
    elif kind == "harmonic":   # A3 with 6 decaying partials
        y = sum(0.6 / h * np.sin(2 * np.pi * 220.0 * h * t + h) for h in range(1, 7)) + floor
    elif kind == "clicks":
        y = click_track(120.0, n, sr)
    elif kind == "noise":
        y = 0.3 * rng.standard_normal(n)
    else:
        raise ValueError(kind)
    return np.asarray(y, dtype=np.float32)


def click_track(bpm: float, n: int, sr: int, noise: float = 0.01, seed: int = 0) -> np.ndarray:
    """Decaying 1 kHz clicks every beat plus a little noise."""
    rng = np.random.default_rng(seed)
    y = noise * rng.standard_normal(n)
    click = np.sin(2 * np.pi * 1000.0 * np.arange(int(0.03 * sr)) / sr)
    click *= np.exp(-np.arange(click.size) / (0.005 * sr))
    for start in (np.arange(0.0, n / sr, 60.0 / bpm) * sr).astype(int):
        stop = min(n, start + click.size)
        y[start:stop] += click[:stop - start]
    return y.astype(np.float32)


def on_device(x):
    """Host test data -> the device under test."""
    return backend.to_device(np.asarray(x))


def relative_error(actual, expected) -> float:
    """``max |a - e| / max |e|`` with ``a`` brought back to the host."""
    actual = backend.to_host(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    scale = np.abs(expected).max()
    difference = np.abs(actual.astype(np.complex128 if np.iscomplexobj(actual) else np.float64)
                        - expected).max()
    return float(difference / (scale if scale > 0 else 1.0))
