"""Seed 001's measure for a trained model file: per class, the *maximum achievable score* (the
score of the most representative input found by :mod:`tinymir.explain.represent`) against the
*best real track's score*, and their difference; per period when the tracks carry years.

A real track's score for class c is the mean over its segments of the same score the optimisation
maximises (logit or log-probability), computed exactly as ``tinymir predict`` reads the track.
The best real track of class c is the highest-scoring track labelled c. Periods: boundaries
``b_0 < b_1 < ... < b_k`` make the periods ``[b_0, b_1), ..., [b_k, ...)``; tracks without a
year or from before ``b_0`` are left out of the per-period table (and counted).

``represent_model`` writes, per class: ``<class>.npz`` (the optimised input as features,
standardised values, the feature parameters to invert it, the score trajectory), ``<class>.png``
and, with ``audio_dir``, ``<class>.wav``; then ``scores.csv`` / ``scores.md`` (and
``scores.png``), and ``periods.csv`` (and ``periods.png``) when periods are asked for.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import asdict
from pathlib import Path

import numpy as np

from tinymir import audio, backend
from tinymir.features import FeatureParams, compute
from tinymir.features.inverse import check_invertible, features_to_audio
from tinymir.features.npz import load_features
from tinymir.predict.predictor import Predictor
from tinymir.progress import Progress
from tinymir.staged import staged_files
from tinymir.train.config import RunError
from tinymir.train.evaluate import segment_logits
from tinymir.train.inputs import (
    extract_tracks,
    frame_view,
    front_end_features,
    segment_batches,
    segment_tracks,
)
from tinymir.train.prepare import read_table

from . import pictures
from .represent import Settings, optimise, starting_inputs
from .saliency import saliency, write_saliency


def all_class_scores(logits, objective: str, multilabel: bool) -> np.ndarray:
    """Host ``(n, classes)`` scores: the logits, or the log-probabilities (log softmax for one
    label per track, log sigmoid for tags)."""
    z = backend.to_host(logits).astype(np.float64)
    if objective == "logit":
        return z
    if multilabel:
        return -np.logaddexp(0, -z)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def track_scores(predictor: Predictor, tracks, objective: str, cache_root=None,
                 progress: bool = True):
    """``score[t, c] = mean over the segments s of track t of score_c(s)``: scores
    ``(n_tracks, classes)`` of ``tracks``, read as ``tinymir predict`` reads them; rows of
    unreadable tracks are NaN, and the ``(path, reason)`` of each is returned too.

    Parameters
    ----------
    predictor : Predictor
        The loaded model file (model, front end, standardisation, classes).
    tracks : list of Track
        The tracks to score.
    objective : {"logit", "logprob"}
        The score of :func:`all_class_scores`.
    cache_root : path or None, default None
        A feature cache for the tracks' features; None computes them.
    progress : bool, default True
        Show a progress bar on stderr.
    """
    feats, skipped = extract_tracks(tracks, predictor.front, cache_root, progress=progress)
    segments = segment_tracks(feats, predictor.front)
    out = np.full((len(tracks), len(predictor.classes)), np.nan)
    if len(segments) == 0:
        return out, skipped
    batches = segment_batches(feats, segments, np.zeros(len(tracks)), predictor.standardize, 64,
                              shuffle=False)
    scores = all_class_scores(segment_logits(predictor.model, batches), objective,
                              predictor.multilabel)
    counts = np.bincount(segments.track, minlength=len(tracks))
    sums = np.zeros_like(out)
    np.add.at(sums, segments.track, scores)
    has = counts > 0
    out[has] = sums[has] / counts[has, None]
    return out, skipped


def best_tracks(table, scores, classes, members=None) -> list:
    """``argmax over tracks t labelled c of scores[t, c]``: for each class, ``(track id,
    score)`` of the highest-scoring track labelled with it among ``members``, or ``None`` when
    there is none (tracks with a NaN score are left out).

    Parameters
    ----------
    table : TrackTable
        The tracks and their labels, in the rows' order of ``scores``.
    scores : ndarray
        ``(n_tracks, len(classes))`` scores from :func:`track_scores`.
    classes : list of str
        The class of each column of ``scores``.
    members : iterable of int or None, default None
        Row indices to look among; None: every track.
    """
    members = range(len(table)) if members is None else members
    best = []
    for c, name in enumerate(classes):
        rows = [i for i in members if name in table.tracks[i].labels and
                np.isfinite(scores[i, c])]
        if not rows:
            best.append(None)
            continue
        top = max(rows, key=lambda i: scores[i, c])
        best.append((table.tracks[top].id, float(scores[top, c])))
    return best


def period_names(bounds) -> list[str]:
    bounds = sorted(int(b) for b in bounds)
    return [f"{a}-{b - 1}" for a, b in zip(bounds, bounds[1:])] + [f"{bounds[-1]}-"]


def period_of(year, bounds) -> int | None:
    """Index of the period holding ``year`` (module docstring), or None."""
    bounds = sorted(int(b) for b in bounds)
    if year is None or year < bounds[0]:
        return None
    return int(np.searchsorted(bounds, year, side="right")) - 1


def file_stem(name: str) -> str:
    """A class name as a safe file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "class"


def silence_slice(predictor: Predictor) -> np.ndarray:
    """Standardised features of one silent segment ``(1, bins, frames)``."""
    front = predictor.front
    samples = int(round(front.segment * front.sr)) + front.hop_length
    feats = backend.to_host(compute(np.zeros(samples, np.float32), front.feature_params()))
    feats = frame_view(feats.astype(np.float32), front)[:, :front.segment_frames]
    return predictor.standardize.transform(feats)[None]


def track_slice(predictor: Predictor, path) -> np.ndarray:
    """Standardised first segment ``(1, bins, frames)`` of the audio file ``path``."""
    feats = front_end_features(path, predictor.front)[:, :predictor.front.segment_frames]
    return predictor.standardize.transform(feats)[None]


def check_outside_run(out, model_path) -> None:
    """Refuse (:class:`RunError`) an output folder ``out`` that is the folder of the model file
    ``model_path`` (a training run, whose files a class or picture of the same name would
    replace)."""
    if Path(out).resolve() == Path(model_path).resolve().parent:
        raise RunError(f"--out {out} is the folder of {model_path}, whose files would be "
                       "replaced by those of the same names; give another folder")


def represent_model(model_path, out, settings: Settings = Settings(), data=None,
                    classes=None, start: str = "noise", audio_dir=None, periods=None,
                    dataset: str = "auto", reader_options=None, cache_root=None,
                    griffinlim_iterations: int = 32, progress: bool = True) -> dict:
    """Optimise the input of every class (or of ``classes``) of the model file and write the
    files of the module docstring to ``out``; returns the summary (also ``summary.json``).

    Parameters
    ----------
    model_path : path
        A model file of ``tinymir train``.
    out : path
        The folder for the files (made when missing).
    settings : Settings, default Settings()
        The optimisation's knobs (:class:`tinymir.explain.represent.Settings`).
    data : path or None, default None
        A dataset whose best real track of each class is compared; None: no comparison.
    classes : list of str or None, default None
        Only these classes; None: all of the model's.
    start : str, default "noise"
        ``"noise"``, ``"silence"`` or the path of an audio file (its first segment).
    audio_dir : path or None, default None
        Also write each class's input as ``<class>.wav`` here (Griffin-Lim).
    periods : list of int or None, default None
        Period boundaries (years, increasing): also the per-period table.
    dataset : str, default "auto"
        The reader of ``data`` (:func:`tinymir.data.read_dataset`).
    reader_options : dict or None, default None
        Options of that reader.
    cache_root : path or None, default None
        A feature cache for the tracks of ``data``.
    griffinlim_iterations : int, default 32
        Griffin-Lim iterations of the wav files.
    progress : bool, default True
        Show progress bars on stderr.
    """
    predictor = Predictor.load(model_path)
    names = list(predictor.classes)
    chosen = names if not classes else list(classes)
    unknown = [c for c in chosen if c not in names]
    if unknown:
        raise RunError(f"{model_path}: no class {', '.join(unknown)} (it has {', '.join(names)})")
    indices = np.array([names.index(c) for c in chosen])
    table = None
    if data is not None:                     # read and checked before the optimisation
        table = read_table(data, dataset, **(reader_options or {}))
        if not set(chosen) & set(table.classes):
            raise RunError(f"{data}: none of its classes ({', '.join(table.classes)}) is one "
                           f"of the model's ({', '.join(chosen)}), so there is no real track "
                           "to compare with; give data labelled with the model's classes")
        if periods and not any(track.year is not None for track in table.tracks):
            raise RunError(f"{data}: no track has a year, so there are no periods to compare; "
                           "leave out --by/--periods or give data with years")
    shape = predictor.front.input_shape
    if start in ("noise", "silence"):
        x0 = starting_inputs(start, len(chosen), shape,
                             silence=silence_slice(predictor) if start == "silence" else None,
                             seed=settings.seed)
    else:
        try:
            x0 = starting_inputs("track", len(chosen), shape,
                                 track=track_slice(predictor, start))
        except audio.AudioError as exc:
            raise RunError(str(exc)) from None

    with Progress(settings.steps, unit="steps", label="optimising inputs",
                  enabled=progress) as bar:
        result = optimise(predictor.model, backend.to_device(indices), x0, settings,
                          predictor.multilabel, on_step=lambda _: bar.advance())
    if not np.isfinite(result.x).all() or not np.isfinite(result.scores).all():
        raise RunError(f"{model_path}: the optimisation diverged (non-finite input or score); "
                       "try a smaller --lr")

    best = [None] * len(chosen)
    scores = None
    skipped = []
    if table is not None:
        scores, skipped = track_scores(predictor, table.tracks, settings.objective, cache_root,
                                       progress)
        best_all = best_tracks(table, scores, names)
        best = [best_all[i] for i in indices]

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    params = predictor.front.feature_params()
    drawing = pictures.available()
    unit = pictures.value_unit(params)
    rows = []
    inputs = [predictor.standardize.inverse_transform(x) for x in result.x[:, 0]]
    average = np.mean(inputs, axis=0) if len(inputs) > 1 else None   # beside each class
    for row, name in enumerate(chosen):
        standardised = result.x[row, 0]
        values = inputs[row]
        stem = file_stem(name)
        np.savez(out / f"{stem}.npz", features=values, standardised=standardised,
                 params=np.array(json.dumps(params.to_dict(), sort_keys=True)),
                 front=np.array(json.dumps(predictor.front.to_dict())),
                 trajectory=result.trajectory[:, row], score=result.scores[row],
                 label=np.array(name), objective=np.array(settings.objective),
                 settings=np.array(json.dumps(asdict(settings))))
        if drawing:
            pictures.representative(out / f"{stem}.png", values, params,
                                    result.trajectory[:, row], name,
                                    float(result.scores[row]), best[row], unit, average)
        if audio_dir is not None:
            write_audio(Path(audio_dir) / f"{stem}.wav", values, params, griffinlim_iterations,
                        settings.seed)
        entry = {"class": name, "max_score": float(result.scores[row]),
                 "start_score": float(result.trajectory[0, row])}
        if best[row] is not None:
            entry.update(best_track=best[row][0], best_score=best[row][1],
                         difference=float(result.scores[row]) - best[row][1])
        rows.append(entry)

    summary = {"model": str(model_path), "objective": settings.objective, "start": str(start),
               "settings": asdict(settings), "classes": rows, "pictures": drawing,
               "skipped": skipped}
    write_table(out / "scores", rows, ("class", "max_score", "best_track", "best_score",
                                       "difference", "start_score"))
    if drawing and table is not None:
        kept = [r for r in rows if "best_score" in r]
        pictures.score_bars(out / "scores.png", [r["class"] for r in kept],
                            [r["max_score"] for r in kept], [r["best_score"] for r in kept],
                            "max achievable score vs best real track",
                            f"class score ({settings.objective})")
    if periods and table is not None:
        summary["periods"] = per_period(out, table, scores, names, chosen, result.scores,
                                        periods, settings.objective, drawing)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def per_period(out, table, scores, names, chosen, achievable, bounds, objective, drawing):
    """``difference[c, p] = achievable[c] - best real score of class c in period p``: the
    per-period table (``periods.csv``, ``periods.png``); returns ``{"rows", "left_out"}`` (the
    table's rows and how many tracks fall in no period).

    Parameters
    ----------
    out : Path
        The folder to write into.
    table : TrackTable
        The tracks, with their years.
    scores : ndarray
        ``(n_tracks, len(names))`` scores from :func:`track_scores`.
    names : list of str
        The model's classes (the columns of ``scores``).
    chosen : list of str
        The classes optimised, in the order of ``achievable``.
    achievable : ndarray
        The maximum achievable score of each chosen class.
    bounds : list of int
        Period boundaries (years); see the module docstring.
    objective : str
        The score's name, for the picture's axis.
    drawing : bool
        Also draw ``periods.png`` (matplotlib is there).
    """
    labels = period_names(bounds)
    members = [[] for _ in labels]
    left_out = 0
    for i, track in enumerate(table.tracks):
        period = period_of(track.year, bounds)
        if period is None:
            left_out += 1
        else:
            members[period].append(i)
    rows, differences = [], []
    for row, name in enumerate(chosen):
        line = []
        for period, member in zip(labels, members):
            best = best_tracks(table, scores, names, member)[names.index(name)]
            entry = {"class": name, "period": period, "tracks": sum(
                name in table.tracks[i].labels for i in member),
                "max_score": float(achievable[row])}
            if best is not None:
                entry.update(best_track=best[0], best_score=best[1],
                             difference=float(achievable[row]) - best[1])
            rows.append(entry)
            line.append(entry.get("difference", np.nan))
        differences.append(line)
    write_table(out / "periods", rows, ("class", "period", "tracks", "max_score", "best_track",
                                        "best_score", "difference"))
    if drawing:
        pictures.period_lines(out / "periods.png", chosen, labels, differences,
                              f"max achievable - best real track ({objective})")
    return {"rows": rows, "left_out": left_out}


def write_table(stem: Path, rows: list[dict], columns) -> None:
    """``stem.csv`` and ``stem.md`` with ``columns`` (empty cells for missing values)."""
    def cell(value):
        return f"{value:.4f}" if isinstance(value, float) else str(value)

    with open(stem.with_suffix(".csv"), "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows([[cell(r[c]) if c in r else "" for c in columns] for r in rows])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(r[c]) if c in r else "" for c in columns) + " |"
              for r in rows]
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")


def write_audio(path: Path, values, params: FeatureParams, n_iter: int = 32, seed: int = 0):
    """``y = 0.9 y / max|y|`` for ``y`` the features back to audio (:func:`features_to_audio`),
    written as a wav at ``params.sr``; returns ``y`` before the normalisation.

    Parameters
    ----------
    path : Path
        The audio file to write (its folder is made when missing).
    values : ndarray
        Features ``(bins, frames)`` that ``params`` computed.
    params : FeatureParams
        Their parameters.
    n_iter : int, default 32
        Griffin-Lim iterations.
    seed : int, default 0
        Seed of Griffin-Lim's initial phases.
    """
    y = backend.to_host(features_to_audio(backend.to_device(values, np.float32), params,
                                          n_iter, seed))
    peak = float(np.abs(y).max()) if y.size else 0.0
    if not np.isfinite(peak):
        raise RunError(f"{path}: the inverted audio is not finite")
    path.parent.mkdir(parents=True, exist_ok=True)
    audio.write(path, y * (0.9 / peak) if peak > 0 else y, params.sr)
    return y


def invert_file(path, out, n_iter: int = 32, seed: int = 0) -> tuple:
    """Every clip of the feature file ``path`` (:func:`tinymir.features.npz.load_features`,
    each checked by :func:`tinymir.features.inverse.check_invertible`) back to audio
    (:func:`write_audio`): ``out`` for one clip, ``OUT_000.wav``, ``OUT_001.wav``, ... for
    several. The files are written only once every clip has been turned back (files already
    there are replaced then, not before). Returns ``(params, paths written)``.

    Parameters
    ----------
    path : path
        An ``.npz`` of ``tinymir features`` or ``tinymir explain represent``.
    out : path
        The audio file to write (a name ending in one of ``audio.WRITE_EXTENSIONS``).
    n_iter : int, default 32
        Griffin-Lim iterations.
    seed : int, default 0
        Seed of Griffin-Lim's initial phases.
    """
    out = Path(out)
    if out.suffix.lstrip(".").lower() not in audio.WRITE_EXTENSIONS:
        raise ValueError(f"--out {out}: an audio file name ending in "
                         f".{', .'.join(sorted(audio.WRITE_EXTENSIONS))}")
    params, clips = load_features(path)
    for clip in clips:
        check_invertible(clip, params, str(path))
    paths = [out] if len(clips) == 1 else [
        out.with_name(f"{out.stem}_{k:03d}{out.suffix}") for k in range(len(clips))]
    with staged_files(paths) as temps:
        for temp, clip in zip(temps, clips):
            write_audio(temp, clip, params, n_iter, seed)
    return params, paths


def saliency_of_file(model_path, path, out, class_name: str | None = None,
                     objective: str = "logit", max_segments: int = 8,
                     on_warning=None) -> dict:
    """Saliency of the audio file ``path`` for one class of the model file ``model_path``
    (:func:`tinymir.explain.saliency.saliency`), written to the folder ``out``
    (:func:`tinymir.explain.saliency.write_saliency`).

    Returns ``{"class", "result", "warning", "pictures", "uncovered"}``: the class explained
    (the model's top class for the file when ``class_name`` is None), the
    :class:`~tinymir.explain.saliency.Saliency`, the prediction's warning about the clip (or
    None), whether pictures were drawn, and the seconds at the end that no whole segment covers.

    Parameters
    ----------
    model_path : path
        A model file of ``tinymir train``.
    path : path
        The audio file to explain.
    out : path
        The folder for ``saliency.npz`` and the pictures (made when missing).
    class_name : str or None, default None
        The class to explain; None: the model's top class for the file.
    objective : {"logit", "logprob"}, default "logit"
        The score whose gradient is taken.
    max_segments : int, default 8
        Pictures of at most this many segments (the track's is always drawn).
    on_warning : callable or None, default None
        ``on_warning(text)`` as soon as the prediction warns about the clip (before the
        saliency is computed, so the warning is seen even when that fails).
    """
    predictor = Predictor.load(model_path)
    if class_name is not None and class_name not in predictor.classes:
        raise RunError(f"{model_path}: no class {class_name!r} (it has "
                       f"{', '.join(predictor.classes)})")
    features = front_end_features(path, predictor.front)
    predicted = predictor.predict_file(path, top=1)
    if on_warning is not None and "warning" in predicted:
        on_warning(predicted["warning"])
    class_name = class_name or predicted["top"][0][0]
    try:
        result = saliency(predictor.model, features, predictor.front, predictor.standardize,
                          predictor.classes.index(class_name), objective, predictor.multilabel)
    except ValueError as exc:
        raise RunError(f"{path}: {exc}") from None
    params, segment_frames = predictor.front.feature_params(), predictor.front.segment_frames
    drawing = write_saliency(Path(out), result, params, segment_frames, Path(path).name,
                             class_name, max_segments)
    return {"class": class_name, "result": result, "warning": predicted.get("warning"),
            "pictures": drawing,
            "uncovered": pictures.uncovered_seconds(result, segment_frames, params)}
