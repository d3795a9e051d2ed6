"""The backend: device choice, transfers, dtype policy, seeding, and the cupy import rule."""
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tinymir import backend
from tinymir.cli.main import main

PACKAGE = Path(backend.__file__).resolve().parent


@pytest.fixture
def restore_device():
    with backend.using_device(None):
        yield


def test_nothing_but_the_backend_imports_cupy():
    pattern = re.compile(r"^\s*(import cupy|from cupy|import cupyx|from cupyx)", re.M)
    offenders = [str(p) for p in PACKAGE.rglob("*.py")
                 if p.name != "backend.py" and pattern.search(p.read_text())]
    assert offenders == []


def test_cpu_device_gives_numpy(restore_device):
    assert backend.set_device("cpu") == "cpu"
    assert backend.xp() is np
    x = backend.to_device([1.0, 2.0], dtype=np.float32)
    assert isinstance(x, np.ndarray) and x.dtype == np.float32
    assert backend.array_module(x) is np


def test_unknown_device_is_a_clear_error(restore_device):
    with pytest.raises(backend.DeviceError, match="unknown device 'tpu'"):
        backend.set_device("tpu")


@pytest.fixture
def without_cupy(monkeypatch):
    """A process where ``import cupy`` fails, whatever this machine has."""
    monkeypatch.setitem(sys.modules, "cupy", None)


def test_gpu_without_cupy_or_gpu_is_a_clear_error(restore_device, without_cupy):
    assert not backend.gpu_available()
    with pytest.raises(backend.DeviceError, match="CuPy|GPU|CUDA"):
        backend.set_device("gpu")


def test_auto_falls_back_to_cpu_without_a_gpu(restore_device):
    expected = "gpu" if backend.gpu_available() else "cpu"
    assert backend.set_device("auto") == expected


def test_environment_variable_chooses_the_device(monkeypatch, restore_device):
    monkeypatch.setenv("TINYMIR_DEVICE", "cpu")
    assert backend.set_device(None) == "cpu"


def test_round_trip_to_device_and_host(xp):
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    on_device = backend.to_device(host)
    assert backend.array_module(on_device) is xp
    np.testing.assert_array_equal(backend.to_host(on_device), host)


def test_dtype_policy_defaults_to_float32_and_switches_in_a_block():
    assert backend.float_dtype() is np.float32
    with backend.default_dtype(np.float64):
        assert backend.float_dtype() is np.float64
    assert backend.float_dtype() is np.float32
    with pytest.raises(ValueError, match="float32 or float64"):
        backend.set_default_dtype(np.int32)


def test_seeded_generators_repeat():
    a = backend.to_host(backend.rng(7).standard_normal(5))
    b = backend.to_host(backend.rng(7).standard_normal(5))
    c = backend.to_host(backend.rng(8).standard_normal(5))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_cli_info_and_version():
    runner = CliRunner()
    result = runner.invoke(main, ["info"])
    assert result.exit_code == 0, result.output
    for key in ("tinymir", "numpy", "scipy", "soundfile", "click", "cupy", "matplotlib", "dask",
                "threadpoolctl", "onnxruntime", "device"):
        assert re.search(rf"^{key}\s", result.output, re.M), result.output
    import tinymir
    assert re.search(rf"^tinymir\s+{re.escape(tinymir.__version__)}$", result.output, re.M)
    version = runner.invoke(main, ["--version"])
    assert version.exit_code == 0 and "tinymir, version" in version.output


def test_cli_gpu_request_without_gpu_is_one_line(restore_device, without_cupy):
    result = CliRunner().invoke(main, ["--device", "gpu", "info"])
    assert result.exit_code != 0
    assert "Error:" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("other", ["cpu", "auto"])
def test_the_cli_leaves_the_process_on_the_device_it_found(other):
    """tests run the CLI in-process: a ``--device`` given to one command must not outlive it
    (the autouse fixture ``device_under_test`` checks the same after every test)."""
    asked = backend.get_device()
    result = CliRunner().invoke(main, ["--device", other, "info"])
    assert result.exit_code == 0, result.output
    assert backend.get_device() == asked
    failed = CliRunner().invoke(main, ["--device", other, "train", "/nonexistent/folder"])
    assert failed.exit_code != 0 and backend.get_device() == asked


def test_using_device_restores_the_request_even_on_error():
    asked = backend.get_device()
    with pytest.raises(RuntimeError):
        with backend.using_device("cpu"):
            assert backend.xp() is np
            raise RuntimeError("inside")
    assert backend.get_device() == asked


def test_a_too_old_cupy_is_one_clear_error(monkeypatch):
    fake = type(sys)("cupy")
    fake.__version__ = "12.3.0"
    monkeypatch.setitem(sys.modules, "cupy", fake)
    with pytest.raises(backend.DeviceError, match=r"CuPy 12.3.0 is too old: tinymir needs CuPy 13"):
        backend.set_device("gpu")
    assert not backend.gpu_available()
