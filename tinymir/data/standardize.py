"""Standardisation with statistics from the training split only.

Per feature f (a frequency bin of ``(bins, frames)`` track features, or a column of a
``(n, features)`` table), over every value x of the TRAINING tracks:

    mean_f = (1/N_f) sum x,   std_f = sqrt((1/N_f) sum x^2 - mean_f^2),   x' = (x - mean_f) / std_f

(a feature with ``std_f < eps`` is left unscaled: ``std_f = 1``). The sums are accumulated in
float64 one track at a time, so fitting reads memory-mapped features without loading them all.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinymir import backend

from .splits import SplitError


@dataclass(frozen=True)
class Standardizer:
    """``x' = (x - mean) / std`` along ``feature_axis``; ``fitted_on`` names the data used."""
    mean: np.ndarray
    std: np.ndarray
    feature_axis: int = -2
    fitted_on: str = ""

    @classmethod
    def fit(cls, arrays, feature_axis: int = -2, eps: float = 1e-8,
            fitted_on: str = "") -> "Standardizer":
        """Statistics over an iterable of arrays that share the size of ``feature_axis``."""
        total = squares = None
        count = 0
        for array in arrays:
            values = np.moveaxis(np.asarray(backend.to_host(array), dtype=np.float64),
                                 feature_axis, -1).reshape(-1, array.shape[feature_axis])
            total = values.sum(axis=0) + (0 if total is None else total)
            squares = (values * values).sum(axis=0) + (0 if squares is None else squares)
            count += values.shape[0]
        if count == 0:
            raise ValueError("cannot fit a Standardizer on no data")
        mean = total / count
        std = np.sqrt(np.maximum(squares / count - mean * mean, 0.0))
        std = np.where(std < eps, 1.0, std)
        return cls(mean.astype(np.float32), std.astype(np.float32), feature_axis, fitted_on)

    @classmethod
    def fit_split(cls, split, features, part: str = "train", feature_axis: int = -2,
                  eps: float = 1e-8) -> "Standardizer":
        """Fit on ``features[t]`` for the tracks ``t`` of ``split[part]`` only.

        ``features`` is indexable by track index (a list of arrays, or
        :meth:`FeatureCache.tracks <tinymir.data.cache.FeatureCache.tracks>`); a track whose
        features are ``None`` (an unreadable file) is left out.
        """
        if part not in split:
            raise SplitError(f"split {getattr(split, 'name', '')!r} has no part {part!r} "
                             f"(it has {', '.join(split)})")
        name = f"{part} part of {getattr(split, 'name', 'split')}"
        present = (features[int(t)] for t in split[part])
        return cls.fit((f for f in present if f is not None), feature_axis, eps, name)

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
