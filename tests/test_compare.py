"""Corrected resampled t intervals (tinymir.compare) against a hand-worked example."""
import numpy as np
import pytest

from tinymir import compare

T_4_975 = 2.7764451052       # Student's t, 4 degrees of freedom, 97.5 % quantile (tables)


def test_a_hand_worked_paired_difference_over_five_folds():
    """Five folds, d = a - b = (0.1, 0.2, 0.1, 0.3, 0.1): mean 0.16, s^2 = 0.032 / 4 = 0.008.
    Plain t: se = sqrt(0.008 / 5) = 0.04, half-width 2.776 * 0.04 = 0.111: [0.049, 0.271],
    which excludes zero. Corrected (n_test / n_train = 1/4): se = sqrt((1/5 + 1/4) 0.008) =
    0.06, half-width 0.167: [-0.007, 0.327], which does not."""
    b = np.array([0.5, 0.4, 0.6, 0.3, 0.5])
    a = b + [0.1, 0.2, 0.1, 0.3, 0.1]
    plain = compare.paired_difference(a, b, test_fraction=0.0)
    assert plain.mean == pytest.approx(0.16) and plain.std == pytest.approx(np.sqrt(0.008))
    assert (plain.low, plain.high) == pytest.approx((0.16 - T_4_975 * 0.04,
                                                    0.16 + T_4_975 * 0.04))
    assert plain.excludes_zero
    corrected = compare.paired_difference(a, b, compare.kfold_test_fraction(5))
    assert (corrected.low, corrected.high) == pytest.approx((0.16 - T_4_975 * 0.06,
                                                            0.16 + T_4_975 * 0.06))
    assert not corrected.excludes_zero
    assert str(plain).endswith("*") and not str(corrected).endswith("*")


def test_a_difference_that_holds_on_every_fold_excludes_zero():
    a = np.linspace(0.8, 0.9, 15)
    b = a - 0.1 + np.random.default_rng(0).normal(0, 0.005, 15)
    assert compare.paired_difference(a, b, compare.kfold_test_fraction(5)).excludes_zero


@pytest.mark.parametrize("scores, fraction, message", [
    ([0.5], 0.25, "at least 2 scores"), ([0.5, np.nan], 0.25, "finite"),
    ([0.5, 0.6], -1, "test_fraction must be 0 or more")])
def test_bad_scores_are_refused(scores, fraction, message):
    with pytest.raises(ValueError, match=message):
        compare.corrected_interval(scores, fraction)


def test_unpaired_scores_are_refused():
    with pytest.raises(ValueError, match="the same folds"):
        compare.paired_difference([0.1, 0.2, 0.3], [0.1, 0.2], 0.25)
    with pytest.raises(ValueError, match="at least 2 folds"):
        compare.kfold_test_fraction(1)


def test_repeated_folds_are_the_same_for_every_recipe_and_keep_groups_apart():
    from tinymir.data.splits import SplitError, repeated_kfold
    labels = [i % 3 for i in range(30)]
    groups = [f"artist{i // 2}" for i in range(30)]
    folds = repeated_kfold(labels, k=5, repeats=3, groups=groups, seed=4)
    again = repeated_kfold(labels, k=5, repeats=3, groups=groups, seed=4)
    assert len(folds) == 15 and "5-fold x 3 repeats" in folds.name
    for (train, test), (train2, test2) in zip(folds, again):
        assert np.array_equal(train, train2) and np.array_equal(test, test2)
        assert not {groups[i] for i in train} & {groups[i] for i in test}
    for r in range(3):                             # each round tests every track once
        tested = np.concatenate([test for _, test in folds[5 * r:5 * r + 5]])
        assert sorted(tested) == list(range(30))
    assert not np.array_equal(folds[0][1], folds[5][1])          # rounds differ
    with pytest.raises(SplitError, match="repeats must be"):
        repeated_kfold(labels, repeats=0)
