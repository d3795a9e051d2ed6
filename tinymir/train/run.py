"""A whole training run, as ``tinymir train`` does it, and the model file it leaves behind.

    config (:mod:`.config`) -> prepared data (:mod:`.prepare`: split, features, segments)
    -> standardise (train stats) -> train (best epoch kept) -> segment and track scores on
    validation and test (:mod:`.evaluate`) -> temperature, "unsure" and "unlike the training
    data" limits (:mod:`.calibrate`) -> model file and reports in RUN_DIR (:mod:`.rundir`)
"""
from __future__ import annotations

import dataclasses
import shutil
import sys
from pathlib import Path

from tinymir import backend, models, moved, nn
from tinymir.data.standardize import Standardizer

from . import config as run_config
from . import objective, rundir
from . import report as reporting
from .calibrate import calibrate
from .callbacks import BestEpoch, EarlyStopping, PlateauLR
from .config import RunError, TrainConfig
from .evaluate import evaluate_parts, validator
from .inputs import segment_batches
from .loop import Diverged, Trainer
from .prepare import Prepared, make_augmenter, prepare, report_skipped

_MOVED = {"tinymir.train.config": ("SPLITS", "DEFAULT_FOLDS", "RESAMPLING", "CONFIG_FILE",
                                   "PLATEAU_PATIENCE", "WHOLE", "CHOICES", "TEXT", "FLAGS",
                                   "option_name", "check_types", "READER_OPTIONS",
                                   "DEFAULT_PATIENCE", "OPTIMIZERS", "RESUME_SETTINGS",
                                   "check_config", "check_resumed_options", "read_config",
                                   "with_defaults", "write_config"),
          "tinymir.data.splits": ("make_split",),
          "tinymir.train.prepare": ("read_table", "UPSAMPLING_SIZE",
                                    "DOWNSAMPLING_SIZE", "resample_train", "check_segment"),
          "tinymir.train.evaluate": ("segment_logits", "scores"),
          "tinymir.train.rundir": ("RUN_FILES", "STATE_FILE", "BEST_FILE", "MODEL_FILE", "STAGING",
                                   "Interrupted", "interrupted", "claim", "replace_run",
                                   "check_state"),
          "tinymir.train.report": ("headline", "build_report"),
          "tinymir.train.objective": ("make_loss", "make_optimizer")}
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

    Parameters
    ----------
    config : TrainConfig
        The run (:mod:`tinymir.train.config`).
    resume : bool, default False
        Continue the run state in RUN_DIR (:func:`resume` checks it first).
    stream : file, default sys.stderr
        Where the progress and notes go.
    progress : bool, default True
        Show per-epoch progress lines.
    overwrite : bool, default False
        Replace a run of another architecture in RUN_DIR (once this one has succeeded).
    """
    stream = stream if stream is not None else sys.stderr
    out = Path(config.out)
    if resume:
        config, earlier = run_config.check_config(config), None
    else:
        config = run_config.check_config(run_config.with_defaults(config))
        earlier = rundir.claim(out, config, overwrite)
    arch = models.get_arch(config.arch)
    prepared = prepare(config, stream, progress)
    work = out / rundir.STAGING if earlier else out
    if earlier:
        stream.write(f"note: replacing the earlier {earlier} run in {out} once this one has "
                     f"succeeded (`tinymir train --resume {out}` continues it instead)\n")
        shutil.rmtree(work, ignore_errors=True)         # what a killed replacing run left
    work.mkdir(parents=True, exist_ok=True)
    try:
        run_config.write_config(work, config)
        report = _fit(config, arch, prepared, work, out, resume, stream, progress,
                      keeps_earlier=bool(earlier))
        if earlier:
            rundir.replace_run(work, out)
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
    loss = objective.make_loss(prepared, config.class_weights)
    optimizer = objective.make_optimizer(config.optimizer, model, config.lr, arch.optimizer)
    monitor = "val_auc" if prepared.multilabel else "val_acc"
    metadata = model_metadata(config, prepared, standardize)

    def save_best(epoch):
        nn.save(work / rundir.BEST_FILE, model, {**metadata, "epoch": epoch})

    callbacks = {"best": BestEpoch(monitor, save_best)}
    if config.lr_patience:
        callbacks["plateau"] = PlateauLR(nn.ReduceLROnPlateau(
            optimizer, mode="max", factor=0.1, patience=config.lr_patience), monitor)
    if config.early_stopping:
        patience = config.patience or run_config.DEFAULT_PATIENCE
        callbacks["early_stopping"] = EarlyStopping(monitor, patience)
    batches = segment_batches(prepared.feats, prepared.segments["train"], prepared.targets,
                            standardize, config.batch_size, seed=config.seed)
    trainer = Trainer(model, loss, optimizer,
                      validator(prepared, loss, standardize, config.batch_size, config.aggregate),
                      callbacks, multilabel=prepared.multilabel,
                      state_path=work / rundir.STATE_FILE, stream=stream, progress=progress,
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
        if not (work / rundir.BEST_FILE).is_file():
            raise RunError(f"{out}: {exc}, before any epoch finished, so no model was "
                           f"written{kept}; try a lower --lr or check the input files") from None
    except nn.StateDictError as exc:
        raise RunError(f"{out / rundir.STATE_FILE} does not fit this run's network "
                       f"({str(exc)[:120]}...); start a new run with --out") from None
    except KeyboardInterrupt:
        kept = rundir.interrupted(work, out, keeps_earlier, len(trainer.history))
        raise rundir.Interrupted(kept) from None
    if diverged is not None and keeps_earlier:
        raise RunError(f"{out}: {diverged}; nothing replaced{kept}; try a lower --lr or check "
                       "the input files")

    best, metadata = nn.load(work / rundir.BEST_FILE)
    with backend.batch_fits(config.batch_size, "--batch-size"):
        results, thresholds = evaluate_parts(best, prepared, standardize, config.batch_size,
                                             config.aggregate)
        kept_values, calibration = calibrate(best, prepared, standardize, config.batch_size,
                                             config.aggregate)
    metadata.update(kept_values)
    if prepared.multilabel:
        metadata["thresholds"] = [float(t) for t in thresholds]
    nn.save(work / rundir.MODEL_FILE, best, metadata)
    report = reporting.build_report(config, prepared, best, history, results, metadata["epoch"])
    report["calibration"] = calibration
    if diverged is not None:
        report["stopped"] = str(diverged)
    reporting.write_run(work, report, history, prepared.classes)
    if diverged is not None:
        raise RunError(f"{out}: {diverged}; {rundir.MODEL_FILE} and the reports hold epoch "
                       f"{metadata['epoch']}, the best before it, and {rundir.STATE_FILE} the "
                       f"state after epoch {len(history) and history[-1]['epoch']}; try a lower "
                       "--lr or check the input files")
    return report


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
    (:func:`~tinymir.train.config.check_resumed_options`), ``settings``
    (:data:`~tinymir.train.config.RESUME_SETTINGS`) apply as given.

    ``epochs`` larger than the run's own continues it up to that many epochs, also after it
    finished or stopped early (Keras' ``initial_epoch``); the new total goes to config.json
    once the data has been read. The saved options and run state are checked before any data
    is read, and nothing in RUN_DIR changes before then.

    Parameters
    ----------
    out : str or Path
        RUN_DIR of the run to continue.
    given : dict
        Options typed with ``--resume`` (by parameter name); each must be the run's own.
    stream : file, optional
        Where the progress and notes go (default sys.stderr).
    progress : bool, default True
        Show per-epoch progress lines.
    epochs : int, optional
        A new total of epochs (not fewer than already run).
    settings : dict, optional
        :data:`~tinymir.train.config.RESUME_SETTINGS` that apply as given (cache, jobs).
    """
    out = Path(out)
    config = run_config.check_config(run_config.with_defaults(run_config.read_config(out)))
    run_config.check_resumed_options(out, config, given)
    state = rundir.check_state(out, config)
    unknown = set(settings or {}) - set(run_config.RESUME_SETTINGS)
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
