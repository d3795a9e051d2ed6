"""`tinymir predict`: label audio files with a trained model, or tag a whole catalogue."""
import json
import sys

import click

from tinymir.audio import skipped_line
from tinymir.data.engines import EngineError
from tinymir.predict import Predictor, predict_inputs, tag_catalogue
from tinymir.predict.predictor import timeline_inputs
from tinymir.predict.timeline import (
    DEFAULT_MEDIAN_WIDTH,
    DEFAULT_SMOOTHING,
    DEFAULT_SWITCH_PENALTY,
    SMOOTHINGS,
)

from .engines import announce, scheduler_option
from .options import USER_ERRORS


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
@click.option("--quiet", is_flag=True, help="No progress lines (shown for files over a minute "
              "and for --out).")
@click.option("--timeline", is_flag=True,
              help="Label each FILE over time (DJ mixes, radio, concerts): print its spans, "
                   "e.g. '0:00-3:12 rock 0.91', and write <file>.timeline.csv, .json and .png "
                   "(with matplotlib) into --timeline-dir. Any length, in bounded memory.")
@click.option("--timeline-dir", type=click.Path(file_okay=False), default=".",
              show_default=True, help="--timeline: the folder for the timeline files.")
@click.option("--smoothing", type=click.Choice(SMOOTHINGS), default=DEFAULT_SMOOTHING,
              show_default=True,
              help="--timeline: hmm (a change of label costs --switch-penalty), median (over "
                   "--median-width segments) or none (each segment on its own).")
@click.option("--switch-penalty", type=click.FloatRange(min=0), default=DEFAULT_SWITCH_PENALTY,
              show_default=True,
              help="--timeline --smoothing hmm: the cost of a change of label, in nats.")
@click.option("--median-width", type=click.IntRange(min=1), default=DEFAULT_MEDIAN_WIDTH,
              show_default=True, help="--timeline --smoothing median: the window in segments.")
def predict_command(model, files, top, as_json, out, scheduler, jobs, dataset, quiet,
                    timeline, timeline_dir, smoothing, switch_penalty, median_width):
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
    tinymir.predict.catalogue.
    """
    if out is not None and timeline:
        raise click.UsageError("--timeline writes into --timeline-dir; --out tags a catalogue")
    if out is not None:
        if len(files) != 1 or as_json:
            raise click.UsageError("with --out give one DATA (a folder, a file list or a "
                                   "dataset), and no --json")
        _predict_catalogue(model, files[0], out, top, scheduler, jobs, dataset, quiet)
        return
    if jobs > 1 or scheduler != "processes":
        raise click.UsageError("--jobs and --scheduler tag a catalogue: give --out CSV")
    if timeline:
        _predict_timelines(model, files, timeline_dir, smoothing, switch_penalty, median_width,
                           as_json, quiet)
        return
    try:
        labelled = predict_inputs(Predictor.load(model), files, top, progress=not quiet)
    except USER_ERRORS as exc:
        raise click.ClickException(str(exc))
    total = failed = 0
    for path, result, problem in labelled:
        total += 1
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
            if result.get("unsure"):
                labels = "unsure (best guess: {} {:.3f})".format(*result["top"][0])
            tagged = f"  tags: {', '.join(result['tags']) or '-'}" if "tags" in result else ""
            click.echo(f"{path}: {labels}{tagged}")
    if failed:
        raise click.ClickException(f"{failed} of {total} files could not be labelled (named "
                                   "above)")


def _predict_timelines(model, files, folder, how, penalty, width, as_json, quiet):
    """``predict --timeline``: each file's spans, then where its files went."""
    total = failed = 0
    try:
        for path, found, written, problem in timeline_inputs(
                Predictor.load(model), files, folder, how, penalty, width, progress=not quiet):
            total += 1
            if problem is not None:
                failed += 1
                click.echo(skipped_line(path, problem), err=True)
            elif as_json:
                click.echo(json.dumps({"file": str(path), **found.to_dict()}))
            else:
                click.echo(f"{path}:")
                for line in found.lines():
                    click.echo(f"  {line}")
                click.echo(f"  wrote {', '.join(str(p) for p in written)}", err=True)
    except USER_ERRORS as exc:
        raise click.ClickException(str(exc))
    if failed:
        raise click.ClickException(f"{failed} of {total} files could not be labelled (named "
                                   "above)")


def _predict_catalogue(model, data, out, top, scheduler, jobs, dataset, quiet):
    """``predict --out``: tag the catalogue, end with the counts (exit 1 when some failed)."""
    try:
        report = tag_catalogue(model, data, out, scheduler=scheduler, jobs=jobs, top=top,
                               dataset=dataset, progress=not quiet, on_engine=announce)
    except (*USER_ERRORS, EngineError) as exc:
        raise click.ClickException(str(exc))
    for path, reason in report.failed[:10]:
        click.echo(skipped_line(path, reason), err=True)
    click.echo(report.summary())
    if report.failed:
        sys.exit(1)
