"""Training-step throughput of tinymir.nn against PyTorch, same machine, same run.

Two workloads, each a full step (forward, loss, backward, Adam update) on random data:

- CNN-3 of seed 000 (Table 2): input 1×128×130; three [3×3×32 conv ("same") → ReLU →
  MaxPool → BatchNorm] blocks with pools (2,4), (4,4), (2,5), all stride 2; Dropout 0.3;
  Dense 10. With "same" convolutions the maps are 64×64, 31×31, 15×14 (the paper prints
  63×64, 31×31, 15×15, which no single padding rule gives). Batch 128.
- LSTM(128, return_sequences) → LSTM(64) → Dense 10 on (128, 130, 20).

On the CPU PyTorch runs with ``--threads`` threads (default 2, OpenBLAS' default on a 2-core
machine; set ``OPENBLAS_NUM_THREADS`` to the same number when it differs); on a GPU
(``TINYMIR_DEVICE=gpu``) the comparison is with PyTorch CUDA. Prints samples/s
and the ratio tinymir / torch (median over rounds that alternate the two, so a busy machine
slows both alike); writes ``bench/results/nn_<device>.json`` (with the load average at start
and end, and whether :func:`tinymir.backend.keep_freed_memory` took effect).

    python bench/bench_nn.py [--steps 3] [--rounds 5] [--threads 2]

On a shared machine also run the 1-thread comparison, which is less sensitive to load; it
writes ``nn_cpu_1thread.json``:

    OPENBLAS_NUM_THREADS=1 python bench/bench_nn.py --threads 1

Both libraries run in this one process, so PyTorch gets the malloc setting of
:func:`tinymir.backend.keep_freed_memory` too (it halves its CNN-3 step time here), and each
library's idle worker threads (OpenMP's, OpenBLAS') spin on the cores the other one is using.
On the CPU each round therefore also times each library in a fresh process of its own that
imports only it, as its users run it (``*_own_process`` in the results): PyTorch with glibc's
malloc defaults, tinymir with its own setting. Runs with ``MALLOC_*`` variables set (which
turn tinymir's setting off) write ``..._malloc_env.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

BATCH = 128
CNN_INPUT = (1, 128, 130)
LSTM_INPUT = (130, 20)
CLASSES = 10


def tinymir_cnn3():
    from tinymir import nn
    blocks = []
    for pool in ((2, 4), (4, 4), (2, 5)):
        blocks += [nn.Conv2D(32, 3, padding="same"), nn.ReLU(), nn.MaxPool2D(pool, stride=2),
                   nn.BatchNorm()]
    return nn.Sequential(blocks + [nn.Flatten(), nn.Dropout(0.3), nn.Dense(CLASSES)])


def tinymir_lstm():
    from tinymir import nn
    return nn.Sequential([nn.LSTM(128, return_sequences=True), nn.LSTM(64), nn.Dense(CLASSES)])


def workloads() -> dict:
    """name -> (tinymir model builder, PyTorch model builder, input shape without the batch)."""
    return {"cnn3": (tinymir_cnn3, torch_cnn3, CNN_INPUT),
            "lstm": (tinymir_lstm, torch_lstm, LSTM_INPUT)}


def tinymir_step(model, input_shape):
    """Build ``model`` and return a function doing one training step on a fixed random batch."""
    from tinymir import backend, nn
    model.build(input_shape, seed=0)
    rng = np.random.default_rng(0)
    x = backend.to_device(rng.standard_normal((BATCH,) + input_shape), np.float32)
    y = backend.to_device(rng.integers(0, CLASSES, BATCH))
    loss, optimizer = nn.SoftmaxCrossEntropy(), nn.Adam(model.parameters())

    def step():
        loss.forward(model.forward(x, training=True), y)
        model.backward(loss.backward(), input_grad=False)
        optimizer.step()

    return step, backend.synchronize


def samples_per_second(step, sync, steps):
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    return steps * BATCH / (time.perf_counter() - start)


def torch_cnn3(torch):
    layers, channels, size = [], 1, CNN_INPUT[1:]
    for pool in ((2, 4), (4, 4), (2, 5)):
        layers += [torch.nn.Conv2d(channels, 32, 3, padding=1), torch.nn.ReLU(),
                   torch.nn.MaxPool2d(pool, stride=2), torch.nn.BatchNorm2d(32)]
        channels = 32
        size = tuple((s - p) // 2 + 1 for s, p in zip(size, pool))
    return torch.nn.Sequential(*layers, torch.nn.Flatten(), torch.nn.Dropout(0.3),
                               torch.nn.Linear(32 * size[0] * size[1], CLASSES))


def torch_lstm(torch):
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm1 = torch.nn.LSTM(LSTM_INPUT[1], 128, batch_first=True)
            self.lstm2 = torch.nn.LSTM(128, 64, batch_first=True)
            self.head = torch.nn.Linear(64, CLASSES)

        def forward(self, x):
            h, _ = self.lstm1(x)
            h, _ = self.lstm2(h)
            return self.head(h[:, -1])

    return Net()


def torch_step(torch, model, input_shape, device):
    """One PyTorch training step on a fixed random batch, and its synchronisation."""
    model = model.to(device).train()
    x = torch.randn((BATCH,) + input_shape, device=device)
    y = torch.randint(0, CLASSES, (BATCH,), device=device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    return step, sync


def in_own_process(library: str, name: str, threads: int, steps: int) -> float:
    """samples/s of ``library``'s step ("torch" or "tinymir") in a fresh process that imports
    only that library, as its users run it: PyTorch keeps glibc's malloc defaults, tinymir
    sets its own (:func:`tinymir.backend.keep_freed_memory`). The warm-up step is not timed."""
    done = subprocess.run([sys.executable, __file__, f"--{library}-worker", name, "--threads",
                           str(threads), "--steps", str(steps)],
                          capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def tinymir_worker(name: str, steps: int) -> None:
    from tinymir import backend
    if backend.get_device() == "cpu":
        backend.keep_freed_memory()          # as the tinymir command does
    model, _, shape = workloads()[name]
    step, sync = tinymir_step(model(), shape)
    step()
    print(samples_per_second(step, sync, steps))


def torch_worker(name: str, threads: int, steps: int) -> None:
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    _, model, shape = workloads()[name]
    step, sync = torch_step(torch, model(torch), shape, "cpu")
    step()
    print(samples_per_second(step, sync, steps))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=3, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds alternating tinymir and torch (medians are reported)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for PyTorch")
    parser.add_argument("--only", choices=("cnn3", "lstm"), default=None)
    parser.add_argument("--torch-worker", choices=("cnn3", "lstm"), help=argparse.SUPPRESS)
    parser.add_argument("--tinymir-worker", choices=("cnn3", "lstm"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_worker:
        return torch_worker(args.torch_worker, args.threads, args.steps)
    if args.tinymir_worker:
        return tinymir_worker(args.tinymir_worker, args.steps)

    import torch

    from tinymir import backend
    device = backend.get_device()
    if device == "cpu":
        backend.keep_freed_memory()          # as the tinymir command does
    torch_device = "cuda" if device == "gpu" else "cpu"
    if torch_device == "cuda":          # PyTorch at its best on the GPU: cuDNN autotuned
        torch.backends.cudnn.benchmark = True
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    results = {"device": device, "gpu": backend.gpu_name(), "machine": platform.node(),
               "cpu_count": os.cpu_count(), "torch_threads": args.threads,
               "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default (all cores)"),
               "load_average_at_start": os.getloadavg()[0],
               "torch": torch.__version__, "batch": BATCH,
               "cudnn": torch.backends.cudnn.version() if torch_device == "cuda" else None,
               "steps": args.steps, "rounds": args.rounds,
               "malloc_env": {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")},
               "malloc_keeps_freed_memory": device == "cpu" and backend.keep_freed_memory(),
               "workloads": {}}
    for name, (ours, theirs, shape) in workloads().items():
        if args.only and name != args.only:
            continue
        mine_step, theirs_step = tinymir_step(ours(), shape), torch_step(
            torch, theirs(torch), shape, torch_device)
        for step, sync in (mine_step, theirs_step):       # warm-up: allocations, threads
            step()
            sync()
        # alternate the two in rounds, so that a busy machine slows both alike
        # (on the CPU also PyTorch in its own process: see the module docstring)
        mine, ref, own, mine_own = [], [], [], []
        for _ in range(args.rounds):
            mine.append(samples_per_second(*mine_step, args.steps))
            ref.append(samples_per_second(*theirs_step, args.steps))
            if device == "cpu":
                own.append(in_own_process("torch", name, args.threads, args.steps))
                mine_own.append(in_own_process("tinymir", name, args.threads, args.steps))
        ratios = [a / b for a, b in zip(mine, ref)]
        results["workloads"][name] = {
            "tinymir_samples_per_s": round(float(np.median(mine)), 2),
            "torch_samples_per_s": round(float(np.median(ref)), 2),
            "ratio_median": round(float(np.median(ratios)), 3),
            "rounds": [{"tinymir": round(a, 2), "torch": round(b, 2)} for a, b in zip(mine, ref)]}
        print(f"{name:6s} tinymir {np.median(mine):8.1f} samples/s   torch-{torch_device} "
              f"{np.median(ref):8.1f} samples/s   ratio {np.median(ratios):.2f}x "
              f"(median of {args.rounds} rounds: {', '.join(f'{r:.2f}' for r in ratios)})",
              flush=True)
        if own:
            own_ratios = [a / b for a, b in zip(mine_own, own)]
            results["workloads"][name].update(
                tinymir_own_process_samples_per_s=round(float(np.median(mine_own)), 2),
                torch_own_process_samples_per_s=round(float(np.median(own)), 2),
                ratio_own_processes_median=round(float(np.median(own_ratios)), 3))
            for entry, a, b in zip(results["workloads"][name]["rounds"], mine_own, own):
                entry.update(tinymir_own_process=round(a, 2), torch_own_process=round(b, 2))
            print(f"{'':6s} each in its own process: tinymir {np.median(mine_own):8.1f}, torch "
                  f"{np.median(own):8.1f} samples/s   ratio {np.median(own_ratios):.2f}x "
                  f"(rounds: {', '.join(f'{r:.2f}' for r in own_ratios)})", flush=True)
    results["load_average_at_end"] = os.getloadavg()[0]
    suffix = f"_{args.threads}thread" if device == "cpu" and args.threads != 2 else ""
    suffix += "_malloc_env" if results["malloc_env"] else ""
    out = Path(__file__).resolve().parent / "results" / f"nn_{device}{suffix}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
