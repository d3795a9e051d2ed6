"""Cache-sized runs over the batch, for memory-bound layers on the CPU.

A max pool passes arrays between its 1-D stages, BatchNorm makes several passes over the
normalised values once it has the batch statistics. On the whole batch each of those passes
goes to main memory (for CNN-3's first block, 67-272 MB per pass); on runs of a few samples
at a time the later passes find their data in cache. On a GPU the batch is one run.
"""
from __future__ import annotations

from tinymir import backend

#: Bytes of input per run on the CPU: a few MB, well inside the last-level cache. (For the
#: first pool of CNN-3, 1-4 MB runs take about two thirds of the whole-batch time.)
CPU_CHUNK_BYTES = 4 * 2 ** 20


def batch_chunks(n: int, bytes_per_sample: int, xp) -> list[slice]:
    """Runs of samples of about ``CPU_CHUNK_BYTES`` on the CPU, the whole batch on a GPU."""
    return backend.cpu_blocks(n, bytes_per_sample, CPU_CHUNK_BYTES, xp)
