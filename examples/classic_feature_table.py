"""Classical baselines on a feature table: split by track, standardise, fit, score.

    python examples/classic_feature_table.py [features.csv | --synthetic]

Default table: ../shared/data/gtzan_meta/features_30_sec.csv (1 000 GTZAN tracks, label column
``label``) when it is there; otherwise (and with ``--synthetic``) the same GTZAN-style columns
(``tinymir.features.track_features``) of 200 synthetic clips, 25 of each of 8 genres, made on
the spot. Prints each model's accuracy, macro F1 and ROC-AUC on a stratified 80/20 split, then
the random forest's confusion matrix.
"""
import sys
from pathlib import Path

import numpy as np

from tinymir import metrics
from tinymir.audio import synth
from tinymir.classic import (
    SVC,
    FeatureTable,
    GradientBoostingClassifier,
    KNeighborsClassifier,
    LogisticRegression,
    RandomForestClassifier,
    StandardScaler,
    read_feature_table,
)
from tinymir.data.splits import stratified_split
from tinymir.features import feature_names, track_features

GTZAN = Path(__file__).resolve().parents[2] / "shared/data/gtzan_meta/features_30_sec.csv"


def synthetic_table(per_genre: int = 25, seconds: float = 2.0, sr: int = 22050) -> FeatureTable:
    """GTZAN-style track features of synthetic clips (one batched call for all of them)."""
    labels = [genre for genre in synth.GENRES for _ in range(per_genre)]
    clips = np.stack([synth.render_clip(genre, synth.clip_rng(0, genre, i % per_genre), seconds, sr)
                      for i, genre in enumerate(labels)])
    values, _ = track_features(clips, sr)
    return FeatureTable(np.asarray(values, dtype=np.float64), np.array(labels),
                        list(feature_names()))


argument = sys.argv[1] if len(sys.argv) > 1 else None
if argument == "--synthetic" or (argument is None and not GTZAN.is_file()):
    table = synthetic_table()
    print("synthetic feature table (track_features of synth clips)")
else:
    table = read_feature_table(argument or GTZAN, label_column="label")
X, y = table.features, table.label_indices()
split = stratified_split(table.labels, fractions=(0.8, 0.2), seed=0)
train, test = split["train"], split["test"]
print(f"{len(y)} tracks, {len(table.feature_names)} features, {len(table.classes)} classes; "
      f"{split.name}")

scaler = StandardScaler().fit(X[train])
X_train, X_test = scaler.transform(X[train]), scaler.transform(X[test])
models = {
    "logistic regression": LogisticRegression(C=1.0, multi_class="ovr", max_iter=1000),
    "k-NN (k=7)": KNeighborsClassifier(n_neighbors=7),
    "RBF SVM": SVC(C=1.0, gamma="scale"),
    "random forest": RandomForestClassifier(n_estimators=500, min_samples_split=5,
                                            random_state=0),
    "gradient boosting": GradientBoostingClassifier(n_estimators=200, max_depth=5,
                                                    random_state=0),
}
n_classes = len(table.classes)
accuracy = {}
for name, model in models.items():
    model.fit(X_train, y[train])
    proba = model.predict_proba(X_test)
    predicted = model.predict(X_test)
    accuracy[name] = metrics.accuracy(y[test], predicted)
    print(f"{name:<20} accuracy {accuracy[name]:.3f}  "
          f"macro F1 {metrics.macro_f1(y[test], predicted, n_classes):.3f}  "
          f"ROC-AUC {metrics.roc_auc(y[test], proba):.3f}")

print("random forest confusion matrix (rows: true, columns: predicted):")
matrix = metrics.confusion_matrix(y[test], models["random forest"].predict(X_test), n_classes)
for name, row in zip(table.classes, matrix):
    print(f"  {name:>10} " + " ".join(f"{count:3d}" for count in row))

# The matrix is the accuracy printed above, and every model is far above chance (1 / classes).
assert matrix.sum() == len(test) and np.trace(matrix) / len(test) == accuracy["random forest"]
assert min(accuracy.values()) > 3 / n_classes, accuracy
