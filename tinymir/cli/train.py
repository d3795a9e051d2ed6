"""`tinymir train / evaluate / predict / archs`: the model zoo on the command line."""
import json
import sys

import click
from click.core import ParameterSource

from tinymir import backend, models, nn
from tinymir.audio import AudioError, skipped_line
from tinymir.data import DatasetError
from tinymir.data.cache import default_folder
from tinymir.data.engines import EngineError
from tinymir.train import catalogue
from tinymir.train import predict as predicting
from tinymir.train import run as running
from tinymir.train.checkpoint import CheckpointError

from .engines import announce, scheduler_option

USER_ERRORS = (running.RunError, DatasetError, AudioError, models.FrontEndError,
               models.UnknownArchError, CheckpointError, nn.ModelFileError, OSError,
               backend.DeviceError)


def reader_options(label_column, tags_column, min_count, top_n) -> dict:
    options = {}
    if label_column:
        options["label_columns"] = label_column
    if tags_column:
        options["tags_column"] = tags_column
    if min_count is not None:
        options["min_count"] = min_count
    if top_n is not None:
        options["top_n"] = top_n
    return options


def dataset_options(f):
    """Options that say how to read DATA (shared by train and evaluate)."""
    for option in reversed([
        click.option("--dataset", default="auto", show_default=True,
                     help="Reader: auto, gtzan, folders, fma, mtg-jamendo or tags."),
        click.option("--label-column", default=None,
                     help="Tag CSVs: the column holding the single label (e.g. Quadrant)."),
        click.option("--tags-column", default=None,
                     help="Tag CSVs: the column of ';'-separated tags (multi-label)."),
        click.option("--min-count", default=None, type=click.IntRange(min=1),
                     help="Tags: drop tags on fewer tracks than this."),
        click.option("--top-n", default=None, type=click.IntRange(min=1),
                     help="Tags: keep the N most frequent."),
    ]):
        f = option(f)
    return f


def cache_folder_options(command):
    """``--cache DIR`` and ``--no-cache`` (train, evaluate, experiment)."""
    for option in reversed((
            click.option("--cache", type=click.Path(file_okay=False),
                         default=lambda: str(default_folder()),
                         show_default="$TINYMIR_CACHE, else ~/.cache/tinymir",
                         help="Feature cache folder (features are computed once per file "
                              "and parameters)."),
            click.option("--no-cache", is_flag=True,
                         help="Compute the features in memory instead."))):
        command = option(command)
    return command


def cache_options(command):
    """``--cache DIR``, ``--no-cache`` and ``--jobs N`` (shared by train and evaluate)."""
    command = click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
                           help="Processes computing features for the cache.")(command)
    return cache_folder_options(command)


# Options of `train` that are no part of the run (how it is shown) or that --resume itself sets.
NOT_RUN_OPTIONS = ("resume", "epochs", "quiet", "cache", "no_cache", "jobs")


def resumed_options() -> tuple[dict, dict]:
    """The options typed on this command line beside --resume (defaults are not the user's
    request): those that must agree with the run, and the settings that apply to it."""
    ctx = click.get_current_context()
    typed = {name: value for name, value in ctx.params.items()
             if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE}
    settings = {}
    if "cache" in typed or "no_cache" in typed:
        settings["cache"] = None if ctx.params["no_cache"] else ctx.params["cache"]
    if "jobs" in typed:
        settings["jobs"] = typed["jobs"]
    return {k: v for k, v in typed.items() if k not in NOT_RUN_OPTIONS}, settings


CNN3 = models.get_arch("cnn3")      # its recipe is what the help shows as the example

@click.command("train")
@click.argument("data", type=click.Path(), required=False)
@click.option("--arch", default=None, help="Architecture (see `tinymir archs`).")
@click.option("--features", default=None,
              help=f"Input features: {', '.join(models.FEATURE_KINDS)}, or a stack of "
                   f"{', '.join(models.STACK_KINDS)} joined by + (cnn3..7, ffnn, lstm), e.g. "
                   "mfcc+chroma+contrast+centroid (default: the architecture's).")
@click.option("--segment", type=float, default=None, help="Segment length in seconds.")
@click.option("--overlap", type=float, default=None, help="Overlap of segments, 0 to <1.")
@click.option("--n-fft", type=click.IntRange(min=2), default=None, help="STFT size.")
@click.option("--hop-length", type=click.IntRange(min=1), default=None, help="STFT hop.")
@click.option("--n-mels", type=click.IntRange(min=1), default=None, help="Mel bands.")
@click.option("--n-mfcc", type=click.IntRange(min=1), default=None, help="MFCCs.")
@click.option("--augment", default=None,
              help="Training-batch augmentation: crop, shift, gain, specaugment, mixup joined "
                   "by + with optional NAME:key=value,... parameters (e.g. "
                   "crop+mixup:alpha=0.4), all, or none [default: none].")
@click.option("--resample", type=click.Choice(running.RESAMPLING), default="none",
              show_default=True,
              help="Tags: seed 000's over- or undersampling of the training tracks.")
@click.option("--split", type=click.Choice(running.SPLITS), default="random", show_default=True,
              help="Track split: stratified random 80/10/10, group-aware (artists), GTZAN "
                   "filtered, the dataset's official one, or k-fold by track or by group "
                   "(--folds, --fold).")
@click.option("--fold", type=int, default=0, show_default=True,
              help="Test fold for kfold / group-kfold.")
@click.option("--folds", type=click.IntRange(min=2), default=running.DEFAULT_FOLDS,
              show_default=True, help="Folds of kfold / group-kfold.")
@click.option("--split-seed", type=int, default=None,
              help="Seed of the split (default: --seed), to vary the seed on one split.")
@click.option("--epochs", type=click.IntRange(min=1), default=None,
              help="Most epochs to train [default: the architecture's recipe, as `tinymir archs` "
                   f"shows; cnn3: {CNN3.epochs}].")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Segments per training step [default: the architecture's recipe; cnn3: "
                   f"{CNN3.batch_size}].")
@click.option("--lr", type=float, default=None,
              help=f"Learning rate [default: the architecture's recipe; cnn3: "
                   f"{CNN3.optimizer['lr']:g}].")
@click.option("--lr-patience", type=click.IntRange(min=0), default=running.PLATEAU_PATIENCE,
              show_default=True,
              help="Divide the learning rate by 10 after this many epochs without a better "
                   "validation score (ReduceLROnPlateau); 0: never.")
@click.option("--optimizer", type=click.Choice(running.OPTIMIZERS), default=None,
              help="Optimiser [default: the architecture's recipe; cnn3: "
                   f"{CNN3.optimizer['name']}].")
@click.option("--class-weights/--no-class-weights", default=None,
              help="Weight the loss by inverse class frequency (tags: positive weights). "
                   "Default: on for tags, off otherwise.")
@click.option("--patience", type=click.IntRange(min=1), default=None,
              help="Early stopping: epochs without a better validation score (accuracy, "
                   "then loss) before stopping [default: 3].")
@click.option("--early-stopping/--no-early-stopping", default=True, show_default=True,
              help="Stop early, or run every epoch.")
@click.option("--aggregate", type=click.Choice(("mean", "vote")), default="mean",
              show_default=True,
              help="Track score: mean of segment probabilities or majority vote.")
@click.option("--rnn", type=click.Choice(("gru", "lstm")), default=None,
              help="crnn only: the recurrent cell.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="RUN_DIR (default: runs/<arch>); an earlier run of the same architecture "
                   "there is replaced once this one has succeeded, a folder of other files is "
                   "refused.")
@click.option("--resume", type=click.Path(file_okay=False), default=None,
              help="Continue the run in this RUN_DIR after its last completed epoch; with a "
                   "larger --epochs, also a finished run. Other options must be the run's own "
                   "(--cache, --no-cache and --jobs apply).")
@click.option("--overwrite", is_flag=True,
              help="Replace a run of another architecture already in --out (an earlier run "
                   "is replaced only once this one has succeeded).")
@cache_options
@click.option("--quiet", is_flag=True, help="No progress lines.")
@dataset_options
def train_command(data, arch, features, segment, overlap, n_fft, hop_length, n_mels, n_mfcc,
                  augment, resample, split, fold, folds, split_seed, epochs, batch_size, lr,
                  lr_patience, optimizer, class_weights, patience, early_stopping, aggregate, rnn,
                  seed, out, resume, overwrite, cache, no_cache, jobs, quiet, dataset, label_column,
                  tags_column, min_count, top_n):
    """Train ARCH on the dataset in DATA; writes model, history and reports to RUN_DIR."""
    try:
        if resume:
            given, settings = resumed_options()
            report = running.resume(resume, given, stream=sys.stderr, progress=not quiet,
                                    epochs=epochs, settings=settings)
            out = resume
        else:
            if not data or not arch:
                raise click.UsageError("give DATA and --arch (or --resume RUN_DIR)")
            models.get_arch(arch)
            out = out or f"runs/{arch}"
            config = running.TrainConfig(
                arch=arch, data=data, out=out, features=features, segment=segment,
                overlap=overlap, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels,
                n_mfcc=n_mfcc, augment=augment, resample=resample, split=split,
                split_seed=split_seed, fold=fold, folds=folds, epochs=epochs, batch_size=batch_size,
                lr=lr, lr_patience=lr_patience, optimizer=optimizer, seed=seed,
                class_weights=class_weights,
                patience=patience, early_stopping=early_stopping, aggregate=aggregate, rnn=rnn,
                dataset=dataset, cache=None if no_cache else cache, jobs=jobs,
                reader_options=reader_options(label_column, tags_column, min_count, top_n))
            report = running.train(config, stream=sys.stderr, progress=not quiet,
                                   overwrite=overwrite)
    except (*USER_ERRORS, running.Interrupted) as exc:
        raise click.ClickException(str(exc))
    click.echo(running.headline(report))
    click.echo(f"model and reports in {out}/ (model.npz, report.md, history.csv)")
    from tinymir import pictures
    if not pictures.available():
        click.echo(pictures.SKIPPED, err=True)


@click.command("evaluate")
@click.argument("model", type=click.Path(dir_okay=False))
@click.argument("data", type=click.Path())
@click.option("--part", type=click.Choice(("all", "train", "val", "test")), default="all",
              show_default=True,
              help="Which tracks of DATA: all, or one part of the split the model was "
                   "trained with (recomputed from its name and seed).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--labels-map", type=click.Path(dir_okay=False), default=None,
              help="Score another collection: a TOML [labels] table (or JSON) of "
                   "\"data label\" = \"model class\"; tracks of other labels are left out.")
@cache_options
@dataset_options
def evaluate_command(model, data, part, as_json, labels_map, cache, no_cache, jobs, dataset,
                     label_column, tags_column, min_count, top_n):
    """Score MODEL on the tracks of DATA: segment- and track-level metrics. The first line names
    the tracks scored; a warning says when they include the model's training tracks."""
    try:
        mapping = predicting.read_labels_map(labels_map) if labels_map else None
        report = predicting.evaluate(model, data, part=part, dataset=dataset,
                                     cache_root=None if no_cache else cache, jobs=jobs,
                                     reader_options=reader_options(label_column, tags_column,
                                                                   min_count, top_n),
                                     labels_map=mapping)
    except USER_ERRORS as exc:
        raise click.ClickException(str(exc))
    click.echo(json.dumps(report, indent=2) if as_json else predicting.describe(report))
    warning = predicting.training_warning(report)
    if warning:
        click.echo(warning, err=True)


@click.command("predict", short_help="Label audio files with a trained model (or tag a catalogue).")
@click.argument("model", type=click.Path(dir_okay=False))
@click.argument("files", type=click.Path(), nargs=-1, required=True)
@click.option("--top", type=click.IntRange(min=1), default=3, show_default=True,
              help="How many labels to show per file.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file, for machines.")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Tag a whole catalogue DATA (a folder, a file list, or a dataset) into this "
                   "CSV, one row per track; a rerun adds only the missing tracks.")
@scheduler_option
@click.option("--dataset", default="auto", show_default=True,
              help="--out: the reader of a dataset DATA (auto, gtzan, folders, fma, "
                   "mtg-jamendo, tags).")
@click.option("--quiet", is_flag=True, help="--out: no progress lines.")
def predict_command(model, files, top, as_json, out, scheduler, jobs, dataset, quiet):
    """Top labels of MODEL for each audio FILE (or each audio file in a folder, recursively),
    segments aggregated over the whole file. Files that cannot be labelled (unreadable, silent,
    shorter than one analysis frame) get one line each; any such file makes the exit status 1.

    With --out CSV, FILES is one DATA (a folder, a text file of paths, or a dataset) and every
    track gets a row in CSV: the top labels with probabilities, or (tags) every tag at or
    above its validation threshold with its probability; tracks that cannot be labelled go to
    <CSV stem>.errors.csv with their reasons; a `warning` column says why a row's labels say
    little (a very short, constant or white-noise track) and a `model` column which model file
    wrote it. A rerun into the same CSV adds only the missing tracks, and only with the same
    model: a CSV of another model, or any other file, is refused and left as it is. See
    tinymir.train.catalogue.
    """
    if out is not None:
        if len(files) != 1 or as_json:
            raise click.UsageError("with --out give one DATA (a folder, a file list or a "
                                   "dataset), and no --json")
        _predict_catalogue(model, files[0], out, top, scheduler, jobs, dataset, quiet)
        return
    if jobs > 1 or scheduler != "processes":
        raise click.UsageError("--jobs and --scheduler tag a catalogue: give --out CSV")
    try:
        predictor = predicting.Predictor.load(model)
        paths, not_files = predicting.audio_inputs(files)
    except USER_ERRORS as exc:
        raise click.ClickException(str(exc))
    for path, reason in not_files:
        click.echo(skipped_line(path, reason), err=True)
    failed = len(not_files)
    for path, result, problem in predicting.predict_files(predictor, paths, top):
        if problem is not None:
            failed += 1
            click.echo(skipped_line(path, problem), err=True)
            continue
        if "warning" in result:
            click.echo(f"warning: {path}: {result['warning']}", err=True)
        if as_json:
            click.echo(json.dumps(result))
        else:
            labels = ", ".join(f"{label} {p:.3f}" for label, p in result["top"])
            tagged = f"  tags: {', '.join(result['tags']) or '-'}" if "tags" in result else ""
            click.echo(f"{path}: {labels}{tagged}")
    if failed:
        raise click.ClickException(f"{failed} of {len(paths) + len(not_files)} files could not "
                                   "be labelled (named above)")


def _predict_catalogue(model, data, out, top, scheduler, jobs, dataset, quiet):
    """``predict --out``: tag the catalogue, end with the counts (exit 1 when some failed)."""
    try:
        report = catalogue.tag_catalogue(model, data, out, scheduler=scheduler, jobs=jobs,
                                         top=top, dataset=dataset, progress=not quiet,
                                         on_engine=announce)
    except (*USER_ERRORS, EngineError) as exc:
        raise click.ClickException(str(exc))
    for path, reason in report.failed[:10]:
        click.echo(skipped_line(path, reason), err=True)
    click.echo(report.summary())
    if report.failed:
        sys.exit(1)


@click.command("archs", short_help="List the architectures: input, parameters, training recipe.")
@click.option("--classes", type=click.IntRange(min=1), default=10, show_default=True,
              help="Output units used for the parameter count.")
def archs_command(classes):
    """List the architectures with their input shape, parameter count and training recipe
    (what `tinymir train` uses unless --epochs, --batch-size, --optimizer or --lr say otherwise)."""
    rows = models.describe_archs(classes)
    click.echo(f"{'name':<9} {'seed':<5} {'features':<9} {'input':<12} {'params':>8}  "
               f"{'epochs':>6} {'batch':>5} {'optimizer':<9} {'lr':>7}  summary")
    for row in rows:
        shape = "x".join(str(d) for d in row["input"])
        click.echo(f"{row['name']:<9} {row['seed']:<5} {row['features']:<9} {shape:<12} "
                   f"{row['params']:>8,}  {row['epochs']:>6} {row['batch_size']:>5} "
                   f"{row['optimizer']:<9} {row['lr']:>7g}  {row['summary']}")


COMMANDS = [train_command, evaluate_command, predict_command, archs_command]
