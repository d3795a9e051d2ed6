"""``cupy.cuda`` as far as tinymir uses it: one visible device, the null stream, the memory
module's OutOfMemoryError."""
from __future__ import annotations

import types

from . import _core, _memory


class CUDARuntimeError(RuntimeError):
    pass


class runtime:
    CUDARuntimeError = CUDARuntimeError

    @staticmethod
    def getDeviceCount() -> int:
        return 1

    @staticmethod
    def getDeviceProperties(device: int) -> dict:
        return {"name": b"CuPy stand-in (NumPy on the CPU)", "totalGlobalMem": 8 << 30}

    @staticmethod
    def runtimeGetVersion() -> int:
        return 12040


class Device:
    def __init__(self, device: int = 0):
        self.id = device

    @property
    def mem_info(self):
        total = 8 << 30
        return total - _memory.get_default_memory_pool().total_bytes(), total

    def synchronize(self) -> None:
        _core.counter.add("synchronize")

    def use(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class Stream:
    """A CUDA stream: ``synchronize()`` makes the host wait, counted as a synchronisation."""

    null: "Stream"

    def synchronize(self) -> None:
        _core.counter.add("synchronize")


Stream.null = Stream()
memory = types.SimpleNamespace(OutOfMemoryError=_memory.OutOfMemoryError,
                               MemoryPool=_memory.MemoryPool)
