"""Central moments of the waveform: mean, variance, skewness, (excess) kurtosis per clip.

    mu = mean_n y[n],   m_k = mean_n (y[n] - mu)^k
    var = m_2,   skew = m_3 / m_2^(3/2),   kurtosis = m_4 / m_2^2 - 3

(the biased estimators of ``scipy.stats.skew`` / ``scipy.stats.kurtosis`` defaults). A constant
clip (``m_2 = 0``) gets skewness and kurtosis 0 instead of NaN.
"""
from __future__ import annotations

from tinymir import backend
from tinymir.features.frames import as_signal

MOMENT_NAMES = ("mean", "var", "skew", "kurtosis")


def central_moments(y):
    """``(..., 4)``: mean, variance, skewness and excess kurtosis of each clip's samples."""
    y = as_signal(y)
    xp = backend.array_module(y)
    mean = y.mean(axis=-1, keepdims=True)
    centred = y - mean
    squared = centred * centred
    m2 = squared.mean(axis=-1)
    m3 = (squared * centred).mean(axis=-1)
    m4 = (squared * squared).mean(axis=-1)
    flat = m2 <= 0
    safe_m2 = xp.where(flat, 1, m2)
    skew = xp.where(flat, 0, m3 / safe_m2 ** 1.5)
    kurtosis = xp.where(flat, 0, m4 / (safe_m2 * safe_m2) - 3.0)
    return xp.stack([mean[..., 0], m2, skew, kurtosis], axis=-1)
