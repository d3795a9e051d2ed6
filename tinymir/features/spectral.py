"""Frame-wise spectral and waveform descriptors (librosa 0.11 formulas and defaults).

With the magnitude spectrogram ``S[k, t] = |X[k, t]|``, bin frequencies ``f_k`` and the
normalised spectrum ``p[k, t] = S[k, t] / sum_k S[k, t]`` (left un-normalised where the sum is
below the smallest normal float, so silence gives 0):

    centroid[t]  = sum_k f_k p[k, t]
    bandwidth[t] = (sum_k p[k, t] |f_k - centroid[t]|^2)^(1/2)
    rolloff[t]   = min { f_k : sum_{j<=k} S[j, t] >= 0.85 sum_j S[j, t] }
    flatness[t]  = exp(mean_k ln P[k, t]) / mean_k P[k, t],    P = max(amin, S^2)
    contrast[b, t] = dB(peak[b, t]) - dB(valley[b, t])
        (peak / valley = mean of the top / bottom ``quantile`` fraction of S in octave band b;
         bands [0, fmin], [fmin, 2 fmin], ..., each widened by one bin below, the last running to
         Nyquist; dB = power_to_db of the magnitudes, as librosa does)

From the waveform, in frames of ``frame_length`` every ``hop_length`` (centred):

    rms[t] = sqrt(mean_k y_t[k]^2)                      (zero padding, librosa >= 0.10)
    zcr[t] = #{k >= 1 : sign y_t[k] != sign y_t[k-1]} / frame_length
        (edge padding; |y| <= 1e-10 counts as 0, and 0 counts as positive)

Every output has shape ``(..., 1, n_frames)`` (``(..., n_bands + 1, n_frames)`` for contrast),
like librosa.
"""
from __future__ import annotations

import functools

import numpy as np

from tinymir import backend
from tinymir.features.db import power_to_db
from tinymir.features.frames import as_signal, constant, frame, pad_edges
from tinymir.features.kernels.spectrum import spectrum_blocks
from tinymir.features.spectrum import fft_frequencies, power_from_complex, spectrogram_frames


def _magnitude_frames(y, S, n_fft, hop_length, center, pad_mode):
    """Frame-major magnitude ``(..., n_frames, bins)`` from audio or from a given ``S``."""
    if S is not None:
        return S.swapaxes(-1, -2)
    if y is None:
        raise ValueError("give audio y or a magnitude spectrogram S")
    return spectrogram_frames(y, n_fft, hop_length, 1.0, center=center, pad_mode=pad_mode)


def _frequencies(sr, n_bins, xp, dtype):
    return _bin_frequencies(float(sr), int(n_bins), xp, np.dtype(dtype).name)


@functools.lru_cache(maxsize=32)
def _bin_frequencies(sr, n_bins, xp, dtype):
    return constant(fft_frequencies(sr, 2 * (n_bins - 1)), xp, dtype)


def _as_rows(frame_major):
    """``(..., n_frames)`` -> ``(..., 1, n_frames)``, librosa's layout for 1-row features."""
    return frame_major[..., None, :]


def _normalised(magnitude):
    xp = backend.array_module(magnitude)
    total = magnitude.sum(axis=-1, keepdims=True)
    return magnitude / xp.where(total < np.finfo(magnitude.dtype).tiny, 1, total)


def centroid_frames(magnitude, sr):
    """Spectral centroid of a frame-major magnitude ``(..., n_frames, bins)`` ->
    ``(..., n_frames)``."""
    xp = backend.array_module(magnitude)
    freq = _frequencies(sr, magnitude.shape[-1], xp, magnitude.dtype)
    return _normalised(magnitude) @ freq


def bandwidth_frames(magnitude, sr, centroid=None):
    """Spectral bandwidth (p = 2) of a frame-major magnitude -> ``(..., n_frames)``."""
    xp = backend.array_module(magnitude)
    freq = _frequencies(sr, magnitude.shape[-1], xp, magnitude.dtype)
    if centroid is None:
        centroid = centroid_frames(magnitude, sr)
    deviation = freq - centroid[..., None]
    return xp.sqrt((_normalised(magnitude) * deviation * deviation).sum(axis=-1))


def rolloff_frames(magnitude, sr, roll_percent: float = 0.85):
    """Spectral roll-off frequency of a frame-major magnitude -> ``(..., n_frames)``."""
    if not 0.0 < roll_percent < 1.0:
        raise ValueError(f"roll_percent must lie in (0, 1), got {roll_percent}")
    xp = backend.array_module(magnitude)
    freq = _frequencies(sr, magnitude.shape[-1], xp, magnitude.dtype)
    cumulative = xp.cumsum(magnitude, axis=-1)
    reached = cumulative >= roll_percent * cumulative[..., -1:]
    return freq[xp.argmax(reached, axis=-1)]


def flatness_frames(magnitude, amin: float = 1e-10, power: float = 2.0):
    """Spectral flatness of a frame-major magnitude -> ``(..., n_frames)``."""
    if amin <= 0:
        raise ValueError(f"amin must be strictly positive, got {amin}")
    xp = backend.array_module(magnitude)
    floored = xp.maximum(amin, magnitude ** power)
    return xp.exp(xp.log(floored).mean(axis=-1)) / floored.mean(axis=-1)


@functools.lru_cache(maxsize=32)
def contrast_bands(sr: float, n_bins: int, fmin: float = 200.0, n_bands: int = 6,
                   quantile: float = 0.02):
    """Per octave band: ``(first_bin, stop_bin, n_quantile)`` as librosa selects them.

    Parameters
    ----------
    sr : float
        Sampling rate of ``y``, in Hz.
    n_bins : int
        Number of STFT bins, ``1 + n_fft // 2``.
    fmin : float, default 200.0
        Upper edge of the first band, in Hz (each next band an octave up).
    n_bands : int, default 6
        Number of octave bands (one more band holds the rest, up to ``sr / 2``).
    quantile : float, default 0.02
        Fraction of a band's bins that make its peak and its valley.
    """
    if n_bands < 1:
        raise ValueError(f"n_bands must be a positive integer, got {n_bands}")
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must lie in (0, 1), got {quantile}")
    if fmin <= 0:
        raise ValueError(f"fmin must be positive, got {fmin}")
    edges = np.zeros(n_bands + 2)
    edges[1:] = fmin * 2.0 ** np.arange(n_bands + 1)
    if np.any(edges[:-1] >= 0.5 * sr):
        raise ValueError(f"spectral contrast band edges {edges[:-1].tolist()} Hz exceed the "
                         f"Nyquist frequency {sr / 2} Hz: reduce fmin or n_bands")
    freq = fft_frequencies(sr, 2 * (n_bins - 1))
    bands = []
    for k, (low, high) in enumerate(zip(edges[:-1], edges[1:])):
        inside = np.flatnonzero((freq >= low) & (freq <= high))
        if inside.size == 0:
            raise ValueError(f"spectral contrast band {low:g}-{high:g} Hz holds no frequency bin "
                             f"of a {2 * (n_bins - 1)}-point FFT: use a larger n_fft")
        first = inside[0] - 1 if k > 0 else inside[0]
        last = n_bins - 1 if k == n_bands else inside[-1]
        count = last - first + 1
        stop = last + 1 if k == n_bands else last     # librosa drops the top bin below Nyquist
        bands.append((int(first), int(stop), max(int(np.rint(quantile * count)), 1)))
    return tuple(bands)


def band_extremes(magnitude, sr, fmin: float = 200.0, n_bands: int = 6,
                  quantile: float = 0.02):
    """Peak and valley of each contrast band, frame-major ``(..., n_frames, 2 * (n_bands + 1))``:
    the band peaks, then the band valleys (module docstring).

    Parameters
    ----------
    magnitude : array, shape (..., n_frames, bins)
        Frame-major magnitude spectrogram.
    sr : float
        Sampling rate, in Hz.
    fmin : float, default 200.0
        Upper edge of the first band, in Hz.
    n_bands : int, default 6
        Number of octave bands (one more band holds the rest, up to ``sr / 2``).
    quantile : float, default 0.02
        Fraction of a band's bins that make its peak and its valley.
    """
    xp = backend.array_module(magnitude)
    peaks, valleys = [], []
    for first, stop, count in contrast_bands(float(sr), magnitude.shape[-1], fmin, n_bands,
                                             quantile):
        # a full sort: numpy's vectorised sort beat np.partition on every band (x2 to x10)
        band = xp.sort(magnitude[..., first:stop], axis=-1)
        valleys.append(band[..., :count].mean(axis=-1))
        peaks.append(band[..., -count:].mean(axis=-1))
    return xp.stack(peaks + valleys, axis=-1)


def contrast_from_extremes(extremes):
    """``dB(peak) - dB(valley)`` from :func:`band_extremes` -> ``(..., n_frames, n_bands + 1)``."""
    half = extremes.shape[-1] // 2
    peak, valley = extremes[..., :half], extremes[..., half:]
    return power_to_db(peak) - power_to_db(valley)


def contrast_frames(magnitude, sr, fmin: float = 200.0, n_bands: int = 6,
                    quantile: float = 0.02):
    """Spectral contrast of a frame-major magnitude -> ``(..., n_frames, n_bands + 1)``.

    Parameters
    ----------
    magnitude : array, shape (..., n_frames, bins)
        Frame-major magnitude spectrogram.
    sr : float
        Sampling rate, in Hz.
    fmin : float, default 200.0
        Upper edge of the first band, in Hz.
    n_bands : int, default 6
        Number of octave bands (one more band holds the rest, up to ``sr / 2``).
    quantile : float, default 0.02
        Fraction of a band's bins that make its peak and its valley.
    """
    return contrast_from_extremes(band_extremes(magnitude, sr, fmin, n_bands, quantile))


def spectral_centroid(y=None, sr: float = 22050, *, S=None, n_fft: int = 2048,
                      hop_length: int = 512, center: bool = True, pad_mode: str = "constant"):
    """Spectral centroid (Hz), ``(..., 1, n_frames)``; ``S`` is a magnitude spectrogram.

    Parameters
    ----------
    y : array, shape (..., n_samples) or None, default None
        Audio, one clip or a batch; None when ``S`` is given.
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
    S : array, shape (..., 1 + n_fft // 2, n_frames) or None, default None
        A magnitude spectrogram, instead of ``y``.
    n_fft : int, default 2048
        FFT length, which is also the frame length, in samples.
    hop_length : int, default 512
        Samples between the starts of two frames.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is centred on sample
        ``t * hop_length``.
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
    """
    return _as_rows(centroid_frames(
        _magnitude_frames(y, S, n_fft, hop_length, center, pad_mode), sr))


def spectral_bandwidth(y=None, sr: float = 22050, *, S=None, n_fft: int = 2048,
                       hop_length: int = 512, center: bool = True, pad_mode: str = "constant"):
    """Spectral bandwidth (Hz, p = 2), ``(..., 1, n_frames)``.

    Parameters
    ----------
    y : array, shape (..., n_samples) or None, default None
        Audio, one clip or a batch; None when ``S`` is given.
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
    S : array, shape (..., 1 + n_fft // 2, n_frames) or None, default None
        A magnitude spectrogram, instead of ``y``.
    n_fft : int, default 2048
        FFT length, which is also the frame length, in samples.
    hop_length : int, default 512
        Samples between the starts of two frames.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is centred on sample
        ``t * hop_length``.
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
    """
    return _as_rows(bandwidth_frames(
        _magnitude_frames(y, S, n_fft, hop_length, center, pad_mode), sr))


def spectral_rolloff(y=None, sr: float = 22050, *, S=None, n_fft: int = 2048,
                     hop_length: int = 512, roll_percent: float = 0.85, center: bool = True,
                     pad_mode: str = "constant"):
    """Roll-off frequency (Hz) holding ``roll_percent`` of the magnitude, ``(..., 1, n_frames)``.

    Parameters
    ----------
    y : array, shape (..., n_samples) or None, default None
        Audio, one clip or a batch; None when ``S`` is given.
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
    S : array, shape (..., 1 + n_fft // 2, n_frames) or None, default None
        A magnitude spectrogram, instead of ``y``.
    n_fft : int, default 2048
        FFT length, which is also the frame length, in samples.
    hop_length : int, default 512
        Samples between the starts of two frames.
    roll_percent : float, default 0.85
        Fraction of the frame's total magnitude below the roll-off frequency.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is centred on sample
        ``t * hop_length``.
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
    """
    return _as_rows(rolloff_frames(
        _magnitude_frames(y, S, n_fft, hop_length, center, pad_mode), sr, roll_percent))


def spectral_flatness(y=None, *, S=None, n_fft: int = 2048, hop_length: int = 512,
                      amin: float = 1e-10, power: float = 2.0, center: bool = True,
                      pad_mode: str = "constant"):
    """Spectral flatness (geometric / arithmetic mean of ``S^power``), ``(..., 1, n_frames)``.

    Parameters
    ----------
    y : array, shape (..., n_samples) or None, default None
        Audio, one clip or a batch; None when ``S`` is given.
    S : array, shape (..., 1 + n_fft // 2, n_frames) or None, default None
        A magnitude spectrogram, instead of ``y``.
    n_fft : int, default 2048
        FFT length, which is also the frame length, in samples.
    hop_length : int, default 512
        Samples between the starts of two frames.
    amin : float, default 1e-10
        Smallest value of ``S ** power`` taken before the logarithm.
    power : float, default 2.0
        Exponent of the STFT magnitude: 2 gives power, 1 magnitude.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is centred on sample
        ``t * hop_length``.
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
    """
    return _as_rows(flatness_frames(
        _magnitude_frames(y, S, n_fft, hop_length, center, pad_mode), amin, power))


def spectral_contrast(y=None, sr: float = 22050, *, S=None, n_fft: int = 2048,
                      hop_length: int = 512, fmin: float = 200.0, n_bands: int = 6,
                      quantile: float = 0.02, center: bool = True, pad_mode: str = "constant"):
    """Spectral contrast (dB) per octave band, ``(..., n_bands + 1, n_frames)``.

    The dB floor (``top_db=80``) is per clip, see :mod:`tinymir.features.db`.

    Parameters
    ----------
    y : array, shape (..., n_samples) or None, default None
        Audio, one clip or a batch; None when ``S`` is given.
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
    S : array, shape (..., 1 + n_fft // 2, n_frames) or None, default None
        A magnitude spectrogram, instead of ``y``.
    n_fft : int, default 2048
        FFT length, which is also the frame length, in samples.
    hop_length : int, default 512
        Samples between the starts of two frames.
    fmin : float, default 200.0
        Upper edge of the first band, in Hz.
    n_bands : int, default 6
        Number of octave bands (one more band holds the rest, up to ``sr / 2``).
    quantile : float, default 0.02
        Fraction of a band's bins that make its peak and its valley.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is centred on sample
        ``t * hop_length``.
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
    """
    if S is not None or y is None:
        magnitude = _magnitude_frames(y, S, n_fft, hop_length, center, pad_mode)
        return contrast_frames(magnitude, sr, fmin, n_bands, quantile).swapaxes(-1, -2)
    # Block by block: the magnitude spectrogram of the whole batch is never held.
    extremes = spectrum_blocks(y, n_fft, hop_length, None, center, pad_mode,
                               lambda spectrum: band_extremes(power_from_complex(spectrum, 1.0),
                                                              sr, fmin, n_bands, quantile),
                               2 * (n_bands + 1))
    return contrast_from_extremes(extremes).swapaxes(-1, -2)


def rms(y, frame_length: int = 2048, hop_length: int = 512, center: bool = True,
        pad_mode: str = "constant"):
    """Root-mean-square energy per frame, ``(..., 1, n_frames)`` (formula in the module
    docstring).

    Parameters
    ----------
    y : array, shape (..., n_samples)
        Audio: one clip, or a batch of clips along the leading axes (NumPy or CuPy).
    frame_length : int, default 2048
        Frame length, in samples.
    hop_length : int, default 512
        Samples between the starts of two frames.
    center : bool, default True
        Pad ``frame_length // 2`` samples on both sides first (centred frames).
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
    """
    y = as_signal(y)
    xp = backend.array_module(y)
    if center:
        y = pad_edges(y, frame_length // 2, pad_mode)
    squares = y * y
    power = frame(squares, frame_length, hop_length).mean(axis=-1)
    return _as_rows(xp.sqrt(power))


def zero_crossing_rate(y, frame_length: int = 2048, hop_length: int = 512,
                       center: bool = True, threshold: float = 1e-10):
    """Fraction of sign changes per frame, ``(..., 1, n_frames)`` (formula in the module
    docstring). Counted with one cumulative sum over the clip, not per frame.

    Parameters
    ----------
    y : array, shape (..., n_samples)
        Audio: one clip, or a batch of clips along the leading axes (NumPy or CuPy).
    frame_length : int, default 2048
        Frame length, in samples.
    hop_length : int, default 512
        Samples between the starts of two frames.
    center : bool, default True
        Pad ``frame_length // 2`` samples on both sides first (edge padding, as librosa).
    threshold : float, default 1e-10
        Samples with ``|y| <= threshold`` count as zero (no sign).
    """
    y = as_signal(y)
    xp = backend.array_module(y)
    if center:
        y = pad_edges(y, frame_length // 2, "edge")
    if y.shape[-1] < frame_length:
        raise ValueError(f"signal of {y.shape[-1]} samples is shorter than one frame "
                         f"({frame_length} samples)")
    negative = (y < -threshold)
    changes = (negative[..., 1:] != negative[..., :-1]).astype(xp.int32)
    counts = xp.cumsum(changes, axis=-1)
    counts = xp.concatenate([xp.zeros(counts.shape[:-1] + (1,), xp.int32), counts], axis=-1)
    starts = xp.arange(0, y.shape[-1] - frame_length + 1, hop_length)
    crossings = counts[..., starts + frame_length - 1] - counts[..., starts]
    return _as_rows(crossings.astype(y.dtype) / frame_length)
