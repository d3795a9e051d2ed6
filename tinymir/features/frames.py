"""Cutting a signal into overlapping frames, and the analysis window.

A clip ``y`` of ``n`` samples cut into frames of length ``L`` every ``h`` samples gives

    frames[..., t, k] = y[..., t*h + k],    t = 0 .. 1 + (n - L) // h - 1,   k = 0 .. L-1

as a strided *view* (no copy). Note the layout: tinymir puts the frame index before the sample
index, ``(..., n_frames, frame_length)``, so that an FFT runs along the contiguous last axis;
``librosa.util.frame`` returns the transpose ``(..., frame_length, n_frames)``.

Long batches are transformed in runs of frames (:func:`frame_blocks`): cache-sized on the CPU
and shared among ``CPU_THREADS`` threads (:func:`for_each_block`), everything at once on a GPU.

The window is the periodic Hann window of ``scipy.signal.get_window("hann", N)`` (what librosa
uses, ``fftbins=True``):

    w[k] = 0.5 - 0.5 cos(2 pi k / N),    k = 0 .. N-1
"""
from __future__ import annotations

import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np

from tinymir import backend

PAD_MODES = ("constant", "reflect", "edge")


def pad_edges(y, width: int, mode: str = "constant"):
    """Pad the last axis of ``y`` with ``width`` samples on both sides.

    ``mode`` is ``"constant"`` (zeros, librosa >= 0.9's ``stft`` default), ``"reflect"``
    (``y[1], y[2], ...`` mirrored about the first sample, librosa < 0.9) or ``"edge"``
    (repeat the end samples, librosa's ``zero_crossing_rate``).
    """
    if mode not in PAD_MODES:
        raise ValueError(f"pad_mode {mode!r} is not supported: choose one of {', '.join(PAD_MODES)}")
    if mode == "reflect" and y.shape[-1] <= width:
        raise ValueError(f"pad_mode='reflect' needs a signal longer than {width} samples, "
                         f"got {y.shape[-1]}; use pad_mode='constant'")
    xp = backend.array_module(y)
    widths = [(0, 0)] * (y.ndim - 1) + [(width, width)]
    return xp.pad(y, widths, mode=mode)


def n_frames(n_samples: int, frame_length: int, hop_length: int) -> int:
    """Number of whole frames: ``1 + (n_samples - frame_length) // hop_length``."""
    return 1 + (n_samples - frame_length) // hop_length


def frame(y, frame_length: int, hop_length: int):
    """Strided view ``(..., n_frames, frame_length)`` of the last axis of ``y`` (no copy)."""
    if hop_length < 1:
        raise ValueError(f"hop_length must be a positive integer, got {hop_length}")
    if y.shape[-1] < frame_length:
        raise ValueError(f"signal of {y.shape[-1]} samples is shorter than one frame "
                         f"({frame_length} samples)")
    xp = backend.array_module(y)
    y = xp.asarray(y)                       # any strides: a slice of a batch stays a view
    count = n_frames(y.shape[-1], frame_length, hop_length)
    step = y.strides[-1]
    return xp.lib.stride_tricks.as_strided(
        y, shape=y.shape[:-1] + (count, frame_length),
        strides=y.strides[:-1] + (hop_length * step, step))


class PaddedFrames:
    """The frames of ``pad_edges(y, width, pad_mode)`` (``width = frame_length // 2``: centred
    frames) without padding, i.e. copying, the whole signal: frames that lie inside ``y`` are
    strided views of it, only the few that reach into the padding come from small padded copies.

    ``count`` is the number of frames; ``block(run)`` gives ``frames[..., run, :]``;
    ``covers_signal`` says whether every sample of ``y`` lies in at least one frame.
    """

    def __init__(self, y, frame_length: int, hop_length: int, width: int,
                 pad_mode: str = "constant"):
        xp = backend.array_module(y)
        n = y.shape[-1]
        self.count = n_frames(n + 2 * width, frame_length, hop_length)
        self.covers_signal = ((hop_length <= frame_length or self.count == 1)
                              and (self.count - 1) * hop_length + frame_length - width >= n)
        first_inside = -(-width // hop_length)                  # first frame starting in y
        stop_inside = max(0, (n + width - frame_length) // hop_length + 1)   # frames ending in y
        self._xp = xp
        # Pad it all for a short signal, and on a GPU, which takes all frames as one block:
        # one padded copy is cheaper there than joining the pieces.
        if xp is not np or stop_inside - first_inside < 2:
            self._pieces = [(0, frame(pad_edges(y, width, pad_mode), frame_length, hop_length))]
            return
        self._pieces = []
        if first_inside > 0:
            head_samples = min(n, (first_inside - 1) * hop_length + frame_length - width + 1)
            head = frame(pad_edges(y[..., :head_samples], width, pad_mode), frame_length,
                         hop_length)
            self._pieces.append((0, head[..., :first_inside, :]))
        inside = frame(y[..., first_inside * hop_length - width:], frame_length, hop_length)
        self._pieces.append((first_inside, inside[..., :stop_inside - first_inside, :]))
        if stop_inside < self.count:
            tail_start = stop_inside * hop_length - width       # in samples of y
            piece_start = max(0, min(tail_start, n - width - 1))  # 'reflect' needs > width samples
            tail_piece = pad_edges(y[..., piece_start:], width, pad_mode)[..., width:]
            self._pieces.append((stop_inside, frame(tail_piece[..., tail_start - piece_start:],
                                                    frame_length, hop_length)))

    def block(self, run: slice):
        """``frames[..., run, :]`` (a view when the run lies inside one piece)."""
        start, stop = run.start or 0, min(self.count, run.stop)
        parts = []
        for offset, piece in self._pieces:
            low, high = max(start, offset), min(stop, offset + piece.shape[-2])
            if low < high:
                parts.append(piece[..., low - offset:high - offset, :])
        return parts[0] if len(parts) == 1 else self._xp.concatenate(parts, axis=-2)


#: Frames processed together on the CPU (all clips of the batch, a run of frames): small enough
#: to stay in cache, so no whole-batch temporary is allocated and walked between two steps.
CPU_BLOCK_BYTES = 2 * 2 ** 20


def frame_blocks(count: int, bytes_per_frame: int, xp) -> list[slice]:
    """Runs of ``count`` frames to transform together: cache-sized on the CPU (a loop over a few
    dozen blocks, not over frames), all frames at once on a GPU."""
    return backend.cpu_blocks(count, bytes_per_frame, CPU_BLOCK_BYTES, xp)


def frame_blocks_of(frames_major) -> list[slice]:
    """:func:`frame_blocks` for a frame-major array ``(..., n_frames, width)``."""
    count = frames_major.shape[-2]
    return frame_blocks(count, frames_major.nbytes // max(1, count),
                        backend.array_module(frames_major))


def _cpu_threads() -> int:
    """The cores this process may use (``taskset`` counts), or ``OMP_NUM_THREADS`` when set
    (worker processes of the feature cache set it to 1)."""
    if os.environ.get("OMP_NUM_THREADS", "").isdigit():
        return max(1, int(os.environ["OMP_NUM_THREADS"]))
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


#: Threads sharing the blocks of one call on the CPU (pocketfft and numpy release the GIL).
CPU_THREADS = _cpu_threads()


_THREAD_PREFIX = "tinymir-blocks"


def for_each_block(function, blocks: list[slice]) -> None:
    """``function(block)`` for every block: on ``CPU_THREADS`` threads when there are several
    blocks (each block writes its own part of the output; BLAS runs on the calling thread
    meanwhile, see :func:`single_threaded_blas`), in order otherwise (and inside a block
    thread, which must not wait on its own pool)."""
    in_block_thread = threading.current_thread().name.startswith(_THREAD_PREFIX)
    if CPU_THREADS > 1 and len(blocks) > 1 and not in_block_thread:
        with single_threaded_blas():
            list(_thread_pool(CPU_THREADS).map(function, blocks))
    else:
        for block in blocks:
            function(block)


def use_one_thread() -> None:
    """For a worker process of a pool that already runs one process per core: its blocks in
    order, and BLAS/OpenMP on one thread (through ``threadpoolctl`` when it is installed)."""
    global CPU_THREADS
    CPU_THREADS = 1
    controller = _thread_controller()
    if controller is not None:
        controller.limit(limits=1)          # kept for the life of the worker


@functools.lru_cache(maxsize=1)
def _thread_controller():
    """threadpoolctl's view of the BLAS/OpenMP libraries loaded, or None without it."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


_blas_lock = threading.Lock()
_blas_users = 0
_blas_limit = None


@contextmanager
def single_threaded_blas():
    """BLAS products on the calling thread while feature threads share the cores (a BLAS that
    hands a product to its own threads makes the feature threads wait on each other). Set
    through ``threadpoolctl`` and restored when the last concurrent user leaves; without
    threadpoolctl nothing is changed (correct results, possibly oversubscribed cores)."""
    global _blas_users, _blas_limit
    controller = _thread_controller()
    if controller is None:
        yield
        return
    with _blas_lock:
        if _blas_users == 0:
            _blas_limit = controller.limit(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                _blas_limit.restore_original_limits()
                _blas_limit = None


@functools.lru_cache(maxsize=1)
def _thread_pool(threads: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(threads, thread_name_prefix=_THREAD_PREFIX)


if hasattr(os, "register_at_fork"):     # a forked child has none of the parent's threads
    os.register_at_fork(after_in_child=_thread_pool.cache_clear)


def hann_window(n_fft: int, win_length: int | None = None, xp=np, dtype=None):
    """Periodic Hann window of ``win_length`` samples, zero-padded to ``n_fft`` at the centre.

    Cached per (sizes, device, dtype); do not modify the returned array in place.
    """
    dtype = np.dtype(dtype or backend.float_dtype()).name
    return _hann_window(n_fft, win_length or n_fft, xp, dtype)


@functools.lru_cache(maxsize=64)
def _hann_window(n_fft: int, win_length: int, xp, dtype: str):
    if not 0 < win_length <= n_fft:
        raise ValueError(f"win_length={win_length} must lie in 1..n_fft={n_fft}")
    k = np.arange(win_length)
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * k / win_length)
    left = (n_fft - win_length) // 2
    padded = np.zeros(n_fft)
    padded[left:left + win_length] = window
    return constant(padded, xp, dtype)


def constant(host_array, xp, dtype):
    """A filterbank/window computed on the host, as a read-only ``dtype`` array of ``xp``.

    Helpers that build such constants are ``functools.lru_cache``-d on ``(parameters, xp,
    dtype)``, so each device keeps its own copy.
    """
    host_array = np.ascontiguousarray(host_array, dtype=dtype)
    if xp is np:
        host_array.setflags(write=False)
        return host_array
    return xp.asarray(host_array)


def as_signal(y, name: str = "audio", check_finite: bool = True):
    """``y`` as a floating array of the dtype policy (float32 unless float64 was asked for).

    Keeps the array on its device; raises ``ValueError`` for empty input, and for non-finite
    input unless ``check_finite=False`` (the caller then checks, see
    :func:`check_finite_samples`).
    """
    xp = backend.array_module(y)
    y = xp.asarray(y, dtype=backend.float_dtype())
    if y.ndim == 0 or y.shape[-1] == 0:
        raise ValueError(f"{name} is empty: expected samples along the last axis, got shape {y.shape}")
    if check_finite:
        check_finite_samples(y, name)
    return y


def check_finite_samples(y, name: str = "audio") -> None:
    """``ValueError`` naming ``name`` when ``y`` holds a NaN or an infinity."""
    if not _all_finite(y):
        raise ValueError(f"{name} contains NaN or infinite samples")


def _all_finite(y) -> bool:
    """True when no sample is NaN or infinite. A NaN or an infinity makes the sum of squares
    non-finite, which one BLAS dot finds without a mask array; only when that sum overflows
    (or is non-finite) are the samples checked one by one."""
    xp = backend.array_module(y)
    flat = y.reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        sum_of_squares = xp.dot(flat, flat)
    return bool(xp.isfinite(sum_of_squares)) or bool(xp.isfinite(y).all())
