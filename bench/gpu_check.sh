#!/usr/bin/env bash
# The GPU check, on a fresh machine with an NVIDIA GPU, a CUDA 12 (or later) driver and PyPI:
# it installs what it needs, checks that the GPU computes at all before anything else, runs the
# device subset of the suite on real CuPy and the two GPU benchmarks, all within 12 minutes.
#
#     bash bench/gpu_check.sh                 # CuPy 14 (cupy-cuda12x[ctk]), the device subset
#     bash bench/gpu_check.sh --cupy 13       # CuPy 13 with the CUDA 12 library wheels
#     bash bench/gpu_check.sh --full          # the whole suite instead of the device subset
#     bash bench/gpu_check.sh --dry-run       # print every step's commands, run none
#     bash bench/gpu_check.sh --step smoke    # one step only (python, venv, cupy, smoke,
#                                             # install, versions, tests, bench-features,
#                                             # bench-nn); --python PATH uses that interpreter
#
# Steps, in this order:
#   python          python3 >= 3.10 with venv and pip (apt-get installs them when missing; root)
#   venv            .venv-gpu, with pip upgraded
#   cupy            CuPy 14: cupy-cuda12x[ctk] (its CUDA libraries as wheels, found by CuPy);
#                   CuPy 13: cupy-cuda12x<14 and the nvidia-*-cu12 library wheels, put on
#                   LD_LIBRARY_PATH (CuPy 13 does not look for them). The CUDA wheels are
#                   pinned to 12.8.1, the set torch 2.10.0 pins, so both share one copy.
#   smoke           one sum, matmul, rfft, random draw and Savitzky-Golay filter on the GPU;
#                   any failure stops the script with one line (exit 3)
#   install         tinymir with its test extra; torch 2.10.0 + torchaudio 2.10.0 (the last
#                   PyPI builds for CUDA 12, 12.8: any CUDA 12 driver >= 525 runs them; from
#                   2.11 PyPI's torch is built for CUDA 13 and needs a CUDA 13 driver)
#   versions        nvidia-smi, pip freeze, cupy.show_config(), tinymir info
#   tests           pytest -m device (tests/conftest.py: DEVICE_SUBSET), or the whole suite
#                   with --full, with TINYMIR_DEVICE=gpu on real CuPy (never the stand-in)
#   bench-features  mel/MFCC of 128 x 30 s clips: tinymir on the GPU, librosa, torchaudio
#   bench-nn        the CNN-3 training step against PyTorch + cuDNN on the same GPU
# PyTorch runs with TF32 off (NVIDIA_TF32_OVERRIDE=0 reaches cuBLAS and cuDNN under both
# libraries; CuPy does not use TF32 unless CUPY_TF32=1), so both compute in full float32.
# Every step gets at most what is left of the 12 minutes (the benchmarks keep 4 of them); the
# script's exit status is pytest's (a step that fails before the tests stops the script with
# its own). The output goes to bench/results/gpu_check.txt; the benchmarks write their JSON
# beside it (features_gpu.json, nn_gpu.json). GPU_CHECK_LOG=PATH writes the output elsewhere.
set -uo pipefail
cd "$(dirname "$0")/.."

STEPS=(python venv cupy smoke install versions tests bench-features bench-nn)
BUDGET_S=720                  # 12 minutes in all
BENCH_RESERVE_S=240           # kept for the two benchmarks
CUDA_WHEELS=12.8.1            # cuda-toolkit: the CUDA 12 library wheels torch 2.10.0 pins
TORCH=2.10.0                  # torch and torchaudio of this version (CUDA 12.8 on PyPI)
VENV=.venv-gpu
LOG=${GPU_CHECK_LOG:-bench/results/gpu_check.txt}

cupy_major=14 dry_run=0 full=0 only="" python=""
usage() { echo "usage: bash bench/gpu_check.sh [--cupy 13|14] [--full] [--dry-run]" \
               "[--step NAME] [--python PATH]" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --cupy) [ "${2:-}" = 13 ] || [ "${2:-}" = 14 ] || usage; cupy_major=$2; shift ;;
        --full) full=1 ;;
        --dry-run) dry_run=1 ;;
        --step) only=${2:-}; shift
                [[ " ${STEPS[*]} " == *" $only "* ]] || { echo "gpu_check: no step '$only'" \
                    "(steps: ${STEPS[*]})" >&2; exit 2; } ;;
        --python) python=${2:-}; shift; [ -n "$python" ] || usage ;;
        *) usage ;;
    esac
    shift
done
PY=${python:-$VENV/bin/python}

# -- helpers ---------------------------------------------------------------------------------
run() {                       # print the command; run it unless --dry-run
    local arg
    printf '+'
    for arg in "$@"; do
        if [[ "$arg" =~ ^[A-Za-z0-9_./=:,@%+-]+$ ]]; then printf ' %s' "$arg"
        else printf " '%s'" "$arg"; fi
    done
    printf '\n'
    [ "$dry_run" = 1 ] || "$@"
}
left() {                      # seconds left of the budget, keeping $1 for later steps
    local rest=$((BUDGET_S - SECONDS - ${1:-0}))
    [ "$rest" -gt 30 ] && echo "$rest" || echo 30
}
stop() { echo "gpu_check: $*" >&2; exit "${STOP_STATUS:-1}"; }

step_python() {
    if [ -n "$python" ]; then echo "(using $python)"; return; fi
    if [ "$dry_run" = 1 ] || ! python3 -c 'import sys, venv, ensurepip
assert sys.version_info >= (3, 10)' 2>/dev/null; then
        echo "(only when python3 >= 3.10 with venv and pip is missing:)"
        run apt-get update -qq
        run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv \
            python3-pip python3-dev
    fi
    run python3 --version
}

step_venv() {
    if [ -n "$python" ]; then echo "(using $python)"; return; fi
    run python3 -m venv "$VENV"
    run "$PY" -m pip install -q -U pip setuptools wheel
}

nvidia_libs() {               # the lib folders of the nvidia-* wheels, for CuPy 13
    "$PY" - <<'EOF'
import glob, os
try:
    import nvidia
except ImportError:
    raise SystemExit(0)
print(":".join(sorted(d for root in nvidia.__path__ for d in glob.glob(os.path.join(root, "*", "lib")))))
EOF
}

step_cupy() {
    if [ "$cupy_major" = 14 ]; then
        run "$PY" -m pip install -q "cupy-cuda12x[ctk]>=14,<15" "cuda-toolkit==$CUDA_WHEELS" \
            scipy || stop "could not install CuPy 14"
    else
        run "$PY" -m pip install -q "cupy-cuda12x>=13,<14" scipy \
            "cuda-toolkit[cublas,cudart,cufft,curand,cusolver,cusparse,nvrtc,nvjitlink]==$CUDA_WHEELS" \
            || stop "could not install CuPy 13 and the CUDA library wheels"
        use_nvidia_libs
    fi
}

libs_set=0
use_nvidia_libs() {
    [ "$cupy_major" = 13 ] && [ "$libs_set" = 0 ] || return 0
    libs_set=1
    if [ "$dry_run" = 1 ]; then
        echo "+ export LD_LIBRARY_PATH=<the lib folders of $VENV's nvidia-* wheels>"
        return
    fi
    local libs
    libs=$(nvidia_libs)
    export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
}

SMOKE=$(cat <<'EOF'
import sys

def fail(what, exc):
    text = str(exc).strip().splitlines()
    print(f"gpu_check: the GPU smoke test failed at {what}: {type(exc).__name__}"
          + (f": {text[0]}" if text else ""))
    sys.exit(3)

try:
    import cupy
    import cupyx.scipy.signal
    count = cupy.cuda.runtime.getDeviceCount()
    assert count > 0, "no GPU visible"
except Exception as exc:
    fail("import cupy", exc)

def savgol():
    x = cupy.arange(11.0)           # a line: the filter keeps it
    return bool(cupy.allclose(cupyx.scipy.signal.savgol_filter(x, 5, 2), x))

checks = [
    ("sum", lambda: float(cupy.arange(10, dtype=cupy.float32).sum()) == 45.0),
    ("matmul", lambda: (lambda a: (a @ a.T).get().tolist() == [[5.0, 14.0], [14.0, 50.0]])(
        cupy.arange(6.0).reshape(2, 3))),
    ("rfft", lambda: bool(cupy.allclose(cupy.fft.rfft(cupy.ones(8)), [8, 0, 0, 0, 0]))),
    ("random draw", lambda: (lambda u: 0.4 < float(u.mean()) < 0.6 and float(u.min()) >= 0)(
        cupy.random.default_rng(0).random(4096))),
    ("savgol", savgol),
]
for name, check in checks:
    try:
        ok = check()
    except Exception as exc:
        fail(name, exc)
    if not ok:
        fail(name, AssertionError("wrong result"))
cupy.cuda.Device().synchronize()
print(f"gpu_check: sum, matmul, rfft, random draw and savgol ran on {count} GPU(s), "
      f"CuPy {cupy.__version__}")
EOF
)

step_smoke() {
    use_nvidia_libs
    if [ "$dry_run" = 1 ]; then
        echo "+ $PY -c <sum, matmul, rfft, random draw, savgol on the GPU; one line and exit 3 on failure>"
        return
    fi
    timeout "$(left "$BENCH_RESERVE_S")" "$PY" -c "$SMOKE"
    local status=$?
    [ "$status" = 0 ] || STOP_STATUS=$status stop "stopped: the GPU cannot be used (above)"
}

step_install() {
    run "$PY" -m pip install -q -e ".[test]" "torch==$TORCH" "torchaudio==$TORCH" \
        "cuda-toolkit==$CUDA_WHEELS" || stop "could not install tinymir, torch and torchaudio"
}

step_versions() {
    use_nvidia_libs
    run nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
    run "$PY" -m pip freeze
    run "$PY" -c "import cupy; cupy.show_config()"
    run "$PY" -c "from tinymir import backend; backend.set_device('gpu'); print(backend.info())" \
        || stop "tinymir cannot use the GPU (above)"
}

pytest_status=0
step_tests() {
    use_nvidia_libs
    local which=(-m device)
    [ "$full" = 1 ] && which=()
    # TINYMIR_CUPY_STANDIN=0: the real CuPy or a clear error, never the stand-in
    run env TINYMIR_DEVICE=gpu TINYMIR_CUPY_STANDIN=0 NVIDIA_TF32_OVERRIDE=0 \
        timeout "$(left "$BENCH_RESERVE_S")" "$PY" -m pytest -q -p no:cacheprovider \
        --durations=15 "${which[@]}"
    pytest_status=$?
    echo "gpu_check: pytest exit status $pytest_status"
}

step_bench_features() {
    use_nvidia_libs
    run env TINYMIR_DEVICE=gpu TINYMIR_CUPY_STANDIN=0 NVIDIA_TF32_OVERRIDE=0 \
        timeout "$(left 120)" "$PY" bench/bench_features.py --clips 128 --distinct 16 \
        --only mel,mfcc --repeats 2
}

step_bench_nn() {
    use_nvidia_libs
    run env TINYMIR_DEVICE=gpu TINYMIR_CUPY_STANDIN=0 NVIDIA_TF32_OVERRIDE=0 \
        timeout "$(left)" "$PY" bench/bench_nn.py --only cnn3 --rounds 2 --steps 3
}

main() {
    echo "gpu_check: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), CuPy $cupy_major," \
         "$([ "$full" = 1 ] && echo "the whole suite" || echo "the device subset")" \
         "$([ "$dry_run" = 1 ] && echo "(dry run: nothing is run)")"
    local name n=0
    for name in "${STEPS[@]}"; do
        n=$((n + 1))
        [ -z "$only" ] || [ "$only" = "$name" ] || continue
        echo "== step $n/${#STEPS[@]}: $name (${SECONDS} s so far)"
        "step_${name//-/_}"
    done
    echo "gpu_check: done in ${SECONDS} s; exit status $pytest_status (pytest's)"
    return "$pytest_status"
}

if [ "$dry_run" = 1 ] || [ -n "$only" ]; then
    main
else
    mkdir -p "$(dirname "$LOG")"
    main 2>&1 | tee "$LOG"
    exit "${PIPESTATUS[0]}"
fi
