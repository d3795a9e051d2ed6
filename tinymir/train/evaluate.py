"""From a model's segment scores to the numbers a report shows, per segment and per track.

Probabilities: ``softmax(z)_c = exp(z_c) / sum_k exp(z_k)`` for one label per track,
``sigmoid(z)_c = 1 / (1 + exp(-z_c))`` for tags.

A track's scores aggregate its segments (:func:`tinymir.data.segments.aggregate_by_track`): the
mean of the segment probabilities (default), or the share of its segments that voted for each class
(majority vote).

Tags get a threshold per tag chosen on the validation tracks (the one that maximises that tag's
F1), never a fixed 0.9; the report gives ROC-AUC and PR-AUC (macro over tags and per sample), F1
at those thresholds, and binary accuracy only beside the all-zeros answer's binary accuracy,
which on sparse tags is already high (seed 003's 0.93 was exactly that).
"""
from __future__ import annotations

import numpy as np

from tinymir import backend, metrics
from tinymir.data.segments import aggregate_by_track
from tinymir.special import sigmoid, softmax

from .inputs import segment_batches


def probabilities(logits, multilabel: bool) -> np.ndarray:
    """Softmax (one label) or sigmoid (tags) of ``logits``, as a host float64 array."""
    z = backend.to_host(logits).astype(np.float64)
    return sigmoid(z) if multilabel else softmax(z, axis=1)


def choose_thresholds(targets, probs) -> np.ndarray:
    """Per tag, the threshold among the validation scores that maximises F1 (0.5 when a tag
    has no positive in validation). A score ``>= threshold`` means the tag is predicted."""
    targets = np.asarray(targets) > 0.5
    probs = np.asarray(probs, dtype=np.float64)
    thresholds = np.full(probs.shape[1], 0.5)
    for c in range(probs.shape[1]):
        positive = targets[:, c]
        if not positive.any():
            continue
        scores, tp, predicted = metrics.threshold_counts(positive, probs[:, c])
        thresholds[c] = scores[int(np.argmax(2 * tp / (predicted + positive.sum())))]
    return thresholds


def single_label_report(y_true, probs, classes) -> dict:
    """Accuracy, macro F1 (over the classes in the truth or predicted), per-class
    precision/recall/F1, ROC-AUC (one-vs-rest macro), PR-AUC (macro average precision) and the
    confusion matrix (rows: truth, columns: prediction)."""
    y_true = np.asarray(y_true, dtype=np.int64)
    probs = np.asarray(probs, dtype=np.float64)
    n = len(classes)
    y_pred = probs.argmax(axis=1)
    precision, recall, f1 = metrics.precision_recall_f1(y_true, y_pred, n)
    support = np.bincount(y_true, minlength=n)
    return {
        "n": int(len(y_true)),
        "accuracy": metrics.accuracy(y_true, y_pred),
        "macro_f1": metrics.macro_f1(y_true, y_pred, n),
        "roc_auc": metrics.roc_auc(y_true, probs, average="macro"),
        "pr_auc": metrics.average_precision(y_true, probs, average="macro"),
        "per_class": {name: {"precision": float(precision[c]), "recall": float(recall[c]),
                             "f1": float(f1[c]), "support": int(support[c])}
                      for c, name in enumerate(classes)},
        "confusion": metrics.confusion_matrix(y_true, y_pred, n).tolist(),
    }


def multilabel_report(targets, probs, classes, thresholds) -> dict:
    """ROC-AUC and PR-AUC (macro over tags, and per sample), F1 per tag and macro at the given
    thresholds, and binary accuracy next to the all-zeros answer's binary accuracy. Macro F1
    averages the tags that are in the truth or predicted (as :func:`metrics.macro_f1` does for
    classes): a tag absent from both has no F1.

    Parameters
    ----------
    targets : array_like, shape (N, C)
        Truth, 1 where the tag is on (values > 0.5).
    probs : array_like, shape (N, C)
        Tag probabilities.
    classes : list of str
        Tag names, in column order.
    thresholds : array_like, shape (C,)
        Per tag, the score from which it is predicted (``>=``).
    """
    targets = np.asarray(targets) > 0.5
    probs = np.asarray(probs, dtype=np.float64)
    predicted = probs >= np.asarray(thresholds)[None, :]
    precision, recall, f1 = metrics.multilabel_precision_recall_f1(targets, predicted)
    present = (targets | predicted).any(axis=0)
    return {
        "n": int(len(targets)),
        "roc_auc": metrics.roc_auc(targets, probs, average="macro"),
        "roc_auc_samples": metrics.roc_auc(targets, probs, average="samples"),
        "pr_auc": metrics.average_precision(targets, probs, average="macro"),
        "pr_auc_samples": metrics.average_precision(targets, probs, average="samples"),
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "binary_accuracy": float((predicted == targets).mean()),
        "all_zeros_binary_accuracy": float((~targets).mean()),
        "per_class": {name: {"precision": float(precision[c]), "recall": float(recall[c]),
                             "f1": float(f1[c]), "support": int(targets[:, c].sum()),
                             "threshold": float(thresholds[c])}
                      for c, name in enumerate(classes)},
    }


def segment_logits(model, batches) -> np.ndarray:
    out = []
    for x, _, _ in batches.epoch():
        out.append(backend.to_host(model.forward(x, keep_for_backward=False)))
    return np.concatenate(out)


def scores(model, prepared, part: str, standardize,
           batch_size: int, aggregate: str):
    """Segment probabilities with their tracks, and the track scores of the tracks of ``part``
    that have segments (sorted track indices).

    Parameters
    ----------
    model : nn.Sequential
        The network.
    prepared : Prepared
        The run's data (:func:`tinymir.train.prepare.prepare`).
    part : str
        ``"train"``, ``"val"`` or ``"test"``.
    standardize : Standardizer
        Training-set statistics applied to each segment.
    batch_size : int
        Segments per forward pass.
    aggregate : str
        ``"mean"`` of segment probabilities or majority ``"vote"``.
    """
    s = prepared.segments[part]
    batches = segment_batches(prepared.feats, s, prepared.targets, standardize, batch_size,
                            shuffle=False)
    probs = probabilities(segment_logits(model, batches), prepared.multilabel)
    tracks, track_probs = aggregate_by_track(probs, s.track, aggregate)
    return probs, s.track, track_probs, tracks


def validator(prepared, loss, standardize, batch_size: int,
              aggregate: str):
    """``validate(model)`` for the loop: track accuracy (tags: track ROC-AUC, macro), segment
    accuracy and the mean segment cross-entropy ``val_loss`` (``-log p_y``; for tags the binary
    cross-entropy averaged over tags), without class weights.

    Parameters
    ----------
    prepared : Prepared
        The run's data (:func:`tinymir.train.prepare.prepare`).
    loss : Loss
        The training loss (unused: validation loss has no class weights).
    standardize : Standardizer
        Training-set statistics applied to each segment.
    batch_size : int
        Segments per forward pass.
    aggregate : str
        ``"mean"`` of segment probabilities or majority ``"vote"``.
    """
    def validate(model):
        probs, segment_track, track_probs, tracks = scores(model, prepared, "val", standardize,
                                                         batch_size, aggregate)
        y_segments = prepared.targets[segment_track]
        p = np.clip(probs, 1e-7, 1 - 1e-7)
        if prepared.multilabel:
            return {"val_auc": metrics.roc_auc(prepared.targets[tracks], track_probs),
                    "val_loss": float(-(y_segments * np.log(p) + (1 - y_segments)
                                        * np.log(1 - p)).mean())}
        return {"val_acc": metrics.accuracy(prepared.targets[tracks], track_probs.argmax(axis=1)),
                "val_segment_acc": metrics.accuracy(y_segments, probs.argmax(axis=1)),
                "val_loss": float(-np.log(p[np.arange(len(p)), y_segments]).mean())}

    return validate


def evaluate_parts(model, prepared, standardize, batch_size, aggregate,
                   thresholds=None, parts=("val", "test")) -> dict:
    """Segment-level and track-level reports of each part; tags use ``thresholds`` (chosen on
    validation when not given).

    Parameters
    ----------
    model : nn.Sequential
        The network (the best epoch's).
    prepared : Prepared
        The run's data (:func:`tinymir.train.prepare.prepare`).
    standardize : Standardizer
        Training-set statistics applied to each segment.
    batch_size : int
        Segments per forward pass.
    aggregate : str
        ``"mean"`` of segment probabilities or majority ``"vote"``.
    thresholds : array_like of float, optional
        Tags: per tag, the score from which it is predicted; default: chosen on the first
        part's tracks (validation).
    parts : tuple of str, default ("val", "test")
        The parts to report.

    Returns ``(reports, thresholds)``.
    """
    out = {}
    classes = prepared.classes
    for part in parts:
        probs, segment_track, track_probs, tracks = scores(model, prepared, part, standardize,
                                                         batch_size, aggregate)
        if prepared.multilabel:
            if thresholds is None:
                thresholds = choose_thresholds(prepared.targets[tracks], track_probs)
            out[part] = {
                "segments": multilabel_report(prepared.targets[segment_track], probs, classes,
                                            thresholds),
                "tracks": multilabel_report(prepared.targets[tracks], track_probs, classes,
                                            thresholds)}
        else:
            out[part] = {
                "segments": single_label_report(prepared.targets[segment_track], probs, classes),
                "tracks": single_label_report(prepared.targets[tracks], track_probs, classes)}
    return out, thresholds
