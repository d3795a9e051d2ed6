"""Shared test fixtures.

The device under test follows ``TINYMIR_DEVICE`` (``TINYMIR_DEVICE=gpu pytest`` runs the same
suite on CuPy). Without CuPy installed, ``TINYMIR_DEVICE=gpu`` runs it on the strict CuPy
stand-in of ``tests/cupy_standin`` (``TINYMIR_CUPY_STANDIN=1`` forces it, ``0`` forbids it).
Every test must end on the device the run asked for (:func:`device_under_test`). Tests that
read ``../shared/data`` are marked ``shared_data`` and skip cleanly when it is absent, so CI on
a clean clone needs nothing but what the tests generate. The tests of :data:`DEVICE_SUBSET` are
marked ``device``: ``bench/gpu_check.sh`` runs them (``pytest -m device``) on a real GPU, where
the whole suite would not fit its 12 minutes.
"""
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from tinymir import backend

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
STANDIN = Path(__file__).resolve().parent / "cupy_standin"
RUN_DEVICE = {}          # what the run asked for: {"requested": ..., "resolved": ...}
#: the test files of the device subset (marker ``device``): every layer, loss and optimiser,
#: the feature chain and its inverse, the classical models, the device path's own checks
DEVICE_SUBSET = {
    "test_backend.py", "test_device.py", "test_device_review.py", "test_float32_run.py",
    "test_cupy_standin.py", "test_nn_model.py", "test_nn_optim.py", "test_nn_reference.py",
    "test_nn_torch.py", "test_torch_reference.py", "test_features_spectrum.py",
    "test_features_inverse.py", "test_classic_models.py"}


def _standin_wanted() -> bool:
    forced = os.environ.get("TINYMIR_CUPY_STANDIN")
    if forced is not None:
        return forced == "1"
    asked = (os.environ.get(backend.ENV_VAR) or "").strip().lower()
    return asked == "gpu" and importlib.util.find_spec("cupy") is None


def put_standin_in_place() -> None:
    """Make ``import cupy`` / ``import cupyx`` find the stand-in, here and in the processes the
    tests start (through PYTHONPATH)."""
    sys.path.insert(0, str(STANDIN))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(STANDIN), os.environ.get("PYTHONPATH")]))


def standin_in_use() -> bool:
    """True when the device under test is the stand-in (not a real GPU, not the CPU)."""
    cupy = sys.modules.get("cupy")
    return backend.get_device() == "gpu" and hasattr(cupy, "standin")


def pytest_configure(config):
    config.addinivalue_line("markers", "device: the subset bench/gpu_check.sh runs on a GPU")
    if _standin_wanted():
        put_standin_in_place()
    requested = (os.environ.get(backend.ENV_VAR) or "auto").strip().lower()
    RUN_DEVICE.update(requested=requested, resolved=backend.set_device(None))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in DEVICE_SUBSET:
            item.add_marker(pytest.mark.device)


def pytest_report_header(config):
    standin = " (the CuPy stand-in, tests/cupy_standin)" if standin_in_use() else ""
    return f"tinymir device: {backend.get_device()}{standin} (TINYMIR_DEVICE to change)"


@pytest.fixture(autouse=True)
def device_under_test():
    """Every test runs on the device the run asks for and leaves it so."""
    assert backend.get_device() == RUN_DEVICE["resolved"]
    yield
    left = backend.get_device()
    if left != RUN_DEVICE["resolved"]:
        backend.set_device(RUN_DEVICE["requested"])
        pytest.fail(f"the test left the process on device {left!r}; the run asked for "
                    f"{RUN_DEVICE['resolved']!r}")


@pytest.fixture
def device_syncs():
    """The stand-in's count of device-to-host synchronisations, with this test on the stand-in
    (also in a CPU run: the stand-in is put in place for the test and removed after it)."""
    if backend.get_device() == "gpu" and not standin_in_use():
        pytest.skip("synchronisations are counted by the CuPy stand-in, not on a real GPU")
    added = "cupy" not in sys.modules
    if added:
        sys.path.insert(0, str(STANDIN))
    try:
        import cupy
        with backend.using_device("gpu"):
            yield cupy.standin.counter
    finally:
        if added:
            sys.path.remove(str(STANDIN))
            for name in [n for n in sys.modules if n.split(".")[0] in ("cupy", "cupyx")]:
                del sys.modules[name]


@pytest.fixture
def xp():
    """The array module of the device under test (numpy or cupy)."""
    return backend.xp()


@pytest.fixture
def shared_data():
    """Path to ``../shared/data``; skips the test when it is not there."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present (development data, not shipped)")
    return SHARED_DATA


@pytest.fixture
def rng():
    return np.random.default_rng(0)
