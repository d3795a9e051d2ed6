"""Optimisers: they walk ``model.parameters()`` and update each ``Param.value`` from its
``grad``. ``lr`` is the learning rate that schedules change; ``step()`` applies one update.

SGD (Keras-style):  η_t = lr / (1 + decay · t)
    v ← μ v − η_t g;   w ← w + v                 (Nesterov: w ← w + μ v − η_t g)
Adam (Keras' ε-hat form):   t ← t + 1
    m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²
    w ← w − lr · √(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε)
AdamW: Adam plus decoupled weight decay  w ← w − lr · weight_decay · w  (before the Adam step)

``clip_grad_norm(params, max_norm)``: scale every gradient by min(1, max_norm / ‖g‖₂), ‖g‖₂
over all gradients (a no-op when ‖g‖₂ <= max_norm); returns ‖g‖₂ before clipping.

``state_dict()`` holds the step count, lr and every moment (host arrays, by parameter name),
which is all a resumed run needs to continue bit-for-bit.
"""
from __future__ import annotations

import math

from tinymir import backend

from .kernels.adam import adam_update


def _named(params):
    params = list(params)
    if params and not isinstance(params[0], tuple):
        params = [(str(k), p) for k, p in enumerate(params)]
    return params


class Optimizer:
    """Base: ``params`` is ``model.parameters()`` (a list of ``(name, Param)``)."""

    slot_names: tuple = ()

    def __init__(self, params, lr: float):
        if lr <= 0:
            raise ValueError(f"{type(self).__name__}: lr must be > 0, got {lr}")
        self.params = _named(params)
        self.lr = float(lr)
        self.iterations = 0
        self.slots = {slot: {name: backend.array_module(p.value).zeros_like(p.value)
                             for name, p in self.params} for slot in self.slot_names}

    def step(self) -> None:
        self.iterations += 1
        for name, p in self.params:
            self.update(name, p)

    def update(self, name, p) -> None:
        raise NotImplementedError

    def zero_grad(self) -> None:
        """Not needed by tinymir's layers (backward overwrites), kept for custom loops."""
        for _, p in self.params:
            p.grad[...] = 0

    def state_dict(self) -> dict:
        return {"lr": self.lr, "iterations": self.iterations,
                "slots": {slot: {name: backend.to_host(a).copy() for name, a in arrays.items()}
                          for slot, arrays in self.slots.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.lr = float(state["lr"])
        self.iterations = int(state["iterations"])
        for slot, arrays in self.slots.items():
            for name, target in arrays.items():
                if name not in state["slots"][slot]:
                    raise ValueError(f"optimizer state has no {slot!r} for parameter {name!r}")
                target[...] = backend.as_array_like(state["slots"][slot][name], target)


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, Nesterov and Keras time decay (module
    docstring: v ← μ v − η_t g, w ← w + v, η_t = lr / (1 + decay · t)).

    Parameters
    ----------
    params : list of Param or of (name, Param)
        What to update (``model.parameters()``).
    lr : float, default 0.01
        Learning rate.
    momentum : float, default 0.0
        Momentum μ (0: plain SGD).
    nesterov : bool, default False
        Nesterov momentum.
    decay : float, default 0.0
        Time decay of the learning rate per step.
    """

    slot_names = ("velocity",)

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 decay: float = 0.0):
        super().__init__(params, lr)
        self.momentum, self.nesterov, self.decay = float(momentum), bool(nesterov), float(decay)

    @property
    def effective_lr(self) -> float:
        """lr / (1 + decay · steps taken so far)."""
        return self.lr / (1.0 + self.decay * self.iterations)

    def step(self) -> None:
        self._lr_now = self.effective_lr
        super().step()

    def update(self, name, p):
        if not self.momentum:
            p.value -= self._lr_now * p.grad
            return
        v = self.slots["velocity"][name]
        v *= self.momentum
        v -= self._lr_now * p.grad
        if self.nesterov:
            p.value += self.momentum * v - self._lr_now * p.grad
        else:
            p.value += v


class Adam(Optimizer):
    """Adam with bias correction folded into the step size (Keras' ε-hat form):
    w ← w − lr · √(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε).

    Parameters
    ----------
    params : list of Param or of (name, Param)
        What to update (``model.parameters()``).
    lr : float, default 1e-3
        Learning rate.
    beta1, beta2 : float, default 0.9, 0.999
        Decay of the first and second moment estimates m and v.
    eps : float, default 1e-7
        ε in the denominator.
    """

    slot_names = ("m", "v")

    def __init__(self, params, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-7):
        super().__init__(params, lr)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def step(self) -> None:
        t = self.iterations + 1
        self._step_size = self.lr * math.sqrt(1.0 - self.beta2 ** t) / (1.0 - self.beta1 ** t)
        super().step()

    def update(self, name, p):
        # m ← β₁ m + (1 − β₁) g,  v ← β₂ v + (1 − β₂) g²,  w ← w − η m / (√v + ε)
        adam_update(p.value, p.grad, self.slots["m"][name], self.slots["v"][name],
                    self.beta1, self.beta2, self._step_size, self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay ``w ← w − lr · weight_decay · w``.

    Parameters
    ----------
    params, lr, beta1, beta2, eps
        As for :class:`Adam`.
    weight_decay : float, default 1e-2
        Share of each weight taken off per step, times lr (before the Adam step).
    """

    def __init__(self, params, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-7, weight_decay: float = 1e-2):
        super().__init__(params, lr, beta1, beta2, eps)
        self.weight_decay = float(weight_decay)

    def update(self, name, p):
        p.value *= 1.0 - self.lr * self.weight_decay
        super().update(name, p)


def clip_grad_norm(params, max_norm: float):
    """Scale all gradients so their global L2 norm is at most ``max_norm``; returns the norm
    before clipping as a 0-d array on the gradients' device. Nothing goes to the host: the
    scale ``min(1, max_norm / norm)`` is applied on the device whatever the norm (``float()``
    of the result, to log it, is one transfer)."""
    params = _named(params)
    grads = [p.grad for _, p in params]
    xp = backend.array_module(*grads)
    total = xp.sqrt(sum((g * g).sum(dtype=xp.float64) for g in grads))
    scale = xp.minimum(1.0, max_norm / (total + 1e-12))
    for g in grads:
        g *= scale.astype(g.dtype)
    return total
