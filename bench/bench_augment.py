"""Cost of augmentation: each augmentation of ``tinymir.train.augment`` on a batch of an
architecture's input slices (default cnn3 on 128x130 mel) against one training step of that
architecture (forward, loss, backward, Adam) on the same batch, in this process; prints the
milliseconds of each and the share of a step spent augmenting (the loop prints the same share
per epoch as ``augment_share``; target < 10 %). Results go to
``bench/results/bench_augment[_ARCH_FEATURES].json``.

    python bench/bench_augment.py --batch 32 --repeats 5
    python bench/bench_augment.py --features mfcc+chroma+contrast+centroid --repeats 20

Timings on a shared machine are noisy: quote the spread over repeats with the machine's load.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from tinymir import backend, models, nn
from tinymir.train import augment
from tinymir.train.inputs import db_response

RESULTS = Path(__file__).resolve().parent / "results"


def timed(fn, repeats):
    """Median and range of ``repeats`` timed calls after one untimed call, in ms."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        backend.synchronize()
        times.append(1e3 * (time.perf_counter() - start))
    return {"median_ms": float(np.median(times)), "min_ms": min(times), "max_ms": max(times)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--arch", default="cnn3")
    parser.add_argument("--features", default=None,
                        help="input features (default: the architecture's own)")
    args = parser.parse_args()
    front = models.default_front(args.arch)
    if args.features:
        front = front.replace(kind=args.features)
    rng = np.random.default_rng(0)
    x = backend.to_device(rng.standard_normal((args.batch, *front.input_shape)), np.float32)
    y = rng.integers(0, 10, args.batch)
    model = models.build(args.arch, 10, front=front, seed=0)
    loss = nn.SoftmaxCrossEntropy()
    optimizer = nn.Adam(model.parameters(), lr=1e-3)

    def step():
        loss.forward(model.forward(x, training=True), y)
        model.backward(loss.backward(), input_grad=False)
        optimizer.step()

    rows = {"training step": timed(step, args.repeats)}
    for spec in ("shift", "gain", "specaugment", "mixup", "shift+gain+specaugment+mixup"):
        augmenter = augment.Augmenter(augment.parse(spec), seed=0,
                                      gain_direction=db_response(front), n_classes=10)
        rows[spec] = timed(lambda: augmenter(x, y), args.repeats)
    base = rows["training step"]["median_ms"]
    print(f"batch {args.batch} of {front.input_shape}, {backend.get_device()}, "
          f"load {os.getloadavg()[0]:.1f}; median (min-max) of {args.repeats}")
    for name, row in rows.items():
        share = "" if name == "training step" else \
            f"  {100 * row['median_ms'] / (row['median_ms'] + base):.2f} % of step + augment"
        print(f"{name:<30} {row['median_ms']:9.2f} ms ({row['min_ms']:.2f}-{row['max_ms']:.2f})"
              f"{share}")
    RESULTS.mkdir(exist_ok=True)
    name = "bench_augment" + ("" if (args.arch, args.features) == ("cnn3", None) else
                              f"_{args.arch}_{front.kind.replace('+', '-')}")
    record = {"arch": args.arch, "features": front.kind, "batch": args.batch,
              "input": list(front.input_shape), "repeats": args.repeats,
              "device": backend.get_device(), "machine": platform.machine(),
              "cpus": os.cpu_count(), "load": os.getloadavg()[0], "rows": rows}
    (RESULTS / f"{name}.json").write_text(json.dumps(record, indent=2))
    print(f"wrote {RESULTS / name}.json")


if __name__ == "__main__":
    main()
