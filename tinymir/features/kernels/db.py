"""The per-clip dB floor, deferred to the next pass over the blocks.

``dB = max(dB, max_clip(dB) - top_db)`` needs each clip's maximum over ALL its frames before
any frame can be floored, which would take a pass of its own over the whole batch. Instead the
logarithm and each block's per-clip maximum are taken in the block threads while the block is
in cache (:func:`log_blocks_and_floor`), and the floor waits for the next pass over the blocks:
:func:`apply_floor`'s, or the MFCC's DCT, which floors each block just before its product
(:func:`floored_product`).
``bench/bench_features.py`` times the log-mel and MFCC built on it against librosa.
"""
from __future__ import annotations

from tinymir import backend
from tinymir.features.db import decibels
from tinymir.features.kernels.blocks import frame_blocks_of
from tinymir.features.kernels.filterbank import apply_filterbank
from tinymir.features.kernels.spectrum import spectrum_blocks
from tinymir.threads import for_each_block


def log_blocks_and_floor(y, n_fft: int, hop_length: int, center: bool, pad_mode: str, reduce,
                         width: int, amin: float, top_db: float | None):
    """``(dB, floor)``: ``dB = decibels(reduce(rfft(window * frame)), amin)`` frame-major
    ``(..., n_frames, width)`` and each clip's floor ``max_clip(dB) - top_db`` shaped
    ``(..., 1, 1)`` (None when ``top_db`` is None), NOT yet applied.

    Parameters
    ----------
    y : array ``(..., n_samples)``
        Audio, one clip or a batch.
    n_fft, hop_length : int
        Frame length and hop, in samples.
    center : bool
        Centred frames (``n_fft // 2`` samples of padding on both sides).
    pad_mode : str
        Padding of centred frames (see :func:`~tinymir.features.frames.pad_edges`).
    reduce : callable
        A block of complex spectra ``(..., frames, 1 + n_fft // 2)`` to the non-negative values
        ``(..., frames, width)`` whose decibels are wanted (e.g. power, then the mel product).
    width : int
        Columns ``reduce`` gives.
    amin : float
        Smallest value before the logarithm (power units).
    top_db : float or None
        Floor below each clip's maximum, in dB; None: no floor.
    """
    block_maxima = []

    def log_of_block(spectrum):
        values = reduce(spectrum)
        db = decibels(values, amin, out=values)
        if top_db is not None:
            block_maxima.append(db.max(axis=(-2, -1)))      # list.append is thread-safe
        return db

    db = spectrum_blocks(y, n_fft, hop_length, None, center, pad_mode, log_of_block, width)
    if top_db is None:
        return db, None
    xp = backend.array_module(db)
    return db, (xp.stack(block_maxima).max(axis=0) - top_db)[..., None, None]


def apply_floor(db, floor):
    """``max(dB, floor)`` in place, block by block (``floor`` from :func:`log_blocks_and_floor`;
    None leaves ``db`` as it is)."""
    if floor is None:
        return db
    xp = backend.array_module(db)

    def floor_block(rows):
        xp.maximum(db[..., rows, :], floor, out=db[..., rows, :])

    for_each_block(floor_block, frame_blocks_of(db))
    return db


def floored_product(db, floor, matrix):
    """``out[..., t, q] = sum_m matrix[q, m] max(dB[..., t, m], floor)``, frame-major, block by
    block: each block of ``db`` is raised to ``floor`` in place just before its product, so the
    floor costs no pass of its own (``floor`` from :func:`log_blocks_and_floor`; None: no
    floor)."""
    xp = backend.array_module(db)
    out = xp.empty(db.shape[:-1] + (matrix.shape[0],), dtype=db.dtype)

    def product_of_block(rows):
        block = db[..., rows, :]
        if floor is not None:
            xp.maximum(block, floor, out=block)
        out[..., rows, :] = apply_filterbank(block, matrix)

    for_each_block(product_of_block, frame_blocks_of(db))
    return out
