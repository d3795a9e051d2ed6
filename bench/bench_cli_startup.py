"""How long `tinymir --help` (and each command's `--help`) takes, in a fresh process each time.

The command line imports what a command needs when it runs, so asking for help costs the
interpreter, NumPy and click. Reference: `python -c pass` and `python -c "import numpy, click"` in
the same run (the floor no lazy import can go under). Prints median [min-max] of --repeats runs
and writes bench/results/cli_startup.json.

    python bench/bench_cli_startup.py --repeats 7
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "cli_startup.json"
CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import numpy, click": [sys.executable, "-c", "import numpy, click"],
    "tinymir --help": [sys.executable, "-m", "tinymir.cli.main", "--help"],
    "tinymir train --help": [sys.executable, "-m", "tinymir.cli.main", "train", "--help"],
    "tinymir features --help": [sys.executable, "-m", "tinymir.cli.main", "features", "--help"],
    "tinymir info": [sys.executable, "-m", "tinymir.cli.main", "info"],
}


def wall_seconds(command) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr[-500:]}")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    results = {"load_average": os.getloadavg(), "repeats": args.repeats, "cases": {}}
    for name, command in CASES.items():
        wall_seconds(command)                      # warm the file cache
        times = [wall_seconds(command) for _ in range(args.repeats)]
        results["cases"][name] = {"median": statistics.median(times), "min": min(times),
                                  "max": max(times)}
        print(f"{name:<26} {statistics.median(times):6.3f} s "
              f"[{min(times):.3f}-{max(times):.3f}]")
    floor = results["cases"]["import numpy, click"]["median"]
    helps = results["cases"]["tinymir --help"]["median"]
    print(f"tinymir --help / (numpy + click): {helps / floor:.2f}; "
          f"load average {results['load_average'][0]:.1f}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
