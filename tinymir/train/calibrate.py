"""After training: probabilities that mean what they say, when to answer "unsure", and how far
an input may be from the training data before the model's answer is flagged.

Temperature (Guo et al. 2017, "On calibration of modern neural networks"): one ``T > 0`` for
every class, ``p = softmax(z / T)``, chosen on the validation SEGMENTS' logits ``z_i`` (truth
``y_i``, n segments, C classes) to minimise the cross-entropy

    L(T) = (1/n) sum_i [ log sum_c exp(z_ic / T) - sum_c q_ic z_ic / T ]

over ``log T`` in ``[log 0.05, log 20]`` (a 1-D bounded search), with Platt's (1999) targets
instead of 0/1: ``q_iy = (n + 1) / (n + 2)`` for the true class and ``1 / ((n + 2)(C - 1))``
for each other one (Laplace's rule of succession for "the top class is right" after n
segments). On a validation part the model gets all right, the 0/1 likelihood keeps growing as
``T -> 0`` and would claim a certainty that n segments cannot show; with many segments the
targets are 0/1 again. Segments, not tracks: the temperature acts on segment logits (a track's
scores are the mean of its segments' probabilities), and a validation part holds many times
more segments than tracks. ``T`` changes no segment's arg-max (a track's mean of segment
probabilities may, rarely, change its top class); the report's accuracies stay those of the
plain softmax. Tags keep ``T = 1``: each tag is answered against its own threshold chosen on
validation, which already says where its scores become a "yes".

Unsure: a single-label answer whose calibrated top probability (of the track, as ``predict``
gives it) is below ``unsure_below``. It is the larger of (a) the lowest top probability from
which the validation tracks answered are right at least ``UNSURE_PRECISION`` of the time and
(b) the midpoint between chance and certainty, ``(1 + 1/C) / 2``: an answer closer to a guess
among C classes than to certainty is never given as sure, even by a model that made no mistake
on its validation tracks.

Unlike the training data: a track's feature profile ``q`` (per feature row, the mean and the
standard deviation over its frames) against the training tracks' profiles, class by class: per
class k the mean profile ``m_kj``, and one deviation per entry ``s_j`` of the profiles around
their class's mean (pooled over the classes, floored at a tenth of its median so that an entry
constant in training does not blow up; tags: one group of all training tracks). The distance is
the mean squared z-score to the nearest class,

    d(q) = min_k (1/J) sum_j ((q_j - m_kj) / s_j)^2

(a class-conditional Mahalanobis distance with a shared diagonal covariance, as Lee et al. 2018
use on activations). Class by class because the classes differ: around one mean of all of them,
broadband noise lies within the spread of the music, while it is far from each class. It reads
the input, not the network: a network maps noise onto a known class with confidence, which is
the very failure to catch. Flagged above ``unlike_above = UNLIKE_MARGIN * (99th percentile of
the training and validation tracks' distances)``, a training track's distance taken with its
class's mean left without it (leave-one-out), since a track counted in the mean is nearer to it
than any new one.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp

from tinymir import metrics
from tinymir.data.segments import aggregate_by_track
from tinymir.special import softmax

from .evaluate import segment_logits
from .inputs import frame_view, segment_batches

TEMPERATURE_BOUNDS = (0.05, 20.0)
ECE_BINS = 15
UNSURE_PRECISION = 0.9
UNLIKE_PERCENTILE = 99.0
UNLIKE_MARGIN = 1.5


def cross_entropy(logits, y, temperature: float) -> float:
    """``L(T)`` of the module docstring: the mean cross-entropy of ``softmax(z / T)`` against
    Platt's targets, for ``logits`` ``(n, C)`` with truth ``y`` ``(n,)``."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    n, c = z.shape
    right, other = (n + 1) / (n + 2), 1 / ((n + 2) * (c - 1))
    target = (right - other) * z[np.arange(n), np.asarray(y)] + other * z.sum(axis=1)
    return float((logsumexp(z, axis=1) - target).mean())


def fit_temperature(logits, y, bounds=TEMPERATURE_BOUNDS) -> float:
    """The ``T`` in ``bounds`` minimising :func:`cross_entropy` (module docstring), searched on
    ``log T``.

    >>> z = np.array([[4.0, 0.0], [0.0, 4.0], [4.0, 0.0]]); fit_temperature(z, [0, 1, 1]) > 1
    True
    """
    found = minimize_scalar(lambda log_t: cross_entropy(logits, y, np.exp(log_t)), method="bounded",
                            bounds=tuple(np.log(bounds)), options={"xatol": 1e-5})
    return float(np.exp(found.x))


def calibrated(logits, temperature: float = 1.0) -> np.ndarray:
    """``softmax(z / T)`` of segment logits, host float64 (``T = 1``: the plain softmax)."""
    z = np.asarray(logits, dtype=np.float64)
    return softmax(z if temperature == 1.0 else z / temperature, axis=1)


def unsure_threshold(y_true, probs, precision: float = UNSURE_PRECISION) -> float:
    """The top probability below which an answer is "unsure" (module docstring): the lowest
    threshold ``t`` among the validation tracks' top probabilities at which the tracks with
    ``top >= t`` are right at least ``precision`` of the time, never below ``(1 + 1/C) / 2``."""
    probs = np.asarray(probs, dtype=np.float64)
    top, right = probs.max(axis=1), probs.argmax(axis=1) == np.asarray(y_true)
    order = np.argsort(-top, kind="stable")
    share_right = np.cumsum(right[order]) / np.arange(1, len(order) + 1)
    good = np.flatnonzero(share_right >= precision)
    if not len(good):                       # even the surest validation track is wrong
        lowest = 1.0
    elif good[-1] == len(order) - 1:        # every track answered meets the precision
        lowest = 0.0
    else:                                   # the largest answered set that meets it
        lowest = float(top[order][good[-1]])
    return max(lowest, (1.0 + 1.0 / probs.shape[1]) / 2)


def track_profile(feats) -> np.ndarray:
    """A track's ``(rows, frames)`` features as one vector: per row the mean over its frames,
    then per row their standard deviation (host float64)."""
    feats = np.asarray(feats, dtype=np.float64)
    return np.concatenate([feats.mean(axis=1), feats.std(axis=1)])


def fit_profiles(profiles, labels=None) -> tuple[np.ndarray, np.ndarray]:
    """``(m, s)``: ``m`` ``(K, J)`` the mean profile of each of the K classes in ``labels``
    (one group when None), ``s`` ``(J,)`` the deviation of the profiles around their class's
    mean, floored at a tenth of its median (of each half: means, deviations)."""
    profiles = np.asarray(profiles, dtype=np.float64)
    labels = np.zeros(len(profiles), np.int64) if labels is None else np.asarray(labels)
    classes, which = np.unique(labels, return_inverse=True)
    mean = np.stack([profiles[which == k].mean(axis=0) for k in range(len(classes))])
    std = (profiles - mean[which]).std(axis=0)
    floors = [np.full(h.size, max(0.1 * float(np.median(h)), 1e-6)) for h in np.split(std, 2)]
    return mean, np.maximum(std, np.concatenate(floors))


def profile_distance(profiles, mean, std) -> np.ndarray:
    """``d(q) = min_k (1/J) sum_j ((q_j - m_kj) / s_j)^2`` of each row of ``profiles``."""
    q = np.atleast_2d(np.asarray(profiles, dtype=np.float64))
    z = (q[:, None, :] - np.atleast_2d(mean)[None]) / std
    return (z * z).mean(axis=2).min(axis=1)


def left_out_distances(profiles, labels, mean, std) -> np.ndarray:
    """:func:`profile_distance` of each training profile with its own class's mean computed
    without it, ``(n_k m_k - q_i) / (n_k - 1)`` (kept as it is for a class of one track).

    Parameters
    ----------
    profiles : array_like, shape (n, J)
        The training tracks' profiles (:func:`track_profile`).
    labels : array_like of int, shape (n,), or None
        Their classes (None: one group, as for tags).
    mean : array_like, shape (K, J)
        The class means of :func:`fit_profiles` on these profiles and labels.
    std : array_like, shape (J,)
        The pooled deviation of :func:`fit_profiles`.
    """
    profiles = np.asarray(profiles, dtype=np.float64)
    labels = np.zeros(len(profiles), np.int64) if labels is None else np.asarray(labels)
    _, which, counts = np.unique(labels, return_inverse=True, return_counts=True)
    out = np.empty(len(profiles))
    for i, q in enumerate(profiles):
        means = np.array(mean, dtype=np.float64)
        n = counts[which[i]]
        if n > 1:
            means[which[i]] = (n * means[which[i]] - q) / (n - 1)
        out[i] = profile_distance(q, means, std)[0]
    return out


def _part_logits(model, prepared, part, standardize, batch_size):
    s = prepared.segments[part]
    batches = segment_batches(prepared.feats, s, prepared.targets, standardize, batch_size,
                              shuffle=False)
    return segment_logits(model, batches), np.asarray(s.track)


def _profiles(prepared, tracks) -> np.ndarray:
    return np.stack([track_profile(frame_view(prepared.feats[t], prepared.front))
                     for t in tracks])


def calibrate(model, prepared, standardize, batch_size: int, aggregate: str):
    """Fit what the module docstring describes; ``(metadata, report)``: the values the model
    file keeps (``temperature``, ``unsure_below``, ``unlike``) and the report's
    ``calibration`` part (ECE before and after on validation and test, shares unsure and
    unlike).

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
        ``"mean"`` of segment probabilities or majority ``"vote"`` (track scores).
    """
    parts = {part: [t for t in np.unique(prepared.segments[part].track)
                    if prepared.feats[t] is not None] for part in ("train", "val", "test")}
    labels = None if prepared.multilabel else prepared.targets[parts["train"]]
    train = _profiles(prepared, parts["train"])
    mean, std = fit_profiles(train, labels)
    distances = {"train": left_out_distances(train, labels, mean, std),
                 **{part: profile_distance(_profiles(prepared, parts[part]), mean, std)
                    for part in ("val", "test")}}
    limit = UNLIKE_MARGIN * float(np.percentile(np.concatenate([distances["train"],
                                                                distances["val"]]),
                                                UNLIKE_PERCENTILE))
    metadata = {"unlike": {"mean": mean.tolist(), "std": std.tolist(), "above": limit}}
    report = {"unlike_above": limit,
              "unlike_share": {p: float((distances[p] > limit).mean()) for p in ("val", "test")}}
    if prepared.multilabel:
        report["temperature"] = None
        report["note"] = "tags keep T = 1 and their thresholds chosen on validation"
        return metadata, report
    logits = {p: _part_logits(model, prepared, p, standardize, batch_size)
              for p in ("val", "test")}
    z, track = logits["val"]
    temperature = fit_temperature(z, prepared.targets[track])
    tracks = {}
    for part, (z, track) in logits.items():
        for name, t in (("before", 1.0), ("after", temperature)):
            ids, probs = aggregate_by_track(calibrated(z, t), track, aggregate)
            tracks[part, name] = prepared.targets[ids], np.asarray(probs)
    below = unsure_threshold(*tracks["val", "after"])
    ece = {part: {level: {name: metrics.expected_calibration_error(
                              *((prepared.targets[track], calibrated(z, t)) if level == "segments"
                                else tracks[part, name]), bins=ECE_BINS)
                          for name, t in (("before", 1.0), ("after", temperature))}
                  for level in ("tracks", "segments")}
           for part, (z, track) in logits.items()}
    metadata.update(temperature=temperature, unsure_below=below)
    report.update(temperature=temperature, fitted_on="validation segments", ece_bins=ECE_BINS,
                  ece=ece, unsure_below=below,
                  unsure_share={p: float((tracks[p, "after"][1].max(axis=1) < below).mean())
                                for p in ("val", "test")})
    return metadata, report
