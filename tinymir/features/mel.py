"""The mel scale, triangular mel filterbanks and the mel spectrogram (librosa's defaults).

Slaney mel scale (``htk=False``, librosa's default): linear below 1 kHz, logarithmic above,

    m(f) = 3 f / 200                                   for f < 1000 Hz
    m(f) = 15 + 27 ln(f / 1000) / ln(6.4)              for f >= 1000 Hz

HTK mel scale (``htk=True``): ``m(f) = 2595 log10(1 + f / 700)``.

Filter ``i`` of ``n_mels`` is a triangle over the FFT bin frequencies ``f_k``, between the mel
points ``p_i, p_{i+1}, p_{i+2}`` (``n_mels + 2`` points evenly spaced in mel from ``fmin`` to
``fmax``, mapped back to Hz):

    W[i, k] = max(0, min((f_k - p_i) / (p_{i+1} - p_i), (p_{i+2} - f_k) / (p_{i+2} - p_{i+1})))

and with ``norm="slaney"`` each triangle is scaled to unit area, ``W[i] *= 2 / (p_{i+2} - p_i)``.
The mel spectrogram is a matrix product with the power spectrogram,
``M[..., i, t] = sum_k W[i, k] |X[..., k, t]|^2`` (spectrogram -> filterbank); the kernel
:mod:`tinymir.features.kernels.filterbank` takes it over groups of filters and only the bins
each group covers, block by block of the spectrum (:mod:`tinymir.features.kernels.spectrum`).
"""
from __future__ import annotations

import functools

import numpy as np

from tinymir import backend, moved
from tinymir.features.db import check_db_options
from tinymir.features.frames import constant
from tinymir.features.kernels.db import apply_floor, log_blocks_and_floor
from tinymir.features.kernels.filterbank import filterbank_product
from tinymir.features.kernels.spectrum import spectrum_blocks
from tinymir.features.spectrum import fft_frequencies, power_from_complex

_F_SP = 200.0 / 3          # Hz per mel below the break (Slaney)
_BREAK_HZ = 1000.0
_BREAK_MEL = _BREAK_HZ / _F_SP
_LOGSTEP = np.log(6.4) / 27.0


def hz_to_mel(frequencies, htk: bool = False):
    """Hz -> mel on the Slaney (default) or HTK scale (formulas in the module docstring)."""
    f = np.asarray(frequencies, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    linear = f / _F_SP
    log_part = _BREAK_MEL + np.log(np.maximum(f, _BREAK_HZ) / _BREAK_HZ) / _LOGSTEP
    return np.where(f >= _BREAK_HZ, log_part, linear)


def mel_to_hz(mels, htk: bool = False):
    """mel -> Hz, the inverse of :func:`hz_to_mel`."""
    m = np.asarray(mels, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    linear = _F_SP * m
    log_part = _BREAK_HZ * np.exp(_LOGSTEP * (np.maximum(m, _BREAK_MEL) - _BREAK_MEL))
    return np.where(m >= _BREAK_MEL, log_part, linear)


def mel_frequencies(n_mels: int = 128, fmin: float = 0.0, fmax: float = 11025.0,
                    htk: bool = False) -> np.ndarray:
    """``n_mels`` frequencies (Hz) evenly spaced on the mel scale from ``fmin`` to ``fmax``.

    Parameters
    ----------
    n_mels : int, default 128
        Number of frequencies.
    fmin : float, default 0.0
        First frequency, in Hz.
    fmax : float, default 11025.0
        Last frequency, in Hz.
    htk : bool, default False
        HTK mel scale ``2595 log10(1 + f / 700)`` instead of Slaney's.
    """
    mels = np.linspace(hz_to_mel(fmin, htk), hz_to_mel(fmax, htk), n_mels)
    return mel_to_hz(mels, htk)


MEL_NORMS = ("slaney", None)


def mel_filterbank(sr: float, n_fft: int, n_mels: int = 128, fmin: float = 0.0,
                   fmax: float | None = None, htk: bool = False, norm: str | None = "slaney",
                   xp=None, dtype=None):
    """Mel filterbank ``W``, shape ``(n_mels, 1 + n_fft // 2)``, like ``librosa.filters.mel``.

    Built in float64 on the host, cached per parameters and device, returned read-only in
    ``dtype`` (default: the float policy) on ``xp`` (default: the current device).

    Parameters
    ----------
    sr : float
        Sampling rate of ``y``, in Hz.
    n_fft : int
        FFT length, in samples (``1 + n_fft // 2`` bins).
    n_mels : int, default 128
        Number of mel bands.
    fmin : float, default 0.0
        Lowest frequency of the mel filters, in Hz.
    fmax : float or None, default None
        Highest frequency of the mel filters, in Hz; None: ``sr / 2``.
    htk : bool, default False
        HTK mel scale ``2595 log10(1 + f / 700)`` instead of Slaney's.
    norm : str or None, default "slaney"
        ``"slaney"``: each triangle scaled to unit area; None: peak 1.
    xp : module or None, default None
        Array module of the result (numpy or cupy); None: the current device's.
    dtype : dtype or None, default None
        dtype of the result; None: the float policy (float32 unless float64 was asked for).
    """
    if norm not in MEL_NORMS:
        raise ValueError(f"mel norm {norm!r} is not supported: use 'slaney' or None")
    fmax = sr / 2.0 if fmax is None else fmax
    if not 0.0 <= fmin < fmax:
        raise ValueError(f"need 0 <= fmin < fmax, got fmin={fmin}, fmax={fmax}")
    xp = xp or backend.xp()
    dtype = np.dtype(dtype or backend.float_dtype()).name
    return _mel_filterbank(float(sr), int(n_fft), int(n_mels), float(fmin), float(fmax),
                           bool(htk), norm, xp, dtype)


def empty_mel_filters(sr: float, n_fft: int, n_mels: int = 128, fmin: float = 0.0,
                      fmax: float | None = None, htk: bool = False) -> int:
    """How many mel filters hold no STFT bin (an all-zero row of :func:`mel_filterbank`):
    their band is a constant, which librosa warns about. Narrow low filters get empty when
    ``n_mels`` is large for ``n_fft``.

    Parameters
    ----------
    sr : float
        Sampling rate of ``y``, in Hz.
    n_fft : int
        FFT length, in samples.
    n_mels : int, default 128
        Number of mel bands.
    fmin : float, default 0.0
        Lowest frequency of the mel filters, in Hz.
    fmax : float or None, default None
        Highest frequency of the mel filters, in Hz; None: ``sr / 2``.
    htk : bool, default False
        HTK mel scale ``2595 log10(1 + f / 700)`` instead of Slaney's.
    """
    fmax = sr / 2.0 if fmax is None else fmax
    bank = _mel_filterbank(float(sr), int(n_fft), int(n_mels), float(fmin), float(fmax),
                           bool(htk), None, np, "float64")
    return int((bank.max(axis=1) <= 0).sum())


@functools.lru_cache(maxsize=32)
def _mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk, norm, xp, dtype):
    bins = fft_frequencies(sr, n_fft)
    points = mel_frequencies(n_mels + 2, fmin, fmax, htk)
    widths = np.diff(points)
    ramps = points[:, None] - bins[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    if norm == "slaney":
        weights *= (2.0 / (points[2:] - points[:-2]))[:, None]
    return constant(weights, xp, dtype)


def mel_from_power(power_frames, sr: float, n_fft: int, n_mels: int = 128, fmin: float = 0.0,
                   fmax: float | None = None, htk: bool = False, norm: str | None = "slaney"):
    """Mel spectrogram of a frame-major power spectrogram ``(..., n_frames, 1 + n_fft // 2)``,
    frame-major out ``(..., n_frames, n_mels)``.

    Parameters
    ----------
    power_frames : array, shape (..., n_frames, 1 + n_fft // 2)
        Frame-major power spectrogram.
    sr : float
        Sampling rate of ``y``, in Hz.
    n_fft : int
        FFT length the spectrogram was computed with, in samples.
    n_mels : int, default 128
        Number of mel bands.
    fmin : float, default 0.0
        Lowest frequency of the mel filters, in Hz.
    fmax : float or None, default None
        Highest frequency of the mel filters, in Hz; None: ``sr / 2``.
    htk : bool, default False
        HTK mel scale ``2595 log10(1 + f / 700)`` instead of Slaney's.
    norm : str or None, default "slaney"
        ``"slaney"``: each triangle scaled to unit area; None: peak 1.
    """
    to_mel = mel_product(sr, n_fft, n_mels, fmin, fmax, htk, norm,
                         backend.array_module(power_frames), power_frames.dtype)
    return to_mel(power_frames)


def mel_product(sr: float, n_fft: int, n_mels: int = 128, fmin: float = 0.0,
                fmax: float | None = None, htk: bool = False, norm: str | None = "slaney",
                xp=None, dtype=None):
    """:func:`mel_from_power` as a function of the power frames alone, with the filterbank
    (on ``xp``, in ``dtype``) and its groups of filters looked up once: for a loop over
    blocks (the grouped product of :mod:`tinymir.features.kernels.filterbank`).

    Parameters
    ----------
    sr : float
        Sampling rate of ``y``, in Hz.
    n_fft : int
        FFT length of the spectra it will get, in samples.
    n_mels : int, default 128
        Number of mel bands.
    fmin : float, default 0.0
        Lowest frequency of the mel filters, in Hz.
    fmax : float or None, default None
        Highest frequency of the mel filters, in Hz; None: ``sr / 2``.
    htk : bool, default False
        HTK mel scale ``2595 log10(1 + f / 700)`` instead of Slaney's.
    norm : str or None, default "slaney"
        ``"slaney"``: each triangle scaled to unit area; None: peak 1.
    xp : module or None, default None
        Array module of the filterbank (numpy or cupy); None: the current device's.
    dtype : dtype or None, default None
        dtype of the filterbank; None: the float policy.
    """
    bank = mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk, norm, xp=xp, dtype=dtype)
    host_bank = _mel_filterbank(float(sr), int(n_fft), int(n_mels), float(fmin),
                                float(sr / 2.0 if fmax is None else fmax), bool(htk), norm,
                                np, "float64")
    return filterbank_product(bank, host_bank)


def melspectrogram(y, sr: float = 22050, n_fft: int = 2048, hop_length: int = 512,
                   n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None,
                   htk: bool = False, norm: str | None = "slaney", power: float = 2.0,
                   center: bool = True, pad_mode: str = "constant"):
    """Mel spectrogram ``M = W |X|^power``, shape ``(..., n_mels, n_frames)``, like
    ``librosa.feature.melspectrogram`` (same defaults).

    Parameters
    ----------
    y : array, shape (..., n_samples)
        Audio: one clip, or a batch of clips along the leading axes (NumPy or CuPy).
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
    n_fft : int, default 2048
        FFT length, which is also the frame length, in samples.
    hop_length : int, default 512
        Samples between the starts of two frames.
    n_mels : int, default 128
        Number of mel bands.
    fmin : float, default 0.0
        Lowest frequency of the mel filters, in Hz.
    fmax : float or None, default None
        Highest frequency of the mel filters, in Hz; None: ``sr / 2``.
    htk : bool, default False
        HTK mel scale ``2595 log10(1 + f / 700)`` instead of Slaney's.
    norm : str or None, default "slaney"
        ``"slaney"``: each triangle scaled to unit area; None: peak 1.
    power : float, default 2.0
        Exponent of the STFT magnitude: 2 gives power, 1 magnitude.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is centred on sample
        ``t * hop_length``.
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
    """
    return mel_frames(y, sr, n_fft, hop_length, n_mels, fmin, fmax, htk, norm, power, center,
                      pad_mode).swapaxes(-1, -2)


def mel_frames(y, sr: float = 22050, n_fft: int = 2048, hop_length: int = 512,
               n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None,
               htk: bool = False, norm: str | None = "slaney", power: float = 2.0,
               center: bool = True, pad_mode: str = "constant"):
    """:func:`melspectrogram` in frame-major layout ``(..., n_frames, n_mels)``.

    Parameters
    ----------
    y : array, shape (..., n_samples)
        Audio: one clip, or a batch of clips along the leading axes (NumPy or CuPy).
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
    n_fft : int, default 2048
        FFT length, which is also the frame length, in samples.
    hop_length : int, default 512
        Samples between the starts of two frames.
    n_mels : int, default 128
        Number of mel bands.
    fmin : float, default 0.0
        Lowest frequency of the mel filters, in Hz.
    fmax : float or None, default None
        Highest frequency of the mel filters, in Hz; None: ``sr / 2``.
    htk : bool, default False
        HTK mel scale ``2595 log10(1 + f / 700)`` instead of Slaney's.
    norm : str or None, default "slaney"
        ``"slaney"``: each triangle scaled to unit area; None: peak 1.
    power : float, default 2.0
        Exponent of the STFT magnitude: 2 gives power, 1 magnitude.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is centred on sample
        ``t * hop_length``.
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
    """
    to_mel = mel_product(sr, n_fft, n_mels, fmin, fmax, htk, norm, backend.array_module(y),
                         backend.float_dtype())

    def mel_of_block(spectrum):
        return to_mel(power_from_complex(spectrum, power))

    # Block by block: the power spectrogram of the whole batch is never held.
    return spectrum_blocks(y, n_fft, hop_length, None, center, pad_mode, mel_of_block, n_mels)


def log_mel_frames(y, sr: float = 22050, n_fft: int = 2048, hop_length: int = 512,
                   n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None,
                   htk: bool = False, norm: str | None = "slaney", power: float = 2.0,
                   center: bool = True, pad_mode: str = "constant", amin: float = 1e-10,
                   top_db: float | None = 80.0):
    """``power_to_db(mel_frames(y, ...), ref=1.0, amin, top_db)``, frame-major
    ``(..., n_frames, n_mels)``: :func:`log_mel_and_floor`, then the floor applied in a second
    pass over the blocks.

    Parameters
    ----------
    y : array, shape (..., n_samples)
        Audio: one clip, or a batch of clips along the leading axes (NumPy or CuPy).
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
    n_fft : int, default 2048
        FFT length, which is also the frame length, in samples.
    hop_length : int, default 512
        Samples between the starts of two frames.
    n_mels : int, default 128
        Number of mel bands.
    fmin : float, default 0.0
        Lowest frequency of the mel filters, in Hz.
    fmax : float or None, default None
        Highest frequency of the mel filters, in Hz; None: ``sr / 2``.
    htk : bool, default False
        HTK mel scale ``2595 log10(1 + f / 700)`` instead of Slaney's.
    norm : str or None, default "slaney"
        ``"slaney"``: each triangle scaled to unit area; None: peak 1.
    power : float, default 2.0
        Exponent of the STFT magnitude: 2 gives power, 1 magnitude.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is centred on sample
        ``t * hop_length``.
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
    amin : float, default 1e-10
        Smallest power taken before the logarithm.
    top_db : float or None, default 80.0
        Floor below each clip's maximum, in dB; None: no floor.
    """
    db, floor = log_mel_and_floor(y, sr, n_fft, hop_length, n_mels, fmin, fmax, htk, norm,
                                  power, center, pad_mode, amin, top_db)
    return apply_floor(db, floor)


def log_mel_and_floor(y, sr: float = 22050, n_fft: int = 2048, hop_length: int = 512,
                      n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None,
                      htk: bool = False, norm: str | None = "slaney", power: float = 2.0,
                      center: bool = True, pad_mode: str = "constant", amin: float = 1e-10,
                      top_db: float | None = 80.0):
    """``(dB, floor)``: ``dB = decibels(mel_frames(y, ...), amin)`` frame-major, and each
    clip's floor ``max_clip(dB) - top_db`` shaped ``(..., 1, 1)`` (``None`` when ``top_db`` is
    None), NOT yet applied.

    The floor waits for the next pass over the blocks (:func:`log_mel_frames`'s, or the MFCC's
    DCT): the deferred floor of :mod:`tinymir.features.kernels.db`.

    Parameters
    ----------
    y : array, shape (..., n_samples)
        Audio: one clip, or a batch of clips along the leading axes (NumPy or CuPy).
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
    n_fft : int, default 2048
        FFT length, which is also the frame length, in samples.
    hop_length : int, default 512
        Samples between the starts of two frames.
    n_mels : int, default 128
        Number of mel bands.
    fmin : float, default 0.0
        Lowest frequency of the mel filters, in Hz.
    fmax : float or None, default None
        Highest frequency of the mel filters, in Hz; None: ``sr / 2``.
    htk : bool, default False
        HTK mel scale ``2595 log10(1 + f / 700)`` instead of Slaney's.
    norm : str or None, default "slaney"
        ``"slaney"``: each triangle scaled to unit area; None: peak 1.
    power : float, default 2.0
        Exponent of the STFT magnitude: 2 gives power, 1 magnitude.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is centred on sample
        ``t * hop_length``.
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
    amin : float, default 1e-10
        Smallest power taken before the logarithm.
    top_db : float or None, default 80.0
        Floor below each clip's maximum, in dB; None: no floor.
    """
    check_db_options(amin, top_db)
    to_mel = mel_product(sr, n_fft, n_mels, fmin, fmax, htk, norm, backend.array_module(y),
                         backend.float_dtype())
    return log_blocks_and_floor(y, n_fft, hop_length, center, pad_mode,
                                lambda spectrum: to_mel(power_from_complex(spectrum, power)),
                                n_mels, amin, top_db)


__getattr__ = moved.names(__name__, {
    "apply_filterbank": "tinymir.features.kernels.filterbank",
    "filter_blocks": "tinymir.features.kernels.filterbank",
})
