"""Moved: cache-sized pieces of the batch are called blocks and live in
:mod:`tinymir.nn.kernels.blocks` (``batch_chunks`` is ``batch_blocks``, ``CPU_CHUNK_BYTES`` is
``CPU_BLOCK_BYTES``). The old names still work, with a warning."""
from tinymir import moved

_RENAMED = {"batch_chunks": "tinymir.nn.kernels.blocks:batch_blocks",
            "CPU_CHUNK_BYTES": "tinymir.nn.kernels.blocks:CPU_BLOCK_BYTES"}
_renamed = moved.names(__name__, _RENAMED)
_moved = moved.module(__name__, "tinymir.nn.kernels.blocks")


def __getattr__(name: str):
    return _renamed(name) if name in _RENAMED else _moved(name)
