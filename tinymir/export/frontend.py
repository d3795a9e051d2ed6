"""The front end as ONNX nodes: audio ``(batch, samples)`` -> segments ``(batch * S, 1, bins, L)``.

What ``tinymir predict`` computes for one file (:mod:`tinymir.features`,
:mod:`tinymir.train.inputs`), written with standard operators only::

    y_pad    = Pad(y, n_fft // 2 zeros on both sides)               centred frames
    frames   = Gather(y_pad, t * hop + k)     (batch, T, n_fft),    T = 1 + n // hop (even n_fft)
    [re, im] = frames @ [w cos(2 pi f k / n_fft) | w sin(...)]      w the periodic Hann window
    P        = re^2 + im^2                                          the power spectrum |X|^2
    stft     = dB(P),   mel = dB(P @ M^T),   mfcc = dB(P @ M^T) @ D^T  (D the orthonormal DCT-II)
    chroma   = (P @ C^T) / max_c |P @ C^T|   centroid = (|X| / sum |X|) @ f
    contrast = dB(mean of the top q) - dB(mean of the bottom q) of |X| in each octave band (TopK)
    dB(S)    = max(10 log10(max(S, 1e-10)), max_clip(...) - 80)     the floor per clip

The DFT is a product with constant bases rather than ONNX's ``DFT``/``STFT`` operators (opset 17):
every runtime has ``MatMul``, not every one has those. In float32 (the default) it matches
tinymir's float32 FFT to about 0.01 dB; in float64 to about 0.002 dB, on runtimes that compute
in double precision (``bench/bench_onnx.py --parity``). Then, per track (``center``,
``discard``, wrap to one segment, segments every ``h`` frames; :mod:`tinymir.train.inputs`),
with the number of frames ``T`` known only when the graph runs::

    n1 = min(T, C); a = (T - n1) // 2                    the central C frames (crnn)
    d  = min(discard frames, max(0, n1 - L) // 2); a += d; n2 = n1 - 2 d
    S  = (max(n2, L) - L) // h + 1                       segments
    segment s, frame i = x[:, a + (s h + i) mod n2]      (mod: a short track repeats)
"""
from __future__ import annotations

import math

import numpy as np

from tinymir.features import chroma_filterbank, dct_matrix, fft_frequencies, mel_filterbank
from tinymir.features.frames import hann_window
from tinymir.features.spectral import contrast_bands

AMIN, TOP_DB = 1e-10, 80.0
TINY = float(np.finfo(np.float32).tiny)     # tinymir's features are float32


def audio_frames(g, audio: str, front, dtype) -> tuple[str, str]:
    """``(frames (batch, T, n_fft) in dtype, T as an int64 scalar)``: centred frames.

    Parameters
    ----------
    g : tinymir.export.graph.Graph
        The graph the nodes are added to.
    audio : str
        Name of the ``(batch, samples)`` float32 input.
    front : tinymir.models.frontend.FrontEnd
        The front end the model was trained on (``n_fft``, ``hop_length``, parts, segments).
    dtype : numpy dtype
        Precision of the frames (float32 or float64).
    """
    n_fft, hop = front.n_fft, front.hop_length
    half = n_fft // 2
    samples = g.op("Gather", g.op("Shape", audio), g.ints(1, "axis_one"), axis=0)
    spare = g.op("Max", g.op("Add", samples, g.ints(2 * half - n_fft, "pad_minus_frame")),
                 g.ints(0, "zero"))                     # 1 + (n + 2 half - n_fft) // hop
    count = g.op("Add", g.op("Div", spare, g.ints(hop, "hop")), g.ints(1, "one"),
                 out="n_frames")
    starts = g.op("Mul", g.op("Range", g.ints(0, "zero"), count, g.ints(1, "step")),
                  g.ints(hop, "hop"))
    index = g.op("Add", g.op("Unsqueeze", starts, g.ints([1], "axes_1")),
                 g.ints(np.arange(n_fft)[None, :], "frame_offsets"))
    signal = audio if dtype == np.float32 else g.op("Cast", audio, to=_onnx_type(dtype))
    padded = g.op("Pad", signal, g.ints([0, half, 0, half], "centre_pads"),
                  g.const(np.zeros((), dtype), "pad_value"), mode="constant")
    return g.op("Gather", padded, index, axis=1, out="frames"), count


def dft_basis(n_fft: int, dtype) -> np.ndarray:
    """``(n_fft, 2 K)``: the windowed cosines then sines of the K = n_fft // 2 + 1 rFFT bins."""
    k = np.arange(n_fft)[:, None]
    f = np.arange(n_fft // 2 + 1)[None, :]
    angle = 2.0 * np.pi * ((k * f) % n_fft) / n_fft          # exact phase before the cosine
    window = hann_window(n_fft, xp=np, dtype=np.float64)[:, None]
    return np.concatenate([window * np.cos(angle), window * np.sin(angle)], 1).astype(dtype)


def decibels(g, power: str, dtype) -> str:
    """``max(10 log10(max(S, amin)), max_clip - top_db)``, the maximum per clip (axes 1, 2)."""
    db = g.op("Mul", g.op("Log", g.op("Max", power, g.const(AMIN, "amin", dtype))),
              g.const(10.0 / math.log(10.0), "ten_over_ln10", dtype))
    peak = g.op("ReduceMax", db, axes=[1, 2], keepdims=1)
    return g.op("Max", db, g.op("Sub", peak, g.const(TOP_DB, "top_db", dtype)))


def features(g, audio: str, front, dtype=np.float32) -> tuple[str, str]:
    """``(features (batch, bins, T) float32, T)``: every part of the front end, rows stacked.

    Parameters
    ----------
    g : tinymir.export.graph.Graph
        The graph the nodes are added to.
    audio : str
        Name of the ``(batch, samples)`` float32 input.
    front : tinymir.models.frontend.FrontEnd
        The front end the model was trained on (``n_fft``, ``hop_length``, parts, segments).
    dtype : numpy dtype, default float32
        Precision the spectrum is computed in (float64: closer to tinymir, on runtimes that
        compute in double precision).
    """
    frames, count = audio_frames(g, audio, front, dtype)
    bins = front.n_fft // 2 + 1
    spectrum = g.op("MatMul", frames, g.const(dft_basis(front.n_fft, dtype), "dft_basis"))
    squares = g.op("Mul", spectrum, spectrum)
    power = g.op("Add", g.op("Slice", squares, g.ints([0], "s0"), g.ints([bins], "sK"),
                             g.ints([2], "ax2")),
                 g.op("Slice", squares, g.ints([bins], "sK"), g.ints([2 * bins], "s2K"),
                      g.ints([2], "ax2")), out="power")
    magnitude = None
    rows = []
    for kind in front.parts:
        if kind in ("centroid", "contrast") and magnitude is None:
            magnitude = g.op("Sqrt", power, out="magnitude")
        rows.append(_part(g, kind, front, power, magnitude, dtype))
    stacked = rows[0] if len(rows) == 1 else g.op("Concat", *rows, axis=2)
    feats = g.op("Transpose", stacked, perm=[0, 2, 1])
    if dtype != np.float32:
        feats = g.op("Cast", feats, to=_onnx_type(np.float32))
    return feats, count


def _part(g, kind: str, front, power: str, magnitude, dtype) -> str:
    """One kind's rows, frame-major ``(batch, T, rows)`` in ``dtype`` (float32-rounded)."""
    sr, n_fft = front.sr, front.n_fft
    if kind == "stft":
        out = decibels(g, power, dtype)
    elif kind in ("mel", "mfcc"):
        bank = mel_filterbank(sr, n_fft, front.n_mels, front.fmin, front.fmax, xp=np,
                              dtype=np.float64)
        out = decibels(g, g.op("MatMul", power, g.const(np.asarray(bank).T.astype(dtype),
                                                        "mel_bank")), dtype)
        if kind == "mfcc":
            dct = dct_matrix(front.n_mfcc, front.n_mels, xp=np, dtype=np.float64)
            out = g.op("MatMul", out, g.const(np.asarray(dct).T.astype(dtype), "dct"))
    elif kind == "chroma":
        bank = chroma_filterbank(sr, n_fft, xp=np, dtype=np.float64)
        energy = g.op("MatMul", power, g.const(np.asarray(bank).T.astype(dtype), "chroma_bank"))
        out = g.op("Div", energy, _safe(g, g.op("ReduceMax", g.op("Abs", energy), axes=[2],
                                                keepdims=1), dtype))
    elif kind == "centroid":
        total = g.op("ReduceSum", magnitude, g.ints([2], "ax2"), keepdims=1)
        freq = fft_frequencies(sr, n_fft)[:, None].astype(dtype)
        out = g.op("MatMul", g.op("Div", magnitude, _safe(g, total, dtype)),
                   g.const(freq, "bin_hz"))
    elif kind == "contrast":
        out = _contrast(g, front, magnitude, dtype)
    else:                                                       # FrontEnd refuses others
        raise ValueError(f"no ONNX form for features of kind {kind!r}")
    # tinymir computes each kind in float32: round there, then go on in dtype
    return out if dtype == np.float32 else g.op(
        "Cast", g.op("Cast", out, to=_onnx_type(np.float32)), to=_onnx_type(dtype))


def _safe(g, denominator: str, dtype) -> str:
    """The denominator, 1 where it is below float32's smallest normal (tinymir's guard)."""
    small = g.op("Less", denominator, g.const(TINY, "tiny", dtype))
    return g.op("Where", small, g.const(1.0, "one_f", dtype), denominator)


def _contrast(g, front, magnitude: str, dtype) -> str:
    """Spectral contrast: per octave band, the sorted magnitudes (TopK over the band), the
    means of the top and bottom ``count``, then dB(peaks) - dB(valleys)."""
    peaks, valleys = [], []
    for first, stop, count in contrast_bands(float(front.sr), front.n_fft // 2 + 1):
        band = g.op("Slice", magnitude, g.ints([first], "band_first"),
                    g.ints([stop], "band_stop"), g.ints([2], "ax2"))
        ranked, _ = g.op_n("TopK", [band, g.ints([stop - first], "band_size")], 2, axis=2,
                           largest=1, sorted=1)
        top = g.op("Slice", ranked, g.ints([0], "s0"), g.ints([count], "q"), g.ints([2], "ax2"))
        low = g.op("Slice", ranked, g.ints([stop - first - count], "q_low"),
                   g.ints([stop - first], "band_size"), g.ints([2], "ax2"))
        peaks.append(g.op("ReduceMean", top, axes=[2], keepdims=1))
        valleys.append(g.op("ReduceMean", low, axes=[2], keepdims=1))
    peak = decibels(g, g.op("Concat", *peaks, axis=2), dtype)
    valley = decibels(g, g.op("Concat", *valleys, axis=2), dtype)
    return g.op("Sub", peak, valley)


def standardise(g, feats: str, standardize) -> str:
    """``(x - mean_bin) / std_bin`` in float32, as the model's standardisation."""
    mean = np.asarray(standardize.mean, np.float32)[:, None]
    std = np.asarray(standardize.std, np.float32)[:, None]
    return g.op("Div", g.op("Sub", feats, g.const(mean, "feature_mean")),
                g.const(std, "feature_std"), out="standardised")


def segments(g, feats: str, count: str, front) -> str:
    """``(batch * S, 1, bins, L)``: the track trimmed and cut into segments (module docstring).

    Parameters
    ----------
    g : tinymir.export.graph.Graph
        The graph the nodes are added to.
    feats : str
        Name of the ``(batch, bins, T)`` features.
    count : str
        Name of the int64 scalar ``T`` (frames of the track).
    front : tinymir.models.frontend.FrontEnd
        The front end the model was trained on (``n_fft``, ``hop_length``, parts, segments).
    """
    length, hop = front.segment_frames, front.hop_frames
    start, kept = g.ints(0, "zero"), count
    if front.center:
        kept = g.op("Min", count, g.ints(front.clip_frames(front.center), "center_frames"))
        start = g.op("Div", g.op("Sub", count, kept), g.ints(2, "two"))
    if front.discard:
        room = g.op("Div", g.op("Max", g.ints(0, "zero"),
                                g.op("Sub", kept, g.ints(length, "segment_frames"))),
                    g.ints(2, "two"))
        d = g.op("Min", g.ints(front.seconds_to_frames(front.discard), "discard_frames"), room)
        start = g.op("Add", start, d)
        kept = g.op("Sub", kept, g.op("Mul", d, g.ints(2, "two")))
    total = g.op("Max", kept, g.ints(length, "segment_frames"))
    n_segments = g.op("Add", g.op("Div", g.op("Sub", total, g.ints(length, "segment_frames")),
                                  g.ints(hop, "segment_hop")), g.ints(1, "one"),
                      out="n_segments")
    seg_starts = g.op("Mul", g.op("Range", g.ints(0, "zero"), n_segments, g.ints(1, "step")),
                      g.ints(hop, "segment_hop"))
    offsets = g.op("Add", g.op("Unsqueeze", seg_starts, g.ints([1], "axes_1")),
                   g.ints(np.arange(length)[None, :], "segment_offsets"))
    index = g.op("Add", g.op("Mod", offsets, kept), start, out="segment_index")
    picked = g.op("Gather", feats, index, axis=2)              # (batch, bins, S, L)
    ordered = g.op("Transpose", picked, perm=[0, 2, 1, 3])      # (batch, S, bins, L)
    shape = g.ints([-1, 1, front.n_bins, length], "segment_shape")
    return g.op("Reshape", ordered, shape, out="segments")


def _onnx_type(dtype) -> int:
    from onnx import TensorProto
    return {np.dtype(np.float32): TensorProto.FLOAT,
            np.dtype(np.float64): TensorProto.DOUBLE}[np.dtype(dtype)]
