"""``reduce(rfft(window * frame))`` block by block: the spectrum kernel every feature uses.

Three tricks, each invisible in the result:

- the frames come from :class:`~tinymir.features.kernels.padded.PaddedFrames` (no padded copy
  of the batch);
- they are windowed, transformed and reduced in blocks (:mod:`~tinymir.features.kernels.blocks`)
  so a feature built on the spectrum (power, mel, chroma) never holds the whole batch's
  spectrogram, and the blocks are shared among threads on the CPU;
- the finiteness check of the signal costs no pass of its own when the frames cover it: a NaN
  or an infinity in a frame makes that frame's DC bin, a plain sum of the windowed samples,
  non-finite (``0 * inf`` is NaN too); only a block with a non-finite DC bin is looked at again,
  with the exact check of the whole signal (a finite sum can overflow).

``bench/bench_features.py`` times the features built on it against librosa.
"""
from __future__ import annotations

import numpy as np

from tinymir import backend
from tinymir.features.frames import as_signal, check_sizes, hann_window
from tinymir.features.kernels.blocks import frame_blocks
from tinymir.features.kernels.fft import rfft
from tinymir.features.kernels.finite import check_finite_samples
from tinymir.features.kernels.padded import PaddedFrames
from tinymir.threads import for_each_block


def spectrum_blocks(y, n_fft: int, hop_length: int | None, win_length: int | None,
                    center: bool, pad_mode: str, reduce=None, width: int | None = None,
                    dtype=None):
    """``reduce(rfft(window * frame))`` for every frame, frame-major ``(..., n_frames, width)``.

    Parameters
    ----------
    y : array ``(..., n_samples)``
        Audio, one clip or a batch (leading axes); NaN or infinite samples raise ``ValueError``.
    n_fft : int
        Frame length in samples, the FFT length.
    hop_length : int or None
        Samples between frame starts; None: ``win_length // 4``.
    win_length : int or None
        Length of the Hann window, zero-padded to ``n_fft`` at the centre; None: ``n_fft``.
    center : bool
        Pad ``n_fft // 2`` samples on both sides first (frame ``t`` centred on ``t * hop``).
    pad_mode : str
        ``"constant"``, ``"reflect"`` or ``"edge"`` (see
        :func:`~tinymir.features.frames.pad_edges`).
    reduce : callable or None, default None
        Maps a block of spectra ``(..., frames, 1 + n_fft // 2)`` (complex) to
        ``(..., frames, width)`` of ``dtype``; None keeps the complex spectra.
    width : int or None, default None
        Columns ``reduce`` gives; None: ``1 + n_fft // 2``.
    dtype : numpy dtype or None, default None
        dtype of ``reduce``'s output; None: the signal's float dtype.
    """
    hop_length, win_length = check_sizes(n_fft, hop_length, win_length)
    y = as_signal(y, check_finite=False)
    xp = backend.array_module(y)
    if not center and y.shape[-1] < n_fft:
        raise ValueError(f"n_fft={n_fft} is too large for a signal of {y.shape[-1]} samples "
                         "without centring")
    frames = PaddedFrames(y, n_fft, hop_length, n_fft // 2 if center else 0, pad_mode)
    if not frames.covers_signal:
        check_finite_samples(y)
    window = hann_window(n_fft, win_length, xp, y.dtype)
    if reduce is None:
        dtype = np.result_type(y.dtype, np.complex64)
    out = xp.empty(y.shape[:-1] + (frames.count, width or 1 + n_fft // 2), dtype=dtype or y.dtype)
    unchecked = []

    def transform(block, checked=False):
        with np.errstate(invalid="ignore"):                     # inf * 0: caught just below
            windowed = frames.block(block) * window
        spectrum = rfft(windowed, axis=-1, overwrite_x=True)
        if not checked and not bool(xp.isfinite(spectrum[..., 0]).all()):
            unchecked.append(block)                             # list.append is thread-safe
            return
        out[..., block, :] = spectrum if reduce is None else reduce(spectrum)

    bytes_per_frame = n_fft * y.itemsize * int(np.prod(y.shape[:-1], dtype=np.int64))
    for_each_block(transform, frame_blocks(frames.count, bytes_per_frame, xp))
    if unchecked:
        check_finite_samples(y)
        for block in unchecked:                                 # finite after all: overflow
            transform(block, checked=True)
    return out
