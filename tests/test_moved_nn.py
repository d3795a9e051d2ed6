"""Names of tinymir.nn that moved keep working with a warning that says where they went
(issue 23: every speed trick of nn in nn/kernels, one name "block" for cache-sized pieces)."""
import importlib

import pytest

#: (old module, old name, new module, new name)
MOVED = [
    ("tinymir.nn.chunks", "batch_chunks", "tinymir.nn.kernels.blocks", "batch_blocks"),
    ("tinymir.nn.chunks", "CPU_CHUNK_BYTES", "tinymir.nn.kernels.blocks", "CPU_BLOCK_BYTES"),
] + [("tinymir.nn.conv", name, "tinymir.nn.kernels.conv", name) for name in (
    "conv2d_forward", "conv2d_backward", "split_kernel_bias", "GPU_COLUMNS_SHARE",
    "conv2d_forward_gemm", "conv2d_backward_gemm", "full_correlation_grad")]


@pytest.mark.parametrize("old_module, old_name, new_module, new_name", MOVED)
def test_an_old_name_warns_and_gives_the_new_object(old_module, old_name, new_module, new_name):
    old = importlib.import_module(old_module)
    with pytest.warns(DeprecationWarning, match=f"{old_name} moved to {new_module}.{new_name}"):
        found = getattr(old, old_name)
    assert found is getattr(importlib.import_module(new_module), new_name)


def test_the_old_chunks_module_sends_every_other_name_to_blocks():
    from tinymir.nn import chunks
    from tinymir.nn.kernels import blocks
    with pytest.warns(DeprecationWarning,
                      match="tinymir.nn.chunks moved to tinymir.nn.kernels.blocks"):
        assert chunks.backend is blocks.backend
    with pytest.raises(AttributeError, match="moved to tinymir.nn.kernels.blocks"):
        chunks.no_such_name


def test_the_layers_still_import_from_their_modules():
    from tinymir.nn import conv, recurrent, sequential
    assert conv.Conv2D.__module__ == "tinymir.nn.conv"
    assert recurrent.LSTM.__module__ == "tinymir.nn.recurrent"
    assert sequential.Sequential.__module__ == "tinymir.nn.sequential"
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        conv.no_such_name
