"""A whole training run, as ``tinymir train`` does it, and the model file it leaves behind.

    config (:mod:`.config`) -> prepared data (:mod:`.prepare`: split, features, segments)
    -> standardise (train stats) -> train (best epoch kept) -> segment and track scores on
    validation and test (:mod:`.evaluate`) -> model file and reports in RUN_DIR (:mod:`.rundir`)
"""
from __future__ import annotations

import dataclasses
import shutil
import sys
from pathlib import Path

import numpy as np

from tinymir import backend, models, moved, nn
from tinymir.data.balance import class_weights
from tinymir.data.standardize import Standardizer

from . import report as reporting
from .callbacks import BestEpoch, EarlyStopping, PlateauLR
from .config import (
    DEFAULT_PATIENCE,
    OPTIMIZERS,
    RESUME_SETTINGS,
    RunError,
    TrainConfig,
    check_config,
    check_resumed_options,
    read_config,
    with_defaults,
    write_config,
)
from .evaluate import evaluate_parts, validator
from .inputs import segment_batches
from .loop import Diverged, Trainer
from .prepare import Prepared, make_augmenter, prepare, report_skipped
from .report import build_report
from .rundir import (
    BEST_FILE,
    MODEL_FILE,
    STAGING,
    STATE_FILE,
    Interrupted,
    check_state,
    claim,
    interrupted,
    replace_run,
)

_MOVED = {"tinymir.train.config": ("SPLITS", "DEFAULT_FOLDS", "RESAMPLING", "CONFIG_FILE",
                                   "PLATEAU_PATIENCE", "WHOLE", "CHOICES", "TEXT", "FLAGS",
                                   "option_name", "check_types", "READER_OPTIONS"),
          "tinymir.data.splits": ("make_split",),
          "tinymir.train.prepare": ("read_table", "UPSAMPLING_SIZE",
                                    "DOWNSAMPLING_SIZE", "resample_train", "check_segment"),
          "tinymir.train.evaluate": ("segment_logits", "scores"),
          "tinymir.train.rundir": ("RUN_FILES",), "tinymir.train.report": ("headline",)}
__getattr__ = moved.names(__name__, {name: module for module, names in _MOVED.items()
                                     for name in names})


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


def model_metadata(config: TrainConfig, prepared: Prepared, standardize) -> dict:
    return {"tinymir_model": 1, "arch": config.arch, "arch_options": config.arch_options(),
            "front": prepared.front.to_dict(), "classes": prepared.classes,
            "multilabel": prepared.multilabel, "standardize": standardize.to_dict(),
            "aggregate": config.aggregate, "split": prepared.split.name,
            "split_method": config.split, "fold": config.fold, "folds": config.folds,
            "data": str(config.data), "seed": config.seed,
            "split_seed": config.split_seed_or_seed()}


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
