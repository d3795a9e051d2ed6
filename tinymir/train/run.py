"""A whole training run, as ``tinymir train`` does it, and the model file it leaves behind.

    dataset -> track split (named) -> features per track -> segments -> standardise (train stats)
    -> train (best epoch kept) -> segment and track scores on validation and test -> reports

RUN_DIR holds ``model.npz`` (architecture, weights, front end, class names, standardisation,
tag thresholds: everything ``predict`` needs), ``state.npz`` (the run state ``--resume`` reads),
``best.npz`` (weights of the best epoch so far), ``history.csv``, ``report.json``,
``report.md`` and, with matplotlib, ``confusion.png`` and ``curves.png``.
"""
from __future__ import annotations

import dataclasses
import inspect
import json
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinymir import audio, backend, metrics, models, nn
from tinymir.atomic import write_text
from tinymir.data import DatasetError, balance, read_dataset
from tinymir.data import splits as splitting
from tinymir.data.balance import class_weights
from tinymir.data.readers import DATASETS
from tinymir.data.segments import aggregate_by_track
from tinymir.data.standardize import Standardizer

from . import report as reporting
from .augment import Augmenter, AugmentError
from .augment import describe as describe_augment
from .augment import parse as parse_augment
from .callbacks import BestEpoch, EarlyStopping, PlateauLR
from .checkpoint import load_state
from .evaluate import choose_thresholds, multilabel_report, probabilities, single_label_report
from .inputs import db_response, extract_tracks, segment_batches, segment_tracks
from .loop import Diverged, Trainer

SPLITS = ("random", "group", "filtered", "official", "kfold", "group-kfold")
DEFAULT_FOLDS = 5
OPTIMIZERS = ("adam", "sgd")
STATE_FILE = "state.npz"
BEST_FILE = "best.npz"
MODEL_FILE = "model.npz"
CONFIG_FILE = "config.json"
RUN_FILES = (STATE_FILE, BEST_FILE, MODEL_FILE, "history.csv", "report.json", "report.md",
             "curves.png", "confusion.png")     # what a run replacing an earlier one replaces
STAGING = ".new-run"     # where a run replacing an earlier one is built, inside RUN_DIR
PLATEAU_PATIENCE = 5     # epochs without a better validation score before lr /= 10 (default)
DEFAULT_PATIENCE = 3     # epochs without a better validation score before stopping


class RunError(ValueError):
    """A run that cannot go ahead as asked; the message says what is wrong and with what."""


@dataclass
class TrainConfig:
    """Everything that defines a run; ``None`` means the architecture's (or seed's) default."""
    arch: str
    data: str
    out: str
    features: str | None = None
    segment: float | None = None
    overlap: float | None = None
    n_fft: int | None = None
    hop_length: int | None = None
    n_mels: int | None = None
    n_mfcc: int | None = None
    split: str = "random"
    split_seed: int | None = None
    fold: int = 0
    folds: int = DEFAULT_FOLDS
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    optimizer: str | None = None
    seed: int = 0
    class_weights: bool | None = None
    patience: int | None = None
    lr_patience: int = PLATEAU_PATIENCE
    early_stopping: bool = True
    aggregate: str = "mean"
    rnn: str | None = None
    dataset: str = "auto"
    reader_options: dict = field(default_factory=dict)
    cache: str | None = None
    jobs: int = 1
    augment: str | None = None
    resample: str = "none"

    def front(self) -> models.FrontEnd:
        return models.default_front(self.arch).replace(
            kind=self.features, segment=self.segment, overlap=self.overlap,
            n_fft=self.n_fft, hop_length=self.hop_length, n_mels=self.n_mels,
            n_mfcc=self.n_mfcc)

    def split_seed_or_seed(self) -> int:
        """The split's seed: ``split_seed``, or the run's seed when that is not given (an
        experiment grid fixes the split and varies the seed)."""
        return self.seed if self.split_seed is None else self.split_seed

    def arch_options(self) -> dict:
        return {"rnn": self.rnn} if self.rnn else {}


# -- data ---------------------------------------------------------------------------------
def make_split(table, method: str, seed: int, fold: int = 0, folds: int = DEFAULT_FOLDS):
    """The named track split of ``table`` for ``method`` in :data:`SPLITS`.

    ``random``, ``group`` and ``kfold`` stratify on the label; for tags they are not
    stratified, because stratifying on each track's rarest tag leaves almost nothing for a
    small side when most tags are rare (85 4Q clips with 28 tags: 58 / 11 / 1 tracks at random;
    the 70 clips with the tags on at least 6 of them, by artist: 59 / 11 / 0, and in 5 folds a
    validation part of 0 or 1 track)."""
    strata = [""] * len(table) if table.multilabel else table.strata()
    if method == "random" and table.multilabel:
        parts = splitting.stratified_split(strata, (0.8, 0.1, 0.1), seed=seed)
        return splitting.Split(f"random 80/10/10 by track (not stratified), seed {seed}", parts)
    if method == "random":
        return splitting.stratified_split(strata, (0.8, 0.1, 0.1), seed=seed)
    if method == "group":
        return splitting.group_split(strata, table.groups, (0.8, 0.1, 0.1), seed=seed)
    if method == "filtered":
        return splitting.filtered_split(table)
    if method == "official":
        return splitting.official_split(table)
    if method in ("kfold", "group-kfold"):
        grouped = method == "group-kfold"
        k_folds = (splitting.group_kfold(strata, table.groups, k=folds, seed=seed) if grouped
                   else splitting.stratified_kfold(strata, k=folds, seed=seed))
        if not 0 <= fold < len(k_folds):
            raise RunError(f"fold {fold} does not exist: choose 0..{len(k_folds) - 1}")
        rest, test = k_folds[fold]
        name = k_folds.name + (" (not stratified)" if table.multilabel else "")
        if grouped:         # the next fold validates: whole groups, however few there are
            val = k_folds[(fold + 1) % len(k_folds)][1]
            return splitting.Split(f"{name}, fold {fold} as test, fold "
                                   f"{(fold + 1) % len(k_folds)} as validation",
                                   {"train": np.setdiff1d(rest, val), "val": val, "test": test})
        inner = splitting.stratified_split([strata[i] for i in rest], (0.9, 0.1), seed=seed)
        return splitting.Split(f"{name}, fold {fold} as test; validation 10% of the rest",
                               {"train": rest[inner["train"]], "val": rest[inner["test"]],
                                "test": test})
    raise RunError(f"unknown split {method!r}: choose one of {', '.join(SPLITS)}")


RESAMPLING = ("none", "oversample", "undersample")
UPSAMPLING_SIZE = 0.5      # seed 000: rare tags copied up to half the most frequent tag's count
DOWNSAMPLING_SIZE = 0.5    # seed 000: frequent tags lose half of their excess over the rarest


def resample_train(split, table, method: str, seed: int):
    """``split`` with its training part resampled by seed 000's multi-label rules
    (:mod:`tinymir.data.balance`): ``oversample`` repeats tracks of rare tags, ``undersample``
    drops tracks of frequent ones; validation and test are never touched."""
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


def read_table(data, dataset: str = "auto", **options):
    try:
        return read_dataset(data, dataset=dataset, **options)
    except DatasetError:
        raise
    except (OSError, ValueError) as exc:
        raise RunError(f"{data}: cannot read the dataset ({exc})") from None


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
    front = config.front()
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
    warn when some tracks are shorter than a segment. ``lengths`` are the tracks' frames."""
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


# -- model, loss, optimiser ---------------------------------------------------------------
def make_loss(prepared: Prepared, weighted: bool):
    """Softmax cross-entropy, with class weights ``N / (K n_c)`` over the training tracks when
    ``weighted``; for tags binary cross-entropy, with positive weights ``n_neg / n_pos`` per tag
    unless ``weighted`` is False."""
    y = prepared.targets[prepared.split["train"]]
    if prepared.multilabel:
        if weighted is False:
            return nn.BinaryCrossEntropy()
        pos = y.sum(axis=0)
        return nn.BinaryCrossEntropy(pos_weight=((len(y) - pos) / np.maximum(pos, 1))
                                     .astype(np.float32))
    weights = class_weights(y, len(prepared.classes)) if weighted else None
    return nn.SoftmaxCrossEntropy(class_weights=weights)


def make_optimizer(name: str, model, lr: float, recipe: dict):
    if name == "adam":
        return nn.Adam(model.parameters(), lr=lr)
    if name == "sgd":
        decay = recipe.get("decay", 0.0) if recipe.get("name") == "sgd" else 0.0
        return nn.SGD(model.parameters(), lr=lr, momentum=recipe.get("momentum", 0.0),
                      decay=decay)
    raise RunError(f"unknown optimizer {name!r}: choose one of {', '.join(OPTIMIZERS)}")


# -- scoring ------------------------------------------------------------------------------
def segment_logits(model, batches) -> np.ndarray:
    out = []
    for x, _, _ in batches.epoch():
        out.append(backend.to_host(model.forward(x)))
    return np.concatenate(out)


def scores(model, prepared: Prepared, part: str, standardize,
           batch_size: int, aggregate: str):
    """Segment probabilities with their tracks, and the track scores of the tracks of ``part``
    that have segments (sorted track indices)."""
    s = prepared.segments[part]
    batches = segment_batches(prepared.feats, s, prepared.targets, standardize, batch_size,
                            shuffle=False)
    probs = probabilities(segment_logits(model, batches), prepared.multilabel)
    tracks, track_probs = aggregate_by_track(probs, s.track, aggregate)
    return probs, s.track, track_probs, tracks


def validator(prepared: Prepared, loss, standardize, batch_size: int,
              aggregate: str):
    """``validate(model)`` for the loop: track accuracy (tags: track ROC-AUC, macro), segment
    accuracy and the mean segment cross-entropy ``val_loss`` (``-log p_y``; for tags the binary
    cross-entropy averaged over tags), without class weights."""
    def validate(model):
        probs, segment_track, track_probs, tracks = scores(model, prepared, "val", standardize,
                                                         batch_size, aggregate)
        y_segments = prepared.targets[segment_track]
        p = np.clip(probs, 1e-7, 1 - 1e-7)
        if prepared.multilabel:
            return {"val_auc": metrics.roc_auc(prepared.targets[tracks], track_probs),
                    "val_loss": float(-(y_segments * np.log(p) + (1 - y_segments)
                                        * np.log(1 - p)).mean())}
        return {"val_acc": metrics.accuracy(prepared.targets[tracks], track_probs.argmax(axis=1)),
                "val_segment_acc": metrics.accuracy(y_segments, probs.argmax(axis=1)),
                "val_loss": float(-np.log(p[np.arange(len(p)), y_segments]).mean())}

    return validate


def evaluate_parts(model, prepared: Prepared, standardize, batch_size, aggregate,
                   thresholds=None, parts=("val", "test")) -> dict:
    """Segment-level and track-level reports of each part; tags use ``thresholds`` (chosen on
    validation when not given)."""
    out = {}
    classes = prepared.classes
    for part in parts:
        probs, segment_track, track_probs, tracks = scores(model, prepared, part, standardize,
                                                         batch_size, aggregate)
        if prepared.multilabel:
            if thresholds is None:
                thresholds = choose_thresholds(prepared.targets[tracks], track_probs)
            out[part] = {
                "segments": multilabel_report(prepared.targets[segment_track], probs, classes,
                                            thresholds),
                "tracks": multilabel_report(prepared.targets[tracks], track_probs, classes,
                                            thresholds)}
        else:
            out[part] = {
                "segments": single_label_report(prepared.targets[segment_track], probs, classes),
                "tracks": single_label_report(prepared.targets[tracks], track_probs, classes)}
    return out, thresholds


# -- the run ------------------------------------------------------------------------------
def train(config: TrainConfig, resume: bool = False, stream=None, progress: bool = True,
          overwrite: bool = False) -> dict:
    """Run (or resume) training as configured; writes RUN_DIR and returns the report.

    Nothing is written before the options are checked and the data is read (features
    computed). A fresh run refuses a RUN_DIR holding a run of another architecture unless
    ``overwrite``, and a folder holding files that are not a run; an earlier run there is
    replaced only after the new one has succeeded: the new run is built in RUN_DIR/.new-run
    and its files are moved over the old ones at the end (a failed or killed run leaves the
    earlier one as it was). A non-finite loss or gradient stops training
    (:class:`~tinymir.train.loop.Diverged`): the model file and reports are still written from
    the best epoch before it, when there is one, and a :class:`RunError` then says what
    happened (in a run replacing an earlier one, the earlier one is kept instead).
    """
    stream = stream if stream is not None else sys.stderr
    out = Path(config.out)
    if resume:
        config, earlier = check_config(config), None
    else:
        config = check_config(with_defaults(config))
        earlier = claim(out, config, overwrite)
    arch = models.get_arch(config.arch)
    prepared = prepare(config, stream, progress)
    work = out / STAGING if earlier else out
    if earlier:
        stream.write(f"note: replacing the earlier {earlier} run in {out} once this one has "
                     f"succeeded (`tinymir train --resume {out}` continues it instead)\n")
        shutil.rmtree(work, ignore_errors=True)         # what a killed replacing run left
    work.mkdir(parents=True, exist_ok=True)
    try:
        write_config(work, config)
        report = _fit(config, arch, prepared, work, out, resume, stream, progress,
                      keeps_earlier=bool(earlier))
        if earlier:
            replace_run(work, out)
    finally:
        if earlier:
            shutil.rmtree(work, ignore_errors=True)
    return report


def _fit(config: TrainConfig, arch, prepared: Prepared, work: Path, out: Path, resume: bool,
         stream, progress: bool, keeps_earlier: bool) -> dict:
    """Train, score and write the run's files into ``work`` (RUN_DIR, or the folder beside
    an earlier run); messages name ``out``."""
    front = prepared.front
    n_out = len(prepared.classes)
    standardize = Standardizer.fit_split(prepared.split, prepared.feats)
    model = models.build(config.arch, n_out, front=front, seed=config.seed,
                         **config.arch_options())
    loss = make_loss(prepared, config.class_weights)
    optimizer = make_optimizer(config.optimizer, model, config.lr, arch.optimizer)
    monitor = "val_auc" if prepared.multilabel else "val_acc"
    metadata = model_metadata(config, prepared, standardize)

    def save_best(epoch):
        nn.save(work / BEST_FILE, model, {**metadata, "epoch": epoch})

    callbacks = {"best": BestEpoch(monitor, save_best)}
    if config.lr_patience:
        callbacks["plateau"] = PlateauLR(nn.ReduceLROnPlateau(
            optimizer, mode="max", factor=0.1, patience=config.lr_patience), monitor)
    if config.early_stopping:
        callbacks["early_stopping"] = EarlyStopping(monitor, config.patience or DEFAULT_PATIENCE)
    batches = segment_batches(prepared.feats, prepared.segments["train"], prepared.targets,
                            standardize, config.batch_size, seed=config.seed)
    trainer = Trainer(model, loss, optimizer,
                      validator(prepared, loss, standardize, config.batch_size, config.aggregate),
                      callbacks, multilabel=prepared.multilabel, state_path=work / STATE_FILE,
                      stream=stream, progress=progress,
                      augment=make_augmenter(config, prepared, standardize))
    stream.write(f"{config.arch}: {model.num_params()} parameters, input {front.input_shape} "
                 f"({front.describe()})\n{prepared.split.name}: "
                 + ", ".join(f"{p} {len(prepared.split[p])} tracks / {len(prepared.segments[p])} "
                             f"segments" for p in ("train", "val", "test")) + "\n")
    report_skipped(prepared.skipped, stream)
    kept = f"; the earlier run in {out} is kept" if keeps_earlier else ""
    diverged = None
    try:
        with backend.batch_fits(config.batch_size, "--batch-size"):
            history = trainer.fit(batches, config.epochs, resume=resume)
    except Diverged as exc:
        diverged, history = exc, trainer.history
        if not (work / BEST_FILE).is_file():
            raise RunError(f"{out}: {exc}, before any epoch finished, so no model was "
                           f"written{kept}; try a lower --lr or check the input files") from None
    except nn.StateDictError as exc:
        raise RunError(f"{out / STATE_FILE} does not fit this run's network "
                       f"({str(exc)[:120]}...); start a new run with --out") from None
    except KeyboardInterrupt:
        raise Interrupted(interrupted(work, out, keeps_earlier, len(trainer.history))) from None
    if diverged is not None and keeps_earlier:
        raise RunError(f"{out}: {diverged}; nothing replaced{kept}; try a lower --lr or check "
                       "the input files")

    best, metadata = nn.load(work / BEST_FILE)
    with backend.batch_fits(config.batch_size, "--batch-size"):
        results, thresholds = evaluate_parts(best, prepared, standardize, config.batch_size,
                                             config.aggregate)
    if prepared.multilabel:
        metadata["thresholds"] = [float(t) for t in thresholds]
    nn.save(work / MODEL_FILE, best, metadata)
    report = build_report(config, prepared, best, history, results, metadata["epoch"])
    if diverged is not None:
        report["stopped"] = str(diverged)
    reporting.write_run(work, report, history, prepared.classes)
    if diverged is not None:
        raise RunError(f"{out}: {diverged}; {MODEL_FILE} and the reports hold epoch "
                       f"{metadata['epoch']}, the best before it, and {STATE_FILE} the state "
                       f"after epoch {len(history) and history[-1]['epoch']}; try a lower --lr "
                       "or check the input files")
    return report


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during training, after the run's files were put in order; ``str()`` says what
    was kept and how to go on (still a KeyboardInterrupt, so a notebook stops as usual)."""


def interrupted(work: Path, out: Path, keeps_earlier: bool, epochs_done: int) -> str:
    """What Ctrl-C during training leaves, in one line: in a run of its own, MODEL_FILE from
    the best epoch so far (not yet scored on the test tracks) and the state to resume from;
    in a run replacing an earlier one, the earlier run as it was."""
    if keeps_earlier:
        return (f"{out}: interrupted after {epochs_done} epoch(s); nothing replaced, the earlier "
                f"run in {out} is kept")
    if not (work / BEST_FILE).is_file():
        return (f"{out}: interrupted before the first epoch finished; no model was written; "
                "run the same command again to start over")
    model, metadata = nn.load(work / BEST_FILE)
    nn.save(work / MODEL_FILE, model, metadata)
    return (f"{out}: interrupted after {epochs_done} epoch(s); {out / MODEL_FILE} holds epoch "
            f"{metadata['epoch']}, the best so far (not yet scored on the test tracks); "
            f"`tinymir train --resume {out}` continues the run")


def claim(out: Path, config: TrainConfig, overwrite: bool) -> str | None:
    """Check RUN_DIR for a fresh run, writing nothing: None when it is new or empty, the
    architecture of an earlier run there (replaced after this one succeeds); a
    :class:`RunError` for a run of another architecture (unless ``overwrite``), a file, or a
    folder of other files."""
    if out.exists() and not out.is_dir():
        raise RunError(f"{out} is a file, not a run folder: choose another --out")
    cache = Path(config.cache).resolve() if config.cache else None
    held = sorted(p.name for p in out.iterdir()
                  if p.name != STAGING and p.resolve() != cache) if out.is_dir() else []
    if not held:
        return None
    saved = out / CONFIG_FILE
    if not saved.is_file():
        shown = ", ".join(held[:3]) + (", ..." if len(held) > 3 else "")
        raise RunError(f"{out} holds files that are not a tinymir run ({shown}): choose "
                       "another --out (a new or empty folder)")
    try:
        old = json.loads(saved.read_text()).get("arch")
    except (OSError, ValueError, AttributeError):
        old = None
    if old != config.arch and not overwrite:
        held = f"a {old}" if old else "an unreadable"
        raise RunError(f"{out} holds {held} run and this one is {config.arch}: choose "
                       "another --out, or add --overwrite to replace it")
    return str(old) if old else "unreadable"


def replace_run(work: Path, out: Path) -> None:
    """Move the finished run in ``work`` over the run in ``out``, file by file (each
    ``os.replace`` is atomic), config.json last; earlier run files the new run did not
    write (a picture without matplotlib) are removed."""
    new = sorted(p.name for p in work.iterdir() if p.name != CONFIG_FILE) + [CONFIG_FILE]
    for name in new:
        os.replace(work / name, out / name)
    for name in set(RUN_FILES) - set(new):
        (out / name).unlink(missing_ok=True)


def make_augmenter(config: TrainConfig, prepared: Prepared, standardize):
    """The training batches' :class:`Augmenter` for ``config.augment`` (None when off)."""
    augmentations = parse_augment(config.augment)
    if not augmentations:
        return None
    direction = db_response(prepared.front) / standardize.std.astype(np.float64)
    return Augmenter(augmentations, seed=config.seed, gain_direction=direction,
                     n_classes=None if prepared.multilabel else len(prepared.classes))


#: Whole-number options and their smallest value (None: may be unset).
WHOLE = {"epochs": 1, "batch_size": 1, "patience": 1, "lr_patience": 0, "jobs": 1, "fold": 0,
         "folds": 2, "seed": 0, "split_seed": 0, "n_fft": 1, "hop_length": 1, "n_mels": 1,
         "n_mfcc": 1}
#: Options that are one of a few words (None: may be unset).
CHOICES = {"split": SPLITS, "optimizer": OPTIMIZERS, "aggregate": ("mean", "vote"),
           "rnn": ("gru", "lstm"), "resample": RESAMPLING,
           "dataset": ("auto",) + DATASETS}
TEXT = ("arch", "data", "features", "augment", "cache")
FLAGS = ("class_weights", "early_stopping")


def option_name(field_name: str) -> str:
    """The command-line spelling of a :class:`TrainConfig` field: ``batch_size`` ->
    ``--batch-size``."""
    return "--" + field_name.replace("_", "-")


def check_types(config: TrainConfig) -> None:
    """Refuse a value of the wrong kind or range in any field (a grid file or a config.json
    can hold anything), one line naming the option."""
    for name, low in WHOLE.items():
        value = getattr(config, name)
        if value is None and name not in ("jobs", "fold", "seed"):
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise RunError(f"{option_name(name)} must be a whole number, got {value!r}")
        if value < low:
            raise RunError(f"{option_name(name)} must be {low} or more, got {value}")
    for name in ("segment", "overlap", "lr"):
        value = getattr(config, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not math.isfinite(value)):
            raise RunError(f"{option_name(name)} must be a number, got {value!r}")
    for name, words in CHOICES.items():
        value = getattr(config, name)
        if value is not None and value not in words:
            raise RunError(f"{option_name(name)} must be one of {', '.join(words)}, "
                           f"got {value!r}")
    for name in TEXT:
        value = getattr(config, name)
        paths = (str, os.PathLike) if name in ("data", "cache") else str
        if not (value is None and name != "arch" and name != "data") \
                and not isinstance(value, paths):
            raise RunError(f"{option_name(name)} must be text, got {value!r}")
    for name in FLAGS:
        value = getattr(config, name)
        if not isinstance(value, bool) and not (value is None and name == "class_weights"):
            raise RunError(f"{option_name(name)} must be true or false, got {value!r}")
    if not isinstance(config.reader_options, dict):
        raise RunError(f"reader_options must be a table of reader options, got "
                       f"{config.reader_options!r}")


def check_config(config: TrainConfig) -> TrainConfig:
    """Refuse options that cannot work, before any data is read; returns ``config`` with its
    augmentation spelled canonically."""
    check_types(config)
    if config.lr is not None and not config.lr > 0:
        raise RunError(f"--lr must be a positive number, got {float(config.lr)}")
    arch = models.get_arch(config.arch)
    accepted = set(inspect.signature(arch.layers).parameters)
    for option in config.arch_options():
        if option not in accepted:
            takers = [a.name for a in models.ARCHS.values()
                      if option in inspect.signature(a.layers).parameters]
            raise RunError(f"--{option} does not apply to {config.arch} (only "
                           f"{', '.join(takers) or 'no architecture'} takes it)")
    # the network built once on its input: refuses bad front-end options, a feature stack for a
    # 2-D net, and an input too small for the net's pooling, before any data is read
    models.build(config.arch, 2, front=config.front(), **config.arch_options())
    try:
        augment = describe_augment(parse_augment(config.augment))
    except AugmentError as exc:
        raise RunError(str(exc)) from None
    return dataclasses.replace(config, augment=augment, data=os.fspath(config.data),
                               cache=None if config.cache is None else os.fspath(config.cache))


def with_defaults(config: TrainConfig) -> TrainConfig:
    """``config`` with the architecture's epochs, batch size, optimiser and learning rate
    where it leaves them unset."""
    arch = models.get_arch(config.arch)
    return dataclasses.replace(
        config,
        epochs=config.epochs if config.epochs is not None else arch.epochs,
        batch_size=config.batch_size if config.batch_size is not None else arch.batch_size,
        optimizer=config.optimizer or arch.optimizer["name"],
        lr=config.lr if config.lr is not None else arch.optimizer["lr"])


def write_config(out: Path, config: TrainConfig) -> None:
    """RUN_DIR/config.json, written atomically (resume reads it)."""
    write_text(Path(out) / CONFIG_FILE, json.dumps(dataclasses.asdict(config), indent=2))


def model_metadata(config: TrainConfig, prepared: Prepared, standardize) -> dict:
    return {"tinymir_model": 1, "arch": config.arch, "arch_options": config.arch_options(),
            "front": prepared.front.to_dict(), "classes": prepared.classes,
            "multilabel": prepared.multilabel, "standardize": standardize.to_dict(),
            "aggregate": config.aggregate, "split": prepared.split.name,
            "split_method": config.split, "fold": config.fold, "folds": config.folds,
            "data": str(config.data), "seed": config.seed,
            "split_seed": config.split_seed_or_seed()}


def build_report(config, prepared, model, history, results, best_epoch) -> dict:
    shares = [h["data_share"] for h in history]
    augmenting = [h["augment_share"] for h in history if "augment_share" in h]
    return {
        "arch": config.arch, "data": str(config.data), "dataset": prepared.table.name,
        "split": prepared.split.name,
        "tracks": {p: int(len(prepared.split[p])) for p in ("train", "val", "test")},
        "segments": {p: int(len(prepared.segments[p])) for p in ("train", "val", "test")},
        "skipped": [list(s) for s in prepared.skipped],
        "classes": prepared.classes, "multilabel": prepared.multilabel,
        "front": prepared.front.to_dict(), "params": model.num_params(),
        "config": dataclasses.asdict(config), "best_epoch": best_epoch,
        "epochs_run": len(history), "aggregate": config.aggregate,
        "feature_seconds": prepared.feature_seconds, "feature_cache": config.cache,
        "train_seconds": float(sum(h["epoch_time"] for h in history)),
        "data_loading_share": float(np.mean(shares)) if shares else None,
        "augment": config.augment,
        "augment_share": float(np.mean(augmenting)) if augmenting else None,
        "device": backend.get_device(),
        "results": results,
    }


#: Options of ``train`` that apply to a resumed run as given: they change where features come
#: from or how they are computed, never the run's numbers.
RESUME_SETTINGS = ("cache", "jobs")
#: Reader options on the command line -> their key in ``TrainConfig.reader_options``.
READER_OPTIONS = {"label_column": "label_columns", "tags_column": "tags_column",
                  "min_count": "min_count", "top_n": "top_n"}


def read_config(out: Path) -> TrainConfig:
    """The TrainConfig saved in RUN_DIR (``out`` replaced by where the run is now)."""
    saved = out / CONFIG_FILE
    if not saved.is_file():
        raise RunError(f"{out}: nothing to resume (no {CONFIG_FILE} there)")
    try:
        fields = json.loads(saved.read_text())
        return TrainConfig(**{**fields, "out": str(out)})
    except (ValueError, TypeError) as exc:      # the run is where it is now, moved or not
        raise RunError(f"{saved}: not a tinymir run configuration ({exc})") from None


def check_resumed_options(out: Path, config: TrainConfig, given: dict) -> None:
    """Refuse every option in ``given`` (the options typed with ``--resume``, by their
    parameter names) that differs from the run's: a resumed run is the run it continues."""
    front = config.front()
    for key, value in given.items():
        if key in ("out", "overwrite"):
            if key == "out" and Path(value).resolve() == out.resolve():
                continue
            raise RunError(f"--{key} does not apply with --resume (the run continues in "
                           f"{out}); start a new run with --out instead")
        if key == "data":
            same, was = Path(value).resolve() == Path(config.data).resolve(), config.data
        elif key == "augment":
            was = config.augment or "none"
            try:
                same = describe_augment(parse_augment(value)) == \
                    describe_augment(parse_augment(was))
            except AugmentError as exc:
                raise RunError(str(exc)) from None
        elif key == "split_seed":
            was = config.split_seed_or_seed()
            same = was == value
        elif key in READER_OPTIONS:
            was = config.reader_options.get(READER_OPTIONS[key])
            same = str(was) == str(value)
        else:
            field = {"features": "kind"}.get(key, key)         # the option's name in the front end
            if not (hasattr(front, field) or hasattr(config, key)):
                raise RunError(f"--{key.replace('_', '-')} does not apply with --resume")
            was = getattr(front, field) if hasattr(front, field) else getattr(config, key)
            same = str(was) == str(value)
        if not same:
            raise RunError(f"{out} was trained with {key}={was}; this run asks for {value}: "
                           "start a new run with --out instead")


def check_state(out: Path, config: TrainConfig) -> dict:
    """The run state in RUN_DIR, refused when it is not this run's: not a run state, or the
    weights of another network."""
    path = out / STATE_FILE
    if not path.is_file():
        raise RunError(f"{out}: nothing to resume (no {STATE_FILE} there)")
    state = load_state(path)
    needed = {"epoch", "model", "optimizer", "callbacks", "history"}
    if not isinstance(state, dict) or not needed <= set(state) \
            or not isinstance(state["model"], dict):
        raise RunError(f"{path}: not the state of a tinymir training run")
    names = set(models.build(config.arch, 2, front=config.front(),
                             **config.arch_options()).state_dict())
    if set(state["model"]) != names:
        alien = sorted(set(state["model"]) - names) or sorted(names - set(state["model"]))
        raise RunError(f"{path} holds the weights of another network ({alien[0]} ... does not "
                       f"fit {config.arch}): it is not this run's state; start a new run with "
                       "--out")
    if int(state["epoch"]) > 0 and not (out / BEST_FILE).is_file():
        raise RunError(f"{out / BEST_FILE} is missing (the best epoch's weights): the run cannot "
                       "be finished; start a new run with --out")
    return state


def resume(out, given: dict, stream=None, progress: bool = True,
           epochs: int | None = None, settings: dict | None = None) -> dict:
    """Continue the run in ``out``; options in ``given`` must agree with the saved config
    (:func:`check_resumed_options`), ``settings`` (:data:`RESUME_SETTINGS`) apply as given.

    ``epochs`` larger than the run's own continues it up to that many epochs, also after it
    finished or stopped early (Keras' ``initial_epoch``); the new total goes to config.json
    once the data has been read. The saved options and run state are checked before any data
    is read, and nothing in RUN_DIR changes before then.
    """
    out = Path(out)
    config = check_config(with_defaults(read_config(out)))
    check_resumed_options(out, config, given)
    state = check_state(out, config)
    unknown = set(settings or {}) - set(RESUME_SETTINGS)
    if unknown:
        raise RunError(f"{', '.join(sorted(unknown))} cannot change on --resume")
    config = dataclasses.replace(config, **(settings or {}))
    if epochs is not None and epochs != config.epochs:
        done = int(state["epoch"])
        if epochs < done:
            raise RunError(f"{out} has already run {done} epochs; --epochs {epochs} asks for "
                           "fewer (a finished run is not shortened)")
        config = dataclasses.replace(config, epochs=epochs)
    return train(config, resume=True, stream=stream, progress=progress)


def headline(report: dict) -> str:
    """One line: the test tracks' main figures."""
    test = report["results"]["test"]["tracks"]
    if report["multilabel"]:
        figures = (f"ROC-AUC {test['roc_auc']:.3f}, PR-AUC {test['pr_auc']:.3f}, "
                   f"macro F1 {test['macro_f1']:.3f}")
    else:
        figures = (f"accuracy {test['accuracy']:.3f}, macro F1 {test['macro_f1']:.3f}, "
                   f"ROC-AUC {test['roc_auc']:.3f}")
    return (f"{report['arch']}: test tracks ({test['n']}, {report['split']}): {figures} "
            f"(best epoch {report['best_epoch']})")
