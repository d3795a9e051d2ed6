"""The CuPy stand-in knows CuPy's namespace (issue 22, part 3): it offers only the names both
CuPy 13 and CuPy 14 have (lists generated from CuPy's source by
``tests/cupy_standin/make_names.py``), and that script reads what it should from a CuPy clone.
"""
import importlib
import inspect
import subprocess
import sys
import types
from pathlib import Path

import pytest

STANDIN = Path(__file__).resolve().parent / "cupy_standin"
sys.path.insert(0, str(STANDIN))
import make_names  # noqa: E402  (tests/cupy_standin is not a package)

sys.path.remove(str(STANDIN))


@pytest.mark.parametrize("namespace, name", [
    ("cupy", "errstate"), ("cupy", "busday_count"), ("cupy", "matrix"), ("cupy", "int0"),
    ("cupy.ndarray", "byteswap"), ("cupy.ndarray", "getfield"), ("cupy.linalg", "multi_dot"),
    ("cupyx.scipy.special", "airy"), ("cupyx.scipy.ndimage", "distance_transform_bf")])
def test_the_standin_refuses_a_name_cupy_13_or_14_lacks(device_syncs, namespace, name):
    import cupy

    owner = cupy.arange(3.0) if namespace == "cupy.ndarray" else \
        importlib.import_module(namespace)
    with pytest.raises(AttributeError, match=f"{name}.*CuPy 13 or 14.*names_cupy13.txt"):
        getattr(owner, name)


def test_the_standin_offers_the_names_both_have(device_syncs):
    import cupy
    import cupyx.scipy.ndimage
    import cupyx.scipy.special

    x = cupy.arange(6.0)
    assert float(cupy.sum(x)) == 15.0 and cupy.searchsorted(x, 2.5).dtype.kind == "i"
    assert x.argpartition(2).shape == (6,) and cupy.linalg.norm(x).shape == ()
    assert cupyx.scipy.special.erf(x).shape == (6,)
    assert cupyx.scipy.ndimage.uniform_filter1d(x, 3).shape == (6,)
    assert cupy.float32 is not None and cupy.newaxis is None
    assert cupy.argpartition(cupy.asarray([1.0, 0.0, 1.0, 0.0]), 1).tolist() == [1, 3, 0, 2]


def _defined(module):
    """Public names a stand-in module defines itself (not what it imports from elsewhere)."""
    names = set()
    for name, value in vars(module).items():
        if name.startswith("_") or name == "annotations" or isinstance(value, types.ModuleType):
            continue
        home = getattr(value, "__module__", module.__name__)
        if home == module.__name__ or not callable(value):
            names.add(name)
    return names


def test_every_name_the_standin_defines_is_one_cupy_13_and_14_have(device_syncs):
    import cupy
    from cupy import _names

    modules = ["cupy", "cupy.fft", "cupy.linalg", "cupy.random", "cupyx.scipy.fft",
               "cupyx.scipy.signal", "cupyx.scipy.sparse", "cupyx.scipy.special",
               "cupyx.scipy.ndimage"]
    extra = {}
    for dotted in modules:
        module = importlib.import_module(dotted)
        own = _defined(module) - {"standin"}            # the stand-in's own handle
        if dotted == "cupy":
            own |= {name for name in ("fft", "linalg", "random", "cuda", "lib")
                    if hasattr(module, name)}
        extra[dotted] = sorted(own - _names.NAMES[dotted])
    methods = {name for name, _ in inspect.getmembers(cupy.random.Generator, callable)
               if not name.startswith("_")}
    extra["cupy.random.Generator"] = sorted(methods - _names.NAMES["cupy.random.Generator"])
    methods = {name for name in vars(cupy.ndarray) if not name.startswith("_")}
    extra["cupy.ndarray"] = sorted(methods - _names.NAMES["cupy.ndarray"])
    assert not any(extra.values()), extra


# -- make_names.py on a small CuPy-shaped repository --------------------------------------------
FILES = {
    "cupy/__init__.py": '''from __future__ import annotations
import numpy as _numpy
from cupy import fft  # NOQA
from cupy._core import ndarray
from cupy.lib._shape_base import apply_along_axis
from numpy import float32
if _numpy.__version__ < "2":
    from numpy import float_
else:
    only_on_numpy2 = 1
PINF = Inf = 1
{release_specific}
def asnumpy(a):
    return a
_deprecated_apis = ["int0"]
def __getattr__(name):
    if name in _deprecated_apis:
        return 0
    raise AttributeError(name)
''',
    "cupy/_core/core.pyx": '''cdef class _ndarray_base:
    def sum(self, axis=None):
        pass
    cpdef _private(self):
        pass
    property shape:
        def __get__(self):
            pass

class ndarray(_ndarray_base):
    def get(self):
        pass
''',
    "cupy/_core/core.pxd": '''cdef class _ndarray_base:
    cdef:
        readonly object dtype
        public object _shape
''',
    "cupy/fft/__init__.py": "from cupy.fft._fft import rfft  # NOQA\n",
    "cupy/linalg/__init__.py": "from cupy.linalg._norms import norm\n",
    "cupy/random/__init__.py": '''def default_rng(seed=None):
    pass
def __getattr__(key):
    if key == "Generator":
        return 1
''',
    "cupy/random/_generator_api.pyx": '''class Generator:
    def __init__(self, bit_generator):
        pass
    def random(self, size=None):
        pass
    def integers(self, low, high=None):
        pass
''',
    "cupyx/scipy/fft/__init__.py": "from cupyx.scipy.fft._fft import (\n    fft, rfft)\n",
    "cupyx/scipy/signal/__init__.py": ("from cupyx.scipy.signal._czt import *  # NOQA\n"
                                       "from cupyx.scipy.signal._sg import savgol_filter\n"),
    "cupyx/scipy/signal/_czt.py": "__all__ = ['czt']\ndef czt():\n    pass\ndef helper():\n"
                                  "    pass\n",
    "cupyx/scipy/sparse/__init__.py": "from cupyx.scipy.sparse._csr import csr_matrix\n",
    "cupyx/scipy/special/__init__.py": "from cupyx.scipy.special._erf import erf\n",
    "cupyx/scipy/ndimage/__init__.py": "from cupyx.scipy.ndimage._f import uniform_filter1d\n",
}


def _tag(repo, tag, release_specific):
    for path, text in FILES.items():
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text.replace("{release_specific}", release_specific))
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(git + ["add", "-A"], check=True, capture_output=True)
    subprocess.run(git + ["commit", "-q", "-m", tag], check=True, capture_output=True)
    subprocess.run(git + ["tag", tag], check=True, capture_output=True)


def test_make_names_lists_what_every_release_of_a_major_has(tmp_path, capsys):
    repo = tmp_path / "cupy"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    _tag(repo, "v13.0.0", "gone_in_13_1 = 1")
    _tag(repo, "v13.1.0", "new_in_13_1 = 1")
    _tag(repo, "v13.2.0rc1", "")                                # not a release: ignored
    _tag(repo, "v14.0.0", "only_in_14 = 1")
    assert make_names.main([str(repo / ".git"), "13"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Public names of CuPy 13: those every release has "
                          "(v13.0.0, v13.1.0).")
    names = {tuple(line.split()) for line in out.splitlines() if not line.startswith("#")}
    assert names == {
        ("cupy", name) for name in ("fft", "ndarray", "lib", "apply_along_axis", "float32",
                                    "float_", "only_on_numpy2", "PINF", "Inf", "asnumpy",
                                    "int0")} | {
        ("cupy.ndarray", "sum"), ("cupy.ndarray", "shape"), ("cupy.ndarray", "get"),
        ("cupy.ndarray", "dtype"), ("cupy.fft", "rfft"), ("cupy.linalg", "norm"),
        ("cupy.random", "default_rng"), ("cupy.random", "Generator"),
        ("cupy.random.Generator", "random"), ("cupy.random.Generator", "integers"),
        ("cupyx.scipy.fft", "fft"), ("cupyx.scipy.fft", "rfft"),
        ("cupyx.scipy.signal", "czt"), ("cupyx.scipy.signal", "savgol_filter"),
        ("cupyx.scipy.sparse", "csr_matrix"), ("cupyx.scipy.special", "erf"),
        ("cupyx.scipy.ndimage", "uniform_filter1d")}
    with pytest.raises(SystemExit, match="no release tag v15"):
        make_names.main([str(repo / ".git"), "15"])


def test_the_committed_lists_are_the_scripts_output_format():
    for major in (13, 14):
        lines = (STANDIN / f"names_cupy{major}.txt").read_text().splitlines()
        assert lines[0].startswith(f"# Public names of CuPy {major}: those every release has")
        pairs = [line.split() for line in lines if not line.startswith("#")]
        assert all(len(pair) == 2 for pair in pairs) and pairs == sorted(
            pairs, key=lambda p: ([ns for ns, _ in make_names.NAMESPACES].index(p[0]), p[1]))
        assert ["cupyx.scipy.signal", "savgol_filter"] in pairs
