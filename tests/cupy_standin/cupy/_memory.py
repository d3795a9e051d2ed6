"""The stand-in's memory pools and out-of-memory error, as bookkeeping only.

A CuPy ``MemoryPool`` keeps freed blocks for reuse, binned by size, so arrays of many different
sizes (tracks of many lengths) leave it holding more and more device memory until
``free_all_blocks()``. The stand-in models that: every array an operation creates reserves a
block of its (rounded) size, one per distinct size, and the pool's ``total_bytes()`` is their
sum. It cannot see when an array dies, so it counts every block as free between calls
(``free_bytes() == total_bytes()``, ``used_bytes() == 0``). ``set_limit(size=...)`` makes an
allocation that would pass the limit raise :class:`OutOfMemoryError`, as CuPy does.
"""
from __future__ import annotations

ROUND = 512


class OutOfMemoryError(MemoryError):
    """cupy.cuda.memory.OutOfMemoryError(size, total, limit)."""

    def __init__(self, size, total, limit=0):
        self.size, self.total, self.limit = size, total, limit
        super().__init__(f"Out of memory allocating {size:,} bytes "
                         f"(allocated so far: {total:,} bytes, limit set to: {limit:,} bytes).")


class MemoryPool:
    def __init__(self):
        self._blocks: set[int] = set()
        self._limit = 0
        self.frees = 0

    def malloc(self, nbytes: int) -> None:
        size = -(-nbytes // ROUND) * ROUND
        if size in self._blocks:
            return
        if self._limit and self.total_bytes() + size > self._limit:
            raise OutOfMemoryError(size, self.total_bytes(), self._limit)
        self._blocks.add(size)

    def used_bytes(self) -> int:
        return 0

    def total_bytes(self) -> int:
        return sum(self._blocks)

    def free_bytes(self) -> int:
        return self.total_bytes()

    def free_all_blocks(self, stream=None) -> None:
        self._blocks.clear()
        self.frees += 1

    def set_limit(self, size=None, fraction=None) -> None:
        self._limit = int(size or 0)

    def get_limit(self) -> int:
        return self._limit


_pool, _pinned = MemoryPool(), MemoryPool()


def get_default_memory_pool() -> MemoryPool:
    return _pool


def get_default_pinned_memory_pool() -> MemoryPool:
    return _pinned
