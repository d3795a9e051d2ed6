"""Inverted dropout: zero each input with probability ``rate`` during training and scale the
survivors by 1 / (1 − rate), so inference needs no change.

    training:  y = x ⊙ m / (1 − rate),  m ~ Bernoulli(1 − rate);   dx = dy ⊙ m / (1 − rate)
    inference: y = x,  dx = dy

The k-th training mask is drawn from a generator seeded with (seed, k). Both are buffers
(``seed``, ``calls``) saved in the state dict, so a resumed run continues the same mask
sequence on the CPU.
"""
from __future__ import annotations

import numpy as np

from tinymir import backend

from .layer import Layer, register


def mask_seed(seed: int, call: int) -> int:
    """A well-mixed 32-bit seed for call number ``call`` of a layer seeded with ``seed``."""
    return int(np.random.SeedSequence([seed, call]).generate_state(1)[0])


@register
class Dropout(Layer):
    """Inverted dropout with probability ``rate``; ``seed=None`` draws one from ``build``'s rng."""

    def __init__(self, rate: float, seed: int | None = None, name: str | None = None):
        super().__init__(name)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.seed = None if seed is None else int(seed)
        self.buffers["seed"] = np.array(-1 if seed is None else seed, dtype=np.int64)  # host
        self.buffers["calls"] = np.zeros((), dtype=np.int64)
        self.keep = None

    def _build(self, input_shape, rng):
        if self.seed is None:
            self.buffers["seed"][...] = rng.integers(2**31)

    def _forward(self, x, training):
        if not training or self.rate == 0.0:
            self.keep = None
            return x
        xp = backend.array_module(x)
        generator = xp.random.default_rng(mask_seed(int(self.buffers["seed"]),
                                                    int(self.buffers["calls"])))
        self.buffers["calls"] += 1
        self.keep = generator.random(x.shape, dtype=x.dtype) >= self.rate   # bool: 1 byte
        return x * self.keep * (1.0 / (1.0 - self.rate))

    def _backward(self, grad_out):
        if self.keep is None:
            return grad_out
        return grad_out * self.keep * (1.0 / (1.0 - self.rate))

    def get_config(self):
        return {"rate": self.rate, "seed": self.seed, **super().get_config()}
