"""What happens between epochs: keep the best epoch, lower the learning rate on a plateau, stop
early. Seed 000's protocol: ReduceLROnPlateau on the validation accuracy (the validation AUC for
tags), a checkpoint every epoch, and the best epoch is the model that is kept.

An epoch is better than the best so far when its validation accuracy (AUC for tags) is higher,
or equal with a validation loss lower by more than ``min(LOSS_MIN_DELTA, LOSS_MIN_RATIO *
best loss)``: a small validation set often ties on accuracy, and a loss creeping down by 1e-5
is no reason to go on; but once validation accuracy saturates (12 synthetic tracks are all right
after one epoch) the loss is small, and halving it (0.0025 -> 0.0011) is real progress that an
absolute margin of 0.01 would miss, keeping a barely trained first epoch (0.833 test accuracy
on `tinymir synth --seed 1` where the next epoch had 1.000).

Each callback sees the epoch's log (``{"epoch": 3, "loss": ..., "val_acc": ...}``) in
:meth:`Callback.on_epoch_end` and returns True to stop training. Its counters travel in
``state_dict()`` so a resumed run makes the same decisions an uninterrupted one would.
"""
from __future__ import annotations

import math

TIE_BREAK = "val_loss"
LOSS_MIN_DELTA = 0.01
LOSS_MIN_RATIO = 0.05


def score(logs: dict, monitor: str):
    """``(logs[monitor], logs["val_loss"])`` (a missing loss counts as 0), or None when the
    monitored value is missing or nan."""
    value = logs.get(monitor, math.nan)
    if value != value:
        return None
    return (float(value), float(logs.get(TIE_BREAK, 0.0)))


def better(current, best) -> bool:
    """Higher monitored value, or the same one with a loss lower by more than the margin
    ``min(LOSS_MIN_DELTA, LOSS_MIN_RATIO * best loss)``."""
    margin = min(LOSS_MIN_DELTA, LOSS_MIN_RATIO * abs(best[1]))
    return current[0] > best[0] or (current[0] == best[0] and current[1] < best[1] - margin)


class Callback:
    def on_epoch_end(self, epoch: int, logs: dict) -> bool:
        return False

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass

    def restart(self) -> None:
        """A stopped run is continued for more epochs (counters that stopped it start anew)."""


class _Improvement:
    """Remembers the best :func:`score` so far."""

    def __init__(self, monitor: str):
        self.monitor = monitor
        self.best = None

    def improved(self, logs) -> bool:
        current = score(logs, self.monitor)
        if current is not None and (self.best is None or better(current, self.best)):
            self.best = current
            return True
        return False

    def state_dict(self):
        return {"best": None if self.best is None else list(self.best)}

    def load_state_dict(self, state):
        self.best = None if state["best"] is None else tuple(state["best"])


class BestEpoch(Callback):
    """Calls ``save_best(epoch)`` whenever the epoch's score is the best so far; exact ties
    keep the earlier epoch, and a missing or nan value never counts as better."""

    def __init__(self, monitor: str, save_best=None):
        self.tracker = _Improvement(monitor)
        self.save_best = save_best
        self.best_epoch = -1

    def on_epoch_end(self, epoch, logs):
        if self.tracker.improved(logs):
            self.best_epoch = epoch
            if self.save_best is not None:
                self.save_best(epoch)
        return False

    def state_dict(self):
        return {**self.tracker.state_dict(), "best_epoch": self.best_epoch}

    def load_state_dict(self, state):
        self.tracker.load_state_dict(state)
        self.best_epoch = int(state["best_epoch"])


class PlateauLR(Callback):
    """Feeds ``logs[monitor]`` to an ``nn.ReduceLROnPlateau`` schedule (mode "max")."""

    def __init__(self, schedule, monitor: str):
        self.schedule = schedule
        self.monitor = monitor

    def on_epoch_end(self, epoch, logs):
        value = logs.get(self.monitor, math.nan)
        if value == value:
            self.schedule.step(float(value))
        return False

    def state_dict(self):
        return self.schedule.state_dict()

    def load_state_dict(self, state):
        self.schedule.load_state_dict(state)


class EarlyStopping(Callback):
    """Stop when the score has not improved for ``patience`` epochs in a row."""

    def __init__(self, monitor: str, patience: int):
        if patience < 1:
            raise ValueError(f"early-stopping patience must be at least 1, got {patience}")
        self.tracker = _Improvement(monitor)
        self.patience = patience
        self.waited = 0

    def on_epoch_end(self, epoch, logs):
        self.waited = 0 if self.tracker.improved(logs) else self.waited + 1
        return self.waited >= self.patience

    def state_dict(self):
        return {**self.tracker.state_dict(), "waited": self.waited}

    def load_state_dict(self, state):
        self.tracker.load_state_dict(state)
        self.waited = int(state["waited"])

    def restart(self):
        self.waited = 0
