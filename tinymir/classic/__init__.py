"""Classical classifiers written from scratch, in scikit-learn's shape.

::

    from tinymir.classic import StandardScaler, SVC
    scaler = StandardScaler().fit(X_train)
    model = SVC(C=1.0).fit(scaler.transform(X_train), y_train)
    proba = model.predict_proba(scaler.transform(X_test))    # (N, n_classes), classes_ order

Linear, k-NN and SVM models compute on the backend's array module (GPU when CuPy is in use);
the tree ensembles run on the CPU over binned features.
"""
from .base import ConvergenceWarning, NotFittedError
from .binning import Binner
from .boosting import GradientBoostingClassifier
from .evaluate import SEED_BASELINES, evaluate_baselines, format_table
from .forest import RandomForestClassifier
from .logistic import LogisticRegression
from .neighbors import KNeighborsClassifier
from .scaler import StandardScaler
from .svm import SVC
from .table import FeatureTable, FeatureTableError, read_feature_table

__all__ = [
    "Binner", "ConvergenceWarning", "FeatureTable", "FeatureTableError",
    "GradientBoostingClassifier", "KNeighborsClassifier", "LogisticRegression", "NotFittedError",
    "RandomForestClassifier", "SEED_BASELINES", "SVC", "StandardScaler", "evaluate_baselines",
    "format_table", "read_feature_table",
]
