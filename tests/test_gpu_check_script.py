"""``bench/gpu_check.sh`` on the CPU: its dry run lists the steps in order, a run with a stand-in
Python calls them in that order and keeps pytest's exit status, and its GPU smoke test passes on
the CuPy stand-in and stops with one line where CuPy is missing."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "bench" / "gpu_check.sh"
STEPS = ["python", "venv", "cupy", "smoke", "install", "versions", "tests", "bench-features",
         "bench-nn"]

pytestmark = pytest.mark.skipif(shutil.which("bash") is None or shutil.which("timeout") is None,
                                reason="needs bash and coreutils' timeout")


def gpu_check(*args, env=None):
    return subprocess.run(["bash", str(SCRIPT), *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})},
                          check=False)


def commands(out):
    return [line[2:] for line in out.splitlines() if line.startswith("+ ")]


def first(lines, pattern):
    return next(i for i, line in enumerate(lines) if re.search(pattern, line))


def test_the_dry_run_prints_every_step_in_order_and_runs_nothing(tmp_path):
    result = gpu_check("--dry-run", env={"GPU_CHECK_LOG": str(tmp_path / "log.txt")})
    assert result.returncode == 0, result.stderr
    assert re.findall(r"^== step (\d)/9: (\S+)", result.stdout, re.MULTILINE) == [
        (str(n), name) for n, name in enumerate(STEPS, 1)]
    lines = commands(result.stdout)
    order = [first(lines, pattern) for pattern in (
        r"apt-get install .*python3-venv", r"-m venv \.venv-gpu",
        r"pip install -q 'cupy-cuda12x\[ctk\]>=14,<15' cuda-toolkit==12\.8\.1",
        r"-c <sum, matmul, rfft, random draw, savgol",
        r"pip install -q -e '\.\[test\]' torch==2\.10\.0 torchaudio==2\.10\.0",
        r"-m pip freeze", r"cupy\.show_config\(\)",
        r"-m pytest .*-m device$", r"bench_features\.py", r"bench_nn\.py --only cnn3")]
    assert order == sorted(order), order
    pytest_line = lines[order[7]]
    for setting in ("TINYMIR_DEVICE=gpu", "TINYMIR_CUPY_STANDIN=0", "NVIDIA_TF32_OVERRIDE=0",
                    "timeout "):
        assert setting in pytest_line
    assert not (REPO / ".venv-gpu").exists() and not (tmp_path / "log.txt").exists()


def test_cupy_13_takes_the_cuda_library_wheels_onto_the_library_path():
    lines = commands(gpu_check("--dry-run", "--cupy", "13").stdout)
    install = first(lines, r"'cupy-cuda12x>=13,<14' scipy 'cuda-toolkit\[cublas,cudart,cufft,"
                           r"curand,cusolver,cusparse,nvrtc,nvjitlink\]==12\.8\.1'")
    assert install < first(lines, r"export LD_LIBRARY_PATH=") < first(lines, r"-c <sum")


def test_the_whole_suite_on_request():
    lines = commands(gpu_check("--dry-run", "--full").stdout)
    assert lines[first(lines, "-m pytest")].endswith("--durations=15")


@pytest.mark.parametrize("args, message", [(["--cupy", "12"], "usage"),
                                           (["--step", "nope"], "no step 'nope'"),
                                           (["--frobnicate"], "usage")])
def test_wrong_arguments_are_one_line(args, message):
    result = gpu_check(*args)
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not result.stdout


@pytest.fixture
def fake_python(tmp_path):
    """A 'python' that logs its arguments and exits 7 when asked to run pytest."""
    log = tmp_path / "calls.txt"
    fake = tmp_path / "python"
    fake.write_text(f'#!/usr/bin/env bash\necho "$*" | head -c 120 >> {log}; echo >> {log}\n'
                    'case "$*" in *"-m pytest"*) exit 7 ;; esac\nexit 0\n')
    fake.chmod(0o755)
    return fake, log


def test_a_run_calls_the_steps_in_order_and_exits_with_pytests_status(tmp_path, fake_python):
    fake, log = fake_python
    result = gpu_check("--python", str(fake), env={"GPU_CHECK_LOG": str(tmp_path / "out.txt")})
    assert result.returncode == 7, result.stdout + result.stderr
    calls = log.read_text().splitlines()
    order = [first(calls, pattern) for pattern in (
        r"pip install -q cupy-cuda12x\[ctk\]", r"^-c import sys", r"pip install -q -e \.\[test\]",
        r"-m pip freeze", r"-m pytest", r"bench/bench_features\.py", r"bench/bench_nn\.py")]
    assert order == sorted(order), calls
    written = (tmp_path / "out.txt").read_text()
    assert "gpu_check: pytest exit status 7" in written and "exit status 7 (pytest's)" in written


def test_the_smoke_test_passes_on_the_cupy_standin():
    result = gpu_check("--step", "smoke", "--python", sys.executable,
                       env={"PYTHONPATH": str(REPO / "tests" / "cupy_standin")})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sum, matmul, rfft, random draw and savgol ran on 1 GPU(s)" in result.stdout


def test_the_smoke_test_stops_with_one_line_without_cupy(tmp_path):
    """A Python that finds no cupy (an empty folder first on its path shadows nothing, and the
    stand-in is not on it): one line, exit 3, no traceback, no later step."""
    if any(Path(p, "cupy").exists() for p in sys.path if p):
        pytest.skip("CuPy is installed here")
    result = gpu_check("--step", "smoke", "--python", sys.executable,
                       env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 3
    failure = [line for line in result.stdout.splitlines() if "failed" in line]
    assert len(failure) == 1 and failure[0].startswith(
        "gpu_check: the GPU smoke test failed at import cupy: ModuleNotFoundError")
    assert "Traceback" not in result.stdout + result.stderr
    assert "stopped: the GPU cannot be used" in result.stderr
