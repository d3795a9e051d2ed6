"""`tinymir baselines`: the five classical baselines of seed 000 on track feature vectors."""
import json
from pathlib import Path

import click
import numpy as np

from tinymir.classic import SEED_BASELINES, evaluate_baselines, format_table, read_feature_table
from tinymir.classic.table import FeatureTableError
from tinymir.data import DatasetError, read_dataset
from tinymir.data.cache import FeatureCache
from tinymir.data.splits import stratified_kfold, stratified_split
from tinymir.features import FeatureParams
from tinymir.progress import Progress

TRACK_PARAMS = FeatureParams(kind="track", n_fft=2048, hop_length=512)


def _model_names(text: str) -> tuple:
    names = tuple(name.strip().upper() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in SEED_BASELINES]
    if unknown or not names:
        raise click.BadParameter(f"choose from {','.join(SEED_BASELINES)}, got {text!r}",
                                 param_hint="--models")
    return names


def _features_from_table(csv_path, label_column):
    table = read_feature_table(csv_path, label_column)
    if table.skipped:
        click.echo(f"{csv_path}: non-numeric columns left out: {', '.join(table.skipped)}")
    return table.features, table.labels, f"{csv_path} ({len(table.feature_names)} features)"


def _features_from_audio(data, cache_root, jobs):
    table = read_dataset(data)
    if table.multilabel:
        raise DatasetError(f"{data}: {table.name} is multi-label; the baselines need one label "
                           "per track")
    cache = FeatureCache(cache_root, TRACK_PARAMS)
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
    if report.skipped or table.skipped:
        report.skipped[:0] = table.skipped
        click.echo(report.summary())
    if not kept:
        raise DatasetError(f"{data}: no track could be read")
    features = np.stack(rows)
    labels = np.array([track.labels[0] for track in kept])
    return features, labels, f"{table.name}: {len(kept)} tracks, track features"


@click.command("baselines")
@click.argument("data", required=False, type=click.Path(exists=True))
@click.option("--table", "csv_path", type=click.Path(exists=True, dir_okay=False),
              help="Use this feature table (CSV, one row per track) instead of audio.")
@click.option("--label-column", default="label", show_default=True,
              help="Label column of --table.")
@click.option("--kfold", type=click.IntRange(min=2), default=None,
              help="Stratified K-fold CV by track (default: one stratified 80/20 split).")
@click.option("--models", default=",".join(SEED_BASELINES), show_default=True,
              help="Comma-separated subset of the baselines.")
@click.option("--seed", default=0, show_default=True, help="Split and model seed.")
@click.option("--cache", "cache_root", type=click.Path(file_okay=False), default=".tinymir-cache",
              show_default=True, help="Feature cache folder (audio DATA only).")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes for feature extraction.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False),
              help="Also write the table as JSON here.")
def baselines_command(data, csv_path, label_column, kfold, models, seed, cache_root, jobs,
                      json_path):
    """Train and score LR, RF, XGB-style boosting, SVM and k-NN (seed 000's settings).

    DATA is a dataset folder (GTZAN layout, class folders, ...): track features are extracted
    through the feature cache. Or give --table CSV with --label-column. Prints accuracy, macro
    F1, one-vs-rest ROC-AUC (means over folds) and fit/predict seconds (sums over folds).
    """
    names = _model_names(models)
    if (data is None) == (csv_path is None):
        raise click.UsageError("give either DATA (audio dataset) or --table CSV, not both or neither")
    try:
        if csv_path is not None:
            features, labels, source = _features_from_table(csv_path, label_column)
        else:
            features, labels, source = _features_from_audio(data, cache_root, jobs)
        classes = sorted(set(labels.tolist()))
        label_index = np.searchsorted(np.array(classes), labels)
        if kfold:
            folds = stratified_kfold(labels, k=kfold, seed=seed)
            folds_name = folds.name
        else:
            split = stratified_split(labels, fractions=(0.8, 0.2), seed=seed)
            folds, folds_name = [(split["train"], split["test"])], split.name
        click.echo(f"{source}; {len(classes)} classes; {folds_name}")
        with Progress(total=len(names) * len(folds), unit="fits", label="baselines") as bar:
            results = evaluate_baselines(features, label_index, folds, names, seed=seed,
                                         progress=bar)
    except (FeatureTableError, DatasetError, ValueError) as exc:
        raise click.ClickException(str(exc))
    click.echo(format_table(results))
    if json_path:
        record = {"source": source, "split": folds_name, "classes": classes,
                  "results": [result.row() for result in results]}
        Path(json_path).write_text(json.dumps(record, indent=1))
        click.echo(f"wrote {json_path}")


COMMANDS = [baselines_command]
