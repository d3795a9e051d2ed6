"""One ``.npz`` file per model: architecture, weights, buffers and free-form metadata.

A file of :mod:`tinymir.archive` (the format of training checkpoints too) holding the tree
``{"tinymir_model": 2, "config": model.get_config(), "metadata": {...}, "state": {qualified
name: array}}``: the caller's metadata (class names, front end, ...) and one array per
parameter or buffer under its qualified name (``conv2d_1.kernel``). Loading rebuilds the model
from the config and copies the arrays in, so outputs are reproduced exactly; a file whose
arrays hold NaN or infinity is refused at load (:func:`check_finite`).

Files of format 1 (before checkpoints and models shared one format: entries ``__tinymir__``,
``__config__`` and ``__metadata__`` beside the arrays) are still read.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tinymir import archive

from .sequential import Sequential, StateDictError

FORMAT_VERSION = 2
_FORMAT_1 = ("__tinymir__", "__config__", "__metadata__")


class ModelFileError(ValueError):
    """A model file that cannot be read back: truncated, corrupt, or not matching its config."""


def save(path, model: Sequential, metadata: dict | None = None) -> Path:
    """Write ``model`` (built) and JSON-able ``metadata`` to ``path`` (one .npz)."""
    if not model.built:
        raise ValueError("save: the model is not built yet (call model.build(input_shape))")
    try:
        json.dumps(metadata or {})
    except TypeError as exc:
        raise ValueError(f"save: metadata must be JSON-able: {exc}") from None
    return archive.save_tree(path, {"tinymir_model": FORMAT_VERSION,
                                    "config": model.get_config(), "metadata": metadata or {},
                                    "state": model.state_dict()})


def load(path):
    """Read a file written by :func:`save` (or by tinymir's format 1); returns
    ``(model, metadata)``."""
    path = Path(path)
    entries = archive.read_npz(path, ModelFileError, "tinymir model file")
    version, config, metadata, state = _contents(path, entries)
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path}: written by a newer tinymir (format {version})")
    try:
        model = Sequential.from_config(config)
        model.load_state_dict(state)
    except (StateDictError, ValueError, TypeError, KeyError) as exc:
        raise ModelFileError(f"{path}: weights do not match the architecture: {exc}") from None
    check_finite(path, state)
    return model, metadata


def check_finite(path, state: dict) -> None:
    """Raise :class:`ModelFileError` naming the first parameter or buffer of ``state`` that
    holds NaN or infinity (a model that predicts ``nan`` for every input)."""
    for name, value in state.items():
        value = np.asarray(value)
        if value.dtype.kind in "fc" and not np.isfinite(value).all():
            bad = int(value.size - np.isfinite(value).sum())
            raise ModelFileError(f"{path}: {name} holds {bad} NaN or infinite values of "
                                 f"{value.size}: the file is damaged or its training diverged; "
                                 "train it again")


def _contents(path, entries):
    """``(format, config, metadata, state)`` of either format."""
    try:
        if "__config__" in entries:                           # format 1
            return (int(entries["__tinymir__"]), json.loads(str(entries["__config__"])),
                    json.loads(str(entries["__metadata__"])),
                    {name: value for name, value in entries.items() if name not in _FORMAT_1})
        if archive.TREE_KEY in entries:
            tree = archive.tree_from_entries(path, entries, ModelFileError, "tinymir model file")
            if "tinymir_model" in tree:
                return (int(tree["tinymir_model"]), tree["config"], tree["metadata"],
                        tree["state"])
    except ModelFileError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{path}: truncated or corrupt tinymir model file ({exc})") from None
    raise ModelFileError(f"{path}: not a tinymir model file (no __config__ entry and no model "
                         "tree)")
