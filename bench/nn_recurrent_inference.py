"""Recurrent inference that keeps nothing for backward against a forward pass that keeps what
backward needs, in one process, alternating: peak memory and CPU seconds of an LSTM or GRU
stack over a long sequence.

The stack is bench_nn.py's recurrent workload made longer: LSTM(128, every step) -> LSTM(64)
-> Dense(10) (``--cell gru``: the same with GRU layers) on a batch of ``--batch`` sequences of
``--steps`` steps of 40 features. Each round runs ``forward(x)`` (keeps every step's gates,
cells and hidden states, and the inputs, for backward) and ``forward(x,
keep_for_backward=False)`` (what ``predict`` runs: two slots of per-step values used in turn),
and records its CPU seconds and, in a second call of its own, the peak of the memory NumPy
allocated during the call (``tracemalloc``). Prints medians and [min-max] over ``--rounds``
and the ratios keep / inference, and checks the two outputs agree to float32 rounding; writes
``bench/results/nn_recurrent_inference_<cell>.json``:

    OPENBLAS_NUM_THREADS=1 python bench/nn_recurrent_inference.py --steps 3000 --rounds 5
"""
import argparse
import json
import os
import time
import tracemalloc
from pathlib import Path

import numpy as np


def timed_peak(function):
    """(result, peak MiB allocated during a second call, CPU seconds of the first): the
    memory is traced in a call of its own, since tracing slows the allocations it counts."""
    cpu = time.process_time()
    result = function()
    cpu = time.process_time() - cpu
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
    tracemalloc.stop()
    return result, peak, cpu


def summary(values) -> dict:
    return {"median": float(np.median(values)), "min": float(min(values)),
            "max": float(max(values))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cell", choices=("lstm", "gru"), default="lstm")
    parser.add_argument("--steps", type=int, default=3000, help="time steps per sequence")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from tinymir import nn
    cell = nn.LSTM if args.cell == "lstm" else nn.GRU
    model = nn.Sequential([cell(128, return_sequences=True), cell(64), nn.Dense(10)])
    x = np.random.default_rng(0).standard_normal((args.batch, args.steps, 40)).astype(np.float32)
    model.build(x.shape[1:], seed=0)
    model.forward(x, keep_for_backward=False)                     # untimed: first allocations
    ways = {"keep": lambda: model.forward(x),
            "inference": lambda: model.forward(x, keep_for_backward=False)}
    records = {name: {"peak_mib": [], "cpu_s": []} for name in ways}
    for _ in range(args.rounds):
        outputs = {}
        for name, function in ways.items():
            outputs[name], peak, cpu = timed_peak(function)
            records[name]["peak_mib"].append(peak)
            records[name]["cpu_s"].append(cpu)
        scale = float(np.abs(outputs["keep"]).max())
        np.testing.assert_allclose(outputs["inference"], outputs["keep"], rtol=0,
                                   atol=128 * np.finfo(np.float32).eps * scale)
    result = {"cell": args.cell, "batch": args.batch, "steps": args.steps,
              "rounds": args.rounds, "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
              "ways": {name: {key: summary(values) for key, values in record.items()}
                       for name, record in records.items()}}
    for key in ("peak_mib", "cpu_s"):
        ratios = [k / i for k, i in zip(records["keep"][key], records["inference"][key])]
        result[f"ratio_{key}"] = summary(ratios)
        line = "  ".join(f"{name} {summary(r[key])['median']:.2f} "
                         f"[{summary(r[key])['min']:.2f}-{summary(r[key])['max']:.2f}]"
                         for name, r in records.items())
        print(f"{key:9s} {line}  keep / inference {summary(ratios)['median']:.2f} "
              f"[{min(ratios):.2f}-{max(ratios):.2f}]")
    out = Path(__file__).resolve().parent / "results" / f"nn_recurrent_inference_{args.cell}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"outputs agree to float32 rounding; wrote {out}")


if __name__ == "__main__":
    main()
