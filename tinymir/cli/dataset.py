"""`tinymir dataset info / profile`: look at a music collection as tinymir reads it."""
from pathlib import Path

import click

from tinymir import pictures
from tinymir.audio import AudioError
from tinymir.data import DATASETS, DatasetError, read_dataset
from tinymir.data.describe import describe
from tinymir.explain.profile import profile
from tinymir.staged import staged_folder


def parse_option(text: str):
    """``"top_n=10"`` -> ``("top_n", 10)``; values become int, float, bool, None, a list (when
    they hold a comma) or stay strings."""
    if "=" not in text:
        raise click.BadParameter(f"expected KEY=VALUE, got {text!r}", param_hint="--option")
    key, value = (part.strip() for part in text.split("=", 1))
    return key.replace("-", "_"), _parse_value(value)


def _parse_value(value: str):
    if "," in value:
        return [part.strip() for part in value.split(",") if part.strip()]
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def reader_options(options) -> dict:
    return dict(parse_option(text) for text in options)


dataset_option = click.option(
    "--dataset", "dataset", type=click.Choice(("auto",) + DATASETS), default="auto",
    show_default=True, help="Which reader; auto looks at the layout.")
check_audio_option = click.option(
    "--check-audio", is_flag=True,
    help="Read every file's header: durations, and undecodable or short files are skipped.")
min_duration_option = click.option(
    "--min-duration", type=float, default=None,
    help="Skip files shorter than this many seconds (implies --check-audio; FMA: 29).")
reader_option = click.option(
    "-o", "--option", "options", multiple=True, metavar="KEY=VALUE",
    help="A reader or tag option, e.g. -o tags_column=Moods -o top_n=10 "
         "-o prefix=mood/theme--- -o labels=genres_all (repeatable).")


@click.group("dataset")
def dataset_group():
    """Read datasets (GTZAN, class folders, FMA, MTG-Jamendo, tag CSVs)."""


@dataset_group.command("info")
@click.argument("path", type=click.Path(exists=True))
@dataset_option
@check_audio_option
@min_duration_option
@reader_option
@click.option("--max-skipped", default=20, show_default=True, type=click.IntRange(min=0),
              help="How many skipped files to name.")
def info_command(path, dataset, check_audio, min_duration, options, max_skipped):
    """Classes and counts, durations, groups, official splits and bad files of PATH."""
    try:
        table = read_dataset(path, dataset, check_audio=check_audio, min_duration=min_duration,
                             **reader_options(options))
    except DatasetError as exc:
        raise click.ClickException(str(exc))
    click.echo(describe(table, max_skipped=max_skipped))


@dataset_group.command("profile")
@click.argument("path", type=click.Path(exists=True))
@click.option("--plot", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the pictures and profile.json.")
@click.option("--base", default=None, help="Base class of the difference images "
                                           "(default: the most frequent class).")
@click.option("--seconds", type=float, default=None,
              help="Common length of the class averages, at most the longest track; "
                   "shorter tracks are left out of them (default: the shortest track at "
                   "least half the median length).")
@dataset_option
@reader_option
def profile_command(path, plot, base, seconds, dataset, options):
    """Class-average log-mel spectrograms and their differences from --base; label
    co-occurrence and labels per track (multi-label), class counts and durations. The files
    go to --plot once all are made (files of the same names there are replaced then)."""
    try:
        table = read_dataset(path, dataset, **reader_options(options))
        with staged_folder(plot) as folder:
            numbers = profile(table, folder, base, seconds)
    except (DatasetError, AudioError, ValueError, OSError) as exc:
        raise click.ClickException(str(exc))
    if numbers["skipped"]:
        click.echo(f"skipped {len(numbers['skipped'])} unreadable tracks, e.g. "
                   f"{numbers['skipped'][0][0]}: {numbers['skipped'][0][1]}", err=True)
    short = (f"; {numbers['short']} shorter tracks left out of the averages"
             if numbers["short"] else "")
    click.echo(f"profiled {numbers['tracks']} tracks of {len(numbers['class_counts'])} classes "
               f"(base {numbers['base']}, {numbers['seconds']:.2f} s averages{short}; "
               f"{len(numbers['skipped'])} skipped) in {plot}")
    if not numbers["pictures"]:
        click.echo(pictures.SKIPPED, err=True)
