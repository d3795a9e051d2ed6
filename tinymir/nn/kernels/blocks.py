"""Cache-sized blocks of the batch, for memory-bound layers on the CPU.

A max pool passes arrays between its 1-D stages, BatchNorm makes several passes over the
normalised values once it has the batch statistics, the LSTM's backward computes its local
derivatives step by step. On the whole batch each of those passes goes to main memory (for
the first layers of CNN-3, 67-272 MB per pass at batch 128); on blocks of a few samples at a
time the later passes find their data in cache. On a GPU the batch is one block.

Three shapes of block, by what the layer's sums need:

- :func:`batch_blocks`: whole samples (a convolution's per-sample products, the LSTM's steps);
- :func:`tiles`: whole samples while one fits the budget, otherwise each sample cut along an
  axis the layer's sums allow (a pool's channels, batch norm's positions): one sample of
  crnn's first map is 30 MB, seven times the budget;
- :func:`element_blocks`: any run of elements of the flattened batch (element-wise layers).

The gain is measured by ``bench/nn_cpu_seconds.py`` (CPU seconds per training step of the
CNN-3 of ``bench/bench_nn.py``, compared before and after a change) and by
``bench/nn_layer_profile.py --zoo crnn`` (the tiles).
"""
from __future__ import annotations

import math

import numpy as np

from tinymir import backend

#: Bytes of input per block on the CPU: a few MB, well inside the last-level cache (blocks of
#: 1-4 MB were compared on the first pool of CNN-3 with ``bench/nn_cpu_seconds.py``).
CPU_BLOCK_BYTES = 4 * 2 ** 20


def batch_blocks(n: int, bytes_per_sample: int, xp) -> list[slice]:
    """Blocks of samples of about ``CPU_BLOCK_BYTES`` on the CPU, the whole batch on a GPU."""
    return backend.cpu_blocks(n, bytes_per_sample, CPU_BLOCK_BYTES, xp)


def element_blocks(count: int, bytes_per_element: int, xp) -> list[slice]:
    """Blocks of ``count`` elements of about ``CPU_BLOCK_BYTES`` on the CPU (one block on a
    GPU), for element-wise passes over a flattened batch."""
    return backend.cpu_blocks(count, bytes_per_element, CPU_BLOCK_BYTES, xp)


def tiles(shape: tuple, itemsize: int, axis: int, xp) -> list[tuple]:
    """Cache-sized pieces of an (N, ...) array of ``shape`` as index tuples.

    While one sample fits ``CPU_BLOCK_BYTES``, the pieces are :func:`batch_blocks` (blocks of
    whole samples). Otherwise each sample is cut along ``axis`` (> 0) into runs of about
    ``CPU_BLOCK_BYTES``: pieces ``(slice(n, n + 1), :, ..., run)``. On a GPU there is one
    piece, the whole batch.

    Parameters
    ----------
    shape : tuple
        Shape (N, ...) of the array.
    itemsize : int
        Bytes per element.
    axis : int
        The axis a sample may be cut along (one whose cells the layer treats independently,
        or sums over).
    xp : module
        The array module in use.
    """
    n, per_sample = shape[0], itemsize * math.prod(shape[1:])
    if xp is not np or per_sample <= CPU_BLOCK_BYTES or shape[axis] < 2:
        return [(block,) for block in batch_blocks(n, per_sample, xp)]
    lead = (slice(None),) * (axis - 1)
    runs = backend.cpu_blocks(shape[axis], per_sample // shape[axis], CPU_BLOCK_BYTES, xp)
    return [(slice(sample, sample + 1),) + lead + (run,) for sample in range(n) for run in runs]
