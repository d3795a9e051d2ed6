"""A dataset made ready for training: tracks, the named split, features, segments.

    dataset -> track split (named, :data:`~tinymir.train.config.SPLITS`) -> training part
    resampled (tags, optional) -> features per track (feature cache) -> segments per part

:func:`prepare` refuses, before any training, what cannot make a run: one class, an empty
part, a segment longer than every track, a training part of one class.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from tinymir import audio, models
from tinymir.data import DatasetError, balance, read_dataset
from tinymir.data import splits as splitting
from tinymir.data.splits import make_split  # training's split rule, beside the other split makers

from .augment import Augmenter
from .augment import parse as parse_augment
from .config import RunError, TrainConfig
from .inputs import db_response, extract_tracks, segment_tracks


def read_table(data, dataset: str = "auto", **options):
    try:
        return read_dataset(data, dataset=dataset, **options)
    except DatasetError:
        raise
    except (OSError, ValueError) as exc:
        raise RunError(f"{data}: cannot read the dataset ({exc})") from None


UPSAMPLING_SIZE = 0.5      # seed 000: rare tags copied up to half the most frequent tag's count
DOWNSAMPLING_SIZE = 0.5    # seed 000: frequent tags lose half of their excess over the rarest


def resample_train(split, table, method: str, seed: int):
    """``split`` with its training part resampled by seed 000's multi-label rules
    (:mod:`tinymir.data.balance`): ``oversample`` repeats tracks of rare tags, ``undersample``
    drops tracks of frequent ones; validation and test are never touched.

    Parameters
    ----------
    split : Split
        The track split.
    table : TrackTable
        The tracks (tags: their label matrix).
    method : str
        ``"none"``, ``"oversample"`` or ``"undersample"``.
    seed : int
        Seed of the tracks repeated or dropped.
    """
    if method == "none":
        return split
    train = split["train"]
    targets = table.label_matrix()[train]
    if method == "oversample":
        keep = balance.upsample_multilabel(targets, UPSAMPLING_SIZE, seed=seed)
    else:
        keep = balance.downsample_multilabel(targets, DOWNSAMPLING_SIZE, seed=seed)
    return splitting.Split(f"{split.name}; training part {method}d to {len(keep)} tracks",
                           {**split, "train": train[keep]})


@dataclass
class Prepared:
    """A dataset ready for training: tracks, targets, split, features and segments."""
    table: object
    split: dict
    front: models.FrontEnd
    feats: list
    targets: np.ndarray
    segments: dict
    skipped: list
    feature_seconds: float
    classes: list
    multilabel: bool


def prepare(config: TrainConfig, stream=None, progress: bool = False) -> Prepared:
    table = read_table(config.data, config.dataset, **config.reader_options)
    if len(table.classes) < 2:
        raise RunError(f"{config.data}: only one class ({', '.join(table.classes) or 'none'}) "
                       "in the dataset; a classifier needs at least two")
    split = make_split(table, config.split, config.split_seed_or_seed(), config.fold,
                       config.folds)
    grouped = config.split in ("group", "group-kfold")
    splitting.check_no_leak(split, table.ids, table.groups if grouped else None)
    split = resample_train(split, table, config.resample, config.seed)
    for part in ("train", "val", "test"):
        if part not in split or len(split[part]) == 0:
            raise RunError(f"{config.data}: the {split.name} split leaves no {part} tracks "
                           f"({len(table)} tracks in all); use more tracks or another --split")
    front = config.front_end
    start = time.perf_counter()
    lengths: list = []
    feats, skipped = extract_tracks(table.tracks, front, config.cache, config.jobs,
                                    progress=progress, lengths=lengths)
    seconds = time.perf_counter() - start
    check_segment(front, lengths, config.data, stream)
    targets = table.label_matrix() if table.multilabel else table.label_indices()
    segments = {part: segment_tracks(feats, front, split[part])
                for part in ("train", "val", "test")}
    for part, s in segments.items():
        if len(s) == 0:
            raise RunError(f"{config.data}: no readable {part} track ({len(skipped)} skipped, "
                           f"e.g. {skipped[0] if skipped else '-'})")
    train_classes = set(np.flatnonzero(np.atleast_2d(
        table.label_matrix()[split["train"]]).sum(axis=0)))
    if len(train_classes) < 2:
        raise RunError(f"{config.data}: the training part holds one class only")
    return Prepared(table, split, front, feats, targets, segments, skipped + table.skipped,
                    seconds, table.classes, table.multilabel)


def check_segment(front: models.FrontEnd, lengths: list, data, stream=None) -> None:
    """Refuse a segment longer than every track (each segment would be one track repeated);
    warn when some tracks are shorter than a segment. ``lengths`` are the tracks' frames.

    Parameters
    ----------
    front : FrontEnd
        The front end (its segment, in seconds and frames).
    lengths : list of int
        Each readable track's frames.
    data : str or Path
        The dataset (named in the error).
    stream : file, optional
        Where the warning goes (None: no warning).
    """
    short = sum(n < front.segment_frames for n in lengths)
    if not short:
        return
    if short == len(lengths):
        longest = (max(lengths) - 1) * front.hop_length / front.sr
        raise RunError(f"{data}: --segment {front.segment:g} s is longer than every track (the "
                       f"longest is about {longest:.3g} s after trimming): each segment would be "
                       "one track repeated; choose a shorter --segment")
    if stream is not None:
        stream.write(f"warning: {short} of {len(lengths)} tracks are shorter than one "
                     f"{front.segment:g} s segment; each is repeated to fill its segment\n")


def report_skipped(skipped: list, stream, named: int = 10) -> None:
    """One line per skipped file (the first ``named``) and the count; all are in report.json."""
    for path, reason in skipped[:named]:
        stream.write(audio.skipped_line(path, reason) + "\n")
    if len(skipped) > named:
        stream.write(f"... and {len(skipped) - named} more skipped files (see report.json)\n")
    if skipped:
        stream.write(f"{len(skipped)} file(s) skipped; training goes on with the rest\n")


def make_augmenter(config: TrainConfig, prepared: Prepared, standardize):
    """The training batches' :class:`Augmenter` for ``config.augment`` (None when off)."""
    augmentations = parse_augment(config.augment)
    if not augmentations:
        return None
    direction = db_response(prepared.front) / standardize.std.astype(np.float64)
    return Augmenter(augmentations, seed=config.seed, gain_direction=direction,
                     n_classes=None if prepared.multilabel else len(prepared.classes))
