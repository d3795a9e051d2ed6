"""The optimisers' update rules, one parameter at a time, no in-place tricks.

    SGD:   η = lr / (1 + decay · t)   (t: steps taken before this one)
           v ← μ v − η g;   w ← w + v                (Nesterov: w ← w + μ v − η g)
    Adam:  t ← t + 1,  m ← β₁ m + (1 − β₁) g,  v ← β₂ v + (1 − β₂) g²
           w ← w − lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ) · m / (√v + ε)
    AdamW: w ← w − lr · weight_decay · w, then the Adam step
    clip_grad_norm: ‖g‖ = √(Σ over every gradient of g²); if ‖g‖ > max_norm, g ← g · max_norm/‖g‖
                    (the fast one scales by min(1, max_norm/‖g‖) always: no transfer to the host)
"""
from __future__ import annotations

import math

from tinymir import backend
from tinymir.nn import optimizers as fast


class SGD(fast.SGD):
    def step(self):
        eta = self.lr / (1.0 + self.decay * self.iterations)
        for name, p in self.params:
            v = self.momentum * self.slots["velocity"][name] - eta * p.grad
            if self.nesterov:
                p.value[...] = p.value + self.momentum * v - eta * p.grad
            else:
                p.value[...] = p.value + v
            self.slots["velocity"][name][...] = v
        self.iterations += 1


class Adam(fast.Adam):
    def step(self):
        self.iterations += 1
        t = self.iterations
        for name, p in self.params:
            self.decay_weights(p)
            m = self.beta1 * self.slots["m"][name] + (1.0 - self.beta1) * p.grad
            v = self.beta2 * self.slots["v"][name] + (1.0 - self.beta2) * p.grad ** 2
            xp = backend.array_module(v)
            step_size = self.lr * math.sqrt(1.0 - self.beta2 ** t) / (1.0 - self.beta1 ** t)
            p.value[...] = p.value - step_size * m / (xp.sqrt(v) + self.eps)
            self.slots["m"][name][...], self.slots["v"][name][...] = m, v

    def decay_weights(self, p):
        """Plain Adam: no weight decay."""


class AdamW(Adam, fast.AdamW):
    def decay_weights(self, p):
        p.value[...] = p.value - self.lr * self.weight_decay * p.value


def clip_grad_norm(params, max_norm: float) -> float:
    params = [p[1] if isinstance(p, tuple) else p for p in params]     # (name, Param) or Param
    norm = math.sqrt(sum(float((p.grad ** 2).sum()) for p in params))
    if norm > max_norm:
        for p in params:
            p.grad[...] = p.grad * (max_norm / norm)
    return norm
