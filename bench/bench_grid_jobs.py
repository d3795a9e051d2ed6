"""A cross-validated grid run serially and with ``--jobs 2``, in the same run: wall time of each
and their ratio.

    python bench/bench_grid_jobs.py                          # synthetic set, 2 rounds
    python bench/bench_grid_jobs.py --grid grids/seed000_experiment1_cv.toml --rounds 1

Without ``--grid`` a small grid is made here: CNN-3 on mel and on MFCC, 3 folds x 1 repeat,
4 epochs, on 4 synthetic genres of 12 clips of 4 s (``tinymir synth``). Each way is
``tinymir experiment GRID --out DIR --quiet`` in a fresh process, sharing one feature cache
(filled by an untimed run first, so both ways time training alone); rounds alternate which way
goes first. Printed and written to ``bench/results/bench_grid_jobs.json``: every wall time, the
min-max per way, and serial / jobs-2 per round.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "bench_grid_jobs.json"

SMALL_GRID = """name = "bench: CNN-3 on mel and MFCC, 3 folds"
data = "{data}"
seeds = [0]
cv = {{folds = 3, repeats = 1}}

[fixed]
epochs = 4
patience = 4
segment = 1.0

[grid]
arch = ["cnn3"]
features = ["mel", "mfcc"]
"""


def experiment(grid: Path, out: Path, cache: Path, jobs: int) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tinymir", "experiment", str(grid), "--out", str(out),
                    "--cache", str(cache), "--jobs", str(jobs), "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grid", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        grid = args.grid
        if grid is None:
            from tinymir.audio import synth
            synth.make_dataset(tmp / "data", 4, per_class=12, seconds=4.0, seed=3)
            grid = tmp / "grid.toml"
            grid.write_text(SMALL_GRID.format(data=tmp / "data"))
        cache = tmp / "cache"
        experiment(grid, tmp / "warm", cache, 2)               # fills the feature cache
        rows = []
        for round_ in range(args.rounds):
            order = (1, 2) if round_ % 2 == 0 else (2, 1)
            for jobs in order:
                seconds = experiment(grid, tmp / f"r{round_}-j{jobs}", cache, jobs)
                rows.append({"round": round_, "jobs": jobs, "wall_s": seconds})
                print(f"round {round_}: --jobs {jobs}: {seconds:.1f} s", flush=True)
    ratios = [next(r["wall_s"] for r in rows if r["round"] == k and r["jobs"] == 1)
              / next(r["wall_s"] for r in rows if r["round"] == k and r["jobs"] == 2)
              for k in range(args.rounds)]
    spread = {jobs: [min(r["wall_s"] for r in rows if r["jobs"] == jobs),
                     max(r["wall_s"] for r in rows if r["jobs"] == jobs)] for jobs in (1, 2)}
    print(f"serial / --jobs 2: {', '.join(f'{r:.2f}' for r in ratios)} "
          f"(serial {spread[1][0]:.0f}-{spread[1][1]:.0f} s, jobs 2 "
          f"{spread[2][0]:.0f}-{spread[2][1]:.0f} s)")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "grid": str(args.grid or "small synthetic grid (this script)"), "rounds": args.rounds,
        "machine": platform.machine(), "cpus": os.cpu_count(), "load_average_at_start": load,
        "when": time.strftime("%Y-%m-%d %H:%M"), "rows": rows, "serial_over_jobs2": ratios,
        "min_max_s": spread}, indent=1))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
