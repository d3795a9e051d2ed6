"""Save and restore a training run's whole state, so ``--resume`` continues bit-for-bit.

The state is a tree of dicts and lists whose leaves are arrays (NumPy or CuPy) or JSON scalars
(model weights and buffers, optimiser moments and step count, schedule and callback counters,
Dropout generators, history), written as one file of :mod:`tinymir.archive` (the format of the
model files too), atomically: a run killed while saving leaves the previous checkpoint intact.
"""
from __future__ import annotations

from tinymir import archive


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read (missing, truncated, or not a tinymir run state)."""


def save_state(path, state: dict) -> None:
    """Write ``state`` (a tree of dicts/lists, arrays and JSON scalars) atomically to ``path``."""
    archive.save_tree(path, state)


def load_state(path) -> dict:
    """Read a tree written by :func:`save_state` (arrays come back as host NumPy arrays)."""
    return archive.load_tree(path, CheckpointError, "tinymir run state")
