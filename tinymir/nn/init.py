"""Weight initialisation, drawn on the host from a seeded NumPy generator.

With ``fan_in`` / ``fan_out`` the number of inputs / outputs feeding one unit (for a
convolution, channels × kernel area):

- ``glorot_uniform``: U(−a, a), a = √(6 / (fan_in + fan_out))        (Keras' default)
- ``glorot_normal``:  N(0, σ²),  σ = √(2 / (fan_in + fan_out))
- ``he_uniform``:     U(−a, a), a = √(6 / fan_in)                     (for ReLU nets)
- ``he_normal``:      N(0, σ²),  σ = √(2 / fan_in)
- ``orthogonal``:     Q of the QR decomposition of a N(0, 1) matrix (recurrent kernels)

Keras draws its ``*_normal`` from a truncated normal; tinymir uses the plain normal.
"""
from __future__ import annotations

import numpy as np

INITIALIZERS = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "orthogonal")


def initialize(name: str, shape: tuple, fan_in: int, fan_out: int,
               rng: np.random.Generator) -> np.ndarray:
    """An array of ``shape`` drawn by initializer ``name`` (float64, on the host), e.g.
    glorot_uniform: U(−l, l) with l = √(6 / (fan_in + fan_out)).

    Parameters
    ----------
    name : str
        The initializer (this module's list).
    shape : tuple
        Shape of the weights.
    fan_in, fan_out : int
        Inputs and outputs that each weight connects (they set the scale).
    rng : np.random.Generator
        Where the values are drawn.
    """
    if name == "glorot_uniform":
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, size=shape)
    if name == "glorot_normal":
        return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=shape)
    if name == "he_uniform":
        limit = np.sqrt(6.0 / fan_in)
        return rng.uniform(-limit, limit, size=shape)
    if name == "he_normal":
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
    if name == "orthogonal":
        rows, cols = shape[0], int(np.prod(shape[1:]))
        a = rng.normal(size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))           # make the decomposition unique
        q = q if rows >= cols else q.T
        return q[:rows, :cols].reshape(shape)
    raise ValueError(f"unknown initializer {name!r}: choose one of {', '.join(INITIALIZERS)}")


def check_initializer(name: str) -> str:
    if name not in INITIALIZERS:
        raise ValueError(f"unknown initializer {name!r}: choose one of {', '.join(INITIALIZERS)}")
    return name
