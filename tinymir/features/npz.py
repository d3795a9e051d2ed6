"""The feature file: features of many audio files in one ``.npz`` (what ``tinymir features
--out`` writes and ``tinymir features invert`` reads back).

Entries::

    features  (files, bins, frames) stacked when every file gives the same shape, else
              (bins, total frames) concatenated along the frame axis
    n_frames  (files,) frames per file (spectrogram-like kinds only)
    paths     (files,) each file's path relative to the folder read
    labels    (files,) each file's parent folder name
    params    the FeatureParams as JSON (sorted keys)
    key       FeatureParams.key()
    names     the column names (track kinds only)

``tinymir explain represent`` writes ``features`` and ``params`` in the same layout, so
:func:`load_features` reads its class files too.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tinymir import archive
from tinymir.atomic import write_atomically
from tinymir.features.extract import FeatureParams


def npz_path(out) -> Path:
    """``out`` ending in ``.npz`` (the name ``np.savez`` always gave it)."""
    out = Path(out)
    return out if out.suffix == ".npz" else out.with_name(out.name + ".npz")


def feature_arrays(features: list) -> dict:
    """``features`` (and ``n_frames``) of the module docstring: stacked when all shapes agree,
    else concatenated along frames."""
    if len({f.shape for f in features}) == 1:
        arrays = {"features": np.stack(features)}
    else:
        arrays = {"features": np.concatenate(features, axis=-1)}
    if features[0].ndim == 2:
        arrays["n_frames"] = np.array([f.shape[-1] for f in features])
    return arrays


def save_features(out, paths: list[str], labels: list[str], features: list,
                  params: FeatureParams) -> Path:
    """Write the feature file of the module docstring to ``out`` (``.npz`` appended when it
    does not end so) in one atomic step; returns the path written.

    Parameters
    ----------
    out : path
        The file to write; its folder is made when missing.
    paths : list of str
        Each file's path relative to the folder read.
    labels : list of str
        Each file's label (its parent folder name).
    features : list of ndarray
        Each file's host features, ``(bins, frames)`` or ``(columns,)`` for track kinds.
    params : FeatureParams
        The parameters that computed them.
    """
    out = npz_path(out)
    arrays = feature_arrays(features)
    arrays.update(paths=np.array(paths), labels=np.array(labels),
                  params=np.array(json.dumps(params.to_dict(), sort_keys=True)),
                  key=np.array(params.key()))
    if params.names() is not None:
        arrays["names"] = np.array(params.names())
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(out, lambda handle: np.savez(handle, **arrays))
    return out


def load_features(path) -> tuple[FeatureParams, list[np.ndarray]]:
    """``(params, clips)`` of a feature file: its ``FeatureParams`` and its clips (one, stacked,
    or concatenated along frames with ``n_frames`` per clip). Every problem is one
    ``ValueError`` line naming the file."""
    stored = archive.read_npz(path, ValueError, "features file (.npz)")
    if "features" not in stored or "params" not in stored:
        raise ValueError(f"{path}: no 'features' and 'params' in it (not written by "
                         "`tinymir features` or `tinymir explain represent`)")
    try:
        params = FeatureParams.from_dict(json.loads(str(stored["params"])))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: its 'params' are not feature parameters ({exc})") from None
    values = stored["features"]
    lengths = stored.get("n_frames")
    if values.ndim == 2 and lengths is not None and lengths.size > 1:
        lengths = np.asarray(lengths).ravel()
        if (lengths.dtype.kind not in "iu" or (lengths < 1).any()
                or int(lengths.sum()) != values.shape[-1]):
            raise ValueError(f"{path}: its n_frames ({lengths.size} clips, "
                             f"{int(lengths.sum()) if lengths.dtype.kind in 'iu' else '?'} "
                             f"frames) do not add up to the {values.shape[-1]} frames of its "
                             "features")
        clips = np.split(values, np.cumsum(lengths)[:-1], axis=-1)
    elif values.ndim >= 2:
        clips = [values[index] for index in np.ndindex(values.shape[:-2])]
    else:
        clips = [values]
    if not clips:
        raise ValueError(f"{path}: it holds no clip")
    return params, clips
