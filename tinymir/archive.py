"""The one file format of what tinymir keeps (model files, training checkpoints): a tree as ONE
``.npz``.

The tree is dicts and lists whose leaves are arrays (NumPy or CuPy) or JSON scalars. Every array
is stored under its path in the tree (``"optimizer/m/3"``), and the rest of the tree as a JSON
string under ``__tree__`` with each array replaced by ``{"__array__": path}``. Files are written
beside the target and renamed over it (:func:`tinymir.atomic.write_atomically`), so a process
killed while saving leaves the previous file intact. Reading needs no pickle.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from tinymir import backend
from tinymir.atomic import write_atomically

TREE_KEY = "__tree__"


class ArchiveError(ValueError):
    """A file that cannot be read as a tree: missing, truncated, corrupt, or another format."""


ZIP_MAGIC = b"PK\x03\x04"


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


def save_tree(path, tree: dict) -> Path:
    """Write ``tree`` atomically to ``path`` (one .npz); ``ValueError`` if a leaf is neither an
    array nor JSON-able."""
    arrays: dict = {}
    skeleton = _flatten(tree, "", arrays)
    try:
        text = json.dumps(skeleton)
    except TypeError as exc:
        raise ValueError(f"{path}: cannot save {exc}") from None
    # A file handle keeps numpy from appending ".npz".
    return write_atomically(Path(path), lambda handle: np.savez(
        handle, **{TREE_KEY: np.array(text)}, **arrays))


def read_npz(path, error=ArchiveError, what: str = "tinymir file") -> dict:
    """Every entry of the ``.npz`` at ``path`` as a host array, opened without ever unpickling.

    Every failure is ``error`` with one line naming the file: missing, not an ``.npz`` at all
    (``"not a <what>"``), or truncated / corrupt.
    """
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
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        # np.load's own text may suggest allow_pickle, which must never be the advice
        reason = "holds Python objects" if "pickle" in str(exc) else str(exc)
        raise error(f"{path}: truncated or corrupt {what} ({reason})") from None


def tree_from_entries(path, entries: dict, error=ArchiveError,
                      what: str = "tinymir file") -> dict:
    """The tree that :func:`save_tree` stored, from :func:`read_npz`'s entries.

    Parameters
    ----------
    path : str or os.PathLike
        The file the entries came from (for the messages).
    entries : dict of str to numpy.ndarray
        What :func:`read_npz` returned.
    error : type of Exception, default ArchiveError
        Exception raised when the tree is missing or corrupt.
    what : str, default "tinymir file"
        What the messages call the file.
    """
    if TREE_KEY not in entries:
        raise error(f"{path}: not a {what} (no {TREE_KEY} entry)")
    try:
        return _unflatten(json.loads(str(entries[TREE_KEY])), entries)
    except (ValueError, KeyError, TypeError) as exc:
        raise error(f"{path}: truncated or corrupt {what} ({exc})") from None


def load_tree(path, error=ArchiveError, what: str = "tinymir file") -> dict:
    """Read a tree written by :func:`save_tree` (arrays come back as host NumPy arrays)."""
    return tree_from_entries(path, read_npz(path, error, what), error, what)
