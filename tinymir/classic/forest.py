"""Random forest of Gini trees on binned features, all trees grown together level by level."""
from __future__ import annotations

import numpy as np

from .base import Classifier, check_features, check_random_state
from .binning import fit_binned
from .trees import NodeTable, cumulative_sum_over_bins

HISTOGRAM_CELLS = 1 << 22      # cells per split-search chunk: bounds memory at any tree width


def resolve_max_features(max_features, n_features: int) -> int:
    """``'sqrt'`` -> ``max(1, int(sqrt(F)))``, ``'log2'``, an int, a fraction, or None (= F)."""
    if max_features is None:
        return n_features
    if max_features == "sqrt":
        return max(1, int(np.sqrt(n_features)))
    if max_features == "log2":
        return max(1, int(np.log2(n_features)))
    if isinstance(max_features, float) and 0 < max_features <= 1:
        return max(1, int(max_features * n_features))
    if isinstance(max_features, int) and 1 <= max_features <= n_features:
        return max_features
    raise ValueError(f"max_features must be 'sqrt', 'log2', None, a fraction in (0, 1] or an "
                     f"int in 1..{n_features}, got {max_features!r}")


class RandomForestClassifier(Classifier):
    """Bagged classification trees with random feature subsets (Breiman 2001).

    Each tree sees a bootstrap sample (n draws with replacement, kept as integer weights) and
    is grown until its nodes are pure or hold fewer than ``min_samples_split`` distinct
    samples (or reach ``max_depth``). At every node ``max_features`` features are drawn anew
    and the split ``x_f <= edge`` minimising the weighted Gini impurity of the children,
    ``n_L G(L) + n_R G(R)`` with ``G = 1 - sum_c p_c^2``, i.e. maximising
    ``sum_c L_c^2 / n_L + sum_c R_c^2 / n_R``, is chosen among the bin edges of those features
    (``max_bins`` quantile bins). ``predict_proba`` averages the trees' leaf class frequencies.

    Speed: all trees grow at once, one level per step; the class histograms of every node of
    a level come from one ``np.bincount`` over combined (node, feature, bin, class) indices.
    Difference from scikit-learn: when none of a node's drawn features can split it, the node
    becomes a leaf (scikit-learn draws further features), and thresholds are bin edges rather
    than midpoints between sample values. Runs on the CPU. ``random_state`` seeds the
    bootstrap and the feature draws (``seed`` is its older name).
    """

    def __init__(self, n_estimators: int = 500, min_samples_split: int = 5,
                 max_features="sqrt", max_depth: int | None = None, max_bins: int = 64,
                 bootstrap: bool = True, random_state=0, seed: int | None = None):
        self.n_estimators = n_estimators
        self.min_samples_split = min_samples_split
        self.max_features = max_features
        self.max_depth = max_depth
        self.max_bins = max_bins
        self.bootstrap = bootstrap
        self.random_state = random_state
        self.seed = seed

    def fit(self, X, y):
        if self.n_estimators < 1:
            raise ValueError(f"n_estimators must be at least 1, got {self.n_estimators}")
        if self.min_samples_split < 2:
            raise ValueError(f"min_samples_split must be at least 2, got {self.min_samples_split}")
        rng = check_random_state(self.random_state, self.seed)
        codes, labels = fit_binned(self, X, y, self.max_bins)
        n, n_trees = codes.shape[0], self.n_estimators
        if self.bootstrap:
            draws = rng.integers(0, n, (n_trees, n)) + (np.arange(n_trees) * n)[:, None]
            counts = np.bincount(draws.ravel(), minlength=n_trees * n)
        else:
            counts = np.ones(n_trees * n, dtype=np.int64)
        pairs = np.flatnonzero(counts)                    # (tree, sample) pairs in bag
        entries = {"sample": (pairs % n).astype(np.int64), "node": pairs // n,
                   "weight": counts[pairs].astype(np.float64)}
        self.nodes_ = NodeTable(value_shape=(self.classes_.size,))
        self.roots_ = self._grow(codes, labels, entries, n_trees, rng)
        self.nodes_.freeze()
        return self

    def _grow(self, codes, labels, entries, n_nodes, rng):
        n_classes = self.classes_.size
        n_features = codes.shape[1]
        n_drawn = resolve_max_features(self.max_features, n_features)
        roots = None
        depth = 0
        while n_nodes:
            node = entries["node"]
            class_counts = np.bincount(node * n_classes + labels[entries["sample"]],
                                       weights=entries["weight"],
                                       minlength=n_nodes * n_classes).reshape(n_nodes, n_classes)
            distinct = np.bincount(node, minlength=n_nodes)
            totals = class_counts.sum(axis=1)
            ids = self.nodes_.add_level(class_counts / totals[:, None])
            roots = ids if roots is None else roots
            may_split = (distinct >= self.min_samples_split) & (class_counts.max(axis=1) < totals)
            if self.max_depth is not None and depth >= self.max_depth:
                may_split[:] = False
            candidates = np.flatnonzero(may_split)
            drawn = np.argpartition(rng.random((candidates.size, n_features)), n_drawn - 1,
                                    axis=1)[:, :n_drawn]
            feature = np.full(n_nodes, -1)
            threshold = np.zeros(n_nodes, np.int64)
            feature[candidates], threshold[candidates] = self._best_splits(
                codes, labels, entries, candidates, drawn, n_nodes)
            splits = np.flatnonzero(feature >= 0)
            child_base = self.nodes_.size
            self.nodes_.set_splits(splits, feature[splits], threshold[splits],
                                   child_base + 2 * np.arange(splits.size))
            entries, n_nodes = self._route(codes, entries, feature, threshold, splits)
            depth += 1
        return roots

    def _best_splits(self, codes, labels, entries, candidates, drawn, n_nodes):
        """Best (feature, bin) of each candidate node among its drawn features; feature -1
        where no drawn feature separates the node's samples."""
        n_classes, n_bins = self.classes_.size, self.binner_.n_bins_
        n_drawn = drawn.shape[1]
        rank = np.full(n_nodes, -1)
        rank[candidates] = np.arange(candidates.size)
        keep = rank[entries["node"]] >= 0
        local = rank[entries["node"][keep]]              # sorted: entries are grouped by node
        sample, weight = entries["sample"][keep], entries["weight"][keep]
        best_feature = np.full(candidates.size, -1)
        best_bin = np.zeros(candidates.size, np.int64)
        per_node = n_drawn * n_bins * n_classes
        chunk = max(1, HISTOGRAM_CELLS // per_node)
        slots = np.arange(n_drawn)
        for first in range(0, candidates.size, chunk):
            last = min(first + chunk, candidates.size)
            lo, hi = np.searchsorted(local, [first, last])
            node = local[lo:hi] - first
            features = drawn[first:last][node]                          # (E, n_drawn)
            bins = codes[sample[lo:hi, None], features].astype(np.int64)
            n_chunk = last - first
            # layout (bin, class, node, slot): bins outermost for the running sum over bins,
            # classes next so that sums over classes add whole contiguous blocks
            row = (labels[sample[lo:hi]] * n_chunk + node) * n_drawn        # per entry
            key = bins * (n_classes * n_chunk * n_drawn) + row[:, None] + slots
            hist = np.bincount(key.ravel(), weights=np.repeat(weight[lo:hi], n_drawn),
                               minlength=n_chunk * per_node)
            left = cumulative_sum_over_bins(
                hist.astype(np.float32).reshape(n_bins, n_classes, n_chunk * n_drawn))
            score = _gini_split_scores(left).reshape(n_bins, n_chunk, n_drawn)
            flat = score.transpose(1, 0, 2).reshape(n_chunk, -1)
            best = flat.argmax(axis=1)
            found = np.isfinite(flat[np.arange(n_chunk), best])
            bin_, slot = np.divmod(best, n_drawn)
            chosen = drawn[first:last][np.arange(n_chunk), slot]
            best_feature[first:last] = np.where(found, chosen, -1)
            best_bin[first:last] = bin_
        return best_feature, best_bin

    @staticmethod
    def _route(codes, entries, feature, threshold, splits):
        """Entries of split nodes, moved to their children (numbered 2 * rank + side)."""
        rank = np.full(feature.size, -1)
        rank[splits] = np.arange(splits.size)
        node_rank = rank[entries["node"]]
        keep = node_rank >= 0
        sample = entries["sample"][keep]
        parent = entries["node"][keep]
        goes_right = codes[sample, feature[parent]] > threshold[parent]
        child = 2 * node_rank[keep] + goes_right
        order = np.argsort(child, kind="stable")
        moved = {"sample": sample[order], "node": child[order],
                 "weight": entries["weight"][keep][order]}
        return moved, 2 * splits.size

    def predict_proba(self, X):
        self._check_fitted()
        X = check_features(X, n_features=self.n_features_in_, device=False,
                           estimator=self)
        leaves = self.nodes_.apply(self.binner_.transform(X), self.roots_)
        return self.nodes_.value[leaves].mean(axis=0)


def _gini_split_scores(left):
    """``sum_c L_c^2 / n_L + sum_c R_c^2 / n_R`` for every candidate split (higher is better;
    ``-inf`` where a side is empty), from cumulative class counts ``left`` (bins, classes, m).

    ``R = T - L`` with ``T = left[-1]`` the node totals, and
    ``sum_c R_c^2 = sum_c T_c^2 - 2 sum_c T_c L_c + sum_c L_c^2``, so no right-side array of
    the full size is ever formed.
    """
    total = left[-1]
    n_left = left.sum(axis=1)
    n_right = total.sum(axis=0) - n_left
    square_left = np.einsum("bcm,bcm->bm", left, left)
    square_right = (total * total).sum(axis=0) - 2 * np.einsum("bcm,cm->bm", left, total) \
        + square_left
    with np.errstate(divide="ignore", invalid="ignore"):
        score = square_left / n_left + square_right / n_right
    score[(n_left == 0) | (n_right == 0)] = -np.inf
    return score
