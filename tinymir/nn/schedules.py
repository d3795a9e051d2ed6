"""Learning-rate schedules: each holds an optimizer and sets its ``lr``.

ReduceLROnPlateau (call ``step(metric)`` once per epoch):
    a metric "improves" when it beats the best by more than ``min_delta`` (up for
    ``mode="max"``, down for ``"min"``). After ``patience`` epochs without improvement,
    lr ← max(lr · factor, min_lr), then ``cooldown`` epochs pass before counting again.
StepDecay (``step()`` once per epoch):   lr = lr₀ · gamma^⌊epoch / step_size⌋
CosineDecay (``step()`` once per epoch or batch):
    lr = min_lr + (lr₀ − min_lr) · (1 + cos(π · min(t, T) / T)) / 2
"""
from __future__ import annotations

import math


class ReduceLROnPlateau:
    """Cut the learning rate by ``factor`` when the monitored metric stops improving:
    lr ← max(lr · factor, min_lr) after ``patience`` epochs without improvement.

    Parameters
    ----------
    optimizer : Optimizer
        Whose ``lr`` is cut.
    mode : "min" or "max", default "max"
        Whether a lower or a higher metric is better.
    factor : float in (0, 1), default 0.1
        What lr is multiplied by at a cut.
    patience : int, default 10
        Epochs without improvement before a cut.
    min_lr : float, default 0.0
        The lowest lr a cut gives.
    cooldown : int, default 0
        Epochs after a cut during which no wait is counted.
    min_delta : float, default 0.0
        How much better than the best a metric must be to count as an improvement.
    """

    def __init__(self, optimizer, mode: str = "max", factor: float = 0.1, patience: int = 10,
                 min_lr: float = 0.0, cooldown: int = 0, min_delta: float = 0.0):
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if not 0.0 < factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor}")
        self.optimizer, self.mode, self.factor = optimizer, mode, float(factor)
        self.patience, self.min_lr = int(patience), float(min_lr)
        self.cooldown, self.min_delta = int(cooldown), float(min_delta)
        self.best = None
        self.wait = 0
        self.cooldown_left = 0

    def _improved(self, metric: float) -> bool:
        if self.best is None:
            return True
        if self.mode == "max":
            return metric > self.best + self.min_delta
        return metric < self.best - self.min_delta

    def step(self, metric: float) -> float:
        """Record one epoch's metric; returns the learning rate now in force."""
        metric = float(metric)
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.wait = 0
        if self._improved(metric):
            self.best, self.wait = metric, 0
        elif self.cooldown_left == 0:
            self.wait += 1
            if self.wait >= self.patience:
                self.optimizer.lr = max(self.optimizer.lr * self.factor, self.min_lr)
                self.cooldown_left, self.wait = self.cooldown, 0
        return self.optimizer.lr

    def state_dict(self) -> dict:
        return {"best": self.best, "wait": self.wait, "cooldown_left": self.cooldown_left}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.wait = state["best"], int(state["wait"])
        self.cooldown_left = int(state["cooldown_left"])


class _EpochSchedule:
    """A schedule that is a function of the number of ``step()`` calls."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.initial_lr = optimizer.lr
        self.epoch = 0

    def step(self) -> float:
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)
        return self.optimizer.lr

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError

    def state_dict(self) -> dict:
        return {"initial_lr": self.initial_lr, "epoch": self.epoch}

    def load_state_dict(self, state: dict) -> None:
        self.initial_lr, self.epoch = float(state["initial_lr"]), int(state["epoch"])


class StepDecay(_EpochSchedule):
    """``lr = lr₀ · gamma ** (epoch // step_size)``."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1):
        super().__init__(optimizer)
        if int(step_size) < 1:
            raise ValueError(f"StepDecay: step_size must be >= 1, got {step_size}")
        self.step_size, self.gamma = int(step_size), float(gamma)

    def lr_at(self, epoch):
        return self.initial_lr * self.gamma ** (epoch // self.step_size)


class CosineDecay(_EpochSchedule):
    """Half a cosine from lr₀ down to ``min_lr`` over ``total_steps`` steps, then flat."""

    def __init__(self, optimizer, total_steps: int, min_lr: float = 0.0):
        super().__init__(optimizer)
        if int(total_steps) < 1:
            raise ValueError(f"CosineDecay: total_steps must be >= 1, got {total_steps}")
        self.total_steps, self.min_lr = int(total_steps), float(min_lr)

    def lr_at(self, epoch):
        progress = min(epoch, self.total_steps) / self.total_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
        return self.min_lr + (self.initial_lr - self.min_lr) * cosine
