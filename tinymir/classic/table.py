"""Read a feature table (CSV, one row per track) into a feature matrix and its labels.

The label column is named by the caller; every other column whose values are all numbers is a
feature, and columns holding text (file names, ids) are left out and listed in ``skipped``.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


class FeatureTableError(ValueError):
    """The CSV cannot be used as a feature table (missing file, column, or values)."""


@dataclass
class FeatureTable:
    features: np.ndarray                   # (n_rows, n_features) float64
    labels: np.ndarray                     # (n_rows,) str
    feature_names: list[str]
    skipped: list[str] = field(default_factory=list)   # non-numeric columns left out

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.labels.tolist()))

    def label_indices(self) -> np.ndarray:
        """Labels as indices into :attr:`classes`."""
        return np.searchsorted(np.array(self.classes), self.labels)


def _as_float(text: str):
    try:
        return float(text)
    except ValueError:
        return None


def read_feature_table(path, label_column: str = "label") -> FeatureTable:
    """Parse ``path``; raises :class:`FeatureTableError` naming the file and the problem."""
    path = Path(path)
    try:
        with open(path, newline="") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise FeatureTableError(f"{path}: cannot read the feature table ({exc.strerror})") from None
    if len(rows) < 2:
        raise FeatureTableError(f"{path}: needs a header row and at least one data row")
    header, body = rows[0], rows[1:]
    if label_column not in header:
        more = ", ..." if len(header) > 8 else ""
        raise FeatureTableError(f"{path}: no label column {label_column!r} "
                                f"(columns: {', '.join(header[:8])}{more})")
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise FeatureTableError(f"{path}, line {number}: {len(row)} fields, "
                                    f"the header has {len(header)}")
    label_at = header.index(label_column)
    labels = np.array([row[label_at].strip() for row in body])
    if (labels == "").any():
        line = int(np.flatnonzero(labels == "")[0]) + 2
        raise FeatureTableError(f"{path}, line {line}: empty label in column {label_column!r}")
    names, columns, skipped = [], [], []
    for at, name in enumerate(header):
        if at == label_at:
            continue
        values = [_as_float(row[at]) for row in body]
        if any(v is None for v in values):
            skipped.append(name)
        else:
            names.append(name)
            columns.append(values)
    if not names:
        raise FeatureTableError(f"{path}: no numeric feature column besides {label_column!r}")
    features = np.array(columns, dtype=np.float64).T
    if not np.isfinite(features).all():
        row, col = np.argwhere(~np.isfinite(features))[0]
        raise FeatureTableError(f"{path}, line {row + 2}: column {names[col]!r} is not finite")
    return FeatureTable(features, labels, names, skipped)
