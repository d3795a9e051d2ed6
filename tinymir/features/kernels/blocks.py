"""Blocks of frames: cache-sized on the CPU and shared among threads, all at once on a GPU.

A long batch is transformed in blocks of frames that span every clip (:func:`frame_blocks`):
each block's temporaries stay in cache, so no whole-batch temporary is allocated and walked
between two steps. On the CPU the blocks are shared among the cores
(:func:`tinymir.threads.for_each_block`). ``bench/bench_features.py`` measures the gain
against librosa (one thread) and records ``tinymir.threads.CPU_THREADS``.
"""
from __future__ import annotations

from tinymir import backend, moved

__getattr__ = moved.names(__name__, {
    name: "tinymir.threads"
    for name in ("CPU_THREADS", "for_each_block", "use_one_thread", "single_threaded_blas")})

#: Frames processed together on the CPU (all clips of the batch, a block of frames): small
#: enough to stay in cache, so no whole-batch temporary is allocated and walked between steps.
CPU_BLOCK_BYTES = 2 * 2 ** 20


def frame_blocks(count: int, bytes_per_frame: int, xp) -> list[slice]:
    """Blocks of ``count`` frames to transform together: cache-sized on the CPU (a loop over a
    few dozen blocks, not over frames), all frames at once on a GPU."""
    return backend.cpu_blocks(count, bytes_per_frame, CPU_BLOCK_BYTES, xp)


def frame_blocks_of(frames_major) -> list[slice]:
    """:func:`frame_blocks` for a frame-major array ``(..., n_frames, width)``."""
    count = frames_major.shape[-2]
    return frame_blocks(count, frames_major.nbytes // max(1, count),
                        backend.array_module(frames_major))
