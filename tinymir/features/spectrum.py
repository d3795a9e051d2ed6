"""Short-time Fourier transform, its inverse, and power / magnitude spectrograms.

For a clip ``y`` padded by ``n_fft // 2`` zeros on both sides (``center=True``, librosa >= 0.9;
``pad_mode="reflect"`` gives librosa < 0.9), window ``w`` and hop ``h``:

    X[..., f, t] = sum_k  w[k] y[..., t*h + k] exp(-2j pi f k / n_fft),    f = 0 .. n_fft // 2

    S = |X| ** power

i.e. frame -> window -> rfft, then a reduction (``|.| ** power``, a filterbank, ...). Shapes
follow librosa: ``(..., 1 + n_fft // 2, n_frames)`` with
``n_frames = 1 + (n + 2 * (n_fft // 2) - n_fft) // hop`` when centred. Any leading axes are a
batch of clips, transformed together. How it is made fast (blocks of frames shared among
threads, no padded copy, the reduction applied block by block, the finiteness check folded
into the DC bin) is the kernel's business:
:func:`tinymir.features.kernels.spectrum.spectrum_blocks`.
Float32 in gives complex64 out (librosa computes the windowed frames in float64 and rounds to
complex64, so the two agree to float32 precision).
"""
from __future__ import annotations

import math

import numpy as np

from tinymir import backend, moved
from tinymir.features.frames import check_sizes, hann_window
from tinymir.features.kernels.fft import irfft
from tinymir.features.kernels.spectrum import spectrum_blocks


def fft_frequencies(sr: float, n_fft: int) -> np.ndarray:
    """Centre frequency of each rFFT bin: ``f_k = k * sr / n_fft``, ``k = 0 .. n_fft // 2``
    (host)."""
    return np.linspace(0.0, sr / 2.0, 1 + n_fft // 2)


def stft_frames(y, n_fft: int = 2048, hop_length: int | None = None,
                win_length: int | None = None, center: bool = True, pad_mode: str = "constant"):
    """The STFT frame -> window -> rfft, ``X[..., t, :] = rfft(w * frames[..., t, :])``, in
    frame-major layout ``(..., n_frames, 1 + n_fft // 2)`` (contiguous).

    :func:`stft` is this, transposed. Feature code that reduces over frequency works on this
    layout directly.

    Parameters
    ----------
    y : array, shape (..., n_samples)
        Audio: one clip, or a batch of clips along the leading axes (NumPy or CuPy).
    n_fft : int, default 2048
        FFT length, which is also the frame length, in samples.
    hop_length : int or None, default None
        Samples between the starts of two frames; None: ``win_length // 4``.
    win_length : int or None, default None
        Length of the Hann window in samples, zero-padded to ``n_fft`` at the centre; None:
        ``n_fft``.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is centred on sample
        ``t * hop_length``.
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
    """
    return spectrum_blocks(y, n_fft, hop_length, win_length, center, pad_mode)


def stft(y, n_fft: int = 2048, hop_length: int | None = None, win_length: int | None = None,
         center: bool = True, pad_mode: str = "constant"):
    """Complex STFT ``X[..., f, t]`` (formula in the module docstring), like ``librosa.stft``.

    ``hop_length`` defaults to ``win_length // 4``; ``win_length`` (default ``n_fft``) is the
    length of the Hann window, zero-padded to ``n_fft`` at the centre.

    Parameters
    ----------
    y : array, shape (..., n_samples)
        Audio: one clip, or a batch of clips along the leading axes (NumPy or CuPy).
    n_fft : int, default 2048
        FFT length, which is also the frame length, in samples.
    hop_length : int or None, default None
        Samples between the starts of two frames; None: ``win_length // 4``.
    win_length : int or None, default None
        Length of the Hann window in samples, zero-padded to ``n_fft`` at the centre; None:
        ``n_fft``.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is centred on sample
        ``t * hop_length``.
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
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
    """``|X| ** power`` in frame-major layout ``(..., n_frames, 1 + n_fft // 2)``.

    Parameters
    ----------
    y : array, shape (..., n_samples)
        Audio: one clip, or a batch of clips along the leading axes (NumPy or CuPy).
    n_fft : int, default 2048
        FFT length, which is also the frame length, in samples.
    hop_length : int or None, default None
        Samples between the starts of two frames; None: ``win_length // 4``.
    power : float, default 2.0
        Exponent of the STFT magnitude: 2 gives power, 1 magnitude.
    win_length : int or None, default None
        Length of the Hann window in samples, zero-padded to ``n_fft`` at the centre; None:
        ``n_fft``.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is centred on sample
        ``t * hop_length``.
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
    """
    return spectrum_blocks(y, n_fft, hop_length, win_length, center, pad_mode,
                           lambda spectrum: power_from_complex(spectrum, power))


def spectrogram(y, n_fft: int = 2048, hop_length: int | None = None, power: float = 2.0,
                win_length: int | None = None, center: bool = True, pad_mode: str = "constant"):
    """Power (``power=2``) or magnitude (``power=1``) spectrogram ``|X| ** power``,
    shape ``(..., 1 + n_fft // 2, n_frames)``.

    Parameters
    ----------
    y : array, shape (..., n_samples)
        Audio: one clip, or a batch of clips along the leading axes (NumPy or CuPy).
    n_fft : int, default 2048
        FFT length, which is also the frame length, in samples.
    hop_length : int or None, default None
        Samples between the starts of two frames; None: ``win_length // 4``.
    power : float, default 2.0
        Exponent of the STFT magnitude: 2 gives power, 1 magnitude.
    win_length : int or None, default None
        Length of the Hann window in samples, zero-padded to ``n_fft`` at the centre; None:
        ``n_fft``.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is centred on sample
        ``t * hop_length``.
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
    """
    return spectrogram_frames(y, n_fft, hop_length, power, win_length, center,
                              pad_mode).swapaxes(-1, -2)


def istft(stft_matrix, hop_length: int | None = None, win_length: int | None = None,
          n_fft: int | None = None, center: bool = True, length: int | None = None):
    """Inverse STFT by weighted overlap-add, like ``librosa.istft``.

        y[n] = sum_t w[n - t h] x_t[n - t h]  /  sum_t w[n - t h]^2,    x_t = irfft(X[..., :, t])

    (division only where the window sum-square exceeds the smallest normal float). With
    ``center=True`` the first ``n_fft // 2`` samples are dropped; ``length`` trims or zero-pads
    the output to exactly that many samples.

    Parameters
    ----------
    stft_matrix : array, shape (..., 1 + n_fft // 2, n_frames)
        Complex STFT.
    hop_length : int or None, default None
        Samples between the starts of two frames; None: ``win_length // 4``.
    win_length : int or None, default None
        Length of the Hann window in samples, zero-padded to ``n_fft`` at the centre; None:
        ``n_fft``.
    n_fft : int or None, default None
        FFT length; None: ``2 * (bins - 1)``.
    center : bool, default True
        The STFT had centred frames: drop the first ``n_fft // 2`` samples.
    length : int or None, default None
        Trim or zero-pad the output to exactly this many samples; None: as the frames give.
    """
    xp = backend.array_module(stft_matrix)
    n_fft = n_fft or 2 * (stft_matrix.shape[-2] - 1)
    hop_length, win_length = check_sizes(n_fft, hop_length, win_length)
    n_frames = stft_matrix.shape[-1]
    if length:
        padded_length = length + 2 * (n_fft // 2) if center else length
        n_frames = min(n_frames, math.ceil(padded_length / hop_length))
    real_dtype = np.float64 if stft_matrix.dtype == np.complex128 else np.float32
    window = hann_window(n_fft, win_length, xp, real_dtype)
    frames = irfft(stft_matrix[..., :n_frames].swapaxes(-1, -2), n=n_fft,
                   axis=-1) * window
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


__getattr__ = moved.names(__name__, {
    "FFT_WORKERS": "tinymir.features.kernels.fft",
    "rfft": "tinymir.features.kernels.fft",
})
