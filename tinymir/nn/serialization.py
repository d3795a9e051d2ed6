"""One ``.npz`` file per model: architecture, weights, buffers and free-form metadata.

Entries: ``__tinymir__`` (format version), ``__config__`` (the model's ``get_config()`` as
JSON), ``__metadata__`` (the caller's dict as JSON: class names, feature parameters, ...),
then one array per parameter or buffer under its qualified name (``conv2d_1.kernel``).
Loading rebuilds the model from the config and copies the arrays in, so outputs are
reproduced exactly.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from tinymir.atomic import write_atomically

from .sequential import Sequential, StateDictError

FORMAT_VERSION = 1
_RESERVED = ("__tinymir__", "__config__", "__metadata__")


class ModelFileError(ValueError):
    """A model file that cannot be read back: truncated, corrupt, or not matching its config."""


def save(path, model: Sequential, metadata: dict | None = None) -> Path:
    """Write ``model`` (built) and JSON-able ``metadata`` to ``path`` (one .npz)."""
    if not model.built:
        raise ValueError("save: the model is not built yet (call model.build(input_shape))")
    path = Path(path)
    try:
        metadata_json = json.dumps(metadata or {})
    except TypeError as exc:
        raise ValueError(f"save: metadata must be JSON-able: {exc}") from None
    arrays = {"__tinymir__": np.array(FORMAT_VERSION),
              "__config__": np.array(json.dumps(model.get_config())),
              "__metadata__": np.array(metadata_json)}
    arrays.update(model.state_dict())
    # A file handle keeps numpy from appending ".npz"; a kill mid-write leaves the old file.
    return write_atomically(path, lambda handle: np.savez(handle, **arrays))


ZIP_MAGIC = b"PK\x03\x04"


def read_npz(path, read, error=None, what: str = "tinymir model file"):
    """``read(archive)`` on the ``.npz`` at ``path``, opened without ever unpickling.

    Every failure is ``error`` (default :class:`ModelFileError`) with one line naming the
    file: missing, not an ``.npz`` at all (``"not a <what>"``), or truncated / corrupt.
    """
    error = error or ModelFileError
    path = Path(path)
    if not path.is_file():
        raise error(f"{path}: no such {what}")
    try:
        with open(path, "rb") as handle:
            magic = handle.read(len(ZIP_MAGIC))
    except OSError as exc:
        raise error(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if magic != ZIP_MAGIC:
        raise error(f"{path}: not a {what} (not a NumPy .npz archive; "
                    + ("it is empty)" if not magic else "wrong or garbage file)"))
    try:
        with np.load(path, allow_pickle=False) as archive:
            return read(archive)
    except error:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        # np.load's own text may suggest allow_pickle, which must never be the advice
        reason = "holds Python objects" if "pickle" in str(exc) else str(exc)
        raise error(f"{path}: truncated or corrupt {what} ({reason})") from None


def load(path):
    """Read a file written by :func:`save`; returns ``(model, metadata)``."""
    path = Path(path)

    def read(archive):
        if "__config__" not in archive.files:
            raise ModelFileError(f"{path}: not a tinymir model file (no __config__ entry)")
        state = {name: archive[name] for name in archive.files if name not in _RESERVED}
        return (int(archive["__tinymir__"]), json.loads(str(archive["__config__"])),
                json.loads(str(archive["__metadata__"])), state)

    version, config, metadata, state = read_npz(path, read)
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path}: written by a newer tinymir (format {version})")
    try:
        model = Sequential.from_config(config)
        model.load_state_dict(state)
    except (StateDictError, ValueError, TypeError, KeyError) as exc:
        raise ModelFileError(f"{path}: weights do not match the architecture: {exc}") from None
    return model, metadata
