"""Shared test fixtures.

The device under test follows ``TINYMIR_DEVICE`` (``TINYMIR_DEVICE=gpu pytest`` runs the same
suite on CuPy). Tests that read ``../shared/data`` are marked ``shared_data`` and skip cleanly
when it is absent, so CI on a clean clone needs nothing but what the tests generate.
"""
from pathlib import Path

import numpy as np
import pytest

from tinymir import backend

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def pytest_configure(config):
    backend.set_device(None)


def pytest_report_header(config):
    return f"tinymir device: {backend.get_device()} (TINYMIR_DEVICE to change)"


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
