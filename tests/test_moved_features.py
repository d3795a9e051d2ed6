"""The features' speed tricks moved to tinymir.features.kernels: their old names warn and say
where they went (tinymir.moved), and give the same object."""
import importlib

import pytest

_BLOCKS = "tinymir.features.kernels.blocks"

#: (old module, old name, new module, new name)
MOVED = [
    ("tinymir.features.frames", "PaddedFrames", "tinymir.features.kernels.padded", "PaddedFrames"),
    ("tinymir.features.frames", "CPU_BLOCK_BYTES", _BLOCKS, "CPU_BLOCK_BYTES"),
    ("tinymir.features.frames", "frame_blocks", _BLOCKS, "frame_blocks"),
    ("tinymir.features.frames", "frame_blocks_of", _BLOCKS, "frame_blocks_of"),
    ("tinymir.features.frames", "CPU_THREADS", "tinymir.threads", "CPU_THREADS"),
    (_BLOCKS, "CPU_THREADS", "tinymir.threads", "CPU_THREADS"),
    ("tinymir.features.frames", "for_each_block", "tinymir.threads", "for_each_block"),
    (_BLOCKS, "for_each_block", "tinymir.threads", "for_each_block"),
    ("tinymir.features.frames", "use_one_thread", "tinymir.threads", "use_one_thread"),
    (_BLOCKS, "use_one_thread", "tinymir.threads", "use_one_thread"),
    ("tinymir.features.frames", "single_threaded_blas", "tinymir.threads", "single_threaded_blas"),
    (_BLOCKS, "single_threaded_blas", "tinymir.threads", "single_threaded_blas"),
    ("tinymir.features.frames", "check_finite_samples", "tinymir.features.kernels.finite",
     "check_finite_samples"),
    ("tinymir.features.spectrum", "FFT_WORKERS", "tinymir.features.kernels.fft", "FFT_WORKERS"),
    ("tinymir.features.spectrum", "rfft", "tinymir.features.kernels.fft", "rfft"),
    ("tinymir.features.mel", "apply_filterbank", "tinymir.features.kernels.filterbank",
     "apply_filterbank"),
    ("tinymir.features.mel", "filter_blocks", "tinymir.features.kernels.filterbank",
     "filter_blocks"),
]

#: Moved, but still imported by the old module for its own use: no warning, the same object.
STILL_THERE = [
    ("tinymir.features.spectrum", "spectrum_blocks", "tinymir.features.kernels.spectrum"),
    ("tinymir.features.spectrum", "irfft", "tinymir.features.kernels.fft"),
]


@pytest.mark.parametrize("old_module, old_name, new_module, new_name", MOVED)
def test_an_old_name_warns_and_gives_the_new_object(old_module, old_name, new_module, new_name):
    old = importlib.import_module(old_module)
    with pytest.warns(DeprecationWarning, match=f"{old_name} moved to {new_module}.{new_name}"):
        found = getattr(old, old_name)
    assert found is getattr(importlib.import_module(new_module), new_name)


@pytest.mark.parametrize("old_module, name, new_module", STILL_THERE)
def test_a_name_the_old_module_still_uses_is_the_kernel_s(old_module, name, new_module):
    old = importlib.import_module(old_module)
    assert getattr(old, name) is getattr(importlib.import_module(new_module), name)


def test_the_plain_twin_imports_nothing_of_the_fast_path():
    from tinymir.features import reference
    source = open(reference.__file__).read()
    assert "tinymir" not in "".join(line for line in source.splitlines()
                                    if line.startswith(("import", "from")))
