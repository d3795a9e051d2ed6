"""Long recordings: peak memory and speed of a model on an hour of audio, in blocks against the
whole file at once, in the same run.

    python bench/bench_long_recording.py                 # 60 minutes, one round
    python bench/bench_long_recording.py --minutes 10 --rounds 3

A synthetic recording (genres changing every ``--change`` seconds, 22 050 Hz mono 16-bit wav)
is labelled by a small CNN-3 trained here on synthetic clips (or ``--model``), each way in a
fresh interpreter so that its peak resident memory is its own:

- ``blocks``: ``tinymir.load_model(m).predict_file(path)``, which reads a file longer than one
  block (60 s) in blocks (``tinymir.predict.recording``);
- ``timeline``: ``timeline(path)``, the same blocks, every segment's scores kept and smoothed;
- ``listen``: the file's samples streamed through ``tinymir.predict.listen`` in pieces of 4096
  samples as fast as they come (a live stream's blocks of one segment hop), with the median and
  99th-percentile latency from a segment's last sample to its label;
- ``whole``: the file's features computed at once and its segments scored from them (what
  ``predict_file`` did for every length before, and still does up to 60 s).

Printed and written to ``bench/results/bench_long_recording.json``: per way, the wall and CPU
seconds, the peak RSS (``ru_maxrss``) and the real-time factor (seconds of audio per second of
wall time), and the whole/blocks ratios. Rounds alternate which way runs first.
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

import soundfile

RESULTS = Path(__file__).resolve().parent / "results" / "bench_long_recording.json"
SR = 22050
GENRES = ("electronic", "classical")

CHILD = r'''
import json, resource, sys, time
import numpy as np
import tinymir
from tinymir.features.files import file_features
from tinymir.train.inputs import part_params, stack
way, model, path = sys.argv[1:4]
predictor = tinymir.load_model(model)
wall, cpu = time.perf_counter(), time.process_time()
spans, extra = None, {}
if way == "blocks":
    top = predictor.predict_file(path)["top"][0][0]
elif way == "timeline":
    found = predictor.timeline(path)
    top, spans = found.spans[0].label, len(found.spans)
elif way == "listen":
    from tinymir.audio.stream import read_blocks
    from tinymir.predict.listen import listen
    sr, blocks = read_blocks(path, 4096 / 22050)
    heard = list(listen(predictor, blocks, sr))
    latency = np.array([h.latency for h in heard])
    top, spans = heard[0].label, None
    extra = {"latency_s_median": float(np.median(latency)),
             "latency_s_p99": float(np.percentile(latency, 99))}
else:
    feats = stack([file_features(path, params) for params in part_params(predictor.front)])
    top = predictor._labels(feats, 3, [])["top"][0][0]
print(json.dumps({"way": way, "wall_s": time.perf_counter() - wall,
                  "cpu_s": time.process_time() - cpu, "top": top, "spans": spans,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  **extra}))
'''


def train_model(folder: Path) -> Path:
    from tinymir.audio import synth
    from tinymir.train import config, run
    synth.make_dataset(folder / "data", GENRES, per_class=10, seconds=6.0, seed=11)
    run.train(config.TrainConfig(arch="cnn3", data=str(folder / "data"), out=str(folder / "run"),
                                 epochs=4, batch_size=16, seed=2, cache=None), progress=False)
    return folder / "run" / "model.npz"


def write_recording(path: Path, minutes: float, change: float) -> float:
    """A mono 16-bit wav of ``minutes``, the genre changing every ``change`` seconds, written
    piece by piece; returns its length in seconds."""
    from tinymir.audio import synth
    total = int(minutes * 60 * SR)
    with soundfile.SoundFile(path, "w", SR, 1, subtype="PCM_16") as out:
        written, piece = 0, 0
        while written < total:
            seconds = min(change, (total - written) / SR)
            y = synth.render_clip(GENRES[piece % 2], 1000 + piece, seconds=seconds, sr=SR)
            out.write(y[:total - written])
            written += min(len(y), total - written)
            piece += 1
    return total / SR


def run_way(way: str, model: Path, path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, way, str(model), str(path)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--change", type=float, default=180.0, help="seconds between genres")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model = args.model or train_model(folder)
        path = folder / "long.wav"
        seconds = write_recording(path, args.minutes, args.change)
        rows = []
        for round_ in range(args.rounds):
            order = ("blocks", "timeline", "listen", "whole")
            order = order if round_ % 2 == 0 else order[::-1]
            for way in order:
                row = {"round": round_, **run_way(way, model, path)}
                row["realtime_factor"] = seconds / row["wall_s"]
                rows.append(row)
                print(f"{way:<6} round {round_}: {row['wall_s']:7.1f} s wall, "
                      f"{row['cpu_s']:7.1f} s CPU, peak RSS {row['peak_rss_mb']:7.0f} MB, "
                      f"{row['realtime_factor']:6.1f}x real time, top {row['top']}", flush=True)
    summary = {}
    for way in ("blocks", "timeline", "listen", "whole"):
        mine = [row for row in rows if row["way"] == way]
        summary[way] = {key: [min(r[key] for r in mine), max(r[key] for r in mine)]
                        for key in ("wall_s", "cpu_s", "peak_rss_mb", "realtime_factor")}
    ratio = {key: summary["whole"][key][0] / summary["blocks"][key][0]
             for key in ("wall_s", "peak_rss_mb")}
    print(f"whole / blocks: peak RSS {ratio['peak_rss_mb']:.2f}x, wall time "
          f"{ratio['wall_s']:.2f}x (min over rounds)")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "minutes": args.minutes, "rounds": args.rounds, "machine": platform.machine(),
        "processor": platform.processor(), "cpus": os.cpu_count(),
        "load_average_at_start": load, "when": time.strftime("%Y-%m-%d %H:%M"),
        "rows": rows, "min_max": summary, "whole_over_blocks": ratio}, indent=1))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
