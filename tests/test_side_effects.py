"""Importing tinymir, choosing a device, computing features (threaded blocks, worker processes)
and drawing a report change nothing outside tinymir: the environment, matplotlib's backend,
BLAS thread limits and glibc's malloc settings stay as the user left them. Only the ``tinymir``
command opts in to :func:`backend.keep_freed_memory`.

Each check runs in a fresh interpreter, so that nothing this test session did earlier counts.
"""
import subprocess
import sys
import textwrap

import pytest

SPIES = """
import ctypes, os, sys
import click, numpy, scipy.fft, scipy.linalg, scipy.signal, soundfile   # dependencies' own doings
writes, mallopt_calls = [], []
os.putenv = lambda key, value: writes.append(("set", key))    # os.environ writes call these
os.unsetenv = lambda key: writes.append(("unset", key))


class SpyCDLL(ctypes.CDLL):
    def __getattr__(self, name):
        if name == "mallopt":
            mallopt_calls.append(name)
        return super().__getattr__(name)


ctypes.CDLL = SpyCDLL
environ_before = dict(os.environ)
"""


def run_python(code: str, tmp_path) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(SPIES) + textwrap.dedent(code)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_import_and_device_choice_touch_nothing(tmp_path):
    out = run_python("""
        import importlib, pkgutil
        import tinymir
        for module in pkgutil.walk_packages(tinymir.__path__, "tinymir."):
            importlib.import_module(module.name)
        from tinymir import backend
        for device in ("cpu", "auto", None):
            backend.set_device(device)
        backend.xp()
        assert not writes, writes
        assert dict(os.environ) == environ_before
        assert not mallopt_calls and not backend._malloc_tuned
        print("modules imported:", len(sys.modules))
    """, tmp_path)
    assert "modules imported" in out


def test_features_on_threads_and_in_worker_processes_touch_nothing(tmp_path):
    pytest.importorskip("threadpoolctl")
    out = run_python("""
        import numpy as np, soundfile, threadpoolctl
        from tinymir import backend
        from tinymir.data.cache import FeatureCache
        from tinymir.features import FeatureParams, mfcc
        from tinymir import threads
        from tinymir.features.kernels import blocks
        def limits():
            return [(lib["prefix"], lib["num_threads"]) for lib in threadpoolctl.threadpool_info()]
        limits_before = limits()
        threads.CPU_THREADS = 2                       # threaded blocks even on one core
        blocks.CPU_BLOCK_BYTES = 64 * 1024           # many blocks
        y = np.random.default_rng(0).standard_normal((2, 22050 * 3)).astype(np.float32)
        assert np.isfinite(mfcc(y, 22050)).all()
        for i in range(2):
            soundfile.write(f"clip{i}.wav", y[i], 22050)
        report = FeatureCache("cache", FeatureParams(kind="mfcc")).build(
            ["clip0.wav", "clip1.wav"], jobs=2, progress=False)
        assert report.done == 2, report.summary()
        limits_after = limits()
        assert limits_after == limits_before, (limits_before, limits_after)
        assert not writes, writes
        assert dict(os.environ) == environ_before
        assert not mallopt_calls
        print("blas", limits_before)
    """, tmp_path)
    assert "blas" in out


def test_reports_draw_without_switching_the_matplotlib_backend(tmp_path):
    pytest.importorskip("matplotlib")
    run_python("""
        import matplotlib
        matplotlib.use("svg")
        from tinymir.train import report
        report.plot_curves("curves.png", [{"epoch": 1, "loss": 1.0, "acc": 0.5},
                                          {"epoch": 2, "loss": 0.5, "acc": 0.7}])
        report.plot_confusion("confusion.png", [[3, 1], [0, 4]], ["a", "b"])
        assert matplotlib.get_backend() == "svg", matplotlib.get_backend()
        assert "matplotlib.pyplot" not in sys.modules
        assert os.path.getsize("curves.png") > 1000 and os.path.getsize("confusion.png") > 1000
    """, tmp_path)


def test_the_command_line_opts_in_to_keeping_freed_memory(tmp_path):
    out = run_python("""
        import platform
        from click.testing import CliRunner
        from tinymir.cli.main import main
        result = CliRunner().invoke(main, ["--device", "cpu", "info"])
        assert result.exit_code == 0, result.output
        glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
        malloc_env = any(k.startswith("MALLOC_") for k in os.environ)
        print("mallopt", bool(mallopt_calls), "expected", glibc and not malloc_env)
    """, tmp_path)
    called, expected = out.split()[1], out.split()[3]
    assert called == expected
