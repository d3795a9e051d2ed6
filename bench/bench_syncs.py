"""Device-to-host synchronisations of tinymir's hot loops, counted on the CuPy stand-in.

Runs on any machine (no GPU): puts ``tests/cupy_standin`` in place of CuPy, then counts the
transfers of two CNN-3 training steps (batch 8, 1 s mel slices, everything of the step:
forward, loss, backward, Adam, metrics, the non-finite guard) and of one RBF SVM fit (200 rows,
8 features, 3 classes). Prints them with their causes and writes
``bench/results/syncs_standin.json``. The tests (tests/test_device.py) hold the budgets.

    python bench/bench_syncs.py
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "cupy_standin"))

import cupy  # noqa: E402  (the stand-in)

from tinymir import backend, models, nn  # noqa: E402
from tinymir.classic.svm import SVC  # noqa: E402
from tinymir.train.loop import Trainer  # noqa: E402


def counted(run) -> dict:
    counter = cupy.standin.counter
    before, causes = counter.syncs, dict(counter.causes)
    result = run()
    return {"syncs": counter.syncs - before, "result": result,
            "causes": {k: v - causes.get(k, 0) for k, v in counter.causes.items()
                       if v != causes.get(k, 0)}}


def main():
    backend.set_device("gpu")
    front = models.default_front("cnn3").replace(segment=1.0)
    model = models.build("cnn3", 3, front=front)
    trainer = Trainer(model, nn.SoftmaxCrossEntropy(), nn.Adam(model.parameters(), lr=1e-3),
                      validate=lambda m: {}, progress=False)

    class Batches:
        n_samples = 16

        def epoch(self, epoch):
            rng = np.random.default_rng(epoch)
            for _ in range(2):
                yield (backend.to_device(rng.standard_normal((8, *front.input_shape)), np.float32),
                       rng.integers(0, 3, 8), None)

    trainer.train_epoch(Batches(), 0)                         # warm
    steps = counted(lambda: trainer.train_epoch(Batches(), 1))
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 200)
    X = backend.to_device(rng.standard_normal((200, 8)) + y[:, None], np.float32)
    svm = counted(lambda: SVC().fit(X, y).n_iter_)
    result = {"device": "CuPy stand-in (tests/cupy_standin)",
              "cnn3_step": {"syncs_per_step": steps["syncs"] / 2,
                            "causes_two_steps": steps["causes"]},
              "svm_fit_200x8_3_classes": {"syncs": svm["syncs"], "smo_iterations": svm["result"],
                                          "causes": svm["causes"]}}
    print(json.dumps(result, indent=1))
    out = ROOT / "bench" / "results" / "syncs_standin.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
