"""tinymir.metrics against sklearn.metrics on random inputs, ties included."""
import numpy as np
import pytest

from tinymir import metrics

skm = pytest.importorskip("sklearn.metrics")

N_CLASSES = 5


def _labels_and_scores(rng, n=200, n_classes=N_CLASSES, tied=False):
    y_true = rng.integers(0, n_classes, n)
    y_true[:n_classes] = np.arange(n_classes)           # every class present
    scores = rng.random((n, n_classes))
    if tied:                                             # few distinct values: many ties
        scores = np.round(scores * 4) / 4
    scores /= scores.sum(axis=1, keepdims=True) + 1e-12
    return y_true, scores


def test_accuracy_confusion_and_f1_match_sklearn(rng):
    y_true = rng.integers(0, N_CLASSES, 300)
    y_pred = rng.integers(0, N_CLASSES - 1, 300)        # class 4 never predicted: 0/0 precision
    assert metrics.accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(y_true, y_pred))
    np.testing.assert_array_equal(
        metrics.confusion_matrix(y_true, y_pred, N_CLASSES),
        skm.confusion_matrix(y_true, y_pred, labels=range(N_CLASSES)))
    precision, recall, f1 = metrics.precision_recall_f1(y_true, y_pred, N_CLASSES)
    ref = skm.precision_recall_fscore_support(y_true, y_pred, labels=range(N_CLASSES),
                                              zero_division=0)
    for ours, theirs in zip((precision, recall, f1), ref[:3]):
        np.testing.assert_allclose(ours, theirs)
    assert metrics.macro_f1(y_true, y_pred, N_CLASSES) == pytest.approx(
        skm.f1_score(y_true, y_pred, average="macro", zero_division=0))


def test_macro_f1_leaves_out_classes_absent_from_truth_and_predictions():
    y = np.array([0, 1, 1, 0])                           # class 2 of 3 is not in the data
    assert metrics.macro_f1(y, y, 3) == 1.0
    y_pred = np.array([0, 1, 2, 0])                      # predicted but absent: counted, F1 0
    assert metrics.macro_f1(y, y_pred, 3) == pytest.approx(
        skm.f1_score(y, y_pred, average="macro", zero_division=0))


@pytest.mark.parametrize("tied", [False, True])
def test_multiclass_roc_auc_and_average_precision_match_sklearn(rng, tied):
    y_true, scores = _labels_and_scores(rng, tied=tied)
    assert metrics.roc_auc(y_true, scores) == pytest.approx(
        skm.roc_auc_score(y_true, scores, multi_class="ovr", average="macro"))
    onehot = np.eye(N_CLASSES)[y_true]
    assert metrics.average_precision(y_true, scores) == pytest.approx(
        skm.average_precision_score(onehot, scores, average="macro"))
    np.testing.assert_allclose(metrics.roc_auc(y_true, scores, average=None),
                               skm.roc_auc_score(onehot, scores, average=None))


@pytest.mark.parametrize("tied", [False, True])
def test_multilabel_macro_and_samples_match_sklearn(rng, tied):
    y_true = (rng.random((150, 6)) < 0.3).astype(int)
    y_true[:, 0] = 1 - y_true[:, 1]                     # every sample has a positive...
    y_true[:, 2] = 1 - y_true[:, 0]                     # ...and a negative label
    scores = rng.random((150, 6))
    if tied:
        scores = np.round(scores * 3) / 3
    for average in ("macro", "samples"):
        assert metrics.roc_auc(y_true, scores, average=average) == pytest.approx(
            skm.roc_auc_score(y_true, scores, average=average))
        assert metrics.pr_auc(y_true, scores, average=average) == pytest.approx(
            skm.average_precision_score(y_true, scores, average=average))


def test_single_class_label_is_left_out_of_the_average(rng):
    y_true = (rng.random((80, 3)) < 0.5).astype(int)
    y_true[:, 1] = 0                                     # label 1 never positive
    scores = rng.random((80, 3))
    per_label = metrics.roc_auc(y_true, scores, average=None)
    assert np.isnan(per_label[1])
    expected = np.mean([skm.roc_auc_score(y_true[:, c], scores[:, c]) for c in (0, 2)])
    assert metrics.roc_auc(y_true, scores) == pytest.approx(expected)
    assert np.isnan(metrics.average_precision(np.zeros((4, 1)), rng.random((4, 1))))


def test_bad_inputs_get_clear_errors():
    with pytest.raises(ValueError, match="differ in shape"):
        metrics.accuracy([0, 1], [0])
    with pytest.raises(ValueError, match="outside"):
        metrics.confusion_matrix([0, 3], [0, 1], n_classes=3)
    with pytest.raises(ValueError, match="average"):
        metrics.roc_auc([0, 1], np.eye(2), average="micro")


def test_multilabel_precision_recall_f1_match_sklearn(rng):
    targets = rng.random((120, 6)) < 0.3
    predicted = rng.random((120, 6)) < 0.25
    predicted[:, 5] = False                              # a label never predicted: 0/0
    ours = metrics.multilabel_precision_recall_f1(targets, predicted)
    theirs = skm.precision_recall_fscore_support(targets, predicted, zero_division=0)[:3]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b)


def test_threshold_counts_count_every_distinct_score(rng):
    positive = rng.random(50) < 0.4
    scores = np.round(rng.random(50) * 5) / 5            # ties
    thresholds, true_pos, predicted_pos = metrics.threshold_counts(positive, scores)
    np.testing.assert_array_equal(thresholds, np.unique(scores)[::-1])
    for t, tp, p in zip(thresholds, true_pos, predicted_pos):
        assert tp == np.sum(positive & (scores >= t)) and p == np.sum(scores >= t)
