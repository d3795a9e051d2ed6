"""`tinymir baselines`: the five classical baselines of seed 000 on track feature vectors."""
import json
from pathlib import Path

import click

from tinymir.classic import SEED_BASELINES, evaluate_baselines, format_table
from tinymir.classic import inputs as classic_inputs
from tinymir.classic.evaluate import compare_models, format_comparison
from tinymir.classic.inputs import FEATURE_SETS
from tinymir.classic.table import FeatureTableError
from tinymir.data import DatasetError
from tinymir.data.cache import default_folder
from tinymir.progress import Progress


def _model_names(text: str) -> tuple:
    names = tuple(name.strip().upper() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in SEED_BASELINES]
    if unknown or not names:
        raise click.BadParameter(f"choose from {','.join(SEED_BASELINES)}, got {text!r}",
                                 param_hint="--models")
    return names


@click.command("baselines")
@click.argument("data", required=False, type=click.Path(exists=True))
@click.option("--table", "csv_path", type=click.Path(exists=True, dir_okay=False),
              help="Use this feature table (CSV, one row per track) instead of audio.")
@click.option("--label-column", default="label", show_default=True,
              help="Label column of --table, or of the tag CSV with --dataset tags.")
@click.option("--dataset", default="auto", show_default=True,
              help="Reader of DATA: auto, gtzan, folders, fma or tags.")
@click.option("--features", "feature_set", type=click.Choice(tuple(FEATURE_SETS)),
              default="gtzan", show_default=True,
              help="Track features of audio DATA: the GTZAN-table set, or the rich set (adds "
                   "per-bin chroma, per-band contrast, MFCC deltas, tonnetz-like, onsets).")
@click.option("--kfold", type=click.IntRange(min=2), default=None,
              help="K-fold CV (default: one 80/20 split).")
@click.option("--repeats", type=click.IntRange(min=1), default=1, show_default=True,
              help="Rounds of --kfold, each with its own seed; every model runs on the same "
                   "folds, and each pair is compared fold by fold.")
@click.option("--group", is_flag=True,
              help="Split by group (artist) instead of by track: no artist on both sides.")
@click.option("--models", default=",".join(SEED_BASELINES), show_default=True,
              help="Comma-separated subset of the baselines.")
@click.option("--seed", default=0, show_default=True, help="Split and model seed.")
@click.option("--cache", "cache_root", type=click.Path(file_okay=False),
              default=lambda: str(default_folder()),
              show_default="$TINYMIR_CACHE, else ~/.cache/tinymir",
              help="Feature cache folder (audio DATA only), shared with train and evaluate.")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes for feature extraction.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False),
              help="Also write the table as JSON here.")
def baselines_command(data, csv_path, label_column, dataset, feature_set, kfold, repeats, group,
                      models, seed, cache_root, jobs, json_path):
    """Train and score LR, RF, XGB-style boosting, SVM and k-NN (seed 000's settings).

    DATA is a dataset folder (GTZAN layout, class folders, ...): track features are extracted
    through the feature cache. Or give --table CSV with --label-column. Prints accuracy, macro
    F1, one-vs-rest ROC-AUC (mean ± std over folds), fit/predict seconds (sums over folds),
    and with --kfold each pair of models' paired difference in accuracy with its 95 %
    corrected resampled t interval.
    """
    names = _model_names(models)
    if repeats > 1 and kfold is None:
        raise click.UsageError("--repeats needs --kfold K (rounds of K folds)")
    if (data is None) == (csv_path is None):
        raise click.UsageError("give either DATA (audio dataset) or --table CSV, not both or "
                               "neither")
    try:
        inputs = (classic_inputs.from_table(csv_path, label_column) if csv_path is not None
                  else classic_inputs.from_audio(data, cache_root, jobs, feature_set, dataset,
                                                 label_column))
        for note in inputs.notes:
            click.echo(note)
        classes = inputs.classes
        folds, folds_name, test_fraction = inputs.folds(group, kfold, repeats, seed)
        click.echo(f"{inputs.source}; {len(classes)} classes; {folds_name}")
        with Progress(total=len(names) * len(folds), unit="fits", label="baselines") as bar:
            results = evaluate_baselines(inputs.features, inputs.label_index, folds, names,
                                         seed=seed, progress=bar)
    except (FeatureTableError, DatasetError, ValueError) as exc:
        raise click.ClickException(str(exc))
    click.echo(format_table(results))
    pairs = compare_models(results, test_fraction) if len(folds) > 1 else []
    if pairs:
        click.echo(format_comparison(pairs))
    if json_path:
        record = {"source": inputs.source, "split": folds_name, "classes": classes,
                  "results": [result.row() for result in results],
                  "accuracy_differences": [
                      {"a": a, "b": b, "mean": d.mean, "low": d.low, "high": d.high,
                       "excludes_zero": d.excludes_zero} for a, b, d in pairs]}
        Path(json_path).write_text(json.dumps(record, indent=1))
        click.echo(f"wrote {json_path}")
