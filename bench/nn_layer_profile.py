"""Per-layer CPU and wall seconds of one training step of a bench_nn.py workload: the breakdown
behind issue 24's profile table (which pass of which layer the step spends its time in).

Each pass's forward and backward and Adam's update are timed separately, in the order the
step runs them (``tinymir.nn.kernels.fusion.passes``: one pass per layer, or a convolution and
its max pool as one fused pass, e.g. ``0+2 Conv2D+MaxPool2D``); the minimum over the timed
steps is printed (the first step is not timed). Run it from the root of a checkout; compare
two checkouts by pointing ``PYTHONPATH`` at the other one's root:

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python bench/nn_layer_profile.py cnn3 --steps 4
    PYTHONPATH=/path/to/other/checkout python bench/nn_layer_profile.py cnn3
    python bench/nn_layer_profile.py --zoo crnn          # a zoo network at its recipe's batch
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workload", nargs="?", choices=("cnn3", "lstm"),
                        help="a bench_nn.py workload (batch 128)")
    parser.add_argument("--zoo", metavar="NAME", help="a zoo network instead, at its recipe's "
                        "input and batch (as bench_nn.py's zoo table)")
    parser.add_argument("--steps", type=int, default=3, help="timed steps (minimum reported)")
    args = parser.parse_args()
    import bench_nn

    from tinymir import backend, nn
    backend.keep_freed_memory()                  # as the tinymir command does
    if args.zoo:
        model, batch = bench_nn.zoo_model(args.zoo)
        shape = tuple(model.input_shape)
    else:
        build, _, shape = bench_nn.workloads()[args.workload or "cnn3"]
        model, batch = build(), bench_nn.BATCH
        model.build(shape, seed=0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch,) + shape).astype(np.float32)
    y = rng.integers(0, bench_nn.CLASSES, batch)
    loss, optimizer = nn.SoftmaxCrossEntropy(), nn.Adam(model.parameters())
    from tinymir.nn.kernels import fusion
    groups = fusion.passes(model.layers, model.run_order(), on_cpu=True)
    times = {}

    def timed(key, function):
        cpu, wall = time.process_time(), time.perf_counter()
        result = function()
        times.setdefault(key, []).append((time.process_time() - cpu, time.perf_counter() - wall))
        return result

    def name(group):
        return (f"{'+'.join(map(str, group)):>5s} "
                f"{'+'.join(type(model.layers[i]).__name__ for i in group)}")

    for _ in range(args.steps + 1):
        cpu, wall = time.process_time(), time.perf_counter()
        h = x
        for group in groups:
            h = timed(f"forward  {name(group)}",
                      lambda: fusion.forward_pass(model.layers, group, h, training=True))
        loss.forward(h, y)
        grad = loss.backward()
        for position in range(len(groups) - 1, -1, -1):
            grad = timed(f"backward {name(groups[position])}",
                         lambda: fusion.backward_pass(model.layers, groups[position], grad,
                                                      position > 0))
        timed("adam", optimizer.step)
        times.setdefault("step", []).append((time.process_time() - cpu,
                                             time.perf_counter() - wall))
    print(f"{'part':38s} {'CPU-s':>7s} {'wall s':>7s}   (min of {args.steps} steps, batch "
          f"{batch})")
    for key, rows in times.items():
        rows = rows[1:]
        print(f"{key:38s} {min(r[0] for r in rows):7.3f} {min(r[1] for r in rows):7.3f}")


if __name__ == "__main__":
    main()
