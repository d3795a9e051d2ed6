"""The finiteness check of a batch as one dot product, not a mask array.

A NaN or an infinity makes the sum of squares non-finite, which one BLAS dot finds without a
boolean array the size of the batch; only when that sum is not finite (a NaN, an infinity, or a
finite sum that overflowed) are the samples checked one by one. The spectrum kernel goes
further and folds the check into the DC bin (:mod:`tinymir.features.kernels.spectrum`).
"""
from __future__ import annotations

import numpy as np

from tinymir import backend


def check_finite_samples(y, name: str = "audio") -> None:
    """``ValueError`` naming ``name`` when ``y`` holds a NaN or an infinity."""
    if not all_finite(y):
        raise ValueError(f"{name} contains NaN or infinite samples")


def all_finite(y) -> bool:
    """True when no sample is NaN or infinite: the sum of squares is finite, or failing that
    (overflow), every sample is."""
    xp = backend.array_module(y)
    flat = y.reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        sum_of_squares = xp.dot(flat, flat)
    return bool(xp.isfinite(sum_of_squares)) or bool(xp.isfinite(y).all())
