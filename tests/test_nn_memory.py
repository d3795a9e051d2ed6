"""backend.keep_freed_memory (opt-in, the command line calls it): glibc's malloc keeps a
training step's big temporaries."""
import os
import platform
import resource

import numpy as np
import pytest

from tinymir import backend

glibc = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                           reason="mallopt is glibc's")


@glibc
def test_keeping_freed_memory_keeps_freed_blocks_mapped(monkeypatch):
    monkeypatch.setattr(backend, "_malloc_tuned", False)
    for name in [k for k in os.environ if k.startswith("MALLOC_")]:
        monkeypatch.delenv(name)
    assert backend.keep_freed_memory()          # what the tinymir command opts in to
    np.ones(50_000_000 // 4, dtype=np.float32)          # 50 MB, over glibc's default threshold
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(3):
        np.ones(50_000_000 // 4, dtype=np.float32)      # reuses the freed block: no new pages
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    # untuned, each fresh block faults its pages in again (about 1.4k faults with huge pages,
    # 36k without); tuned, the same heap block is reused
    assert faults < 100


def test_user_malloc_settings_are_left_alone(monkeypatch):
    monkeypatch.setattr(backend, "_malloc_tuned", False)
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    assert backend.keep_freed_memory() is False
