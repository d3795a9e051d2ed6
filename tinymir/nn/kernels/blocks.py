"""Cache-sized blocks of the batch, for memory-bound layers on the CPU.

A max pool passes arrays between its 1-D stages, BatchNorm makes several passes over the
normalised values once it has the batch statistics, the LSTM's backward computes its local
derivatives step by step. On the whole batch each of those passes goes to main memory (for
the first layers of CNN-3, 67-272 MB per pass at batch 128); on blocks of a few samples at a
time the later passes find their data in cache. On a GPU the batch is one block.

The gain is measured by ``bench/nn_cpu_seconds.py`` (CPU seconds per training step of the
CNN-3 of ``bench/bench_nn.py``, compared before and after a change).
"""
from __future__ import annotations

from tinymir import backend

#: Bytes of input per block on the CPU: a few MB, well inside the last-level cache (blocks of
#: 1-4 MB were compared on the first pool of CNN-3 with ``bench/nn_cpu_seconds.py``).
CPU_BLOCK_BYTES = 4 * 2 ** 20


def batch_blocks(n: int, bytes_per_sample: int, xp) -> list[slice]:
    """Blocks of samples of about ``CPU_BLOCK_BYTES`` on the CPU, the whole batch on a GPU."""
    return backend.cpu_blocks(n, bytes_per_sample, CPU_BLOCK_BYTES, xp)
