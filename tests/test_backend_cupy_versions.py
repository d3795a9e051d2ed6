"""tinymir runs on CuPy 13 and 14 (issue 22, part 6): both are accepted without a word, an older
one is one clear error (tests/test_backend.py), a newer major works with one warning."""
import sys
import types
import warnings

import pytest

from tinymir import backend


def _fake_cupy(version):
    fake = types.ModuleType("cupy")
    fake.__version__ = version
    fake.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 1))
    return fake


@pytest.mark.parametrize("version", ["13.0.0", "13.6.0", "14.0.0rc1", "14.2.0"])
def test_cupy_13_and_14_are_accepted_quietly(monkeypatch, version):
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(version))
    monkeypatch.setattr(backend, "_warned_newer", False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert backend._import_cupy().__version__ == version


def test_a_newer_cupy_works_with_one_warning(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy("15.0.1"))
    monkeypatch.setattr(backend, "_warned_newer", False)
    with pytest.warns(UserWarning, match=r"CuPy 15\.0\.1 is newer .* checked against "
                                         r"\(13 and 14\)"):
        backend._import_cupy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        backend._import_cupy()                      # once per process
