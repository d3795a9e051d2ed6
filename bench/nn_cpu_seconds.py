"""CPU seconds per training step of bench_nn.py's tinymir workloads, for before/after checks of
tinymir's own code on a shared machine, where wall time follows the neighbours' load.

Process CPU time with one BLAS thread counts only this step's work (no spinning worker
threads), so it moves far less with load than samples/s do. Run it from the root of each
checkout to compare, alternating them (A B B A ...), e.g. main against a branch:

    cd /work/main && OPENBLAS_NUM_THREADS=1 .venv/bin/python /work/i13/bench/nn_cpu_seconds.py cnn3
    cd /work/i13  && OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/nn_cpu_seconds.py cnn3

It imports ``bench/bench_nn.py`` and ``tinymir`` of the checkout it runs in, and prints the
CPU seconds per step (after one untimed step).
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd() / "bench"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workload", choices=("cnn3", "lstm"))
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    import bench_nn

    from tinymir import backend
    if backend.get_device() == "cpu":
        backend.keep_freed_memory()          # as the tinymir command (and main before) does
    model, _, shape = bench_nn.workloads()[args.workload]
    step, _ = bench_nn.tinymir_step(model(), shape)
    step()
    start = time.process_time()
    for _ in range(args.steps):
        step()
    print((time.process_time() - start) / args.steps)


if __name__ == "__main__":
    main()
