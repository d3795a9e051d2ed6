"""Second-order gradient boosting of histogram trees with a softmax link (XGBoost's scheme)."""
from __future__ import annotations

import numpy as np
import scipy.sparse

from tinymir.special import softmax

from .base import Classifier, check_features, check_random_state
from .binning import fit_binned
from .trees import NodeTable, cumulative_sum_over_bins


class GradientBoostingClassifier(Classifier):
    """Additive softmax model ``F_k(x) = sum_rounds eta * tree_{r,k}(x)``, ``P = softmax(F)``.

    Objective at round r (Chen & Guestrin 2016): the cross-entropy ``l(y, F)`` expanded to
    second order around the current margins, plus an L2 penalty on leaf weights::

        sum_i [g_ik f(x_i) + 1/2 h_ik f(x_i)^2] + lambda/2 sum_leaves w^2,
        g_ik = p_ik - [y_i = k],   h_ik = max(2 p_ik (1 - p_ik), 1e-16)   (XGBoost's hessian)

    so a leaf holding gradient sum G and hessian sum H gets ``w = -eta G / (H + lambda)`` and a
    split is worth ``1/2 [G_L^2/(H_L+lambda) + G_R^2/(H_R+lambda) - G^2/(H+lambda)] - gamma``.
    One tree per class per round, grown level by level to ``max_depth``; a node splits on the
    best (feature, bin edge) if that gain is positive and both children keep hessian sum
    ``>= min_child_weight``. Each round draws a ``subsample`` fraction of the rows (shared by
    the classes' trees); the other rows are still routed to update their margins.

    Speed: features are binned once (``max_bins`` quantile bins); the K trees of a round grow
    together; at each level the gradient/hessian histograms of the smaller child of every
    split come from one sparse (bin indicator) times dense (gradients per node) product, and
    the larger child's are the parent's minus the smaller's. Runs on the CPU. ``random_state``
    seeds the row subsamples (``seed`` is its older name).
    """

    def __init__(self, n_estimators: int = 500, learning_rate: float = 0.1, max_depth: int = 5,
                 subsample: float = 0.8, reg_lambda: float = 1.0, gamma: float = 0.0,
                 min_child_weight: float = 1.0, max_bins: int = 64, random_state=0,
                 seed: int | None = None):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.subsample = subsample
        self.reg_lambda = reg_lambda
        self.gamma = gamma
        self.min_child_weight = min_child_weight
        self.max_bins = max_bins
        self.random_state = random_state
        self.seed = seed

    def fit(self, X, y):
        if self.n_estimators < 1:
            raise ValueError(f"n_estimators must be at least 1, got {self.n_estimators}")
        if not 0 < self.subsample <= 1:
            raise ValueError(f"subsample must be in (0, 1], got {self.subsample}")
        if self.max_depth < 1:
            raise ValueError(f"max_depth must be at least 1, got {self.max_depth}")
        rng = check_random_state(self.random_state, self.seed)
        codes, labels = fit_binned(self, X, y, self.max_bins)
        bin_indicator = _bin_indicator(codes, self.binner_.n_bins_)
        n, n_classes = codes.shape[0], self.classes_.size
        onehot = np.eye(n_classes)[labels]
        margin = np.zeros((n, n_classes))
        self.nodes_ = NodeTable()
        roots = []
        for _ in range(self.n_estimators):
            proba = softmax(margin, axis=1)
            grad = proba - onehot
            hess = np.maximum(2 * proba * (1 - proba), 1e-16)
            in_bag = rng.random(n) < self.subsample
            round_roots, leaf_values = self._grow_round(codes, bin_indicator, grad, hess, in_bag)
            roots.append(round_roots)
            margin += leaf_values
        self.roots_ = np.concatenate(roots)
        self.nodes_.freeze()
        return self

    def _grow_round(self, codes, bin_indicator, grad, hess, in_bag):
        """Grow one tree per class; returns their root ids and each row's leaf value (n, K)."""
        n = codes.shape[0]
        n_classes = grad.shape[1]
        # one entry per (class, row): the class's tree routes every row
        sample = np.tile(np.arange(n), n_classes)
        node = np.repeat(np.arange(n_classes), n)
        g, h = grad.T.ravel(), hess.T.ravel()
        bag = np.tile(in_bag, n_classes)
        g_bag, h_bag = np.where(bag, g, 0), np.where(bag, h, 0)
        hist_g, hist_h = _histograms(bin_indicator, codes.shape[1], sample[bag], node[bag],
                                     g[bag], h[bag], n_classes)
        leaf_value = np.zeros(n_classes * n)
        entry = np.arange(n_classes * n)           # which (class, row) each entry is
        roots = None
        n_nodes = n_classes
        # nodes of a level are numbered in histogram order; position[k] is node k's offset
        # within the level in the NodeTable (children of split r at 2r and 2r + 1)
        position = np.arange(n_nodes)
        for depth in range(self.max_depth + 1):
            g_sum = np.bincount(node, weights=g_bag[entry], minlength=n_nodes)
            h_sum = np.bincount(node, weights=h_bag[entry], minlength=n_nodes)
            values = -self.learning_rate * g_sum / (h_sum + self.reg_lambda)
            in_table_order = np.empty_like(values)
            in_table_order[position] = values
            ids = self.nodes_.add_level(in_table_order)
            roots = ids if roots is None else roots
            if depth == self.max_depth:
                leaf_value[entry] = values[node]
                break
            feature, threshold = self._best_splits(hist_g, hist_h, g_sum, h_sum)
            splits = np.flatnonzero(feature >= 0)
            self.nodes_.set_splits(position[splits], feature[splits], threshold[splits],
                                   self.nodes_.size + 2 * np.arange(splits.size))
            rank = np.full(n_nodes, -1)
            rank[splits] = np.arange(splits.size)
            stays = rank[node] < 0
            leaf_value[entry[stays]] = values[node[stays]]
            entry, node, sample = entry[~stays], node[~stays], sample[~stays]
            if not splits.size:
                break
            goes_right = codes[sample, feature[node]] > threshold[node]
            if depth + 1 == self.max_depth:         # the last level's children are leaves
                node, n_nodes = 2 * rank[node] + goes_right, 2 * splits.size
                position = np.arange(n_nodes)
                continue
            node, position, hist_g, hist_h = _children(
                bin_indicator, sample, rank[node], goes_right, bag[entry], g[entry], h[entry],
                hist_g[:, :, splits], hist_h[:, :, splits])
            n_nodes = 2 * splits.size
        return roots, leaf_value.reshape(n_classes, n).T

    def _best_splits(self, hist_g, hist_h, g_sum, h_sum):
        """Best (feature, bin) per node, feature -1 where no split has positive gain.

        The scan over all candidates runs in float32, in place; the chosen split's gain is
        then recomputed in float64 for the ``gain > 0`` decision.
        """
        lam, min_weight = np.float32(self.reg_lambda), self.min_child_weight
        left_g = cumulative_sum_over_bins(hist_g.astype(np.float32))     # (bins, F, nodes)
        left_h = cumulative_sum_over_bins(hist_h.astype(np.float32))
        right_g = g_sum.astype(np.float32) - left_g
        right_h = h_sum.astype(np.float32) - left_h
        invalid = (left_h < min_weight) | (right_h < min_weight)
        left_h += lam
        right_h += lam
        gain = np.square(left_g, out=left_g)
        gain /= left_h
        gain += np.square(right_g, out=right_g) / right_h
        gain[invalid] = -np.inf
        best_bin = gain.argmax(axis=0)                                   # (F, nodes)
        best_of_feature = np.take_along_axis(gain, best_bin[None], axis=0)[0]
        feature = best_of_feature.argmax(axis=0)
        nodes = np.arange(feature.size)
        threshold = best_bin[feature, nodes]
        left_g = np.cumsum(hist_g[:, feature, nodes], axis=0)[threshold, nodes]
        left_h = np.cumsum(hist_h[:, feature, nodes], axis=0)[threshold, nodes]
        right_g, right_h = g_sum - left_g, h_sum - left_h
        gain_best = 0.5 * (left_g ** 2 / (left_h + self.reg_lambda)
                           + right_g ** 2 / (right_h + self.reg_lambda)
                           - g_sum ** 2 / (h_sum + self.reg_lambda)) - self.gamma
        found = np.isfinite(best_of_feature[feature, nodes]) & (gain_best > 1e-6)
        return np.where(found, feature, -1), threshold

    def decision_function(self, X):
        """Margins ``F(x)`` ``(N, n_classes)``: sums of the class trees' leaf weights; for two
        classes ``F_1 - F_0`` ``(N,)`` (scikit-learn's binary shape; ``P_1 = sigmoid`` of it)."""
        margins = self._margins(X)
        return margins[:, 1] - margins[:, 0] if margins.shape[1] == 2 else margins

    def _margins(self, X):
        self._check_fitted()
        X = check_features(X, n_features=self.n_features_in_, device=False,
                           estimator=self)
        leaves = self.nodes_.apply(self.binner_.transform(X), self.roots_)
        per_tree = self.nodes_.value[leaves]                  # (rounds * K, N)
        n_classes = self.classes_.size
        return per_tree.reshape(-1, n_classes, per_tree.shape[1]).sum(axis=0).T

    def predict_proba(self, X):
        return softmax(self._margins(X), axis=1)


def _bin_indicator(codes, n_bins):
    """Sparse ``(bins * features, rows)`` matrix with a 1 at ``(code[s, f] * F + f, s)``."""
    n, n_features = codes.shape
    rows = (codes.astype(np.int64) * n_features + np.arange(n_features)).ravel()
    columns = np.repeat(np.arange(n), n_features)
    return scipy.sparse.csr_matrix((np.ones(rows.size), (rows, columns)),
                                   shape=(n_bins * n_features, n))


def _histograms(bin_indicator, n_features, sample, node, g, h, n_nodes):
    """Gradient and hessian sums per (bin, feature, node) as one sparse-dense product
    ``bin_indicator @ W`` with ``W[s, node] = g_s`` and ``W[s, n_nodes + node] = h_s`` (a row
    sits in one node of each class's tree, so no two entries share a cell of ``W``)."""
    n_rows = bin_indicator.shape[1]
    weights = np.zeros((n_rows, 2 * n_nodes))
    weights[sample, node] = g
    weights[sample, n_nodes + node] = h
    sums = (bin_indicator @ weights).reshape(-1, n_features, 2 * n_nodes)
    return sums[:, :, :n_nodes], sums[:, :, n_nodes:]


def _children(bin_indicator, sample, parent, goes_right, bag, g, h, parent_g, parent_h):
    """Children of every split in histogram order: the smaller child (fewer in-bag rows) of
    split r is node r, the larger node n_splits + r. Returns each entry's child, the
    children's NodeTable positions (2r + side) and their histograms: the smaller's summed,
    the larger's as parent minus smaller."""
    n_splits = parent_g.shape[2]
    count = np.bincount(2 * parent[bag] + goes_right[bag], minlength=2 * n_splits)
    small_is_right = count[1::2] < count[0::2]
    is_large = goes_right != small_is_right[parent]
    child = parent + n_splits * is_large
    small = ~is_large & bag
    small_g, small_h = _histograms(bin_indicator, parent_g.shape[1], sample[small],
                                   parent[small], g[small], h[small], n_splits)
    split = 2 * np.arange(n_splits)
    position = np.concatenate([split + small_is_right, split + ~small_is_right])
    hist_g = np.concatenate([small_g, parent_g - small_g], axis=2)
    hist_h = np.concatenate([small_h, parent_h - small_h], axis=2)
    return child, position, hist_g, hist_h
