"""CPU seconds per training step of bench_nn.py's tinymir workloads, for before/after checks of
tinymir's own code on a shared machine, where wall time follows the neighbours' load.

Process CPU time with one BLAS thread counts only this step's work (no spinning worker
threads), so it moves far less with load than samples/s do. Run it from the root of each
checkout to compare, alternating them (A B B A ...), e.g. main against a branch:

    cd /work/main && OPENBLAS_NUM_THREADS=1 .venv/bin/python /work/i13/bench/nn_cpu_seconds.py cnn3
    cd /work/i13  && OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/nn_cpu_seconds.py cnn3

It imports ``bench/bench_nn.py`` and ``tinymir`` of the checkout it runs in, and prints the
CPU seconds per step (after one untimed step). ``--zoo`` takes the workload from the model zoo
instead (any name of ``tinymir archs``, at its recipe's batch unless ``--batch``); ``--bound``
also times the step's GEMM bound (``bench/gemm_bound.py``) after the steps and prints three
numbers: step CPU-s, bound CPU-s and their ratio:

    OPENBLAS_NUM_THREADS=1 python bench/nn_cpu_seconds.py cnn3 --bound          # batch 128
    OPENBLAS_NUM_THREADS=1 python bench/nn_cpu_seconds.py crnn --zoo --bound

``--inference`` times ``model.predict`` on one batch instead of a training step (with
``--bound``, against the forward products alone).
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path.cwd() / "bench"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workload", help="cnn3 or lstm (bench_nn.py's), or with --zoo any "
                                         "architecture of the zoo")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--zoo", action="store_true", help="the zoo's architecture of that name")
    parser.add_argument("--batch", type=int, default=None,
                        help="batch (default: 128 for bench_nn.py's, the recipe's for --zoo)")
    parser.add_argument("--bound", action="store_true",
                        help="also the GEMM bound's CPU seconds and the ratio")
    parser.add_argument("--inference", action="store_true",
                        help="time model.predict on one batch instead of a training step")
    args = parser.parse_args()
    import bench_nn

    from tinymir import backend
    if backend.get_device() == "cpu":
        backend.keep_freed_memory()          # as the tinymir command (and main before) does
    if args.zoo:
        model, batch = bench_nn.zoo_model(args.workload, args.batch)
        shape = model.input_shape
    elif args.workload in bench_nn.workloads():
        builder, _, shape = bench_nn.workloads()[args.workload]
        model, batch = builder(), args.batch or bench_nn.BATCH
    else:
        parser.error(f"{args.workload!r} is not one of bench_nn.py's workloads "
                     f"({', '.join(bench_nn.workloads())}); --zoo for the model zoo")
    step, _ = bench_nn.tinymir_step(model, shape, batch)
    step()
    if args.inference:        # predict: what every checkout has, whatever its forward does
        x = np.random.default_rng(1).standard_normal((batch,) + tuple(shape)).astype(np.float32)
        step = lambda: model.predict(x, batch_size=batch)      # noqa: E731
        step()
    start = time.process_time()
    for _ in range(args.steps):
        step()
    seconds = (time.process_time() - start) / args.steps
    if not args.bound:
        print(seconds)
        return
    import gemm_bound
    table = gemm_bound.step_gemms(model, batch)
    times = gemm_bound.time_gemms(table)
    bound = sum(cpu for gemm, (_, cpu) in zip(table, times)
                if gemm.forward or not args.inference)
    print(seconds, bound, seconds / bound)


if __name__ == "__main__":
    main()
