"""RUN_DIR: the files a run leaves, claiming the folder for a fresh run, replacing an earlier
run only once the new one has succeeded, and what Ctrl-C leaves behind.

RUN_DIR holds ``model.npz`` (architecture, weights, front end, class names, standardisation,
tag thresholds: everything ``predict`` needs), ``state.npz`` (the run state ``--resume`` reads),
``best.npz`` (weights of the best epoch so far), ``config.json``, ``history.csv``,
``report.json``, ``report.md`` and, with matplotlib, ``confusion.png`` and ``curves.png``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from tinymir import models, nn

from .checkpoint import load_state
from .config import CONFIG_FILE, RunError, TrainConfig

STATE_FILE = "state.npz"
BEST_FILE = "best.npz"
MODEL_FILE = "model.npz"
RUN_FILES = (STATE_FILE, BEST_FILE, MODEL_FILE, "history.csv", "report.json", "report.md",
             "curves.png", "confusion.png")     # what a run replacing an earlier one replaces
STAGING = ".new-run"     # where a run replacing an earlier one is built, inside RUN_DIR


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


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during training, after the run's files were put in order; ``str()`` says what
    was kept and how to go on (still a KeyboardInterrupt, so a notebook stops as usual)."""


def interrupted(work: Path, out: Path, keeps_earlier: bool, epochs_done: int) -> str:
    """What Ctrl-C during training leaves, in one line: in a run of its own, MODEL_FILE from
    the best epoch so far (not yet scored on the test tracks) and the state to resume from;
    in a run replacing an earlier one, the earlier run as it was.

    Parameters
    ----------
    work : Path
        Where the run's files are (RUN_DIR, or the folder beside an earlier run).
    out : Path
        RUN_DIR (named in the message).
    keeps_earlier : bool
        The run was replacing an earlier one, which is kept.
    epochs_done : int
        Epochs finished before Ctrl-C.
    """
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
    names = set(models.build(config.arch, 2, front=config.front_end,
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
