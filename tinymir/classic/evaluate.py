"""Train and score the five seed-000 baselines over folds: accuracy, macro F1, ROC-AUC, times.

The seed's hyper-parameters: logistic regression one-vs-rest (C = 1), random forest with 500
trees and ``min_samples_split=5``, gradient boosting with ``max_depth=5``,
``learning_rate=0.1``, 500 rounds, ``subsample=0.8``, RBF SVM one-vs-rest (C = 1,
``gamma='scale'``), k-NN with k = 7. Features are standardised with statistics of each
fold's training rows only.

With (repeated) k-fold every model is scored on the same folds, so two models are compared fold
by fold: :func:`compare_models` gives each pair's mean difference with its corrected resampled t
interval (:mod:`tinymir.compare`), and a difference *holds* when the interval excludes zero.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from tinymir import backend, metrics
from tinymir.compare import corrected_interval, paired_difference
from tinymir.data import splits

from .boosting import GradientBoostingClassifier
from .forest import RandomForestClassifier
from .logistic import LogisticRegression
from .neighbors import KNeighborsClassifier
from .scaler import StandardScaler
from .svm import SVC

SEED_BASELINES = {
    "LR": lambda seed: LogisticRegression(C=1.0, multi_class="ovr"),
    "RF": lambda seed: RandomForestClassifier(n_estimators=500, min_samples_split=5,
                                              random_state=seed),
    "XGB": lambda seed: GradientBoostingClassifier(n_estimators=500, max_depth=5,
                                                   learning_rate=0.1, subsample=0.8,
                                                   random_state=seed),
    "SVM": lambda seed: SVC(C=1.0, gamma="scale"),
    "KNN": lambda seed: KNeighborsClassifier(n_neighbors=7),
}


@dataclass
class BaselineResult:
    """Scores of one model: one value per fold for each metric, times summed over folds."""
    name: str
    accuracy: list = field(default_factory=list)     # one value per fold
    macro_f1: list = field(default_factory=list)
    roc_auc: list = field(default_factory=list)
    fit_seconds: float = 0.0                          # summed over folds
    predict_seconds: float = 0.0

    def row(self) -> dict:
        """Means over folds (and sample standard deviations, ``*_std``, with two folds or
        more); times summed over folds."""
        row = {"model": self.name}
        for metric in METRICS:
            values = getattr(self, metric)
            row[metric] = float(np.mean(values))
            row[f"{metric}_std"] = float(np.std(values, ddof=1)) if len(values) > 1 else None
        return {**row, "fit_s": self.fit_seconds, "predict_s": self.predict_seconds,
                "folds": len(self.accuracy)}


METRICS = ("accuracy", "macro_f1", "roc_auc")


def baseline_folds(labels, groups=None, kfold: int | None = None, repeats: int = 1,
                   seed: int = 0):
    """The folds every baseline is scored on: one 80/20 split (stratified, or by group with
    ``groups``) without ``kfold``; ``kfold`` folds, ``repeats`` rounds of them, with it.
    Returns ``(folds, name, test_fraction)``, ``test_fraction = n_test / n_train``.

    Parameters
    ----------
    labels : array_like (n_tracks,)
        One class label per track (the stratification).
    groups : array_like (n_tracks,), optional
        One group (artist, album) per track, ``None`` for a track on its own: no group is on
        both sides of a fold. Default None: folds by track, stratified.
    kfold : int, optional
        Number of folds (2 or more). Default None: one 80/20 train/test split.
    repeats : int
        Rounds of ``kfold`` folds, each with the next seed (default 1); more than 1 needs
        ``kfold``.
    seed : int
        Seed of the shuffling (default 0); round r of the repeats uses ``seed + r``.
    """
    if kfold is None:
        if repeats != 1:
            raise ValueError("repeats need k folds: give kfold as well")
        split = (splits.group_split(labels, groups, (0.8, 0.2), seed) if groups is not None
                 else splits.stratified_split(labels, (0.8, 0.2), seed))
        return [(split["train"], split["test"])], split.name, 0.25
    folds = splits.repeated_kfold(labels, kfold, repeats, groups, seed)
    return list(folds), folds.name, 1.0 / (kfold - 1)


def evaluate_baselines(features, labels, folds, names=tuple(SEED_BASELINES), seed: int = 0,
                       progress=None) -> list[BaselineResult]:
    """Fit each named baseline on every ``(train_idx, test_idx)`` fold and score it.

    ``labels`` are class indices ``0..C-1``; ``progress`` (optional) gets ``advance()`` after
    each model-fold. Fit time includes standardising; predict time is ``predict_with_proba``
    (class and probabilities from one pass).

    Parameters
    ----------
    features : array (n_tracks, n_features)
        One feature row per track; each fold standardised with its training rows' statistics.
    labels : array (n_tracks,) of int
        Class indices ``0..C-1``.
    folds : iterable of (array, array)
        ``(train_idx, test_idx)`` pairs of row indices, e.g. from :func:`baseline_folds`.
    names : sequence of str
        Baselines to score, keys of ``SEED_BASELINES`` (default all five: LR, RF, XGB, SVM,
        KNN); an unknown name raises ``ValueError``.
    seed : int
        Random state of the random forest and of gradient boosting (default 0).
    progress : object with ``advance(note=...)``, optional
        Advanced once after each model-fold, with the model's name as note (default None).
    """
    unknown = [name for name in names if name not in SEED_BASELINES]
    if unknown:
        raise ValueError(f"unknown baseline(s) {', '.join(unknown)}: choose from "
                         f"{', '.join(SEED_BASELINES)}")
    features = np.asarray(features)
    labels = np.asarray(labels)
    n_classes = int(labels.max()) + 1
    results = []
    for name in names:
        result = BaselineResult(name)
        for train, test in folds:
            start = time.perf_counter()
            scaler = StandardScaler().fit(features[train])
            model = SEED_BASELINES[name](seed).fit(scaler.transform(features[train]), labels[train])
            backend.synchronize()
            result.fit_seconds += time.perf_counter() - start
            start = time.perf_counter()
            test_features = scaler.transform(features[test])
            predicted, proba = model.predict_with_proba(test_features)
            proba = backend.to_host(proba)
            result.predict_seconds += time.perf_counter() - start
            scores = np.zeros((len(test), n_classes))
            scores[:, model.classes_] = proba          # a class absent from a training fold
            result.accuracy.append(metrics.accuracy(labels[test], predicted))
            result.macro_f1.append(metrics.macro_f1(labels[test], predicted, n_classes))
            result.roc_auc.append(metrics.roc_auc(labels[test], scores))
            if progress is not None:
                progress.advance(note=name)
        results.append(result)
    return results


def format_table(results: list[BaselineResult]) -> str:
    """A plain-text table: one row per model, mean ± std over folds, times summed over
    folds."""
    def cell(row, metric):
        std = row[f"{metric}_std"]
        return f"{row[metric]:.3f}" + (f" ± {std:.3f}" if std is not None else "")

    rows = [result.row() for result in results]
    width = max(len(cell(row, metric)) for row in rows for metric in METRICS)
    lines = [f"{'model':<6} " + " ".join(f"{title:>{width}}" for title in
                                         ("accuracy", "macro F1", "ROC-AUC"))
             + f" {'fit s':>8} {'predict s':>9}"]
    for row in rows:
        lines.append(f"{row['model']:<6} "
                     + " ".join(f"{cell(row, metric):>{width}}" for metric in METRICS)
                     + f" {row['fit_s']:>8.2f} {row['predict_s']:>9.3f}")
    return "\n".join(lines)


def compare_models(results: list[BaselineResult], test_fraction: float,
                   metric: str = "accuracy", confidence: float = 0.95) -> list:
    """Every pair of models scored on the same folds: ``[(a, b, Interval of a - b), ...]``
    (corrected resampled t interval; needs two folds or more).

    Parameters
    ----------
    results : list of BaselineResult
        The models' scores, all on the same folds (:func:`evaluate_baselines`).
    test_fraction : float
        ``n_test / n_train`` of one fold (``1 / (k - 1)`` for k folds), as returned by
        :func:`baseline_folds`.
    metric : {"accuracy", "macro_f1", "roc_auc"}
        The per-fold score compared (default "accuracy").
    confidence : float
        Coverage of each interval, between 0 and 1 (default 0.95).
    """
    pairs = []
    for i, a in enumerate(results):
        for b in results[i + 1:]:
            pairs.append((a.name, b.name, paired_difference(getattr(a, metric),
                                                            getattr(b, metric), test_fraction,
                                                            confidence)))
    return pairs


def model_intervals(results: list[BaselineResult], test_fraction: float,
                    metric: str = "accuracy", confidence: float = 0.95) -> dict:
    """Each model's mean ``metric`` with its corrected interval: ``{name: Interval}``.

    Parameters
    ----------
    results : list of BaselineResult
        The models' scores, one value per fold (two folds or more).
    test_fraction : float
        ``n_test / n_train`` of one fold (``1 / (k - 1)`` for k folds), as returned by
        :func:`baseline_folds`; 0 gives the plain t interval.
    metric : {"accuracy", "macro_f1", "roc_auc"}
        The per-fold score (default "accuracy").
    confidence : float
        Coverage of each interval, between 0 and 1 (default 0.95).
    """
    return {result.name: corrected_interval(getattr(result, metric), test_fraction, confidence)
            for result in results}


def format_comparison(pairs: list, metric: str = "accuracy") -> str:
    """The paired differences as text; ``*`` marks an interval that excludes zero."""
    if not pairs:
        return ""
    confidence = pairs[0][2].confidence
    lines = [f"paired differences in {metric} over {pairs[0][2].n} folds (mean "
             f"[{confidence:.0%} corrected resampled t interval]; * excludes zero):"]
    lines += [f"  {a:>4} - {b:<4} {interval}" for a, b, interval in pairs]
    return "\n".join(lines)

