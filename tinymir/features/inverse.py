"""Features back to audio, like ``librosa.feature.inverse`` (same defaults, same formulas).

Decibels back to power (the inverse of ``power_to_db`` without its floor)::

    db_to_power(D) = ref * 10 ** (D / 10)

MFCC back to a mel power spectrogram: undo the liftering, then the inverse of the orthonormal
DCT-II (its transpose; coefficients beyond ``n_mfcc`` count as zeros), then ``db_to_power``::

    c[q] /= 1 + (lifter / 2) sin(pi (q + 1) / lifter)            (lifter > 0)
    L[m]  = sum_q D[q, m] c[q]                                    D: features.dct_matrix
    M     = db_to_power(L)

Mel power back to an STFT magnitude: non-negative least squares against the mel filterbank W,

    S = argmin_{X >= 0} 0.5 || W X - M ||^2,    then |X| = S ** (1 / power)

started, like librosa, at the least-squares solution clipped at zero, ``max(0, pinv(W) M)``.
librosa runs scipy's L-BFGS-B (on the host); tinymir runs accelerated projected gradient
(FISTA, Beck & Teboulle 2009) on the array's device, with step ``1 / ||W||_2^2``::

    X_k = max(0, Z_k - W^T (W Z_k - M) / ||W||_2^2)
    Z_{k+1} = X_k + (t_k - 1) / t_{k+1} (X_k - X_{k-1}),   t_{k+1} = (1 + sqrt(1 + 4 t_k^2)) / 2

Magnitude back to audio: fast Griffin-Lim (Perraudin, Balazs and Sondergaard, 2013). From
phases ``A_0`` (random, seeded, or all ones), with ``X_k = S * A_k``::

    T_k     = STFT(ISTFT(X_k))
    A_{k+1} = P(T_k - momentum / (1 + momentum) * T_{k-1}),    P(z) = z / (|z| + tiny)
    y       = ISTFT(S * A_n)                                   after n_iter iterations

``momentum=0`` is the original Griffin-Lim. The STFT/ISTFT are :func:`features.stft` and
:func:`features.istft` (periodic Hann window). ``spectral_convergence`` measures the result:
``||S - |STFT(y)||| / ||S||``.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from tinymir import backend
from tinymir.features.cepstral import dct_matrix
from tinymir.features.frames import constant
from tinymir.features.mel import mel_filterbank
from tinymir.features.spectrum import istft, stft


def db_to_power(S_db, ref: float = 1.0):
    """``ref * 10 ** (S_db / 10)``: decibels back to power (``librosa.db_to_power``)."""
    xp = backend.array_module(S_db)
    return ref * xp.power(10.0, 0.1 * S_db)


def mfcc_to_mel(mfcc, n_mels: int = 128, ref: float = 1.0, lifter: float = 0.0):
    """MFCC ``(..., n_mfcc, n_frames)`` to a mel power spectrogram ``(..., n_mels, n_frames)``
    (formula in the module docstring; ``librosa.feature.inverse.mfcc_to_mel`` with its
    defaults ``dct_type=2, norm="ortho"``).

    Parameters
    ----------
    mfcc : array, shape (..., n_mfcc, n_frames)
        MFCC.
    n_mels : int, default 128
        Number of mel bands.
    ref : float, default 1.0
        The reference power of the dB scale the MFCC were taken on.
    lifter : float, default 0.0
        The liftering the MFCC were made with (undone here); 0: none.
    """
    xp = backend.array_module(mfcc)
    n_mfcc = mfcc.shape[-2]
    if lifter > 0:
        q = xp.arange(1, n_mfcc + 1, dtype=mfcc.dtype)[:, None]
        mfcc = mfcc / (1 + (lifter / 2) * xp.sin(np.pi * q / lifter))
    elif lifter < 0:
        raise ValueError(f"lifter must be non-negative, got {lifter}")
    basis = dct_matrix(n_mfcc, n_mels, xp, mfcc.dtype)          # (n_mfcc, n_mels), orthonormal rows
    log_mel = xp.matmul(basis.T, mfcc)
    return db_to_power(log_mel, ref=ref)


#: FISTA iterations of :func:`nnls`: after 100 the mel of the solution fits M better than
#: librosa's L-BFGS-B solution does (tests/test_features_inverse.py; README).
NNLS_ITERATIONS = 100


def nnls(A, B, n_iter: int = NNLS_ITERATIONS):
    """``argmin_{X >= 0} 0.5 ||A X - B||^2`` for ``B`` of shape ``(..., m, N)`` by accelerated
    projected gradient from ``max(0, pinv(A) B)`` (module docstring). ``A`` is ``(m, n)``, a
    host array; it is used as a sparse matrix (a mel filterbank is mostly zeros: each FFT bin
    lies under at most two filters)."""
    xp = backend.array_module(B)
    pinv, sparse_a, sparse_at, step = _nnls_constants(backend.to_host(A), xp, B.dtype)
    m = B.shape[-2]
    columns = xp.moveaxis(B, -2, 0).reshape(m, -1)             # every clip's frames side by side
    x = xp.maximum(pinv @ columns, 0)
    z, t = x, 1.0
    for _ in range(n_iter):
        previous = x
        x = xp.maximum(z - step * (sparse_at @ (sparse_a @ z - columns)), 0)
        # Python floats: a NumPy float64 t would make every iteration after the first
        # float64 (NumPy 2 and CuPy 14 promote float32 arrays by NumPy scalars)
        t_next = (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
        z = x + ((t - 1.0) / t_next) * (x - previous)
        t = t_next
    n = pinv.shape[0]
    return xp.moveaxis(x.reshape((n,) + B.shape[:-2] + B.shape[-1:]), 0, -2)


def _nnls_constants(A, xp, dtype):
    return _cached_nnls_constants(A.tobytes(), A.shape, str(A.dtype), xp, np.dtype(dtype).name)


@functools.lru_cache(maxsize=8)
def _cached_nnls_constants(data, shape, a_dtype, xp, dtype):
    """``pinv(A)`` (dense), ``A`` and ``A^T`` (sparse, CSR) and the step ``1 / ||A||_2^2``."""
    A = np.frombuffer(data, dtype=a_dtype).reshape(shape).astype(np.float64)
    sparse = backend.scipy_module(xp, "sparse")
    lipschitz = float(np.linalg.norm(A, 2)) ** 2
    as_sparse = (lambda a: sparse.csr_matrix(a.astype(dtype))) if xp is np else \
        (lambda a: sparse.csr_matrix(xp.asarray(a, dtype=dtype)))
    return (constant(np.linalg.pinv(A), xp, dtype), as_sparse(A), as_sparse(A.T.copy()),
            1.0 / lipschitz)


def mel_to_stft(M, sr: float = 22050, n_fft: int = 2048, power: float = 2.0,
                fmin: float = 0.0, fmax: float | None = None, htk: bool = False,
                norm: str | None = "slaney", n_iter: int = NNLS_ITERATIONS):
    """STFT magnitude ``(..., 1 + n_fft // 2, n_frames)`` from a mel spectrogram
    ``M = W |X| ** power`` (``librosa.feature.inverse.mel_to_stft``; NNLS as in the module
    docstring).

    Parameters
    ----------
    M : array, shape (..., n_mels, n_frames)
        Mel spectrogram ``W |X| ** power``.
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
    n_fft : int, default 2048
        FFT length of the STFT sought, in samples.
    power : float, default 2.0
        Exponent of the STFT magnitude: 2 gives power, 1 magnitude.
    fmin : float, default 0.0
        Lowest frequency of the mel filters, in Hz.
    fmax : float or None, default None
        Highest frequency of the mel filters, in Hz; None: ``sr / 2``.
    htk : bool, default False
        HTK mel scale ``2595 log10(1 + f / 700)`` instead of Slaney's.
    norm : str or None, default "slaney"
        ``"slaney"``: each triangle scaled to unit area; None: peak 1.
    n_iter : int, default NNLS_ITERATIONS
        Iterations of the non-negative least squares.
    """
    xp = backend.array_module(M)
    bank = mel_filterbank(sr, n_fft, M.shape[-2], fmin, fmax, htk, norm, xp=np, dtype=np.float64)
    inverse = nnls(bank, M, n_iter)
    return inverse if power == 1.0 else xp.power(inverse, 1.0 / power)


def griffinlim(S, n_iter: int = 32, hop_length: int | None = None,
               win_length: int | None = None, n_fft: int | None = None, center: bool = True,
               length: int | None = None, pad_mode: str = "constant", momentum: float = 0.99,
               init: str | None = "random", random_state=0, trace: list | None = None):
    """Audio ``(..., n_samples)`` whose STFT magnitude approximates ``S`` (module docstring;
    ``librosa.griffinlim`` with the same defaults, except that ``random_state`` defaults to 0
    so a call is reproducible).

    ``init="random"`` draws the phases as ``2 pi u``, ``u = np.random.default_rng(random_state)
    .random(S.shape)`` on the host (``random_state`` may be a Generator); ``init=None`` starts
    from phase 0. ``trace``, when a list, receives the spectral convergence after each
    iteration (one more STFT per iteration).

    Parameters
    ----------
    S : array, shape (..., 1 + n_fft // 2, n_frames)
        STFT magnitude.
    n_iter : int, default 32
        Griffin-Lim iterations.
    hop_length : int or None, default None
        Samples between frame starts; None: ``win_length // 4``.
    win_length : int or None, default None
        Length of the Hann window in samples, zero-padded to ``n_fft`` at the centre; None:
        ``n_fft``.
    n_fft : int or None, default None
        FFT length; None: ``2 * (bins - 1)``.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is centred on sample
        ``t * hop_length``.
    length : int or None, default None
        Trim or zero-pad the output to exactly this many samples; None: as the frames give.
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
    momentum : float, default 0.99
        Momentum of the fast Griffin-Lim update (0: plain Griffin-Lim).
    init : str or None, default "random"
        ``"random"``: random initial phases; None: phase 0.
    random_state : int or numpy.random.Generator, default 0
        Seed (or generator) of the initial random phases; 0 makes a call reproducible.
    trace : list or None, default None
        When a list, receives the spectral convergence after each iteration (one more STFT per
        iteration).
    """
    if momentum < 0:
        raise ValueError(f"griffinlim momentum must be >= 0, got {momentum}")
    if n_iter < 1:
        raise ValueError(f"griffinlim needs n_iter >= 1, got {n_iter}")
    xp = backend.array_module(S)
    n_fft = n_fft or 2 * (S.shape[-2] - 1)
    complex_dtype = np.result_type(S.dtype, np.complex64)
    if init == "random":
        rng = random_state if isinstance(random_state, np.random.Generator) else \
            np.random.default_rng(random_state)
        angles = xp.asarray(np.exp(2j * np.pi * rng.random(size=S.shape)), dtype=complex_dtype)
    elif init is None:
        angles = xp.ones(S.shape, dtype=complex_dtype)
    else:
        raise ValueError(f"griffinlim init must be 'random' or None, got {init!r}")
    tiny = np.finfo(complex_dtype).tiny
    options = dict(hop_length=hop_length, win_length=win_length, n_fft=n_fft, center=center)
    previous = None
    angles = angles * S
    for _ in range(n_iter):
        rebuilt = stft(istft(angles, length=length, **options), pad_mode=pad_mode, **options)
        if trace is not None:
            trace.append(spectral_convergence(S, rebuilt))
        angles = rebuilt if previous is None else rebuilt - (momentum / (1 + momentum)) * previous
        angles = angles / (xp.abs(angles) + tiny) * S
        previous = rebuilt
    return istft(angles, length=length, **options)


def spectral_convergence(S, X) -> float:
    """``||S - |X||| / ||S||`` over the whole array (``X`` complex or a magnitude)."""
    xp = backend.array_module(S)
    return float(xp.linalg.norm((S - xp.abs(X)).ravel()) / xp.linalg.norm(S.ravel()))


def mel_to_audio(M, sr: float = 22050, n_fft: int = 2048, hop_length: int | None = None,
                 win_length: int | None = None, center: bool = True,
                 pad_mode: str = "constant", power: float = 2.0, n_iter: int = 32,
                 length: int | None = None, fmin: float = 0.0, fmax: float | None = None,
                 htk: bool = False, norm: str | None = "slaney", random_state=0):
    """Audio from a mel power spectrogram: :func:`mel_to_stft` then :func:`griffinlim`
    (``librosa.feature.inverse.mel_to_audio``).

    Parameters
    ----------
    M : array, shape (..., n_mels, n_frames)
        Mel power spectrogram ``W |X| ** power``.
    sr : float, default 22050
        Sampling rate of ``y``, in Hz.
    n_fft : int, default 2048
        FFT length, which is also the frame length, in samples.
    hop_length : int or None, default None
        Samples between frame starts; None: ``n_fft // 4``.
    win_length : int or None, default None
        Length of the Hann window in samples, zero-padded to ``n_fft`` at the centre; None:
        ``n_fft``.
    center : bool, default True
        Pad ``n_fft // 2`` samples on both sides first, so frame ``t`` is centred on sample
        ``t * hop_length``.
    pad_mode : str, default "constant"
        Padding when ``center``: ``"constant"`` (zeros), ``"reflect"`` or ``"edge"``.
    power : float, default 2.0
        Exponent of the STFT magnitude: 2 gives power, 1 magnitude.
    n_iter : int, default 32
        Griffin-Lim iterations.
    length : int or None, default None
        Trim or zero-pad the output to exactly this many samples; None: as the frames give.
    fmin : float, default 0.0
        Lowest frequency of the mel filters, in Hz.
    fmax : float or None, default None
        Highest frequency of the mel filters, in Hz; None: ``sr / 2``.
    htk : bool, default False
        HTK mel scale ``2595 log10(1 + f / 700)`` instead of Slaney's.
    norm : str or None, default "slaney"
        ``"slaney"``: each triangle scaled to unit area; None: peak 1.
    random_state : int or numpy.random.Generator, default 0
        Seed (or generator) of the initial random phases; 0 makes a call reproducible.
    """
    S = mel_to_stft(M, sr, n_fft, power, fmin, fmax, htk, norm)
    return griffinlim(S, n_iter, hop_length, win_length, n_fft, center, length, pad_mode,
                      random_state=random_state)


def mfcc_to_audio(mfcc, n_mels: int = 128, ref: float = 1.0, lifter: float = 0.0, **kwargs):
    """Audio from MFCC: :func:`mfcc_to_mel` then :func:`mel_to_audio` (``kwargs`` go there).

    Parameters
    ----------
    mfcc : array, shape (..., n_mfcc, n_frames)
        MFCC.
    n_mels : int, default 128
        Number of mel bands.
    ref : float, default 1.0
        The reference power of the dB scale the MFCC were taken on.
    lifter : float, default 0.0
        The liftering the MFCC were made with (undone here); 0: none.
    **kwargs
        Passed to :func:`mel_to_audio` (``sr``, ``n_fft``, ``hop_length``, ...).
    """
    return mel_to_audio(mfcc_to_mel(mfcc, n_mels, ref, lifter), **kwargs)


#: Feature kinds that can be turned back into audio.
INVERTIBLE = ("mel", "stft", "mfcc")


def expected_bins(params) -> int:
    """Rows of a feature array of ``params``: ``n_mels`` (mel), ``1 + n_fft // 2`` (stft) or
    ``n_mfcc`` (mfcc)."""
    return {"mel": params.n_mels, "stft": 1 + params.n_fft // 2,
            "mfcc": params.n_mfcc}[params.kind]


def check_invertible(features, params, name: str = "features") -> None:
    """Raise ``ValueError`` (one line naming ``name``) unless ``features`` ``(..., bins,
    frames)`` can be what ``features.compute(y, params)`` made: a kind of :data:`INVERTIBLE`,
    a real array of at least one frame whose rows are :func:`expected_bins`, every value
    finite (and, for power values, ``params.log`` False, none negative)."""
    if params.kind not in INVERTIBLE:
        raise ValueError(f"{name}: {params.kind} features cannot be turned back into audio "
                         f"({', '.join(INVERTIBLE)} can)")
    dtype = getattr(features, "dtype", None)
    if dtype is None or np.dtype(dtype).kind not in "iuf" or features.ndim < 2:
        raise ValueError(f"{name}: expected a real (bins, frames) array, got "
                         f"{'shape ' + str(tuple(features.shape)) if dtype is not None else ''}"
                         f" {dtype}".strip())
    bins, frames = features.shape[-2:]
    if bins != expected_bins(params) or frames < 1:
        raise ValueError(f"{name}: {bins} rows x {frames} frames do not fit {params.kind} "
                         f"features of n_fft={params.n_fft}, n_mels={params.n_mels}, "
                         f"n_mfcc={params.n_mfcc} ({expected_bins(params)} rows, 1 frame or "
                         "more)")
    xp = backend.array_module(features)
    if not bool(xp.isfinite(features).all()):
        raise ValueError(f"{name}: the features are not all finite")
    if not params.log and params.kind != "mfcc" and bool((features < 0).any()):
        raise ValueError(f"{name}: power features (log=False) hold negative values")


def features_to_audio(features, params, n_iter: int = 32, random_state=0):
    """Audio at ``params.sr`` from features ``(..., bins, frames)`` that
    ``features.compute(y, params)`` made (a :class:`~tinymir.features.FeatureParams`): dB (or
    power, ``log=False``) mel through :func:`mel_to_audio`, dB (or power) STFT through
    :func:`griffinlim` of its square root, MFCC through :func:`mfcc_to_audio`. Chroma and
    track features cannot be inverted, and features that do not fit ``params`` are refused
    (:func:`check_invertible`, ValueError).

    Parameters
    ----------
    features : array, shape (..., bins, frames)
        Features ``features.compute(y, params)`` made.
    params : FeatureParams
        The parameters they were made with.
    n_iter : int, default 32
        Griffin-Lim iterations.
    random_state : int or numpy.random.Generator, default 0
        Seed (or generator) of the initial random phases; 0 makes a call reproducible.
    """
    check_invertible(features, params)
    options = dict(sr=params.sr, n_fft=params.n_fft, hop_length=params.hop_length,
                   n_iter=n_iter, fmin=params.fmin, fmax=params.fmax, random_state=random_state)
    if params.kind == "mfcc":
        return mfcc_to_audio(features, n_mels=params.n_mels, **options)
    power = db_to_power(features) if params.log else features
    if params.kind == "mel":
        return mel_to_audio(power, **options)
    xp = backend.array_module(power)
    return griffinlim(xp.sqrt(power), n_iter, params.hop_length, n_fft=params.n_fft,
                      random_state=random_state)
