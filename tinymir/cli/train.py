"""`tinymir train`: train an architecture of the zoo on a dataset, or resume a run."""
import sys

import click
from click.core import ParameterSource

from tinymir import models, moved
from tinymir.train import config as configs
from tinymir.train import report as reporting
from tinymir.train import run as running
from tinymir.train.rundir import Interrupted

from .options import USER_ERRORS, cache_options, dataset_options, reader_options

__getattr__ = moved.names(__name__, {"NOT_RUN_OPTIONS": "tinymir.train.config"})


def resumed_options() -> tuple[dict, dict]:
    """The options typed on this command line beside --resume (defaults are not the user's
    request), split by the resume rule (:func:`tinymir.train.config.resume_request`)."""
    ctx = click.get_current_context()
    typed = ParameterSource.COMMANDLINE
    return configs.resume_request({name: value for name, value in ctx.params.items()
                                   if ctx.get_parameter_source(name) == typed})


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
@click.option("--resample", type=click.Choice(configs.RESAMPLING), default="none",
              show_default=True,
              help="Tags: seed 000's over- or undersampling of the training tracks.")
@click.option("--split", type=click.Choice(configs.SPLITS), default="random", show_default=True,
              help="Track split: stratified random 80/10/10, group-aware (artists), GTZAN "
                   "filtered, the dataset's official one, or k-fold by track or by group "
                   "(--folds, --fold).")
@click.option("--fold", type=int, default=0, show_default=True,
              help="Test fold for kfold / group-kfold.")
@click.option("--folds", type=click.IntRange(min=2), default=configs.DEFAULT_FOLDS,
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
@click.option("--lr-patience", type=click.IntRange(min=0), default=configs.PLATEAU_PATIENCE,
              show_default=True,
              help="Divide the learning rate by 10 after this many epochs without a better "
                   "validation score (ReduceLROnPlateau); 0: never.")
@click.option("--optimizer", type=click.Choice(configs.OPTIMIZERS), default=None,
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
            config = configs.TrainConfig(
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
    except (*USER_ERRORS, Interrupted) as exc:
        raise click.ClickException(str(exc))
    click.echo(reporting.headline(report))
    click.echo(f"model and reports in {out}/ (model.npz, report.md, history.csv)")
    from tinymir import pictures
    if not pictures.available():
        click.echo(pictures.SKIPPED, err=True)
