"""The feature chain written plainly, one clip at a time, the way the docstrings state it.

    frame -> window -> DFT -> power -> mel -> dB -> DCT (MFCC);   chroma;   spectral descriptors

This is the twin a student reads first: loops over frames, bins and filters, float64 on the
host, no blocks, no threads, no cached filterbanks, no FFT library (the DFT is its sum). The fast
functions of :mod:`tinymir.features` batch clips, cut them into cache-sized blocks of frames
shared among threads, frame without padding the signal, defer the dB floor to the next pass and
group the mel filters; ``tests/test_features_reference.py`` checks they give these numbers, at
several block sizes and thread counts, on random and adversarial signals.

Every function takes ONE clip ``y`` (1-D) and returns librosa's layout ``(rows, n_frames)``.
The defaults are those of the fast functions (librosa 0.11's).
"""
from __future__ import annotations

import math

import numpy as np

# -- 1. Framing and the window ---------------------------------------------------------------


def pad(y, width: int, mode: str = "constant"):
    """``width`` samples added on both sides: zeros, the mirror image (``y[1], y[2], ...``
    about the first sample) or repeated end samples."""
    if mode == "constant":
        return np.concatenate([np.zeros(width), y, np.zeros(width)])
    if mode == "reflect":
        return np.concatenate([y[width:0:-1], y, y[-2:-width - 2:-1]])
    if mode == "edge":
        return np.concatenate([np.full(width, y[0]), y, np.full(width, y[-1])])
    raise ValueError(f"unknown pad mode {mode!r}")


def frames(y, frame_length: int, hop_length: int, center: bool = True,
           pad_mode: str = "constant"):
    """``frames[t, k] = y[t*h + k]`` for every whole frame (``y`` first padded by
    ``frame_length // 2`` on both sides when ``center``).

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        One clip (converted to float64).
    frame_length : int
        Frame length, in samples.
    hop_length : int
        Samples between the starts of two frames.
    center : bool, default True
        Pad ``frame_length // 2`` samples on both sides first.
    pad_mode : str, default "constant"
        That padding: ``"constant"``, ``"reflect"`` or ``"edge"``.
    """
    y = np.asarray(y, dtype=np.float64)
    if center:
        y = pad(y, frame_length // 2, pad_mode)
    count = 1 + (len(y) - frame_length) // hop_length
    return np.array([y[t * hop_length: t * hop_length + frame_length] for t in range(count)])


def hann(n_fft: int, win_length: int | None = None):
    """Periodic Hann window ``w[k] = 0.5 - 0.5 cos(2 pi k / N)`` of ``N = win_length`` samples,
    zero-padded to ``n_fft`` at the centre."""
    win_length = win_length or n_fft
    window = np.zeros(n_fft)
    left = (n_fft - win_length) // 2
    for k in range(win_length):
        window[left + k] = 0.5 - 0.5 * math.cos(2 * math.pi * k / win_length)
    return window


# -- 2. The spectrum -------------------------------------------------------------------------


def stft(y, n_fft: int = 2048, hop_length: int | None = None, win_length: int | None = None,
         center: bool = True, pad_mode: str = "constant"):
    """``X[f, t] = sum_k w[k] frames[t, k] exp(-2j pi f k / n_fft)``, ``f = 0 .. n_fft // 2``:
    the discrete Fourier transform of each windowed frame, written as its sum (a matrix).

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        One clip (converted to float64).
    n_fft : int, default 2048
        FFT length, which is also the frame length, in samples.
    hop_length : int or None, default None
        Samples between frame starts; None: ``win_length // 4``.
    win_length : int or None, default None
        Length of the Hann window in samples, zero-padded to ``n_fft`` at the centre; None:
        ``n_fft``.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is centred on sample
        ``t * hop_length``.
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
    """
    hop_length = hop_length or (win_length or n_fft) // 4
    windowed = frames(y, n_fft, hop_length, center, pad_mode) * hann(n_fft, win_length)
    f = np.arange(n_fft // 2 + 1)[:, None]
    k = np.arange(n_fft)[None, :]
    dft = np.exp(-2j * np.pi * f * k / n_fft)           # (bins, samples)
    return dft @ windowed.T                              # (bins, frames)


def spectrogram(y, n_fft: int = 2048, hop_length: int | None = None, power: float = 2.0,
                **stft_options):
    """``|X[f, t]| ** power`` (2: power, 1: magnitude).

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        One clip (converted to float64).
    n_fft : int, default 2048
        FFT length, which is also the frame length, in samples.
    hop_length : int or None, default None
        Samples between frame starts; None: ``win_length // 4``.
    power : float, default 2.0
        Exponent of the STFT magnitude: 2 gives power, 1 magnitude.
    **stft_options
        ``win_length``, ``center``, ``pad_mode`` of :func:`stft`.
    """
    return np.abs(stft(y, n_fft, hop_length, **stft_options)) ** power


# -- 3. Mel ----------------------------------------------------------------------------------


def hz_to_mel(f: float, htk: bool = False) -> float:
    """Slaney: ``3 f / 200`` below 1 kHz, ``15 + 27 ln(f / 1000) / ln 6.4`` above;
    HTK: ``2595 log10(1 + f / 700)``."""
    if htk:
        return 2595.0 * math.log10(1.0 + f / 700.0)
    if f < 1000.0:
        return 3.0 * f / 200.0
    return 15.0 + 27.0 * math.log(f / 1000.0) / math.log(6.4)


def mel_to_hz(m: float, htk: bool = False) -> float:
    """The inverse of :func:`hz_to_mel`."""
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    if m < 15.0:
        return 200.0 * m / 3.0
    return 1000.0 * math.exp((m - 15.0) * math.log(6.4) / 27.0)


def mel_filterbank(sr: float, n_fft: int, n_mels: int = 128, fmin: float = 0.0,
                   fmax: float | None = None, htk: bool = False, norm: str | None = "slaney"):
    """Triangle ``i`` rises from mel point ``p_i`` to ``p_{i+1}`` and falls to ``p_{i+2}``
    (``n_mels + 2`` points evenly spaced in mel from ``fmin`` to ``fmax``):

        W[i, k] = max(0, min((f_k - p_i) / (p_{i+1} - p_i), (p_{i+2} - f_k) / (p_{i+2} - p_{i+1})))

    scaled to unit area (``2 / (p_{i+2} - p_i)``) with ``norm="slaney"``.

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
    """
    fmax = sr / 2.0 if fmax is None else fmax
    low, high = hz_to_mel(fmin, htk), hz_to_mel(fmax, htk)
    points = [mel_to_hz(low + (high - low) * j / (n_mels + 1), htk) for j in range(n_mels + 2)]
    bins = [k * sr / n_fft for k in range(n_fft // 2 + 1)]
    weights = np.zeros((n_mels, len(bins)))
    for i in range(n_mels):
        left, centre, right = points[i], points[i + 1], points[i + 2]
        for k, f in enumerate(bins):
            rising = (f - left) / (centre - left)
            falling = (right - f) / (right - centre)
            weights[i, k] = max(0.0, min(rising, falling))
        if norm == "slaney":
            weights[i] *= 2.0 / (right - left)
    return weights


def melspectrogram(y, sr: float = 22050, n_fft: int = 2048, hop_length: int = 512,
                   n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None,
                   htk: bool = False, norm: str | None = "slaney", power: float = 2.0,
                   center: bool = True, pad_mode: str = "constant"):
    """``M[i, t] = sum_k W[i, k] |X[k, t]| ** power``.

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        One clip (converted to float64).
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
    spec = spectrogram(y, n_fft, hop_length, power, center=center, pad_mode=pad_mode)
    return mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk, norm) @ spec


# -- 4. Decibels -----------------------------------------------------------------------------


def power_to_db(S, ref: float = 1.0, amin: float = 1e-10, top_db: float | None = 80.0):
    """``10 log10(max(amin, S)) - 10 log10(max(amin, ref))``, then raised to the clip's
    largest value minus ``top_db`` (``S`` is one clip).

    Parameters
    ----------
    S : ndarray
        Power of one clip.
    ref : float, default 1.0
        Reference power (0 dB).
    amin : float, default 1e-10
        Smallest power taken before the logarithm.
    top_db : float or None, default 80.0
        Floor below each clip's maximum, in dB; None: no floor.
    """
    db = 10.0 * np.log10(np.maximum(amin, S)) - 10.0 * math.log10(max(amin, abs(ref)))
    if top_db is not None:
        db = np.maximum(db, db.max() - top_db)
    return db


# -- 5. MFCC ---------------------------------------------------------------------------------


def dct_matrix(n_out: int, n_in: int):
    """Orthonormal DCT-II rows: ``D[q, m] = s_q cos(pi q (2m + 1) / (2 n_in))``,
    ``s_0 = sqrt(1 / n_in)``, ``s_q = sqrt(2 / n_in)``."""
    basis = np.zeros((n_out, n_in))
    for q in range(n_out):
        scale = math.sqrt((1.0 if q == 0 else 2.0) / n_in)
        for m in range(n_in):
            basis[q, m] = scale * math.cos(math.pi * q * (2 * m + 1) / (2 * n_in))
    return basis


def mfcc(y, sr: float = 22050, n_mfcc: int = 20, n_fft: int = 2048, hop_length: int = 512,
         n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None, htk: bool = False,
         top_db: float | None = 80.0, lifter: float = 0.0, center: bool = True,
         pad_mode: str = "constant"):
    """``c[q, t] = sum_m D[q, m] L[m, t]`` with ``L = power_to_db(M)``; with ``lifter > 0``,
    ``c[q] *= 1 + (lifter / 2) sin(pi (q + 1) / lifter)``.

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        One clip (converted to float64).
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
    n_mfcc : int, default 20
        Number of cepstral coefficients kept.
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
    top_db : float or None, default 80.0
        Floor of the log-mel below the clip's maximum, in dB; None: no floor.
    lifter : float, default 0.0
        Liftering, ``c[q] *= 1 + (lifter / 2) sin(pi (q + 1) / lifter)``; 0: none.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is centred on sample
        ``t * hop_length``.
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
    """
    mel = melspectrogram(y, sr, n_fft, hop_length, n_mels, fmin, fmax, htk, center=center,
                         pad_mode=pad_mode)
    coefficients = dct_matrix(n_mfcc, n_mels) @ power_to_db(mel, top_db=top_db)
    if lifter > 0:
        for q in range(n_mfcc):
            coefficients[q] *= 1 + (lifter / 2) * math.sin(math.pi * (q + 1) / lifter)
    return coefficients


# -- 6. Chroma -------------------------------------------------------------------------------


def chroma_filterbank(sr: float, n_fft: int, n_chroma: int = 12, tuning: float = 0.0,
                      ctroct: float = 5.0, octwidth: float | None = 2.0, base_c: bool = True):
    """Ellis' chromagram weights (see :mod:`tinymir.features.chroma`): bin ``k`` at chroma
    position ``b_k = n log2(f_k / (A440 / 16))`` (bin 0: 1.5 octaves below bin 1), a Gaussian
    ``exp(-(2 d / w_k)^2 / 2)`` in the circular distance ``d`` to chroma ``c``, each bin's column
    of unit length, weighted over octaves, rows rolled to start at C.

    Parameters
    ----------
    sr : float
        Sampling rate of ``y``, in Hz.
    n_fft : int
        FFT length, in samples (``1 + n_fft // 2`` bins).
    n_chroma : int, default 12
        Number of chroma bins per octave.
    tuning : float, default 0.0
        Deviation from A440, in fractions of a chroma bin.
    ctroct : float, default 5.0
        Centre of the Gaussian weighting over octaves, in octaves above A0 (27.5 Hz).
    octwidth : float or None, default 2.0
        Width (standard deviation) of that weighting, in octaves; None: flat.
    base_c : bool, default True
        Start the chroma bins at C (else at A).
    """
    a440 = 440.0 * 2.0 ** (tuning / n_chroma)
    positions = [0.0] + [n_chroma * math.log2((k * sr / n_fft) / (a440 / 16))
                         for k in range(1, n_fft)]
    positions[0] = positions[1] - 1.5 * n_chroma
    widths = [max(positions[k + 1] - positions[k], 1.0) for k in range(n_fft - 1)] + [1.0]
    half = round(n_chroma / 2)
    weights = np.zeros((n_chroma, n_fft))
    for k in range(n_fft):
        for c in range(n_chroma):
            d = (positions[k] - c + half + 10 * n_chroma) % n_chroma - half
            weights[c, k] = math.exp(-0.5 * (2 * d / widths[k]) ** 2)
        length = math.sqrt(sum(weights[c, k] ** 2 for c in range(n_chroma)))
        if length >= np.finfo(np.float64).tiny:
            weights[:, k] /= length
        if octwidth is not None:
            weights[:, k] *= math.exp(-0.5 * ((positions[k] / n_chroma - ctroct) / octwidth) ** 2)
    if base_c:
        weights = np.roll(weights, -3 * (n_chroma // 12), axis=0)
    return weights[:, :n_fft // 2 + 1]


def chroma_stft(y, sr: float = 22050, n_fft: int = 2048, hop_length: int = 512,
                n_chroma: int = 12, tuning: float = 0.0, center: bool = True,
                pad_mode: str = "constant"):
    """``C[c, t] = sum_k W[c, k] |X[k, t]|^2``, each frame divided by its largest chroma (left
    alone where that is below the smallest normal float).

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        One clip (converted to float64).
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
    n_fft : int, default 2048
        FFT length, which is also the frame length, in samples.
    hop_length : int, default 512
        Samples between the starts of two frames.
    n_chroma : int, default 12
        Number of chroma bins per octave.
    tuning : float, default 0.0
        Deviation from A440, in fractions of a chroma bin.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is centred on sample
        ``t * hop_length``.
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
    """
    power = spectrogram(y, n_fft, hop_length, center=center, pad_mode=pad_mode)
    energy = chroma_filterbank(sr, n_fft, n_chroma, tuning) @ power
    for t in range(energy.shape[1]):
        peak = np.abs(energy[:, t]).max()
        if peak >= np.finfo(np.float64).tiny:
            energy[:, t] /= peak
    return energy


# -- 7. Spectral descriptors (S is the magnitude |X|, f_k the bin frequencies) ---------------


def _magnitude_and_frequencies(y, sr, n_fft, hop_length, center, pad_mode):
    magnitude = spectrogram(y, n_fft, hop_length, 1.0, center=center, pad_mode=pad_mode)
    return magnitude, np.array([k * sr / n_fft for k in range(n_fft // 2 + 1)])


def _distribution(column):
    """``p[k] = S[k] / sum_k S[k]`` (left un-normalised where the sum is ~0: silence gives 0)."""
    total = column.sum()
    return column / total if total >= np.finfo(np.float64).tiny else column


def spectral_centroid(y, sr: float = 22050, n_fft: int = 2048, hop_length: int = 512,
                      center: bool = True, pad_mode: str = "constant"):
    """``centroid[t] = sum_k f_k p[k, t]``.

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        One clip (converted to float64).
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
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
    magnitude, freq = _magnitude_and_frequencies(y, sr, n_fft, hop_length, center, pad_mode)
    return np.array([[sum(freq * _distribution(column)) for column in magnitude.T]])


def spectral_bandwidth(y, sr: float = 22050, n_fft: int = 2048, hop_length: int = 512,
                       center: bool = True, pad_mode: str = "constant"):
    """``bandwidth[t] = (sum_k p[k, t] (f_k - centroid[t])^2)^(1/2)``.

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        One clip (converted to float64).
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
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
    magnitude, freq = _magnitude_and_frequencies(y, sr, n_fft, hop_length, center, pad_mode)
    out = []
    for column in magnitude.T:
        p = _distribution(column)
        centroid = sum(freq * p)
        out.append(math.sqrt(sum(p * (freq - centroid) ** 2)))
    return np.array([out])


def spectral_rolloff(y, sr: float = 22050, n_fft: int = 2048, hop_length: int = 512,
                     roll_percent: float = 0.85, center: bool = True, pad_mode: str = "constant"):
    """``rolloff[t] = min { f_k : sum_{j<=k} S[j, t] >= roll_percent sum_j S[j, t] }``.

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        One clip (converted to float64).
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
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
    magnitude, freq = _magnitude_and_frequencies(y, sr, n_fft, hop_length, center, pad_mode)
    out = []
    for column in magnitude.T:
        target, running = roll_percent * column.sum(), 0.0
        for k, value in enumerate(column):
            running += value
            if running >= target:
                out.append(freq[k])
                break
    return np.array([out])


def spectral_flatness(y, n_fft: int = 2048, hop_length: int = 512, amin: float = 1e-10,
                      power: float = 2.0, center: bool = True, pad_mode: str = "constant"):
    """``flatness[t] = exp(mean_k ln P[k, t]) / mean_k P[k, t]``, ``P = max(amin, S^power)``:
    geometric over arithmetic mean, 1 for white noise, near 0 for a pure tone.

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        One clip (converted to float64).
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
    magnitude = spectrogram(y, n_fft, hop_length, 1.0, center=center, pad_mode=pad_mode)
    floored = np.maximum(amin, magnitude ** power)
    return np.array([[math.exp(np.log(column).mean()) / column.mean() for column in floored.T]])


def contrast_bands(sr: float, n_fft: int, fmin: float = 200.0, n_bands: int = 6,
                   quantile: float = 0.02):
    """``(bins of the band, how many bins make its peak and its valley)`` per octave band:
    ``[0, fmin], [fmin, 2 fmin], ...``, each band from one bin below its lower edge (not the
    first), the last one up to Nyquist; librosa leaves out a middle band's top bin.

    Parameters
    ----------
    sr : float
        Sampling rate of ``y``, in Hz.
    n_fft : int
        FFT length, in samples.
    fmin : float, default 200.0
        Upper edge of the first band, in Hz.
    n_bands : int, default 6
        Number of octave bands (one more band holds the rest, up to ``sr / 2``).
    quantile : float, default 0.02
        Fraction of a band's bins that make its peak and its valley.
    """
    freq = [k * sr / n_fft for k in range(n_fft // 2 + 1)]
    edges = [0.0] + [fmin * 2.0 ** b for b in range(n_bands + 1)]
    bands = []
    for b in range(n_bands + 1):
        inside = [k for k, f in enumerate(freq) if edges[b] <= f <= edges[b + 1]]
        first = inside[0] - 1 if b > 0 else inside[0]
        last = len(freq) - 1 if b == n_bands else inside[-1]
        count = max(int(np.rint(quantile * (last - first + 1))), 1)
        members = range(first, last + 1) if b == n_bands else range(first, last)
        bands.append((list(members), count))
    return bands


def spectral_contrast(y, sr: float = 22050, n_fft: int = 2048, hop_length: int = 512,
                      fmin: float = 200.0, n_bands: int = 6, quantile: float = 0.02,
                      center: bool = True, pad_mode: str = "constant"):
    """``contrast[b, t] = dB(peak[b, t]) - dB(valley[b, t])``: peak and valley are the means of
    the largest and smallest ``quantile`` share of the magnitudes in octave band ``b``; dB is
    :func:`power_to_db` over the clip (its 80 dB floor included), as librosa does.

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        One clip (converted to float64).
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
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
    magnitude = spectrogram(y, n_fft, hop_length, 1.0, center=center, pad_mode=pad_mode)
    bands = contrast_bands(sr, n_fft, fmin, n_bands, quantile)
    peak = np.zeros((len(bands), magnitude.shape[1]))
    valley = np.zeros_like(peak)
    for b, (members, count) in enumerate(bands):
        for t in range(magnitude.shape[1]):
            values = sorted(magnitude[members, t])
            valley[b, t] = np.mean(values[:count])
            peak[b, t] = np.mean(values[-count:])
    return power_to_db(peak) - power_to_db(valley)


def rms(y, frame_length: int = 2048, hop_length: int = 512, center: bool = True,
        pad_mode: str = "constant"):
    """``rms[t] = sqrt(mean_k y_t[k]^2)``.

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        One clip (converted to float64).
    frame_length : int, default 2048
        Frame length, in samples.
    hop_length : int, default 512
        Samples between the starts of two frames.
    center : bool, default True
        Pad ``frame_length // 2`` samples on both sides first (centred frames).
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
    """
    return np.array([[math.sqrt(np.mean(x * x))
                      for x in frames(y, frame_length, hop_length, center, pad_mode)]])


def zero_crossing_rate(y, frame_length: int = 2048, hop_length: int = 512,
                       center: bool = True, threshold: float = 1e-10):
    """``zcr[t] = #{k >= 1 : sign y_t[k] != sign y_t[k-1]} / frame_length`` (edge padding;
    ``|y| <= threshold`` counts as 0, and 0 as positive).

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        One clip (converted to float64).
    frame_length : int, default 2048
        Frame length, in samples.
    hop_length : int, default 512
        Samples between the starts of two frames.
    center : bool, default True
        Pad ``frame_length // 2`` samples on both sides first (edge padding, as librosa).
    threshold : float, default 1e-10
        Samples with ``|y| <= threshold`` count as zero (no sign).
    """
    out = []
    for x in frames(y, frame_length, hop_length, center, "edge"):
        negative = [value < -threshold for value in x]
        out.append(sum(negative[k] != negative[k - 1] for k in range(1, len(x))) / frame_length)
    return np.array([out])
