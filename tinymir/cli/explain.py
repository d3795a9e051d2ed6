"""`tinymir explain represent / saliency`: what a trained model learned (tinymir.explain)."""
from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import click
import numpy as np

from tinymir import audio
from tinymir.data import DatasetError
from tinymir.explain import measure, pictures
from tinymir.explain.represent import OBJECTIVES, STARTS, Settings
from tinymir.nn.serialization import ModelFileError
from tinymir.staged import staged_folder
from tinymir.train.config import RunError

from .dataset import dataset_option, reader_option, reader_options

ERRORS = (RunError, DatasetError, ModelFileError, audio.AudioError, ValueError, OSError)


@click.group("explain")
def explain_group():
    """Explain a trained model: most representative inputs, saliency."""


@explain_group.command("represent")
@click.argument("model", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("represent"),
              show_default=True, help="Folder for the npz, png and tables.")
@click.option("--data", type=click.Path(exists=True), default=None,
              help="Dataset to compare with: the best real track of each class.")
@click.option("--class", "classes", multiple=True, help="Only this class (repeatable).")
@click.option("--objective", type=click.Choice(OBJECTIVES), default="logit", show_default=True,
              help="Maximise the class logit or its log-probability.")
@click.option("--start", default="noise", show_default=True,
              help=f"Start from {' or '.join(STARTS)}, or from an audio file's first segment.")
@click.option("--steps", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--lr", type=float, default=0.05, show_default=True, help="Adam step size.")
@click.option("--l2", type=float, default=Settings.l2, show_default=True,
              help="Weight of sum(x^2).")
@click.option("--tv-time", type=float, default=Settings.tv_time, show_default=True,
              help="Weight of the total variation along time.")
@click.option("--tv-freq", type=float, default=Settings.tv_freq, show_default=True,
              help="Weight of the total variation along frequency.")
@click.option("--jitter", type=click.IntRange(min=0), default=Settings.jitter,
              show_default=True, help="Largest random time shift per step (frames).")
@click.option("--bound", type=float, default=Settings.bound, show_default=True,
              help="Keep every value within this many training standard deviations.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--audio", "audio_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Also write each class's input as a wav (Griffin-Lim).")
@click.option("--by", type=click.Choice(["year"]), default=None,
              help="Also compare per period of this track field.")
@click.option("--periods", default=None, help="Period boundaries, e.g. 1990,2000,2010.")
@click.option("--cache", type=click.Path(file_okay=False), default=None,
              help="Feature cache for the --data tracks.")
@dataset_option
@reader_option
def represent_command(model, out, data, classes, objective, start, steps, lr, l2, tv_time,
                      tv_freq, jitter, bound, seed, audio_dir, by, periods, cache, dataset,
                      options):
    """Find the most representative input of each class of MODEL by gradient ascent on the
    input (weights fixed), and compare its score with the best real track of --data."""
    bounds = None
    if by or periods:
        if not (by and periods and data):
            raise click.ClickException("--by year needs --periods B1,B2,... and --data")
        try:
            bounds = [int(p) for p in periods.split(",") if p.strip()]
        except ValueError:
            bounds = []
        if not bounds or sorted(set(bounds)) != bounds:
            raise click.ClickException(f"--periods {periods!r}: expected increasing years "
                                       "like 1990,2000,2010")
    try:
        measure.check_outside_run(out, model)
        settings = Settings(objective=objective, steps=steps, lr=lr, l2=l2, tv_time=tv_time,
                            tv_freq=tv_freq, jitter=jitter, bound=bound, seed=seed)
        with staged_folder(out) as folder, staged_folder(audio_dir) if audio_dir else \
                nullcontext() as audio_folder:
            summary = measure.represent_model(
                model, folder, settings, data, classes, start, audio_folder, bounds, dataset,
                reader_options(options), cache)
    except ERRORS as exc:
        raise click.ClickException(str(exc))
    for row in summary["classes"]:
        best = (f"; best real track {row['best_track']} {row['best_score']:.3f}, difference "
                f"{row['difference']:.3f}" if "best_track" in row else "")
        click.echo(f"{row['class']}: max achievable {objective} {row['max_score']:.3f} "
                   f"(start {row['start_score']:.3f}){best}")
    if summary["skipped"]:
        click.echo(f"skipped {len(summary['skipped'])} unreadable tracks, e.g. "
                   f"{summary['skipped'][0][0]}: {summary['skipped'][0][1]}")
    click.echo(f"wrote {out}" + (f" and {audio_dir}" if audio_dir else ""))
    if not summary["pictures"]:
        click.echo(pictures.SKIPPED, err=True)


@explain_group.command("saliency")
@click.argument("model", type=click.Path(exists=True, dir_okay=False))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--class", "class_name", default=None,
              help="Class to explain (default: the model's top class for FILE).")
@click.option("--objective", type=click.Choice(OBJECTIVES), default="logit", show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("saliency"),
              show_default=True, help="Folder for saliency.npz and the pictures.")
@click.option("--max-segments", type=click.IntRange(min=0), default=8, show_default=True,
              help="Pictures of at most this many segments (the track's is always drawn).")
def saliency_command(model, file, class_name, objective, out, max_segments):
    """Which parts of FILE made MODEL say --class: gradient, gradient x input and Grad-CAM,
    per segment and over the whole track."""
    try:
        measure.check_outside_run(out, model)
        with staged_folder(out) as folder:
            found = measure.saliency_of_file(
                model, file, folder, class_name, objective, max_segments,
                on_warning=lambda text: click.echo(f"warning: {file}: {text}", err=True))
    except ERRORS as exc:
        raise click.ClickException(str(exc))
    result, class_name, tail = found["result"], found["class"], found["uncovered"]
    missing = [] if "grad-cam" in result.track else [" (no Grad-CAM: the model has no 2-D "
                                                     "convolution)"]
    tail = (f"; the last {tail:.1f} s are not analysed (shorter than a segment)" if tail > 0
            else "")
    click.echo(f"{file}: {class_name} score {float(np.mean(result.scores)):.3f} (mean of "
               f"{len(result.starts)} segments); maps {', '.join(result.track)}"
               f"{''.join(missing)} in {out}{tail}")
    if not found["pictures"]:
        click.echo(pictures.SKIPPED, err=True)
