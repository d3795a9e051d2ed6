"""Issue 6 parity on the real GTZAN feature table (../shared/data; skips without it).

5-fold stratified CV by track (tinymir.data.splits, seed 0) with the seed-000 hyper-parameters;
tinymir's mean accuracy must be within 2 points of scikit-learn / XGBoost run on the same
folds in the same test, and no more than 2 points below the figures quoted in the issue
(LR 0.708, RF 0.702, XGB 0.744, SVM 0.739, KNN 0.662; on this machine's scikit-learn 1.9.1
and XGBoost 3.2.0 the same folds give RF 0.792 and XGB 0.796, above the quotes).
"""
import numpy as np
import pytest

from tinymir.classic import evaluate_baselines, read_feature_table
from tinymir.data.splits import stratified_kfold

ISSUE_ACCURACY = {"LR": 0.708, "RF": 0.702, "XGB": 0.744, "SVM": 0.739, "KNN": 0.662}
MARGIN = 0.02


def _reference(name):
    """The reference estimator for each baseline, one thread."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC
    if name == "XGB":
        xgboost = pytest.importorskip("xgboost")
        return xgboost.XGBClassifier(max_depth=5, learning_rate=0.1, n_estimators=500,
                                     subsample=0.8, tree_method="hist", n_jobs=1, random_state=0)
    return {"LR": lambda: OneVsRestClassifier(LogisticRegression()),
            "RF": lambda: RandomForestClassifier(500, min_samples_split=5, n_jobs=1,
                                                 random_state=0),
            "SVM": lambda: SVC(),
            "KNN": lambda: KNeighborsClassifier(n_neighbors=7)}[name]()


def _reference_accuracy(name, X, y, folds):
    from sklearn.preprocessing import StandardScaler
    accuracies = []
    for train, test in folds:
        scaler = StandardScaler().fit(X[train])
        model = _reference(name).fit(scaler.transform(X[train]), y[train])
        accuracies.append(np.mean(model.predict(scaler.transform(X[test])) == y[test]))
    return float(np.mean(accuracies))


def _check(shared_data, names):
    pytest.importorskip("sklearn")
    threadpool_limits = pytest.importorskip("threadpoolctl").threadpool_limits
    table = read_feature_table(shared_data / "gtzan_meta" / "features_30_sec.csv")
    X, y = table.features, table.label_indices()
    folds = stratified_kfold(table.labels, k=5, seed=0)
    with threadpool_limits(1):                      # BLAS threads crawl on a busy machine
        _compare(X, y, folds, names)


def _compare(X, y, folds, names):
    for result in evaluate_baselines(X, y, folds, names):
        ours = result.row()["accuracy"]
        reference = _reference_accuracy(result.name, X, y, folds)
        print(f"{result.name}: tinymir {ours:.3f}, reference {reference:.3f}, "
              f"issue {ISSUE_ACCURACY[result.name]:.3f}")
        assert abs(ours - reference) <= MARGIN, (result.name, ours, reference)
        assert ours >= ISSUE_ACCURACY[result.name] - MARGIN, (result.name, ours)


@pytest.mark.shared_data
def test_linear_svm_knn_match_references_on_gtzan_table(shared_data):
    _check(shared_data, ("LR", "SVM", "KNN"))


@pytest.mark.shared_data
@pytest.mark.slow
def test_forest_and_boosting_match_references_on_gtzan_table(shared_data):
    _check(shared_data, ("RF", "XGB"))
