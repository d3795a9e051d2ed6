"""Time tinymir's classical baselines against scikit-learn / XGBoost on the GTZAN feature table.

Same run, same folds (5-fold stratified by track, tinymir.data.splits seed 0), same seed-000
hyper-parameters, one thread on both sides (threadpoolctl limits BLAS/OpenMP; scikit-learn
n_jobs=1, XGBoost n_jobs=1 with tree_method="hist"). For each model and fold the tinymir fit +
predict and the reference fit + predict run back to back, so both see the same machine load;
the order alternates between folds, and with ``--repeat R`` each is run R times and the fastest
kept. Prints accuracy, wall and CPU time per side and both ratios tinymir / reference (on a
shared, loaded machine the CPU-time ratio is the steadier one); writes JSON to
bench/results/classic.json.

    python bench/bench_classic.py [--table CSV] [--models LR,SVM] [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from tinymir.classic import SEED_BASELINES, StandardScaler, read_feature_table
from tinymir.data.splits import stratified_kfold

HERE = Path(__file__).resolve().parent
DEFAULT_TABLE = HERE.parent.parent / "shared" / "data" / "gtzan_meta" / "features_30_sec.csv"
TARGET_RATIO = {"LR": 2.0, "RF": 1.0, "XGB": 1.0, "SVM": 2.0, "KNN": 2.0}


def references(name):
    """Reference estimators for one baseline: ``{label: factory}`` (the first is the ratio's)."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC
    from xgboost import XGBClassifier
    return {
        "LR": {"sklearn OvR(LogisticRegression)":
               lambda: OneVsRestClassifier(LogisticRegression())},
        "RF": {"sklearn RandomForest": lambda: RandomForestClassifier(
            500, min_samples_split=5, n_jobs=1, random_state=0)},
        "XGB": {"xgboost hist": lambda: XGBClassifier(
            max_depth=5, learning_rate=0.1, n_estimators=500, subsample=0.8,
            tree_method="hist", n_jobs=1, random_state=0)},
        "SVM": {"sklearn OvR(SVC)": lambda: OneVsRestClassifier(SVC()),
                "sklearn SVC (one-vs-one)": lambda: SVC()},
        "KNN": {"sklearn KNeighbors": lambda: KNeighborsClassifier(n_neighbors=7)},
    }[name]


def fit_predict(make, X, y, train, test, repeat):
    """Fastest of ``repeat`` fit + predict runs (standardising included); returns
    ``(wall seconds, CPU seconds, predictions)``."""
    best_wall, best_cpu, predicted = np.inf, np.inf, None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        scaler = StandardScaler().fit(X[train])
        model = make().fit(scaler.transform(X[train]), y[train])
        predicted = np.asarray(model.predict(scaler.transform(X[test])))
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu, predicted


def run(table_path, names, repeat):
    table = read_feature_table(table_path)
    X, y = table.features, table.label_indices()
    folds = stratified_kfold(table.labels, k=5, seed=0)
    rows = []
    for name in names:
        sides = {"tinymir": lambda: SEED_BASELINES[name](0), **references(name)}
        wall, cpu = dict.fromkeys(sides, 0.0), dict.fromkeys(sides, 0.0)
        correct = dict.fromkeys(sides, 0)
        for number, (train, test) in enumerate(folds):
            # alternate who goes first
            order = list(sides) if number % 2 == 0 else list(sides)[::-1]
            for label in order:
                elapsed, used, predicted = fit_predict(sides[label], X, y, train, test, repeat)
                wall[label] += elapsed
                cpu[label] += used
                correct[label] += int(np.sum(predicted == y[test]))
        reference = next(label for label in sides if label != "tinymir")
        row = {"model": name, "reference": reference,
               "ratio": wall["tinymir"] / wall[reference],
               "cpu_ratio": cpu["tinymir"] / cpu[reference],
               "target_ratio": TARGET_RATIO[name], "wall_seconds": wall, "cpu_seconds": cpu,
               "accuracy": {k: v / len(y) for k, v in correct.items()}}
        rows.append(row)
        print(f"{name:<4} tinymir {wall['tinymir']:6.2f} s (cpu {cpu['tinymir']:6.2f}) "
              f"acc {row['accuracy']['tinymir']:.3f} | {reference} {wall[reference]:6.2f} s "
              f"(cpu {cpu[reference]:6.2f}) acc {row['accuracy'][reference]:.3f} | ratio "
              f"{row['ratio']:.2f}, cpu {row['cpu_ratio']:.2f} (target <= {TARGET_RATIO[name]:g})",
              flush=True)
        for other in list(sides)[2:]:
            print(f"     also {other}: {wall[other]:.2f} s (cpu {cpu[other]:.2f}) acc "
                  f"{row['accuracy'][other]:.3f}, ratio {wall['tinymir'] / wall[other]:.2f}, "
                  f"cpu {cpu['tinymir'] / cpu[other]:.2f}")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default=str(DEFAULT_TABLE))
    parser.add_argument("--models", default=",".join(SEED_BASELINES))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out", default=str(HERE / "results" / "classic.json"))
    args = parser.parse_args()
    names = [name.strip().upper() for name in args.models.split(",")]
    load_before = os.getloadavg()
    with threadpool_limits(1):
        rows = run(args.table, names, args.repeat)
    record = {"benchmark": "classic baselines, fit + predict over 5 folds",
              "table": args.table, "repeat": args.repeat,
              "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                          "load_average_before": load_before,
                          "load_average_after": os.getloadavg()},
              "results": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(record, indent=1))
    print(f"wrote {args.out} (load average before {load_before[0]:.1f}, "
          f"after {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
