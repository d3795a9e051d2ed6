"""Inverted dropout: zero each input with probability ``rate`` during training and scale the
survivors by 1 / (1 − rate), so inference needs no change.

    training:  y = x ⊙ m / (1 − rate),  m = [u ≥ rate];   dx = dy ⊙ m / (1 − rate)
    inference: y = x,  dx = dy

The u come from one counter-based generator per layer (SplitMix64, Steele, Lea & Flood 2014),
keyed once from the layer's seed: element i of the c-th mask is

    z = mix(k + n γ)  (mod 2⁶⁴),   n = c · 2⁴⁰ + i + 1,   k = SeedSequence(seed) (64 bits),
    γ = 0x9E3779B97F4A7C15,   mix(v) = SplitMix64's finaliser (below),
    u = ⌊z / 2⁴⁰⌋ / 2²⁴ in float32,  ⌊z / 2¹¹⌋ / 2⁵³ in float64.

So the generator's whole state is (seed, calls), two buffers saved in the state dict (in
checkpoints and model files): a resumed run draws the masks of the run that was not
interrupted, on the CPU and on the GPU, and both devices draw the same masks. Nothing is
initialised per step (a cuRAND generator made per pass sets up one state per GPU thread,
hundreds of thousands of them), and no device-sized generator state has to be saved.
"""
from __future__ import annotations

import numpy as np

from tinymir import backend

from .kernels import dropout as dropout_kernels
from .layer import Layer, register

GAMMA = np.uint64(0x9E3779B97F4A7C15)          # SplitMix64's increment (2⁶⁴ / golden ratio)
MIX = (np.uint64(30), np.uint64(0xBF58476D1CE4E5B9), np.uint64(27),
       np.uint64(0x94D049BB133111EB), np.uint64(31))
MASK_BITS = 40                                 # a mask of up to 2⁴⁰ values per call


def layer_key(seed: int) -> np.uint64:
    """The 64-bit key of a layer seeded with ``seed``."""
    return np.random.SeedSequence(int(seed)).generate_state(1, np.uint64)[0]


def uniforms(xp, key: np.uint64, call: int, shape, dtype, start: int = 0):
    """u ∈ [0, 1) of the ``call``-th mask (module docstring), elements i = start, start + 1,
    ... in C order, on ``xp``'s device, in place on two uint64 buffers:
    k + n γ = i γ + (k + n₀ γ), n₀ = c · 2⁴⁰ + 1, then the finaliser.

    Parameters
    ----------
    xp : module
        numpy or cupy: where the values are drawn.
    key : np.uint64
        The layer's key k (:func:`layer_key`).
    call : int
        Index c of the mask (the layer's count of training passes so far).
    shape : tuple
        Shape of the mask.
    dtype : float32 or float64
        Type of u (24 or 53 random bits).
    start : int, default 0
        Index i of the first element (a block of the mask draws the values the whole mask
        has there).
    """
    size = int(np.prod(shape))
    first = ((int(call) << MASK_BITS) + 1) % 2**64                    # n₀
    z = xp.arange(start, start + size, dtype=np.uint64)
    z *= GAMMA
    z += np.uint64((int(key) + first * int(GAMMA)) % 2**64)          # k + n γ, wrapping
    shift1, mul1, shift2, mul2, shift3 = MIX
    t = xp.empty_like(z)
    for shift, factor in ((shift1, mul1), (shift2, mul2), (shift3, None)):
        z ^= xp.right_shift(z, shift, out=t)                          # z ⊕ (z >> s)
        if factor is not None:
            z *= factor
    bits, dtype = (24, np.float32) if np.dtype(dtype) == np.float32 else (53, np.float64)
    u = xp.right_shift(z, np.uint64(64 - bits), out=z).astype(dtype)
    u *= dtype(2.0**-bits)
    return u.reshape(shape)


@register
class Dropout(Layer):
    """Inverted dropout with probability ``rate``; ``seed=None`` draws one from ``build``'s rng."""

    def __init__(self, rate: float, seed: int | None = None, name: str | None = None):
        super().__init__(name)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.seed = None if seed is None else int(seed)
        # host arrays changed in place (recurrent layers share them)
        self.buffers["seed"] = np.array(-1 if seed is None else seed, dtype=np.int64)
        self.buffers["calls"] = np.zeros((), dtype=np.int64)
        self.keep = None
        self._key = None                # (seed, key): the key is derived once per seed

    def _build(self, input_shape, rng):
        if self.seed is None:
            self.buffers["seed"][...] = rng.integers(2**31)

    def key(self) -> np.uint64:
        seed = int(self.buffers["seed"])
        if self._key is None or self._key[0] != seed:      # a loaded state may bring a seed
            self._key = (seed, layer_key(seed))
        return self._key[1]

    def _forward(self, x, training):
        if not training or self.rate == 0.0:
            self.keep = None
            return x
        xp, key, call = backend.array_module(x), self.key(), int(self.buffers["calls"])
        self.buffers["calls"] += 1
        # m = [u ≥ rate] (bool: 1 byte), y = x ⊙ m / (1 − rate)
        y, self.keep = dropout_kernels.masked_scale(
            x, lambda start, shape: uniforms(xp, key, call, shape, x.dtype, start), self.rate)
        return y

    def _backward(self, grad_out):
        if self.keep is None:
            return grad_out
        # dx = dy ⊙ m / (1 − rate)
        return dropout_kernels.masked_scale_backward(grad_out, self.keep, self.rate)

    def get_config(self):
        return {"rate": self.rate, "seed": self.seed, **super().get_config()}
