"""Sample-rate conversion by a polyphase filter at the exact rational ratio."""
from __future__ import annotations

from math import gcd

from tinymir import backend


def resample_ratio(orig_sr: int, target_sr: int) -> tuple[int, int]:
    """``(up, down)``: the ratio ``target_sr / orig_sr`` reduced by their gcd.

    44100 -> 22050 is (1, 2), 44100 -> 12000 is (40, 147), 22050 -> 16000 is (320, 441).
    """
    orig_sr, target_sr = _check_rate(orig_sr, "orig_sr"), _check_rate(target_sr, "target_sr")
    common = gcd(orig_sr, target_sr)
    return target_sr // common, orig_sr // common


def resample(y, orig_sr: int, target_sr: int):
    """Resample ``y`` from ``orig_sr`` to ``target_sr`` along its last axis (batched).

    Polyphase filtering (``scipy.signal.resample_poly``, or CuPy's on the GPU) with
    ``up/down = target_sr/orig_sr`` reduced by the gcd: upsample by ``up`` (zero stuffing),
    low-pass with a Kaiser-windowed sinc (cut-off ``1/max(up, down)`` of Nyquist), keep every
    ``down``-th sample. The output has exactly ``ceil(n * up / down)`` samples, the same
    numbers as ``librosa.resample(y, orig_sr=..., target_sr=..., res_type="polyphase")``
    (librosa sizes its output from the float ratio, so it can end with one extra zero, e.g.
    22050 samples 44100 -> 12000). The dtype of ``y`` is kept.
    """
    up, down = resample_ratio(orig_sr, target_sr)
    if up == down:
        return y
    xp = backend.array_module(y)
    signal = backend.scipy_module(xp, "signal")
    return signal.resample_poly(y, up, down, axis=-1).astype(y.dtype, copy=False)


def _check_rate(sr, name: str) -> int:
    if int(sr) != sr or sr <= 0:
        raise ValueError(f"{name} must be a positive whole number of Hz, got {sr!r}")
    return int(sr)
