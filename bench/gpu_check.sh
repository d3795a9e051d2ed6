#!/usr/bin/env bash
# The GPU checks of issue 12 in one script, for a machine with an NVIDIA GPU, CuPy >= 13
# (pip install -e ".[test,gpu-cuda12]") and, for the comparisons, torch + torchaudio with CUDA.
# A few minutes on one GPU: the whole suite on the real GPU (not the stand-in), mel/MFCC of
# 256 x 30 s clips against librosa and torchaudio, the CNN-3 training step (batch 128) against
# PyTorch + cuDNN. Everything it prints and the JSON go to bench/results/ (gpu_check.txt,
# features_gpu.json, nn_gpu.json). Nothing here has been run yet: no GPU was at hand.
#
#     bash bench/gpu_check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
log=bench/results/gpu_check.txt
export TINYMIR_DEVICE=gpu TINYMIR_CUPY_STANDIN=0     # the real CuPy, or a clear error
{
    date -u
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
    python -c "from tinymir import backend; backend.set_device('gpu'); print(backend.info())" || exit 1
    echo "== the whole suite on the GPU"
    timeout 900 python -m pytest -q -p no:cacheprovider --durations=15
    echo "== features: 256 x 30 s clips (16 distinct), mel and MFCC; torchaudio on the same GPU"
    timeout 600 python bench/bench_features.py --clips 256 --distinct 16 --only mel,mfcc --repeats 3
    echo "== CNN-3 training step, batch 128, against PyTorch + cuDNN on the same GPU"
    timeout 600 python bench/bench_nn.py --only cnn3 --rounds 3 --steps 5
} 2>&1 | tee "$log"
