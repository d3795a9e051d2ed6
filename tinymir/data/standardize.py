"""Standardisation with statistics from the training split only: the one rule of tinymir
(:class:`tinymir.classic.StandardScaler` uses it too).

Per feature f (a frequency bin of ``(bins, frames)`` track features, or a column of a
``(n, features)`` table), over every value x of the TRAINING tracks:

    mean_f = (1/N_f) sum x,   std_f = sqrt((1/N_f) sum (x - mean_f)^2),   x' = (x - mean_f) / std_f

A feature whose variance is within round-off of zero (constant) is only centred: ``std_f = 1``
(scikit-learn's rule). The moments are computed in float64 one track at a time and combined
(Chan et al.), so fitting reads memory-mapped features once without loading them all, and is
as exact as two passes over everything.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinymir import backend

from .splits import SplitError


def column_statistics(arrays, feature_axis: int = -2):
    """``(mean, std)`` per feature (host float64) over every value of ``arrays`` (an iterable
    of arrays sharing the size of ``feature_axis``); ``std = 1`` for a constant feature."""
    count, mean, m2 = 0, None, None
    for array in arrays:
        values = np.moveaxis(np.asarray(backend.to_host(array), dtype=np.float64),
                             feature_axis, -1).reshape(-1, array.shape[feature_axis])
        n = values.shape[0]
        if n == 0:
            continue
        part_mean = values.mean(axis=0)
        part_m2 = ((values - part_mean) ** 2).sum(axis=0)
        if mean is None:
            count, mean, m2 = n, part_mean, part_m2
            continue
        delta = part_mean - mean
        total = count + n
        mean = mean + delta * (n / total)
        m2 = m2 + part_m2 + delta * delta * (count * n / total)
        count = total
    if count == 0:
        raise ValueError("cannot standardise with statistics of no data")
    variance = m2 / count
    eps = np.finfo(np.float64).eps
    constant = variance <= count * eps * variance + (count * mean * eps) ** 2
    return mean, np.where(constant, 1.0, np.sqrt(variance))


@dataclass(frozen=True)
class Standardizer:
    """``x' = (x - mean) / std`` along ``feature_axis``; ``fitted_on`` names the data used."""
    mean: np.ndarray
    std: np.ndarray
    feature_axis: int = -2
    fitted_on: str = ""

    @classmethod
    def fit(cls, arrays, feature_axis: int = -2, fitted_on: str = "") -> "Standardizer":
        """Statistics (:func:`column_statistics`) over an iterable of arrays that share the
        size of ``feature_axis``."""
        mean, std = column_statistics(arrays, feature_axis)
        return cls(mean.astype(np.float32), std.astype(np.float32), feature_axis, fitted_on)

    @classmethod
    def fit_split(cls, split, features, part: str = "train",
                  feature_axis: int = -2) -> "Standardizer":
        """Fit on ``features[t]`` for the tracks ``t`` of ``split[part]`` only.

        Parameters
        ----------
        split : Split or mapping of str to track indices
            The split; only ``split[part]`` is read.
        features : indexable of arrays
            ``features[t]`` for track index ``t`` (a list of arrays, or
            :meth:`FeatureCache.tracks <tinymir.data.cache.FeatureCache.tracks>`); ``None`` entries
            (unreadable files) are left out.
        part : str, default "train"
            The part of the split to fit on.
        feature_axis : int, default -2
            Axis of the features (mel bands); statistics are per entry along it.
        """
        if part not in split:
            raise SplitError(f"split {getattr(split, 'name', '')!r} has no part {part!r} "
                             f"(it has {', '.join(split)})")
        name = f"{part} part of {getattr(split, 'name', 'split')}"
        present = (features[int(t)] for t in split[part])
        return cls.fit((f for f in present if f is not None), feature_axis, name)

    def _statistics_for(self, x):
        """``mean`` and ``std`` shaped to broadcast against ``x``, on its device and dtype."""
        xp = backend.array_module(x)
        shape = [1] * x.ndim
        shape[self.feature_axis] = -1
        return (xp.asarray(self.mean, dtype=x.dtype).reshape(shape),
                xp.asarray(self.std, dtype=x.dtype).reshape(shape))

    def transform(self, x):
        """``(x - mean) / std`` on NumPy or CuPy ``x``, in ``x``'s floating dtype."""
        mean, std = self._statistics_for(x)
        return (x - mean) / std

    def to_dict(self) -> dict:
        """Plain lists and scalars: JSON-able (model metadata) and ``np.savez``-able."""
        return {"mean": np.asarray(self.mean).tolist(), "std": np.asarray(self.std).tolist(),
                "feature_axis": int(self.feature_axis), "fitted_on": str(self.fitted_on)}

    @classmethod
    def from_dict(cls, values) -> "Standardizer":
        return cls(np.asarray(values["mean"], np.float32), np.asarray(values["std"], np.float32),
                   int(values.get("feature_axis", -2)), str(values.get("fitted_on", "")))

    def inverse_transform(self, x):
        """``x * std + mean``: standardised values back to features (NumPy or CuPy ``x``)."""
        mean, std = self._statistics_for(x)
        return x * std + mean
