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
from tinymir.explain.saliency import saliency
from tinymir.nn.serialization import ModelFileError
from tinymir.staged import staged_folder
from tinymir.train.inputs import front_end_features
from tinymir.train.predict import Predictor
from tinymir.train.run import RunError

from .dataset import dataset_option, reader_option, reader_options

ERRORS = (RunError, DatasetError, ModelFileError, audio.AudioError, ValueError, OSError)


@click.group("explain")
def explain_group():
    """Explain a trained model: most representative inputs, saliency."""


def _outside_the_run(out, model) -> None:
    """Refuse an --out that is the folder of MODEL (a training run, whose files a class or
    picture of the same name would replace)."""
    if Path(out).resolve() == Path(model).resolve().parent:
        raise click.ClickException(f"--out {out} is the folder of {model}, whose files would be "
                                   "replaced by those of the same names; give another folder")


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
    _outside_the_run(out, model)
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
        _outside_the_run(out, model)
        predictor = Predictor.load(model)
        if class_name is not None and class_name not in predictor.classes:
            raise RunError(f"{model}: no class {class_name!r} (it has "
                           f"{', '.join(predictor.classes)})")
        features = front_end_features(file, predictor.front)
        predicted = predictor.predict_file(file, top=1)
        if "warning" in predicted:
            click.echo(f"warning: {file}: {predicted['warning']}", err=True)
        class_name = class_name or predicted["top"][0][0]
        try:
            result = saliency(predictor.model, features, predictor.front, predictor.standardize,
                              predictor.classes.index(class_name), objective,
                              predictor.multilabel)
        except ValueError as exc:
            raise RunError(f"{file}: {exc}") from None
        with staged_folder(out) as folder:
            drawing = _write_saliency(folder, result, predictor, file, class_name,
                                      max_segments)
    except ERRORS as exc:
        raise click.ClickException(str(exc))
    missing = [] if "grad-cam" in result.track else [" (no Grad-CAM: the model has no 2-D "
                                                     "convolution)"]
    tail = pictures.uncovered_seconds(result, predictor.front.segment_frames,
                                      predictor.front.feature_params())
    tail = (f"; the last {tail:.1f} s are not analysed (shorter than a segment)" if tail > 0
            else "")
    click.echo(f"{file}: {class_name} score {float(np.mean(result.scores)):.3f} (mean of "
               f"{len(result.starts)} segments); maps {', '.join(result.track)}"
               f"{''.join(missing)} in {out}{tail}")
    if not drawing:
        click.echo(pictures.SKIPPED, err=True)


def _write_saliency(out, result, predictor, file, class_name, max_segments) -> bool:
    """saliency.npz and (with matplotlib) the pictures in ``out``; whether they were drawn."""
    np.savez(out / "saliency.npz", features=result.features, starts=result.starts,
             scores=result.scores, label=np.array(class_name),
             **{f"track_{k.replace(' ', '_')}": v for k, v in result.track.items()},
             **{f"segments_{k.replace(' ', '_')}": v for k, v in result.per_segment.items()})
    drawing = pictures.available()
    if drawing:
        pictures.saliency_pictures(out, result, predictor.front.feature_params(),
                                   predictor.front.segment_frames, Path(file).name, class_name,
                                   max_segments)
    return drawing


COMMANDS = [explain_group]
