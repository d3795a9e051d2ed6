"""Is one recipe better than another? Intervals from repeated cross-validation.

With ``r`` repeats of ``k``-fold cross-validation every recipe (a grid cell, a baseline) gets
``J = r k`` scores, one per fold, and two recipes run on the same folds are *paired*: fold j's
difference ``d_j = a_j - b_j`` removes what the fold itself does to both. The folds share most
of their training tracks, so the scores are correlated and the plain variance ``s^2 / J``
understates how much the mean would move on new data. Nadeau & Bengio's corrected resampled t-test
(Machine Learning 52, 2003; Bouckaert & Frank's form for repeated k-fold, PAKDD 2004) inflates it
by the test/train size ratio::

    mean = (1/J) sum_j d_j          s^2 = (1/(J-1)) sum_j (d_j - mean)^2
    se   = sqrt((1/J + n_test/n_train) s^2)
    interval = mean -+ t_{J-1, 1-alpha/2} se

(``n_test / n_train = 1 / (k - 1)`` for k folds). The same correction gives each recipe's own
interval from its scores. A difference *holds* when its interval excludes zero.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Interval:
    """A mean with its corrected ``confidence`` interval over ``n`` fold scores."""
    mean: float
    std: float
    low: float
    high: float
    n: int
    confidence: float

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    def __str__(self) -> str:
        return (f"{self.mean:.3f} [{self.low:.3f}, {self.high:.3f}]"
                + (" *" if self.excludes_zero else ""))


def corrected_interval(scores, test_fraction: float, confidence: float = 0.95) -> Interval:
    """The corrected resampled t interval of the mean of ``scores`` (one per fold; for a paired
    comparison, the per-fold differences). ``test_fraction = n_test / n_train`` of one fold
    (``1 / (k - 1)`` for k folds; 0 gives the plain t interval of independent scores)."""
    from scipy.stats import t as student_t

    scores = np.asarray(scores, dtype=np.float64).ravel()
    if scores.size < 2:
        raise ValueError(f"an interval needs at least 2 scores, got {scores.size}")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if test_fraction < 0:
        raise ValueError(f"test_fraction must be 0 or more, got {test_fraction}")
    n = scores.size
    mean = float(scores.mean())
    std = float(scores.std(ddof=1))
    se = math.sqrt((1.0 / n + test_fraction) * std ** 2)
    half = float(student_t.ppf(0.5 + confidence / 2, n - 1)) * se
    return Interval(mean, std, mean - half, mean + half, n, confidence)


def paired_difference(a, b, test_fraction: float, confidence: float = 0.95) -> Interval:
    """The corrected interval of ``mean(a - b)`` for scores of two recipes on the same folds
    (``a[j]`` and ``b[j]`` from fold j).

    Parameters
    ----------
    a, b : array_like of float
        One score a fold for each recipe, fold ``j`` at index ``j`` in both.
    test_fraction : float
        ``n_test / n_train`` of one fold (``1 / (k - 1)`` for k folds), see
        :func:`corrected_interval`.
    confidence : float, default 0.95
        Coverage of the interval, between 0 and 1.
    """
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"paired scores need the same folds: {a.size} against {b.size}")
    return corrected_interval(a - b, test_fraction, confidence)


def kfold_test_fraction(folds: int) -> float:
    """``n_test / n_train`` of one of ``folds`` equal folds: ``1 / (folds - 1)``."""
    if folds < 2:
        raise ValueError(f"k-fold needs at least 2 folds, got {folds}")
    return 1.0 / (folds - 1)
