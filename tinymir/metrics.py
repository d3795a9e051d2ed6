"""Classification metrics on host NumPy arrays, defined as scikit-learn defines them.

Labels are integer class indices ``0 .. n_classes-1`` (single-label) or a ``{0, 1}`` matrix
``(N, L)`` (multi-label); scores are ``(N, C)`` probabilities or any monotone scores. Inputs may
live on the GPU: every function first brings them to the host with :func:`backend.to_host`.

Ties in scores are handled like scikit-learn: tied scores form one threshold, so ROC-AUC counts
a tied positive/negative pair as one half, and average precision takes one step per distinct
score.

Rule for a label (or a sample, for ``average="samples"``) whose ground truth holds a single class
(all positive or all negative): ROC-AUC and average precision are not defined for it, so it is
left out of the average, and the average of nothing is ``nan``. (scikit-learn raises an error for
ROC-AUC there and returns 0 for average precision with no positives; leaving the label out keeps
one missing mood tag in a fold from failing or dragging down a whole evaluation.)
"""
from __future__ import annotations

import numpy as np

from tinymir import backend

AVERAGES = ("macro", "samples", None)


def _labels(y) -> np.ndarray:
    y = backend.to_host(y)
    if y.ndim != 1:
        raise ValueError(f"labels must be a 1-D array of class indices, got shape {y.shape}")
    return y.astype(np.int64, copy=False)


def accuracy(y_true, y_pred) -> float:
    """Fraction of exact matches: ``mean(y_true == y_pred)``."""
    y_true, y_pred = backend.to_host(y_true), backend.to_host(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} differ in shape")
    if y_true.size == 0:
        raise ValueError("accuracy of an empty set is not defined")
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """``M[i, j]`` = number of samples of true class ``i`` predicted as class ``j``."""
    y_true, y_pred = _labels(y_true), _labels(y_pred)
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise ValueError(f"{name} holds labels outside 0..{n_classes - 1}")
    flat = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return flat.reshape(n_classes, n_classes)


def precision_recall_f1(y_true, y_pred, n_classes: int):
    """Per-class precision, recall and F1 (arrays of length ``n_classes``).

    precision_c = TP_c / (TP_c + FP_c),  recall_c = TP_c / (TP_c + FN_c),
    F1_c = 2 TP_c / (2 TP_c + FP_c + FN_c); a 0/0 ratio is 0 (scikit-learn's
    ``zero_division`` default).
    """
    matrix = confusion_matrix(y_true, y_pred, n_classes).astype(np.float64)
    tp = np.diag(matrix)
    return scores_from_counts(tp, matrix.sum(axis=0) - tp, matrix.sum(axis=1) - tp)


def multilabel_precision_recall_f1(targets, predicted):
    """Per-label precision, recall and F1 of ``{0,1}`` matrices ``(N, L)`` (same rules as
    :func:`precision_recall_f1`)."""
    targets, predicted = np.asarray(targets, dtype=bool), np.asarray(predicted, dtype=bool)
    tp = (predicted & targets).sum(axis=0)
    return scores_from_counts(tp, (predicted & ~targets).sum(axis=0),
                              (~predicted & targets).sum(axis=0))


def scores_from_counts(tp, fp, fn):
    """``(precision, recall, F1)`` from true-positive, false-positive and false-negative
    counts per class, a 0/0 ratio being 0."""
    tp, fp, fn = (np.asarray(count, dtype=np.float64) for count in (tp, fp, fn))
    return _ratio(tp, tp + fp), _ratio(tp, tp + fn), _ratio(2 * tp, 2 * tp + fp + fn)


def _ratio(numerator, denominator):
    return np.divide(numerator, denominator, out=np.zeros_like(numerator),
                     where=denominator > 0)


def macro_f1(y_true, y_pred, n_classes: int) -> float:
    """Unweighted mean of the per-class F1 over the classes that occur in ``y_true`` or
    ``y_pred`` (scikit-learn's ``f1_score(average="macro")`` without ``labels``): a class absent
    from the data and never predicted has no F1 and is left out, so a perfect answer on a test
    set holding 2 of 3 classes scores 1, not 0.667."""
    present = np.union1d(_labels(y_true), _labels(y_pred))
    return float(np.mean(precision_recall_f1(y_true, y_pred, n_classes)[2][present]))


def binary_roc_auc(positive, scores) -> float:
    """Area under the ROC curve of one binary problem, ``nan`` if one class is missing.

    AUC = P(score of a random positive > score of a random negative) + 0.5 P(tie), computed
    from mid-ranks (Mann-Whitney U): ``(sum of positive ranks - P(P+1)/2) / (P N)``.
    """
    positive = np.asarray(positive, dtype=bool)
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = _midranks(np.asarray(scores, dtype=np.float64))
    u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def _midranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n, tied values sharing the mean of their ranks."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    new_group = np.r_[True, sorted_values[1:] != sorted_values[:-1]]
    group = np.cumsum(new_group) - 1
    starts = np.flatnonzero(new_group)
    ends = np.r_[starts[1:], values.size]            # exclusive
    mean_rank = (starts + ends + 1) / 2.0             # mean of ranks start+1 .. end
    ranks = np.empty(values.size)
    ranks[order] = mean_rank[group]
    return ranks


def binary_average_precision(positive, scores) -> float:
    """Average precision of one binary problem, ``nan`` if it has no positive or no negative.

    AP = sum_n (R_n - R_{n-1}) P_n over the distinct score thresholds in decreasing order,
    with P_n, R_n the precision and recall of predicting positive for ``score >= t_n``
    (scikit-learn's step-wise area, no interpolation).
    """
    positive = np.asarray(positive, dtype=bool)
    n_pos = int(positive.sum())
    if n_pos == 0 or n_pos == positive.size:
        return float("nan")
    _, true_pos, predicted_pos = threshold_counts(positive, scores)
    precision = true_pos / predicted_pos
    recall = true_pos / n_pos
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))


def threshold_counts(positive, scores):
    """``(t, TP, P)`` for each distinct score ``t`` in decreasing order: the true positives and
    the predicted positives when ``score >= t`` means positive (tied scores are one threshold)."""
    positive = np.asarray(positive, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    last_of_threshold = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]
    true_pos = np.cumsum(positive[order])[last_of_threshold]
    return sorted_scores[last_of_threshold], true_pos, np.flatnonzero(last_of_threshold) + 1


def _target_matrix(y_true, scores) -> np.ndarray:
    """``{0,1}`` matrix (N, C) from int labels (one-vs-rest) or from a multi-label matrix."""
    y_true, scores = backend.to_host(y_true), backend.to_host(scores)
    if scores.ndim != 2:
        raise ValueError(f"scores must be (N, C), got shape {scores.shape}")
    if y_true.ndim == 1:
        labels = y_true.astype(np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= scores.shape[1]):
            raise ValueError(f"labels outside 0..{scores.shape[1] - 1} for {scores.shape[1]} "
                             "score columns")
        return labels[:, None] == np.arange(scores.shape[1])[None, :]
    if y_true.shape != scores.shape:
        raise ValueError(f"multi-label y_true {y_true.shape} and scores {scores.shape} differ")
    return y_true.astype(bool)


def _averaged(binary_metric, y_true, scores, average):
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}, got {average!r}")
    targets = _target_matrix(y_true, scores)
    scores = backend.to_host(scores)
    if average == "samples":
        per_item = np.array([binary_metric(t, s) for t, s in zip(targets, scores)])
    else:
        per_item = np.array([binary_metric(targets[:, c], scores[:, c])
                             for c in range(scores.shape[1])])
    if average is None:
        return per_item
    defined = per_item[~np.isnan(per_item)]
    return float(defined.mean()) if defined.size else float("nan")


def roc_auc(y_true, scores, average: str | None = "macro"):
    """One-vs-rest ROC-AUC.

    ``y_true`` int labels (N,) with ``scores`` (N, C): class c's AUC treats class c as positive
    and all others as negative (scikit-learn ``multi_class="ovr"``). ``y_true`` a {0,1} matrix
    (N, L): label-wise AUC. ``average="macro"`` is the unweighted mean over classes/labels,
    ``"samples"`` (multi-label) the mean over samples of the AUC ranking that sample's labels,
    ``None`` returns the per-class array. Undefined items are left out (module docstring).
    """
    return _averaged(binary_roc_auc, y_true, scores, average)


def average_precision(y_true, scores, average: str | None = "macro"):
    """Average precision (area under the precision-recall curve), one-vs-rest.

    Same inputs, averaging and undefined-item rule as :func:`roc_auc`.
    """
    return _averaged(binary_average_precision, y_true, scores, average)


pr_auc = average_precision


def expected_calibration_error(y_true, probs, bins: int = 15) -> float:
    """How far the top probability is from the accuracy, over ``bins`` equal-width bins of it.

    ``ECE = sum_b |B_b| / n * |acc(B_b) - conf(B_b)|`` where ``B_b`` holds the samples whose
    confidence ``max_c p_c`` lies in ``((b - 1) / bins, b / bins]`` (0 joins the first bin),
    ``acc(B_b)`` is the share of them whose arg-max is the truth and ``conf(B_b)`` their mean
    confidence (Guo et al. 2017, "On calibration of modern neural networks"; 15 bins there).
    0 means calibrated; empty bins count nothing.
    """
    y_true, probs = _labels(y_true), backend.to_host(probs).astype(np.float64)
    if probs.ndim != 2 or probs.shape[0] != y_true.shape[0]:
        raise ValueError(f"probs must be (n, classes) for {y_true.shape[0]} labels, got shape "
                         f"{probs.shape}")
    if y_true.size == 0:
        raise ValueError("the calibration error of an empty set is not defined")
    confidence = probs.max(axis=1)
    right = (probs.argmax(axis=1) == y_true).astype(np.float64)
    which = np.clip(np.ceil(confidence * bins).astype(np.int64) - 1, 0, bins - 1)
    gap = np.bincount(which, right, minlength=bins) - np.bincount(which, confidence,
                                                                  minlength=bins)
    return float(np.abs(gap).sum() / y_true.size)
