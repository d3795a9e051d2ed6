"""Options and errors shared by several commands: how to read DATA, the feature cache, and the
library's errors that a command reports as one line."""
import click

from tinymir import backend, models, nn
from tinymir.audio import AudioError
from tinymir.data import DatasetError
from tinymir.data.cache import default_folder
from tinymir.train.checkpoint import CheckpointError
from tinymir.train.config import RunError

USER_ERRORS = (RunError, DatasetError, AudioError, models.FrontEndError,
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
