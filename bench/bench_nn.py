"""Training steps of tinymir.nn: every zoo network against its GEMM bound, and against PyTorch.

**The zoo table (CPU).** For every architecture of ``tinymir archs`` (``--arch`` picks some),
built by :func:`tinymir.models.build` at its recipe's input shape and batch size (``--batch``
for another), one training step (forward, softmax cross-entropy, backward, Adam) on a fixed
random batch, at each BLAS thread count of ``--threads`` (default 1 and 2). Each architecture
and thread count runs in a fresh process with ``OPENBLAS_NUM_THREADS`` and
``OMP_NUM_THREADS`` set to that count (tinymir's block threads follow the latter; recorded as
``tinymir_cpu_threads``). It reports samples/s (wall), CPU seconds per step
(``time.process_time``, all the process's threads) and **the GEMM bound measured in the same
run**: the matrix products of the step (``bench/gemm_bound.py`` derives their shapes from each
layer's formula) timed alone as plain contiguous ``np.matmul`` calls, summed: what the step
would take if it were nothing but its products. Each round times ``--steps`` steps (default
2, or 1 for a network whose step takes over ``LONG_STEP_S``) and then the bound once, after one
untimed step; the ratio step / bound is per round, in CPU seconds and in wall seconds (at 2
threads the wall ratio is the one that shows an idle core). Medians and min-max over
``--rounds`` rounds; written to ``bench/results/nn_cpu_zoo.json`` with each product's own time
and, for N > 1 threads, ``ratio_wall_ideal``: the step against the 1-thread bound / N.
Each round also times inference on a batch of the same size (``forward(x,
keep_for_backward=False)``, what ``predict`` runs) against the forward products alone
(``bound_forward_cpu_s``): ``ratio_inference_cpu``, the last column.
Before and after the table, as many busy processes as the largest thread count run for a second:
the cores they get together (``cores_for_busy_processes_*``) say whether the multi-thread rows
measured tinymir or the neighbours (a shared VM may give two busy processes one core).

**The PyTorch comparison.** Two workloads, each a full step (forward, loss, backward, Adam
update) on random data:

- CNN-3 of seed 000 (Table 2): input 1×128×130; three [3×3×32 conv ("same") → ReLU →
  MaxPool → BatchNorm] blocks with pools (2,4), (4,4), (2,5), all stride 2; Dropout 0.3;
  Dense 10. With "same" convolutions the maps are 64×64, 31×31, 15×14 (the paper prints
  63×64, 31×31, 15×15, which no single padding rule gives). Batch 128.
- LSTM(128, return_sequences) → LSTM(64) → Dense 10 on (128, 130, 20).

On the CPU PyTorch and tinymir's BLAS run with the largest count of ``--threads`` (default 2,
OpenBLAS' default on a 2-core machine); on a GPU (``TINYMIR_DEVICE=gpu``) the comparison is
with PyTorch CUDA. Prints samples/s
and the ratio tinymir / torch (median over rounds that alternate the two, so a busy machine
slows both alike); writes ``bench/results/nn_<device>.json`` (with the load average at start
and end, and whether :func:`tinymir.backend.keep_freed_memory` took effect).

    python bench/bench_nn.py [--arch cnn3,lstm] [--threads 1,2] [--steps 2] [--rounds 3]
                             [--batch N] [--no-torch] [--only cnn3|lstm]

The comparison runs for those of cnn3 and lstm that ``--arch`` names (``--only NAME``: that
comparison alone, no zoo table; ``--no-torch``: the table alone), at the largest count of
``--threads`` (BLAS limited to it too), and writes ``nn_<device>.json``; at 1 thread
(``--threads 1``, less sensitive to load on a shared machine) ``nn_cpu_1thread.json``. On a
GPU (``TINYMIR_DEVICE=gpu``) only the comparison runs.

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


def tinymir_step(model, input_shape, batch: int = BATCH):
    """Build ``model`` (unless built) and return a function doing one training step on a fixed
    random batch of ``batch`` samples, and the device synchronisation."""
    from tinymir import backend, nn
    if not model.built:
        model.build(input_shape, seed=0)
    rng = np.random.default_rng(0)
    x = backend.to_device(rng.standard_normal((batch,) + tuple(input_shape)), np.float32)
    y = backend.to_device(rng.integers(0, CLASSES, batch))
    loss, optimizer = nn.SoftmaxCrossEntropy(), nn.Adam(model.parameters())

    def step():
        loss.forward(model.forward(x, training=True), y)
        model.backward(loss.backward(), input_grad=False)
        optimizer.step()

    return step, backend.synchronize


def tinymir_inference(model, input_shape, batch: int = BATCH):
    """A function doing one inference pass (``forward(x, keep_for_backward=False)``, what
    ``predict`` runs) on a fixed random batch of ``batch`` samples of the built ``model``."""
    from tinymir import backend
    rng = np.random.default_rng(1)
    x = backend.to_device(rng.standard_normal((batch,) + tuple(input_shape)), np.float32)
    return lambda: model.forward(x, keep_for_backward=False)


def samples_per_second(step, sync, steps, batch: int = BATCH):
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    return steps * batch / (time.perf_counter() - start)


# -- the zoo table: each architecture against its GEMM bound ---------------------------------

def zoo_model(name: str, batch: int | None = None):
    """(model, batch): zoo architecture ``name`` built as ``tinymir train`` builds it (its own
    front end, ``CLASSES`` outputs, seed 0), and its recipe's batch size unless ``batch``."""
    from tinymir import models
    return models.build(name, CLASSES, seed=0), batch or models.get_arch(name).batch_size


def spread(values) -> dict:
    return {"median": float(np.median(values)), "min": float(min(values)),
            "max": float(max(values))}


def tinymir_cpu_threads() -> int | None:
    """The threads tinymir's block loops use in this process (None before tinymir.threads)."""
    try:
        from tinymir import threads
    except ImportError:
        return None
    return threads.CPU_THREADS


#: A step longer than this (wall seconds, the untimed one) is timed once per round by default.
LONG_STEP_S = 5.0


def zoo_worker(name: str, steps: int | None, rounds: int, batch: int | None) -> dict:
    """One row of the zoo table, in this process (its BLAS thread count set by the caller):
    ``rounds`` rounds of ``steps`` timed steps (None: 2, or 1 for a step over
    ``LONG_STEP_S``), each followed by the GEMM bound once (its operands are filled before
    the clock starts: no untimed pass is needed)."""
    import gemm_bound
    from threadpoolctl import threadpool_info

    from tinymir import backend
    backend.keep_freed_memory()              # as the tinymir command does
    model, batch = zoo_model(name, batch)
    step, sync = tinymir_step(model, model.input_shape, batch)
    infer = tinymir_inference(model, model.input_shape, batch)
    table = gemm_bound.step_gemms(model, batch)
    warm_up = time.perf_counter()
    step()                                   # untimed: allocations, BLAS threads
    if steps is None:
        steps = 1 if time.perf_counter() - warm_up > LONG_STEP_S else 2
    infer()
    measured, inference = [], []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        sync()
        wall, cpu = (time.perf_counter() - wall) / steps, (time.process_time() - cpu) / steps
        measured.append((wall, cpu, gemm_bound.time_gemms(table)))
        cpu_inference = time.process_time()
        for _ in range(steps):
            infer()
        sync()
        inference.append((time.process_time() - cpu_inference) / steps)
    bound_wall = [sum(t[0] for t in times) for _, _, times in measured]
    bound_cpu = [sum(t[1] for t in times) for _, _, times in measured]
    step_wall = [wall for wall, _, _ in measured]
    step_cpu = [cpu for _, cpu, _ in measured]
    forward = [gemm.forward for gemm in table]
    bound_forward = [sum(t[1] for t, fwd in zip(times, forward) if fwd)
                     for _, _, times in measured]
    return {
        "arch": name, "batch": batch, "input_shape": list(model.input_shape), "steps": steps,
        "blas": [{key: info.get(key) for key in ("internal_api", "version", "num_threads")}
                 for info in threadpool_info() if info.get("user_api") == "blas"],
        "tinymir_cpu_threads": tinymir_cpu_threads(),
        "load_average_at_start": os.getloadavg()[0],
        "gemm_gflop_per_step": sum(gemm.flops for gemm in table) / 1e9,
        "samples_per_s": spread([batch / wall for wall in step_wall]),
        "step_wall_s": spread(step_wall), "step_cpu_s": spread(step_cpu),
        "bound_wall_s": spread(bound_wall), "bound_cpu_s": spread(bound_cpu),
        "bound_forward_cpu_s": spread(bound_forward),
        "inference_cpu_s": spread(inference),
        "ratio_inference_cpu": spread([a / b for a, b in zip(inference, bound_forward)]),
        "ratio_cpu": spread([a / b for a, b in zip(step_cpu, bound_cpu)]),
        "ratio_wall": spread([a / b for a, b in zip(step_wall, bound_wall)]),
        "rounds": [{"step_wall_s": w, "step_cpu_s": c, "bound_wall_s": bw, "bound_cpu_s": bc}
                   for w, c, bw, bc in zip(step_wall, step_cpu, bound_wall, bound_cpu)],
        "gemms": [{"layer": gemm.layer, "part": gemm.part, "a": list(gemm.a), "b": list(gemm.b),
                   "calls": gemm.calls, "gflop": gemm.flops / 1e9,
                   "cpu_s": float(np.median([times[k][1] for _, _, times in measured])),
                   "wall_s": float(np.median([times[k][0] for _, _, times in measured]))}
                  for k, gemm in enumerate(table)]}


def zoo_row(name: str, threads: int, args) -> dict:
    """:func:`zoo_worker` in a fresh process whose BLAS (and tinymir's block threads) use
    ``threads`` threads; a failed run gives ``{"arch", "threads", "error"}``."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    command = [sys.executable, __file__, "--zoo-worker", name, "--rounds", str(args.rounds),
               "--batch", str(args.batch or 0)]
    command += [] if args.steps is None else ["--steps", str(args.steps)]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        return {"arch": name, "threads": threads,
                "error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return {"threads": threads, **json.loads(done.stdout.splitlines()[-1])}


ZOO_HEADER = (f"{'arch':9s}{'thr':>4s}{'batch':>6s}  {'samples/s':21s}  {'CPU-s/step':24s}  "
              f"{'bound CPU-s':24s}  {'ratio CPU':19s}  {'ratio wall':19s}  inference ratio CPU")


def zoo_line(row: dict) -> str:
    """One row of the printed table: medians with [min-max] over the rounds."""
    if "error" in row:
        return f"{row['arch']:9s}{row['threads']:>4d}  failed: {row['error']}"

    def cell(key, digits):
        v = row[key]
        return f"{v['median']:.{digits}f} [{v['min']:.{digits}f}-{v['max']:.{digits}f}]"

    return (f"{row['arch']:9s}{row['threads']:>4d}{row['batch']:>6d}  "
            f"{cell('samples_per_s', 1):21s}  {cell('step_cpu_s', 3):24s}  "
            f"{cell('bound_cpu_s', 3):24s}  {cell('ratio_cpu', 2):19s}  "
            f"{cell('ratio_wall', 2):19s}  {cell('ratio_inference_cpu', 2)}")


def add_ideal_ratios(rows: list[dict]) -> None:
    """To every row with more than one thread, ``ratio_wall_ideal``: its step's median wall
    time over the 1-thread bound of the same network divided by the thread count (median CPU
    seconds / N), the products' time had they scaled perfectly over N cores. It does not
    depend on how BLAS's own threads fare on a shared machine."""
    one = {row["arch"]: row for row in rows if row.get("threads") == 1 and "error" not in row}
    for row in rows:
        if row.get("threads", 1) > 1 and "error" not in row and row["arch"] in one:
            ideal = one[row["arch"]]["bound_cpu_s"]["median"] / row["threads"]
            row["ratio_wall_ideal"] = row["step_wall_s"]["median"] / ideal


def cores_available(count: int, seconds: float = 1.0) -> float:
    """The cores ``count`` busy processes actually get for ``seconds``: the sum of their CPU
    seconds per wall second. Below ``count`` the machine is shared (or its virtual cores are),
    and rows with ``count`` threads then time the neighbours as much as tinymir."""
    loop = ("import time\nw, c = time.perf_counter(), time.process_time()\n"
            f"while time.perf_counter() - w < {seconds}: pass\n"
            "print((time.process_time() - c) / (time.perf_counter() - w))")
    spinners = [subprocess.Popen([sys.executable, "-c", loop], stdout=subprocess.PIPE, text=True)
                for _ in range(count)]
    return round(sum(float(spinner.communicate()[0]) for spinner in spinners), 2)


def zoo_table(archs: list[str], threads: list[int], args) -> Path:
    """Print and write the zoo table (one process per architecture and thread count)."""
    from tinymir import models
    results = {"machine": platform.node(), "cpu_count": os.cpu_count(),
               "numpy": np.__version__, "steps": args.steps or f"2 (1 over {LONG_STEP_S} s)",
               "rounds": args.rounds, "batch": args.batch or "recipe",
               "load_average_at_start": os.getloadavg()[0],
               "cores_for_busy_processes_at_start": {threads[-1]: cores_available(threads[-1])},
               "rows": []}
    print(f"load average {results['load_average_at_start']:.2f}; {threads[-1]} busy processes "
          f"get {results['cores_for_busy_processes_at_start'][threads[-1]]:.2f} cores",
          flush=True)
    print(ZOO_HEADER, flush=True)
    for name in archs:
        for count in threads:
            row = zoo_row(name, count, args)
            results["rows"].append(row)
            print(zoo_line(row), flush=True)
    add_ideal_ratios(results["rows"])
    for row in results["rows"]:
        if "ratio_wall_ideal" in row:
            print(f"{row['arch']:9s}{row['threads']:>4d} threads: step wall / (1-thread bound / "
                  f"{row['threads']}) = {row['ratio_wall_ideal']:.2f}", flush=True)
    results["load_average_at_end"] = os.getloadavg()[0]
    results["cores_for_busy_processes_at_end"] = {threads[-1]: cores_available(threads[-1])}
    print(f"load average {results['load_average_at_end']:.2f}; {threads[-1]} busy processes "
          f"get {results['cores_for_busy_processes_at_end'][threads[-1]]:.2f} cores", flush=True)
    suffix = "" if archs == list(models.ARCHS) else "_" + "-".join(archs)
    suffix += f"_batch{args.batch}" if args.batch else ""
    suffix += "" if threads == [1, 2] else "_" + "-".join(map(str, threads)) + "thread"
    out = Path(__file__).resolve().parent / "results" / f"nn_cpu_zoo{suffix}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}", flush=True)
    return out


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
    sets its own (:func:`tinymir.backend.keep_freed_memory`); BLAS on ``threads`` threads.
    The warm-up step is not timed."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    done = subprocess.run([sys.executable, __file__, f"--{library}-worker", name, "--threads",
                           str(threads), "--steps", str(steps)],
                          capture_output=True, text=True, check=True, env=env)
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


def thread_counts(text: str) -> list[int]:
    """``"1,2"`` -> [1, 2]."""
    counts = sorted({int(part) for part in text.split(",") if part.strip()})
    if not counts or counts[0] < 1:
        raise argparse.ArgumentTypeError(f"thread counts must be >= 1, got {text!r}")
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", default=None,
                        help="zoo architectures, comma-separated (default: all)")
    parser.add_argument("--threads", type=thread_counts, default=[1, 2],
                        help="BLAS thread counts of the zoo table, comma-separated (default "
                             "1,2); the PyTorch comparison runs at the largest")
    parser.add_argument("--steps", type=int, default=None,
                        help="timed steps per round (default 2; in the zoo table 1 for a "
                             f"network whose step takes over {LONG_STEP_S:.0f} s)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds (medians and min-max are reported)")
    parser.add_argument("--batch", type=int, default=None,
                        help="batch of the zoo table (default: each recipe's)")
    parser.add_argument("--no-torch", action="store_true", help="the zoo table only")
    parser.add_argument("--only", choices=("cnn3", "lstm"), default=None,
                        help="that PyTorch comparison only (no zoo table)")
    parser.add_argument("--torch-worker", choices=("cnn3", "lstm"), help=argparse.SUPPRESS)
    parser.add_argument("--tinymir-worker", choices=("cnn3", "lstm"), help=argparse.SUPPRESS)
    parser.add_argument("--zoo-worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_worker:
        return torch_worker(args.torch_worker, args.threads[-1], args.steps or 2)
    if args.tinymir_worker:
        return tinymir_worker(args.tinymir_worker, args.steps or 2)
    if args.zoo_worker:
        print(json.dumps(zoo_worker(args.zoo_worker, args.steps, args.rounds, args.batch)))
        return None

    from tinymir import backend, models
    archs = list(models.ARCHS) if args.arch is None else [
        name.strip() for name in args.arch.split(",") if name.strip()]
    unknown = [name for name in archs if name not in models.ARCHS]
    if unknown:
        parser.error(f"unknown architecture {', '.join(unknown)}: choose from "
                     f"{', '.join(models.ARCHS)}")
    if args.only is None and backend.get_device() == "cpu":
        zoo_table(archs, args.threads, args)
    elif args.only is None:
        print("the zoo table times NumPy's GEMMs: CPU only; the PyTorch comparison follows")
    names = [args.only] if args.only else [name for name in workloads() if name in archs]
    args.steps = args.steps or 2
    if names and not args.no_torch:
        torch_comparison(names, args.threads[-1], args)
    return None


def torch_comparison(names: list[str], threads: int, args) -> None:
    """tinymir against PyTorch on the workloads ``names``, ``threads`` threads each."""
    import torch
    from threadpoolctl import threadpool_limits

    from tinymir import backend
    device = backend.get_device()
    if device == "cpu":
        backend.keep_freed_memory()          # as the tinymir command does
    torch_device = "cuda" if device == "gpu" else "cpu"
    if torch_device == "cuda":          # PyTorch at its best on the GPU: cuDNN autotuned
        torch.backends.cudnn.benchmark = True
    torch.set_num_threads(threads)
    blas = threadpool_limits(threads, user_api="blas") if device == "cpu" else None
    if device == "cpu" and threads == 1 and tinymir_cpu_threads() not in (None, 1):
        from tinymir import threads as tinymir_threads
        tinymir_threads.use_one_thread()     # tinymir's block loops on one thread too
    torch.manual_seed(0)

    results = {"device": device, "gpu": backend.gpu_name(), "machine": platform.node(),
               "cpu_count": os.cpu_count(), "torch_threads": threads,
               "openblas_threads": threads if device == "cpu" else None,
               "tinymir_cpu_threads": tinymir_cpu_threads(),
               "load_average_at_start": os.getloadavg()[0],
               "torch": torch.__version__, "batch": BATCH,
               "cudnn": torch.backends.cudnn.version() if torch_device == "cuda" else None,
               "steps": args.steps, "rounds": args.rounds,
               "malloc_env": {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")},
               "malloc_keeps_freed_memory": device == "cpu" and backend.keep_freed_memory(),
               "workloads": {}}
    for name in names:
        ours, theirs, shape = workloads()[name]
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
                own.append(in_own_process("torch", name, threads, args.steps))
                mine_own.append(in_own_process("tinymir", name, threads, args.steps))
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
    if blas is not None:
        blas.restore_original_limits()
    suffix = f"_{threads}thread" if device == "cpu" and threads != 2 else ""
    suffix += "_malloc_env" if results["malloc_env"] else ""
    out = Path(__file__).resolve().parent / "results" / f"nn_{device}{suffix}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
