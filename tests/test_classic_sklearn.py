"""scikit-learn users' habits: get_params / set_params, clone, Pipeline, GridSearchCV,
random_state (seed its alias) and parameter checks in fit."""
import numpy as np
import pytest

from tinymir import backend
from tinymir.classic import (
    SVC,
    GradientBoostingClassifier,
    KNeighborsClassifier,
    LogisticRegression,
    RandomForestClassifier,
    StandardScaler,
)

sklearn = pytest.importorskip("sklearn")
from sklearn import base, datasets, model_selection, pipeline  # noqa: E402

ESTIMATORS = [
    lambda: LogisticRegression(C=0.5, max_iter=300),
    lambda: KNeighborsClassifier(n_neighbors=5),
    lambda: SVC(C=2.0, gamma=0.1),
    lambda: RandomForestClassifier(n_estimators=15, max_depth=4, random_state=3),
    lambda: GradientBoostingClassifier(n_estimators=10, max_depth=3, random_state=3),
    lambda: StandardScaler(),
]


@pytest.fixture(scope="module")
def problem():
    X, y = datasets.make_classification(n_samples=240, n_features=6, n_informative=4,
                                        n_redundant=0, n_classes=3, class_sep=2.0,
                                        random_state=1)
    return X[:180], y[:180], X[180:], y[180:]


@pytest.mark.parametrize("make", ESTIMATORS, ids=lambda make: type(make()).__name__)
def test_clone_copies_the_parameters_and_not_the_fit(make, problem):
    X, y, _, _ = problem
    with backend.default_dtype(np.float64):
        fitted = make().fit(X, y)
    copy = base.clone(fitted)
    assert type(copy) is type(fitted) and copy.get_params() == fitted.get_params()
    assert getattr(copy, "classes_", None) is None and getattr(copy, "mean_", None) is None
    assert all(not name.endswith("_") for name in copy.get_params())
    assert repr(copy).startswith(type(copy).__name__ + "(")


def test_set_params_and_unknown_names():
    model = SVC()
    assert model.set_params(C=3.0, gamma=0.5) is model and model.get_params()["C"] == 3.0
    with pytest.raises(ValueError, match="invalid parameter 'colour' for SVC"):
        model.set_params(colour="red")


def test_classifiers_are_classifiers_to_sklearn():
    assert all(base.is_classifier(make()) for make in ESTIMATORS[:-1])
    assert not base.is_classifier(StandardScaler())


def test_pipeline_and_grid_search_accept_them(problem):
    X, y, X_test, y_test = problem
    with backend.default_dtype(np.float64):
        pipe = pipeline.Pipeline([("scale", StandardScaler()), ("svc", SVC())])
        grid = model_selection.GridSearchCV(pipe, {"svc__C": [0.01, 10.0]}, cv=3).fit(X, y)
        accuracy = grid.score(X_test, y_test)
        # the grid's own cross-validation, recomputed by hand for the chosen C
        folds = model_selection.StratifiedKFold(3).split(X, y)
        by_hand = np.mean([base.clone(pipe).set_params(svc__C=grid.best_params_["svc__C"])
                           .fit(X[train], y[train]).score(X[test], y[test])
                           for train, test in folds])
    assert grid.best_params_ == {"svc__C": 10.0}          # C = 0.01 underfits this problem
    assert grid.best_score_ == pytest.approx(by_hand)
    assert accuracy > 0.8
    assert set(grid.cv_results_["param_svc__C"]) == {0.01, 10.0}


def test_random_state_and_its_alias_seed(problem):
    X, y, X_test, _ = problem
    by_name = RandomForestClassifier(n_estimators=10, random_state=7).fit(X, y)
    by_alias = RandomForestClassifier(n_estimators=10, seed=7).fit(X, y)
    other = RandomForestClassifier(n_estimators=10, random_state=8).fit(X, y)
    np.testing.assert_array_equal(by_name.predict_proba(X_test), by_alias.predict_proba(X_test))
    assert not np.array_equal(by_name.predict_proba(X_test), other.predict_proba(X_test))
    generator = GradientBoostingClassifier(n_estimators=3, random_state=np.random.default_rng(2))
    assert generator.fit(X, y).score(X, y) > 0.5
    with pytest.raises(ValueError, match="random_state or its alias seed, not both"):
        RandomForestClassifier(random_state=1, seed=2).fit(X, y)
    with pytest.raises(ValueError, match="random_state must be"):
        GradientBoostingClassifier(random_state="seven").fit(X, y)


@pytest.mark.parametrize("model, message", [
    (SVC(C=-1.0), "C must be positive"),
    (SVC(gamma="auto"), "gamma must be 'scale'"),
    (LogisticRegression(multi_class="crammer"), "multi_class must be one of"),
    (LogisticRegression(C=0), "C must be positive"),
    (KNeighborsClassifier(n_neighbors=0), "n_neighbors must be positive"),
    (RandomForestClassifier(n_estimators=0), "n_estimators must be at least 1"),
    (GradientBoostingClassifier(subsample=1.5), r"subsample must be in \(0, 1\]"),
])
def test_parameters_are_checked_in_fit_not_in_the_constructor(model, message, problem):
    X, y, _, _ = problem
    with pytest.raises(ValueError, match=message):
        model.fit(X, y)


@pytest.mark.parametrize("with_mean, with_std", [(True, True), (False, True), (True, False)])
def test_scaler_options_match_sklearn(with_mean, with_std, problem):
    from sklearn import preprocessing
    X, _, X_test, _ = problem
    with backend.default_dtype(np.float64):
        ours = StandardScaler(with_mean=with_mean, with_std=with_std).fit(X).transform(X_test)
    ref = preprocessing.StandardScaler(with_mean=with_mean, with_std=with_std).fit(X)
    np.testing.assert_allclose(backend.to_host(ours), ref.transform(X_test), rtol=1e-12)
