"""A trained model file scored on a labelled dataset: segment- and track-level metrics.

    report = evaluate("runs/cnn3/model.npz", "data/demo", part="test")
    print(describe(report))

The tracks are cut and scored exactly as in training (:mod:`tinymir.train.evaluate`); with
``part`` one part of the model's own split is rebuilt from the name and seed in its file.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from tinymir.data.splits import DEFAULT_FOLDS, make_split
from tinymir.train.config import RunError
from tinymir.train.evaluate import evaluate_parts
from tinymir.train.inputs import extract_tracks, segment_tracks
from tinymir.train.prepare import Prepared, read_table
from tinymir.train.report import HEADLINE_SINGLE, HEADLINE_TAGS

from .predictor import BATCH_SIZE, Predictor


def read_labels_map(path) -> dict:
    """A labels map file: ``{the data's label: the model's class}``, from a TOML table
    ``[labels]`` (``"hip-hop" = "hiphop"``) or a JSON object ``{"labels": {...}}``. A label
    mapped to ``""`` (or left out, when it is not one of the model's classes) is not scored."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise RunError(f"{path}: cannot read the labels map ({reason})") from None
    try:
        if path.suffix == ".json":
            import json
            raw = json.loads(text)
        else:
            import tomllib
            raw = tomllib.loads(text)
    except ValueError as exc:
        raise RunError(f"{path}: not a valid labels map ({exc})") from None
    labels = raw.get("labels") if isinstance(raw, dict) else None
    if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                               for k, v in labels.items()):
        raise RunError(f'{path}: a labels map is a table [labels] of "data label" = "model '
                       'class" lines')
    return dict(labels)


def evaluate(model_path, data, part: str = "all", dataset: str = "auto",
             reader_options: dict | None = None, cache_root=None, jobs: int = 1,
             labels_map: dict | None = None) -> dict:
    """Segment- and track-level metrics of the model file on the tracks of ``data``.

    ``part="all"`` scores every track; ``train``/``val``/``test`` rebuild the split the model
    was trained with (same method and seed) and score that part only. ``training_tracks`` in
    the report counts the scored tracks the model was trained on, when ``data`` is its
    training set (see :func:`training_warning`). ``n_tracks`` counts the tracks scored, not the
    unreadable ones (those are in ``skipped``).
    With ``cache_root`` the features come from (and go to) the feature cache that training uses.

    Another collection: ``labels_map`` (:func:`read_labels_map`) renames the data's labels to
    the model's classes; a track whose label is no class of the model (after the map) is left
    out and counted in ``left_out`` (``{label: tracks}``). Metrics cover the classes present.

    Parameters
    ----------
    model_path : str or Path
        A model file written by ``tinymir train``.
    data : str or Path
        The labelled dataset (a folder or a table, see :func:`tinymir.data.read_dataset`).
    part : {"all", "train", "val", "test"}, default "all"
        Every track, or one part of the split the model was trained with.
    dataset : str, default "auto"
        The reader of ``data`` (``auto`` picks it from the layout).
    reader_options : dict or None, default None
        Keyword arguments of the reader (label or tags column, minimum count, top N).
    cache_root : str, Path or None, default None
        The feature cache's folder; None computes the features without a cache.
    jobs : int, default 1
        Processes that compute features.
    labels_map : dict or None, default None
        ``{data label: model class}`` (:func:`read_labels_map`); None requires the data's
        labels to be the model's classes.

    Returns
    -------
    dict
        ``model``, ``arch``, ``data``, ``part``, ``n_tracks``, ``training_tracks``, ``skipped``,
        ``labels_map``, ``left_out``, ``multilabel`` and the ``segments`` and ``tracks``
        metrics (see :func:`describe`).
    """
    predictor = Predictor.load(model_path)
    meta = predictor.metadata
    table = read_table(data, dataset, **(reader_options or {}))
    known = set(predictor.classes)
    mapping = labels_map or {}
    wrong = sorted({c for c in mapping.values() if c and c not in known})
    if wrong:
        raise RunError(f"the labels map names {', '.join(wrong)}, which the model does not have "
                       f"(its classes: {', '.join(predictor.classes)})")
    labels_of = [[mapping.get(label, label) for label in track.labels] for track in table.tracks]
    unknown = sorted({label for labels in labels_of for label in labels} - known)
    if unknown and labels_map is None:
        raise RunError(f"{data}: classes {', '.join(unknown)} are not among the model's "
                       f"({', '.join(predictor.classes)}); to score a collection with other "
                       "names, give --labels-map FILE (a [labels] table: data label = model "
                       "class)")
    usable = [any(label in known for label in labels) if table.multilabel
              else bool(labels) and labels[0] in known for labels in labels_of]
    left_out: dict = {}
    for labels, keep in zip(labels_of, usable):
        for label in labels:
            if label not in known and (not keep or table.multilabel):
                left_out[label] = left_out.get(label, 0) + 1
    if not any(usable):
        raise RunError(f"{data}: no track has a label among the model's classes "
                       f"({', '.join(predictor.classes)}), even after the labels map")
    if table.multilabel != predictor.multilabel:
        kind = "tags (multi-label)" if predictor.multilabel else "one label per track"
        raise RunError(f"{model_path} predicts {kind} but {data} is "
                       f"{'multi-label' if table.multilabel else 'single-label'}")
    same = trained_on(meta, data)
    split = None
    if part != "all" or same:
        split = make_split(table, meta.get("split_method", "random"),
                           meta.get("split_seed", meta.get("seed", 0)), meta.get("fold", 0),
                           meta.get("folds", DEFAULT_FOLDS))
    if part == "all":
        tracks, split_name = np.arange(len(table)), "all tracks"
    else:
        tracks, split_name = split[part], f"{split.name}, {part} part"
    tracks = np.asarray([t for t in tracks if usable[int(t)]], np.int64)
    index = {name: i for i, name in enumerate(predictor.classes)}
    if predictor.multilabel:
        targets = np.zeros((len(table), len(index)), np.float32)
        for row, labels in enumerate(labels_of):
            targets[row, [index[label] for label in labels if label in index]] = 1
    else:
        targets = np.array([index.get(labels[0], -1) if labels else -1 for labels in labels_of],
                           np.int64)
    start = time.perf_counter()
    part_feats, skipped = extract_tracks([table.tracks[int(t)] for t in tracks],
                                         predictor.front, cache_root, jobs, progress=False)
    feats = [None] * len(table)
    for t, f in zip(tracks, part_feats):
        feats[int(t)] = f
    scored = np.array([t for t, f in zip(tracks, part_feats) if f is not None], np.int64)
    seen = int(np.isin(scored, split["train"]).sum()) if same else 0
    segments = {"eval": segment_tracks(feats, predictor.front, tracks)}
    if len(segments["eval"]) == 0:
        raise RunError(f"{data}: no readable track to evaluate ({len(skipped)} skipped)")
    prepared = Prepared(table, {"eval": np.asarray(tracks)}, predictor.front, feats, targets,
                        segments, skipped, time.perf_counter() - start, predictor.classes,
                        predictor.multilabel)
    results, _ = evaluate_parts(predictor.model, prepared, predictor.standardize, BATCH_SIZE,
                                predictor.aggregate, predictor.thresholds if
                                predictor.multilabel else None, parts=("eval",))
    return {"model": str(model_path), "arch": meta.get("arch"), "data": str(data),
            "part": split_name, "n_tracks": int(len(scored)), "training_tracks": seen,
            "skipped": skipped + table.skipped, "labels_map": mapping, "left_out": left_out,
            "multilabel": predictor.multilabel, **results["eval"]}


def trained_on(meta: dict, data) -> bool:
    """Whether ``data`` is the dataset the model was trained on (the same folder)."""
    try:
        return Path(meta["data"]).resolve() == Path(data).resolve()
    except (KeyError, TypeError, OSError):
        return False


def training_warning(report: dict) -> str | None:
    """A line saying that the score includes tracks the model was trained on, if it does."""
    seen = report.get("training_tracks", 0)
    if not seen:
        return None
    return (f"warning: {seen} of the {report['n_tracks']} tracks scored are training tracks of "
            "this model, so the figures flatter it; --part test scores unseen tracks only")


def describe(report: dict) -> str:
    """The evaluation as a few lines of text; the first names what was scored."""
    seen = report.get("training_tracks", 0)
    lines = [f"scored {report['n_tracks']} tracks of {report['data']} ({report['part']}"
             f"{f', {seen} of them training tracks' if seen else ''}; "
             f"{len(report['skipped'])} skipped) with {report['arch']} model {report['model']}"]
    if report.get("labels_map"):
        lines.append("  labels mapped: " + ", ".join(f"{a} -> {b or '(left out)'}"
                                                    for a, b in report["labels_map"].items()))
    if report.get("left_out"):
        lines.append("  left out (no class of the model): " + ", ".join(
            f"{label} ({n} track{'s' * (n != 1)})"
            for label, n in sorted(report["left_out"].items())))
    keys = HEADLINE_TAGS if report["multilabel"] else HEADLINE_SINGLE
    for level in ("segments", "tracks"):
        result = report[level]
        lines.append(f"  {level:<7} " + ", ".join(f"{name} {result[key]:.4f}"
                                                  for key, name in keys))
    return "\n".join(lines)
