"""`tinymir dataset`: look at a music collection as tinymir reads it."""
import click

from tinymir.data import DATASETS, DatasetError, read_dataset
from tinymir.data.describe import describe


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


COMMANDS = [dataset_group]
