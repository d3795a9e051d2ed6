"""Classical baselines on a feature table: split by track, standardise, fit, score.

    python examples/classic_feature_table.py [features.csv]

Default table: ../shared/data/gtzan_meta/features_30_sec.csv (1 000 GTZAN tracks, label column
``label``). Prints each model's accuracy, macro F1 and ROC-AUC on a stratified 80/20 split,
then the random forest's confusion matrix.
"""
import sys
from pathlib import Path

from tinymir.classic import (SVC, GradientBoostingClassifier, KNeighborsClassifier,
                             LogisticRegression, RandomForestClassifier, StandardScaler,
                             read_feature_table)
from tinymir.data.splits import stratified_split
from tinymir import metrics

DEFAULT = Path(__file__).resolve().parents[2] / "shared/data/gtzan_meta/features_30_sec.csv"

path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT
table = read_feature_table(path, label_column="label")
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
for name, model in models.items():
    model.fit(X_train, y[train])
    proba = model.predict_proba(X_test)
    predicted = model.predict(X_test)
    print(f"{name:<20} accuracy {metrics.accuracy(y[test], predicted):.3f}  "
          f"macro F1 {metrics.macro_f1(y[test], predicted, n_classes):.3f}  "
          f"ROC-AUC {metrics.roc_auc(y[test], proba):.3f}")

print("random forest confusion matrix (rows: true, columns: predicted):")
matrix = metrics.confusion_matrix(y[test], models["random forest"].predict(X_test), n_classes)
for name, row in zip(table.classes, matrix):
    print(f"  {name:>10} " + " ".join(f"{count:3d}" for count in row))
