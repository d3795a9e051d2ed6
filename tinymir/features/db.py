"""Decibels: ``power_to_db`` and ``amplitude_to_db`` (librosa's formulas and defaults).

    power_to_db(S) = 10 log10(max(amin, S)) - 10 log10(max(amin, ref))
    then, with top_db:   dB = max(dB, max_clip(dB) - top_db)

``amplitude_to_db(A) = power_to_db(A^2, ref=ref^2, amin=amin^2)``.

Per-clip floor: tinymir takes ``max_clip`` (and ``ref="max"``) over EACH CLIP's own last
``clip_ndim`` axes (a spectrogram ``(..., F, T)`` by default), so a batch of clips gives the same
numbers as the clips one by one. librosa takes the maximum over the whole array it is given,
so with a batch a loud clip would lift the floor of a quiet one; on a single clip the two agree.
"""
from __future__ import annotations

from tinymir import backend


def _clip_axes(ndim: int, clip_ndim: int):
    return tuple(range(max(0, ndim - clip_ndim), ndim))


def _reference(S, ref, axes):
    """The reference value(s): a number, or per clip for ``"max"`` / a reducer."""
    xp = backend.array_module(S)
    if isinstance(ref, str):
        if ref != "max":
            raise ValueError(f"ref must be a number, 'max' or a reducer like np.max, not {ref!r}")
        ref = S.max(axis=axes, keepdims=True)
    elif callable(ref):
        ref = ref(S, axis=axes, keepdims=True)
    return xp.abs(xp.asarray(ref, dtype=S.dtype))


def decibels(S, amin: float = 1e-10, out=None):
    """``10 log10(max(amin, S))`` (no reference, no floor), into ``out`` (which may be ``S``)."""
    xp = backend.array_module(S)
    out = xp.maximum(S, amin, out=out)
    xp.log10(out, out=out)
    out *= 10.0
    return out


def floor_at_top_db(db, top_db: float, clip_ndim: int = 2):
    """``max(dB, max_clip(dB) - top_db)`` in place, the maximum taken per clip (the last
    ``clip_ndim`` axes)."""
    xp = backend.array_module(db)
    axes = _clip_axes(db.ndim, clip_ndim)
    return xp.maximum(db, db.max(axis=axes, keepdims=True) - top_db, out=db)


def check_db_options(amin: float, top_db: float | None):
    """ValueError unless ``amin > 0`` and ``top_db`` is None or non-negative."""
    if amin <= 0:
        raise ValueError(f"amin must be strictly positive, got {amin}")
    if top_db is not None and top_db < 0:
        raise ValueError(f"top_db must be non-negative, got {top_db}")


def power_to_db(S, ref=1.0, amin: float = 1e-10, top_db: float | None = 80.0,
                clip_ndim: int = 2):
    """Power to decibels (formula in the module docstring).

    ``ref`` is a number, ``"max"`` (each clip's maximum) or a reducer such as ``np.max`` applied
    per clip. ``top_db=None`` disables the floor; ``clip_ndim`` is how many trailing axes make
    one clip.

    Parameters
    ----------
    S : array
        Power (non-negative; complex input is taken as ``|S|``).
    ref : float, "max" or callable, default 1.0
        Reference power (0 dB): a number, each clip's maximum, or a reducer such as ``np.max``
        applied per clip.
    amin : float, default 1e-10
        Smallest power taken before the logarithm.
    top_db : float or None, default 80.0
        Floor below each clip's maximum, in dB; None: no floor.
    clip_ndim : int, default 2
        How many trailing axes make one clip (the floor and ``ref="max"`` are taken per clip).
    """
    check_db_options(amin, top_db)
    xp = backend.array_module(S)
    axes = _clip_axes(S.ndim, clip_ndim)
    if xp.iscomplexobj(S):
        S = xp.abs(S)
    db = decibels(S, amin)          # in place from here on: one temporary the size of S
    db -= 10.0 * xp.log10(xp.maximum(_reference(S, ref, axes), amin))
    if top_db is not None:
        floor_at_top_db(db, top_db, clip_ndim)
    return db


def amplitude_to_db(S, ref=1.0, amin: float = 1e-5, top_db: float | None = 80.0,
                    clip_ndim: int = 2):
    """Amplitude (magnitude) to decibels: ``power_to_db(|S|^2, ref^2, amin^2, top_db)``.

    Parameters
    ----------
    S : array
        Amplitude (magnitude; complex input is taken as ``|S|``).
    ref : float, "max" or callable, default 1.0
        Reference amplitude (0 dB): a number, each clip's maximum, or a reducer applied per clip.
    amin : float, default 1e-05
        Smallest amplitude taken before the logarithm.
    top_db : float or None, default 80.0
        Floor below each clip's maximum, in dB; None: no floor.
    clip_ndim : int, default 2
        How many trailing axes make one clip (the floor and ``ref="max"`` are taken per clip).
    """
    xp = backend.array_module(S)
    magnitude = xp.abs(S)
    ref = _reference(magnitude, ref, _clip_axes(magnitude.ndim, clip_ndim))
    return power_to_db(magnitude * magnitude, ref=ref * ref, amin=amin * amin, top_db=top_db,
                       clip_ndim=clip_ndim)
