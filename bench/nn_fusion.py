"""The fused convolution + max pool passes (tinymir.nn.kernels.fusion) against the same layers
run one by one, in one process, alternating, so that a busy shared machine slows both alike.

For a network (bench_nn.py's ``cnn3`` at batch 128, or ``--zoo NAME`` at its recipe's batch),
each round times one training step (forward, softmax cross-entropy, backward; no optimiser
update, so both paths see the same weights) and one inference pass, each way:

- **fused**: ``Sequential.forward`` / ``Sequential.backward``, which run every Conv2D directly
  followed by a MaxPool2D as one pass;
- **one by one**: each layer's own ``forward`` / ``backward`` in ``model.run_order()``.

Prints the CPU seconds (``time.process_time``) per step and per inference pass, medians with
[min-max] over ``--rounds``, and the ratio one-by-one / fused (above 1: the fusion is faster),
and writes ``bench/results/nn_fusion_<name>_<threads>thread.json``. Use one thread for figures
that do not follow the neighbours' load:

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python bench/nn_fusion.py cnn3 --rounds 7
    python bench/nn_fusion.py --zoo fcn5
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def one_by_one_step(model, x, y, loss):
    h = x
    order = model.run_order()
    for index in order:
        h = model.layers[index].forward(h, training=True)
    loss.forward(h, y)
    grad = loss.backward()
    for position in range(len(order) - 1, -1, -1):
        grad = model.layers[order[position]].backward(grad, position > 0)


def one_by_one_inference(model, x):
    for index in model.run_order():
        x = model.layers[index].forward(x, keep_for_backward=False)
    return x


def fused_step(model, x, y, loss):
    loss.forward(model.forward(x, training=True), y)
    model.backward(loss.backward(), input_grad=False)


def cpu_seconds(function, *args) -> float:
    start = time.process_time()
    function(*args)
    return time.process_time() - start


def spread(values) -> dict:
    return {"median": float(np.median(values)), "min": float(min(values)),
            "max": float(max(values))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workload", nargs="?", default="cnn3", choices=("cnn3",),
                        help="bench_nn.py's CNN-3 at batch 128 (default)")
    parser.add_argument("--zoo", metavar="NAME", help="a zoo network at its recipe's batch")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    import bench_nn

    from tinymir import backend, nn, threads
    from tinymir.nn.kernels import fusion
    backend.keep_freed_memory()                  # as the tinymir command does
    if args.zoo:
        model, batch = bench_nn.zoo_model(args.zoo)
        shape, name = tuple(model.input_shape), args.zoo
    else:
        build, _, shape = bench_nn.workloads()["cnn3"]
        model, batch, name = build(), bench_nn.BATCH, "cnn3"
        model.build(shape, seed=0)
    pairs = sum(len(group) == 2 for group in fusion.passes(model.layers, model.run_order(),
                                                           on_cpu=True))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch,) + shape).astype(np.float32)
    y = rng.integers(0, bench_nn.CLASSES, batch)
    loss = nn.SoftmaxCrossEntropy()
    runs = {"fused step": lambda: fused_step(model, x, y, loss),
            "one-by-one step": lambda: one_by_one_step(model, x, y, loss),
            "fused inference": lambda: model.forward(x, keep_for_backward=False),
            "one-by-one inference": lambda: one_by_one_inference(model, x)}
    for run in runs.values():                    # untimed: allocations
        run()
    times = {key: [] for key in runs}
    for _ in range(args.rounds):
        for key, run in runs.items():
            times[key].append(cpu_seconds(run))
    results = {"network": name, "batch": batch, "fused_pairs": pairs, "rounds": args.rounds,
               "tinymir_cpu_threads": threads.CPU_THREADS,
               "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
               "load_average": os.getloadavg()[0],
               "cpu_s": {key: spread(values) for key, values in times.items()}}
    print(f"{name}, batch {batch}, {pairs} conv + max pool pairs fused, {args.rounds} rounds, "
          f"{threads.CPU_THREADS} tinymir thread(s), load {results['load_average']:.2f}")
    for key, values in results["cpu_s"].items():
        print(f"  {key:22s} CPU-s {values['median']:.3f} [{values['min']:.3f}-"
              f"{values['max']:.3f}]")
    for part in ("step", "inference"):
        ratios = [a / b for a, b in zip(times[f"one-by-one {part}"], times[f"fused {part}"])]
        results[f"ratio_{part}"] = spread(ratios)
        print(f"  {part}: one by one / fused = {np.median(ratios):.2f} "
              f"[{min(ratios):.2f}-{max(ratios):.2f}]")
    out = (Path(__file__).resolve().parent / "results"
           / f"nn_fusion_{name}_{threads.CPU_THREADS}thread.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
