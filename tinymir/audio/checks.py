"""Whether decoded audio holds anything a model can use: a file that is shorter than one
analysis frame, or silent, gives features that say nothing about it, yet a classifier would still
answer with confidence. Callers refuse such a file with the reason :func:`content_problem` gives.
"""
from __future__ import annotations

import numpy as np

from tinymir import backend

from .trim import is_silent

SILENCE_DB = -60.0


def content_problem(y, sr: int, min_samples: int, silence_db: float = SILENCE_DB) -> str | None:
    """Why the mono samples ``y`` (at ``sr`` Hz) have no usable content, or None when they do.

    Unusable: fewer than ``min_samples`` samples (one analysis frame, e.g. ``n_fft``), or a
    peak ``20 log10 max_t |y[t]|`` below ``silence_db`` dB full scale
    (:func:`tinymir.audio.trim.is_silent`), which also covers digital silence.
    """
    n = int(y.shape[-1])
    if n < min_samples:
        return (f"{n} samples ({n / sr:.3g} s), shorter than one analysis frame "
                f"({min_samples} samples): nothing to classify")
    if bool(is_silent(y, silence_db)):
        peak = float(backend.to_host(abs(y).max()))
        level = f"{20 * np.log10(peak):.0f} dBFS" if peak > 0 else "all zeros"
        return f"silent (peak {level}, below {silence_db:g} dBFS): nothing to classify"
    return None
