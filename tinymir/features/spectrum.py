"""Short-time Fourier transform, its inverse, and power / magnitude spectrograms.

For a clip ``y`` padded by ``n_fft // 2`` zeros on both sides (``center=True``, librosa >= 0.9;
``pad_mode="reflect"`` gives librosa < 0.9), window ``w`` and hop ``h``:

    X[..., f, t] = sum_k  w[k] y[..., t*h + k] exp(-2j pi f k / n_fft),    f = 0 .. n_fft // 2

    S = |X| ** power

Shapes follow librosa: ``(..., 1 + n_fft // 2, n_frames)`` with
``n_frames = 1 + (n + 2 * (n_fft // 2) - n_fft) // hop`` when centred. Any leading axes are a
batch of clips, transformed together: in one call on a GPU, and on the CPU in cache-sized
blocks of frames that span every clip, shared among threads (see ``frames.frame_blocks``).
Features computed from the spectrum reduce each block as it comes (:func:`spectrum_blocks`).
Float32 in gives complex64 out (librosa computes the windowed frames in float64 and rounds to
complex64, so the two agree to float32 precision).
"""
from __future__ import annotations

import math

import numpy as np

from tinymir import backend
from tinymir.features.frames import (
    PaddedFrames,
    as_signal,
    check_finite_samples,
    for_each_block,
    frame_blocks,
    hann_window,
)


def fft_frequencies(sr: float, n_fft: int) -> np.ndarray:
    """Centre frequency of each rFFT bin: ``f_k = k * sr / n_fft``, ``k = 0 .. n_fft // 2`` (host)."""
    return np.linspace(0.0, sr / 2.0, 1 + n_fft // 2)


#: Threads per FFT call on the CPU. One: the batch already gives each call thousands of frames,
#: and on a busy machine (the 2-core dev box under load) FFT threads mostly wait on each other:
#: a block of 1024 frames of 1024 samples took a median 1.4 ms with 1 thread, 6.6 ms with 2.
FFT_WORKERS = 1


def rfft(x, n: int | None = None, axis: int = -1, overwrite_x: bool = False):
    """Real FFT on the array's device (``FFT_WORKERS`` threads on the host); ``overwrite_x``
    lets it reuse ``x`` as scratch."""
    xp = backend.array_module(x)
    fft = backend.fft_module(xp)
    if xp is np:
        return fft.rfft(x, n=n, axis=axis, overwrite_x=overwrite_x, workers=FFT_WORKERS)
    return fft.rfft(x, n=n, axis=axis, overwrite_x=overwrite_x)


def irfft(x, n: int | None = None, axis: int = -1):
    """Inverse real FFT on the array's device (``FFT_WORKERS`` threads on the host)."""
    xp = backend.array_module(x)
    fft = backend.fft_module(xp)
    if xp is np:
        return fft.irfft(x, n=n, axis=axis, workers=FFT_WORKERS)
    return fft.irfft(x, n=n, axis=axis)


def _check_sizes(n_fft: int, hop_length: int | None, win_length: int | None):
    win_length = win_length or n_fft
    hop_length = hop_length or win_length // 4
    if n_fft < 2 or hop_length < 1:
        raise ValueError(f"n_fft={n_fft} must be >= 2 and hop_length={hop_length} >= 1")
    return hop_length, win_length


def spectrum_blocks(y, n_fft: int, hop_length: int | None, win_length: int | None,
                    center: bool, pad_mode: str, reduce=None, width: int | None = None,
                    dtype=None):
    """``reduce(rfft(window * frame))`` for every frame, frame-major ``(..., n_frames, width)``.

    ``reduce`` maps a block of spectra ``(..., frames, 1 + n_fft // 2)`` (complex) to
    ``(..., frames, width)`` of ``dtype``; ``None`` keeps the complex spectra. Reducing block by
    block means a feature built on the spectrum (power, mel, chroma) never holds the whole
    batch's spectrogram. On the CPU the blocks are shared among ``CPU_THREADS`` threads
    (pocketfft and BLAS release the GIL).

    Non-finite samples raise ``ValueError`` (as :func:`as_signal`), found without a pass of its
    own over the signal when the frames cover it: a NaN or an infinity in a frame makes that
    frame's DC bin, a plain sum of the windowed samples, non-finite (``0 * inf`` is NaN too).
    Only a block with a non-finite DC bin is looked at again, with the exact check of the
    whole signal (a finite sum can overflow).
    """
    hop_length, win_length = _check_sizes(n_fft, hop_length, win_length)
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


def stft_frames(y, n_fft: int = 2048, hop_length: int | None = None,
                win_length: int | None = None, center: bool = True, pad_mode: str = "constant"):
    """The STFT in frame-major layout ``(..., n_frames, 1 + n_fft // 2)`` (contiguous).

    :func:`stft` is this, transposed. Feature code that reduces over frequency works on this
    layout directly.
    """
    return spectrum_blocks(y, n_fft, hop_length, win_length, center, pad_mode)


def stft(y, n_fft: int = 2048, hop_length: int | None = None, win_length: int | None = None,
         center: bool = True, pad_mode: str = "constant"):
    """Complex STFT ``X[..., f, t]`` (formula in the module docstring), like ``librosa.stft``.

    ``hop_length`` defaults to ``win_length // 4``; ``win_length`` (default ``n_fft``) is the
    length of the Hann window, zero-padded to ``n_fft`` at the centre.
    """
    return stft_frames(y, n_fft, hop_length, win_length, center, pad_mode).swapaxes(-1, -2)


def power_from_complex(spec, power: float = 2.0):
    """``|X| ** power`` (``power=2``: the magnitude squared in place, no second temporary;
    complex ``abs`` is one vectorised pass, faster than squaring the strided real and imaginary
    parts)."""
    xp = backend.array_module(spec)
    magnitude = xp.abs(spec)
    if power == 1.0:
        return magnitude
    if power == 2.0:
        return xp.multiply(magnitude, magnitude, out=magnitude)
    return magnitude ** power


def spectrogram_frames(y, n_fft: int = 2048, hop_length: int | None = None, power: float = 2.0,
                       win_length: int | None = None, center: bool = True,
                       pad_mode: str = "constant"):
    """``|X| ** power`` in frame-major layout ``(..., n_frames, 1 + n_fft // 2)``."""
    return spectrum_blocks(y, n_fft, hop_length, win_length, center, pad_mode,
                           lambda spectrum: power_from_complex(spectrum, power))


def spectrogram(y, n_fft: int = 2048, hop_length: int | None = None, power: float = 2.0,
                win_length: int | None = None, center: bool = True, pad_mode: str = "constant"):
    """Power (``power=2``) or magnitude (``power=1``) spectrogram ``|X| ** power``,
    shape ``(..., 1 + n_fft // 2, n_frames)``."""
    return spectrogram_frames(y, n_fft, hop_length, power, win_length, center,
                              pad_mode).swapaxes(-1, -2)


def istft(stft_matrix, hop_length: int | None = None, win_length: int | None = None,
          n_fft: int | None = None, center: bool = True, length: int | None = None):
    """Inverse STFT by weighted overlap-add, like ``librosa.istft``.

        y[n] = sum_t w[n - t h] x_t[n - t h]  /  sum_t w[n - t h]^2,    x_t = irfft(X[..., :, t])

    (division only where the window sum-square exceeds the smallest normal float). With
    ``center=True`` the first ``n_fft // 2`` samples are dropped; ``length`` trims or zero-pads
    the output to exactly that many samples.
    """
    xp = backend.array_module(stft_matrix)
    n_fft = n_fft or 2 * (stft_matrix.shape[-2] - 1)
    hop_length, win_length = _check_sizes(n_fft, hop_length, win_length)
    n_frames = stft_matrix.shape[-1]
    if length:
        padded_length = length + 2 * (n_fft // 2) if center else length
        n_frames = min(n_frames, math.ceil(padded_length / hop_length))
    real_dtype = np.float64 if stft_matrix.dtype == np.complex128 else np.float32
    window = hann_window(n_fft, win_length, xp, real_dtype)
    frames = irfft(stft_matrix[..., :n_frames].swapaxes(-1, -2), n=n_fft, axis=-1) * window
    signal = _overlap_add(frames, hop_length)
    norm = _overlap_add(xp.broadcast_to(window * window, (n_frames, n_fft)), hop_length)

    start = n_fft // 2 if center else 0
    if length:
        stop = start + length
    else:
        stop = signal.shape[-1] - start
    signal, norm = signal[..., start:stop], norm[start:stop]
    nonzero = norm > np.finfo(real_dtype).tiny
    signal = xp.where(nonzero, signal / xp.where(nonzero, norm, 1), signal)
    if length and signal.shape[-1] < length:
        widths = [(0, 0)] * (signal.ndim - 1) + [(0, length - signal.shape[-1])]
        signal = xp.pad(signal, widths)
    return signal


def _overlap_add(frames, hop_length: int):
    """``out[t*h + k] += frames[..., t, k]`` for all frames, looping over the
    ``ceil(n_fft / h)`` hop-sized pieces of a frame (not over frames)."""
    xp = backend.array_module(frames)
    n_frames, n_fft = frames.shape[-2:]
    pieces = math.ceil(n_fft / hop_length)
    widths = [(0, 0)] * (frames.ndim - 1) + [(0, pieces * hop_length - n_fft)]
    frames = xp.pad(frames, widths).reshape(frames.shape[:-1] + (pieces, hop_length))
    out = xp.zeros(frames.shape[:-3] + (n_frames + pieces - 1, hop_length), dtype=frames.dtype)
    for k in range(pieces):
        out[..., k:k + n_frames, :] += frames[..., :, k, :]
    out = out.reshape(out.shape[:-2] + (-1,))
    return out[..., :n_fft + hop_length * (n_frames - 1)]
