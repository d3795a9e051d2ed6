"""Track feature vectors for the baselines: a feature table (CSV, one row per track), or audio
whose track features come through the feature cache (shared with train and evaluate).

    rows (tracks) x columns (features), one label per track, groups (artists) when known
    -> the folds every baseline is scored on (:func:`tinymir.classic.evaluate.baseline_folds`)
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tinymir.data import DatasetError, read_dataset
from tinymir.data.cache import FeatureCache
from tinymir.features import FeatureParams

from .evaluate import baseline_folds
from .table import read_feature_table

#: Track feature sets: the GTZAN-table set, or that plus per-bin/-band statistics, MFCC
#: deltas, tonnetz-like and onset features (tinymir.features.track).
FEATURE_SETS = {"gtzan": "track", "rich": "track_rich"}


@dataclass
class BaselineInputs:
    """Track feature vectors with their labels (names), groups (None when unknown), the path
    they were read from, what they are (one line) and notes to show (columns left out, files
    skipped)."""
    features: np.ndarray
    labels: np.ndarray
    groups: list | None
    path: str
    source: str
    notes: list = field(default_factory=list)

    @property
    def classes(self) -> list:
        """The label names, sorted: class ``c`` is ``classes[c]``."""
        return sorted(set(self.labels.tolist()))

    @property
    def label_index(self) -> np.ndarray:
        """Each track's class index ``0..C-1`` in :attr:`classes`."""
        return np.searchsorted(np.array(self.classes), self.labels)

    def folds(self, group: bool, kfold: int | None, repeats: int, seed: int):
        """:func:`~tinymir.classic.evaluate.baseline_folds` of these tracks, by group (artist)
        when ``group``: ``(folds, name, test_fraction)``.

        Parameters
        ----------
        group : bool
            Keep each group (artist) on one side.
        kfold : int or None
            Folds of k-fold cross-validation; None: one 80/20 split.
        repeats : int
            Rounds of ``kfold`` folds, each with its own seed.
        seed : int
            Seed of the split.
        """
        if group and (self.groups is None or all(g is None for g in self.groups)):
            raise DatasetError(f"{self.path}: --group needs tracks with groups (artists)")
        return baseline_folds(self.labels, self.groups if group else None, kfold, repeats, seed)


def from_table(csv_path, label_column: str = "label") -> BaselineInputs:
    """The rows of a feature table (CSV, one row per track, ``label_column`` the labels);
    non-numeric columns are left out, with a note."""
    table = read_feature_table(csv_path, label_column)
    notes = ([f"{csv_path}: non-numeric columns left out: {', '.join(table.skipped)}"]
             if table.skipped else [])
    return BaselineInputs(table.features, table.labels, None, str(csv_path),
                          f"{csv_path} ({len(table.feature_names)} features)", notes)


def from_audio(data, cache_root, jobs: int = 1, feature_set: str = "gtzan",
               dataset: str = "auto", label_column: str = "label") -> BaselineInputs:
    """Track feature vectors of the audio dataset in ``data``, through the feature cache.

    Parameters
    ----------
    data : str or Path
        The dataset folder (GTZAN layout, class folders, ...), or a tag CSV with ``dataset``
        ``"tags"``.
    cache_root : str or Path
        The feature cache folder (shared with train and evaluate).
    jobs : int, default 1
        Worker processes computing features for the cache.
    feature_set : str, default "gtzan"
        A key of :data:`FEATURE_SETS`: the GTZAN-table set or the rich set.
    dataset : str, default "auto"
        The dataset reader (:func:`tinymir.data.read_dataset`).
    label_column : str, default "label"
        The label column of a tag CSV (``dataset="tags"`` only).
    """
    options = {"label_columns": label_column} if dataset == "tags" else {}
    table = read_dataset(data, dataset=dataset, **options)
    if table.multilabel:
        raise DatasetError(f"{data}: {table.name} is multi-label; the baselines need one label "
                           "per track")
    cache = FeatureCache(cache_root, FeatureParams(kind=FEATURE_SETS[feature_set], n_fft=2048,
                                                   hop_length=512))
    report = cache.build(table, jobs=jobs, progress=True)
    kept, rows = [], []
    for track in table.tracks:
        if track.id not in cache:
            continue
        row = np.asarray(cache.load(track.id), dtype=np.float64)
        if np.isfinite(row).all():          # always, unless the cache was edited by hand
            kept.append(track)
            rows.append(row)
        else:
            report.skipped.append((track.path, "cached features hold NaN or infinite values"))
    notes = []
    if report.skipped or table.skipped:
        report.skipped[:0] = table.skipped
        notes.append(report.summary())
    if not kept:
        raise DatasetError(f"{data}: no track could be read")
    features = np.stack(rows)
    labels = np.array([track.labels[0] for track in kept])
    groups = [track.group for track in kept]
    return BaselineInputs(features, labels, groups, str(data),
                          f"{table.name}: {len(kept)} tracks, {feature_set} track features "
                          f"({features.shape[1]} columns)", notes)
