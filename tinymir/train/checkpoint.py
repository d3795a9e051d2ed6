"""Save and restore a training run's whole state, so ``--resume`` continues bit-for-bit.

The state is a tree of dicts and lists whose leaves are arrays (NumPy or CuPy) or JSON scalars
(model weights and buffers, optimiser moments and step count, schedule and callback counters,
Dropout generators, history). :func:`save_state` writes it as ONE ``.npz``: every array under
its path in the tree (``"optimizer/m/3"``) and the rest of the tree as a JSON string with the
arrays replaced by ``{"__array__": path}``. The file is written next to the target and renamed
over it, so a run killed while saving leaves the previous checkpoint intact.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tinymir import backend
from tinymir.atomic import write_atomically
from tinymir.nn.serialization import read_npz

TREE_KEY = "__tree__"


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read (missing, truncated, or not a tinymir run state)."""


def _is_array(x) -> bool:
    return isinstance(x, np.ndarray) or backend.is_gpu_array(x)


def _child(path: str, key) -> str:
    return f"{path}/{key}" if path else str(key)


def _flatten(node, path: str, arrays: dict):
    if _is_array(node):
        arrays[path] = backend.to_host(node)
        return {"__array__": path}
    if isinstance(node, dict):
        return {str(k): _flatten(v, _child(path, k), arrays) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_flatten(v, _child(path, i), arrays) for i, v in enumerate(node)]
    if isinstance(node, np.generic):
        return node.item()
    return node


def _unflatten(node, arrays):
    if isinstance(node, dict):
        if set(node) == {"__array__"}:
            return arrays[node["__array__"]]
        return {k: _unflatten(v, arrays) for k, v in node.items()}
    if isinstance(node, list):
        return [_unflatten(v, arrays) for v in node]
    return node


def save_state(path, state: dict) -> None:
    """Write ``state`` (a tree of dicts/lists, arrays and JSON scalars) atomically to ``path``."""
    path = Path(path)
    arrays: dict = {}
    tree = _flatten(state, "", arrays)
    write_atomically(path, lambda handle: np.savez(
        handle, **{TREE_KEY: np.array(json.dumps(tree))}, **arrays))


def load_state(path) -> dict:
    """Read a tree written by :func:`save_state` (arrays come back as host NumPy arrays)."""
    path = Path(path)

    def read(data):
        if TREE_KEY not in data.files:
            raise CheckpointError(f"{path}: not a tinymir run state (no {TREE_KEY} entry)")
        return (json.loads(str(data[TREE_KEY])),
                {name: data[name] for name in data.files if name != TREE_KEY})

    tree, arrays = read_npz(path, read, CheckpointError, "tinymir run state")
    return _unflatten(tree, arrays)
