"""Training speed: tinymir's cnn3 against the same network in PyTorch (CPU), same batches.

One training step is forward, loss, backward and an Adam update on a batch of 128x130 mel
segments. Both sides run in this process, one after the other, on the same random data and with
the same thread count; the script prints samples/s for each and the ratio, then (``--run``)
trains cnn3 end to end on a synthetic set and reports the share of training time spent waiting
for data (acceptance item 5). Results go to ``bench/results/bench_train.json``.

    python bench/bench_train.py                 # steps only
    python bench/bench_train.py --run           # plus a short end-to-end run on synthetic audio

Timings on a shared machine are noisy: quote them with the machine and its load.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from tinymir import models, nn

RESULTS = Path(__file__).resolve().parent / "results"


def tinymir_steps(x, y, steps):
    model = models.build("cnn3", 10, seed=0)
    loss = nn.SoftmaxCrossEntropy()
    optimizer = nn.Adam(model.parameters(), lr=1e-3)
    start = None
    for step in range(steps + 1):           # the first step warms up (lazy buffers)
        if step == 1:
            start = time.perf_counter()
        logits = model.forward(x, training=True)
        loss.forward(logits, y)
        model.backward(loss.backward(), input_grad=False)
        optimizer.step()
    return (time.perf_counter() - start) / steps


def torch_steps(x, y, steps):
    import torch
    import torch.nn.functional as F
    from torch import nn as tnn

    class SamePool(tnn.Module):
        """Keras 'same' max-pooling: zero padding is exact after a ReLU."""

        def __init__(self, pool, stride):
            super().__init__()
            self.pool, self.stride = pool, stride

        def forward(self, t):
            pads = []
            for size, k, s in zip(reversed(t.shape[2:]), reversed(self.pool),
                                  reversed(self.stride)):
                out = -(-size // s)
                total = max((out - 1) * s + k - size, 0)
                pads += [total // 2, total - total // 2]
            return F.max_pool2d(F.pad(t, pads), self.pool, self.stride)

    layers = []
    channels = 1
    for pool in ((2, 4), (4, 4), (2, 5)):
        layers += [tnn.Conv2d(channels, 32, 3), tnn.ReLU(), SamePool(pool, (2, 2)),
                   tnn.BatchNorm2d(32, momentum=0.1, eps=1e-3)]
        channels = 32
    model = tnn.Sequential(*layers, tnn.Dropout(0.3), tnn.Flatten(), tnn.Linear(32 * 15 * 15, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model.train()
    start = None
    for step in range(steps + 1):
        if step == 1:
            start = time.perf_counter()
        optimizer.zero_grad()
        F.cross_entropy(model(xt), yt).backward()
        optimizer.step()
    return (time.perf_counter() - start) / steps


def end_to_end(seconds_per_clip=6.0):
    from tinymir.audio import synth
    from tinymir.train import run

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "demo"
        synth.make_dataset(data, 6, per_class=20, seconds=seconds_per_clip, seed=0)
        start = time.perf_counter()
        report = run.train(run.TrainConfig(arch="cnn3", data=str(data), out=str(Path(tmp) / "run"),
                                           epochs=3, patience=50), progress=False)
        wall = time.perf_counter() - start
    return {"wall_seconds": wall, "feature_seconds": report["feature_seconds"],
            "train_seconds": report["train_seconds"],
            "data_loading_share": report["data_loading_share"],
            "samples_per_s": report["segments"]["train"] * report["epochs_run"]
            / report["train_seconds"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--run", action="store_true", help="also time an end-to-end run")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch, 1, 128, 130)).astype(np.float32)
    y = rng.integers(0, 10, args.batch)
    import torch
    torch.set_num_threads(os.cpu_count() or 1)
    ours = tinymir_steps(x, y, args.steps)
    theirs = torch_steps(x, y, args.steps)
    result = {
        "what": "cnn3 training step (forward, loss, backward, Adam), 128x130 mel, CPU",
        "batch": args.batch, "steps": args.steps, "machine": platform.platform(),
        "cpus": os.cpu_count(), "load_average": os.getloadavg(),
        "tinymir_samples_per_s": args.batch / ours, "torch_samples_per_s": args.batch / theirs,
        "tinymir_over_torch_time": ours / theirs, "torch_version": torch.__version__,
    }
    print(f"cnn3 step, batch {args.batch}: tinymir {args.batch / ours:.1f} samples/s, "
          f"torch {args.batch / theirs:.1f} samples/s, tinymir takes {ours / theirs:.1f}x "
          f"torch's time (load average {result['load_average'][0]:.1f})")
    if args.run:
        result["end_to_end"] = end_to_end()
        e2e = result["end_to_end"]
        print(f"end to end (6 classes x 20 clips of 6 s, 3 epochs): {e2e['wall_seconds']:.0f} s, "
              f"features {e2e['feature_seconds']:.0f} s, training {e2e['train_seconds']:.0f} s; "
              f"waiting for data {100 * e2e['data_loading_share']:.2f} % of training time")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_train.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
