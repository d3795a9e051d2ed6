"""What a model file knows about its own answers: calibrated probabilities, "unsure", and
"unlike the training data" (fitted after training by :mod:`tinymir.train.calibrate`, which
explains each rule, and kept in the model file's metadata)::

    p = softmax(z / T)                          segment probabilities (T = "temperature")
    unsure          <=>  max_c P_c < unsure_below      P: the track's (file's) probabilities
    unlike_training <=>  d(q) = min_k (1/J) sum_j ((q_j - m_kj) / s_j)^2 > unlike.above

with ``q`` the file's feature profile (per feature row, the mean and the deviation over its
frames), ``m_k`` the mean profile of the training tracks of class k and ``s`` their deviation
around it. A model file without these values (every
file written before them) has ``T = 1`` and neither check: it predicts exactly as before.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinymir.train.calibrate import profile_distance
from tinymir.train.evaluate import probabilities


@dataclass(frozen=True)
class Confidence:
    """The stored temperature and limits of one model (``None``: that check is not made)."""
    temperature: float = 1.0
    unsure_below: float | None = None
    profile_mean: np.ndarray | None = None
    profile_std: np.ndarray | None = None
    unlike_above: float | None = None

    @classmethod
    def from_metadata(cls, metadata: dict, rows: int) -> "Confidence":
        """The values in a model file's ``metadata`` for features of ``rows`` rows; a value
        that cannot be right raises ValueError (or KeyError, TypeError) naming it."""
        temperature = float(metadata.get("temperature", 1.0))
        if not (np.isfinite(temperature) and temperature > 0):
            raise ValueError(f"temperature {temperature} is not a positive number")
        below = metadata.get("unsure_below")
        if below is not None and not 0.0 <= float(below) <= 1.0:
            raise ValueError(f"unsure_below {below} is not a probability")
        unlike = metadata.get("unlike")
        if unlike is None:
            return cls(temperature, None if below is None else float(below))
        mean, std = (np.asarray(unlike[key], dtype=np.float64) for key in ("mean", "std"))
        above = float(unlike["above"])
        if not (mean.ndim == 2 and len(mean) and mean.shape[1:] == std.shape == (2 * rows,)):
            raise ValueError(f"the training profile has means of shape {mean.shape} and "
                             f"deviations of shape {std.shape} for {rows} feature rows "
                             f"(expected (classes, {2 * rows}) and ({2 * rows},))")
        if not (np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all()
                and np.isfinite(above)):
            raise ValueError("the training profile holds NaN, infinite or non-positive values")
        return cls(temperature, None if below is None else float(below), mean, std, above)

    def probabilities(self, logits, multilabel: bool) -> np.ndarray:
        """Segment probabilities (:func:`tinymir.train.evaluate.probabilities`) of
        ``logits / T``; with ``T = 1`` the logits go in untouched (the same numbers as before
        calibration existed)."""
        if self.temperature != 1.0:
            logits = logits / self.temperature
        return probabilities(logits, multilabel)

    def distance(self, profile) -> float:
        """``d(q)`` of a file's feature profile ``q`` (:func:`tinymir.train.calibrate.
        track_profile` of its ``(rows, frames)`` features; ``nan`` without a training
        profile)."""
        if self.profile_mean is None:
            return float("nan")
        return float(profile_distance(profile, self.profile_mean, self.profile_std)[0])

    def judge(self, scores, profile) -> dict:
        """The fields a result gets: ``unsure`` (when the model has its limit) and
        ``unlike_training`` (when it has a training profile), for a file's probabilities
        ``scores`` ``(classes,)`` and its feature profile."""
        fields = {}
        if self.unsure_below is not None:
            fields["unsure"] = bool(np.max(scores) < self.unsure_below)
        if self.profile_mean is not None:
            fields["unlike_training"] = bool(self.distance(profile) > self.unlike_above)
        return fields

    def unlike_warning(self, profile) -> str:
        """The warning of a file whose features are unlike the training tracks'."""
        return (f"unlike the training data (feature distance {self.distance(profile):.3g}, "
                f"above the model's limit {self.unlike_above:.3g}): the labels say little")
