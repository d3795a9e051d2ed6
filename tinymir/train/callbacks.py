"""What happens between epochs: keep the best epoch, lower the learning rate on a plateau, stop
early. Seed 000's protocol: ReduceLROnPlateau on the validation accuracy (the validation AUC for
tags), a checkpoint every epoch, and the best epoch is the model that is kept.

Each callback sees the epoch's log (``{"epoch": 3, "loss": ..., "val_acc": ...}``) in
:meth:`Callback.on_epoch_end` and returns True to stop training. Its counters travel in
``state_dict()`` so a resumed run makes the same decisions an uninterrupted one would.
"""
from __future__ import annotations

import math


class Callback:
    def on_epoch_end(self, epoch: int, logs: dict) -> bool:
        return False

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class BestEpoch(Callback):
    """Tracks the best value of ``monitor`` (higher is better) and calls ``save_best(epoch)``
    when it improves; ties keep the earlier epoch. A missing or nan value never improves."""

    def __init__(self, monitor: str, save_best=None):
        self.monitor = monitor
        self.save_best = save_best
        self.best = -math.inf
        self.best_epoch = -1

    def on_epoch_end(self, epoch, logs):
        value = logs.get(self.monitor, math.nan)
        if value == value and value > self.best:
            self.best, self.best_epoch = float(value), epoch
            if self.save_best is not None:
                self.save_best(epoch)
        return False

    def state_dict(self):
        return {"best": self.best, "best_epoch": self.best_epoch}

    def load_state_dict(self, state):
        self.best, self.best_epoch = float(state["best"]), int(state["best_epoch"])


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
    """Stop when ``monitor`` has not improved for ``patience`` epochs in a row, or as soon as it
    reaches ``ceiling`` (1.0 for an accuracy or an AUC): the kept model is the best epoch and
    ties keep the earlier one, so no later epoch could replace a perfect one."""

    def __init__(self, monitor: str, patience: int, ceiling: float | None = 1.0):
        if patience < 1:
            raise ValueError(f"early-stopping patience must be at least 1, got {patience}")
        self.monitor = monitor
        self.patience = patience
        self.ceiling = ceiling
        self.best = -math.inf
        self.waited = 0

    def on_epoch_end(self, epoch, logs):
        value = logs.get(self.monitor, math.nan)
        if value == value and value > self.best:
            self.best, self.waited = float(value), 0
        else:
            self.waited += 1
        reached_ceiling = self.ceiling is not None and self.best >= self.ceiling
        return reached_ceiling or self.waited >= self.patience

    def state_dict(self):
        return {"best": self.best, "waited": self.waited}

    def load_state_dict(self, state):
        self.best, self.waited = float(state["best"]), int(state["waited"])
