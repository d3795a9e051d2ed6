"""Train and score the five seed-000 baselines over folds: accuracy, macro F1, ROC-AUC, times.

The seed's hyper-parameters: logistic regression one-vs-rest (C = 1), random forest with 500
trees and ``min_samples_split=5``, gradient boosting with ``max_depth=5``,
``learning_rate=0.1``, 500 rounds, ``subsample=0.8``, RBF SVM one-vs-rest (C = 1,
``gamma='scale'``), k-NN with k = 7. Features are standardised with statistics of each
fold's training rows only.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from tinymir import backend, metrics

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
        return {"model": self.name, "accuracy": float(np.mean(self.accuracy)),
                "macro_f1": float(np.mean(self.macro_f1)), "roc_auc": float(np.mean(self.roc_auc)),
                "fit_s": self.fit_seconds, "predict_s": self.predict_seconds,
                "folds": len(self.accuracy)}


def evaluate_baselines(features, labels, folds, names=tuple(SEED_BASELINES), seed: int = 0,
                       progress=None) -> list[BaselineResult]:
    """Fit each named baseline on every ``(train_idx, test_idx)`` fold and score it.

    ``labels`` are class indices ``0..C-1``; ``progress`` (optional) gets ``advance()`` after
    each model-fold. Fit time includes standardising; predict time is ``predict_with_proba``
    (class and probabilities from one pass).
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
    """A plain-text table: one row per model, means over folds, times summed over folds."""
    lines = [f"{'model':<6} {'accuracy':>8} {'macro F1':>8} {'ROC-AUC':>8} {'fit s':>8} "
             f"{'predict s':>9}"]
    for result in results:
        row = result.row()
        lines.append(f"{row['model']:<6} {row['accuracy']:>8.3f} {row['macro_f1']:>8.3f} "
                     f"{row['roc_auc']:>8.3f} {row['fit_s']:>8.2f} {row['predict_s']:>9.3f}")
    return "\n".join(lines)
