"""Measurement (no reference library): seed 001's question on real audio.

Two cnn3 models trained on the GTZAN excerpts with the group-aware split, seeds 0 and 1::

    tinymir train ../shared/data/gtzan_excerpts --arch cnn3 --split group --epochs 10 \\
        --patience 3 --seed S --out runs/gtzan_cnn3_seedS --cache runs/cache

For model A (seed 0) and each of ``--restarts`` seeds: the most representative input of every
genre (``tinymir explain represent``, logit objective, noise start), its score against the best
real excerpt of that genre (all 346 excerpts), then the input turned into audio (Griffin-Lim) and
classified by ``tinymir predict`` with model A itself and with model B (seed 1). Prints the
per-genre table and the hit counts; writes ``bench/results/explain_real.json``::

    python bench/explain_real.py --model-a runs/gtzan_cnn3_seed0/model.npz \\
        --model-b runs/gtzan_cnn3_seed1/model.npz --cache runs/cache --steps 100 --restarts 2
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from tinymir.explain.measure import represent_model
from tinymir.explain.represent import Settings
from tinymir.predict import Predictor

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "gtzan_excerpts"
RESULTS = ROOT / "bench" / "results" / "explain_real.json"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-a", required=True)
    parser.add_argument("--model-b", required=True)
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--cache", default=None)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--restarts", type=int, default=2)
    parser.add_argument("--out", default=None,
                        help="Keep the files here (default: a temp dir); a restart whose "
                             "summary.json is already there is reused, not recomputed.")
    args = parser.parse_args()

    out = Path(args.out or tempfile.mkdtemp(prefix="explain_real_"))
    judges = {"model A (itself)": Predictor.load(args.model_a),
              "model B (seed 1)": Predictor.load(args.model_b)}
    runs = []
    for seed in range(args.restarts):
        start = time.perf_counter()
        folder = out / f"seed{seed}"
        if (folder / "summary.json").is_file():            # done by an earlier run: reuse
            summary = json.loads((folder / "summary.json").read_text())
        else:
            summary = represent_model(args.model_a, folder, Settings(steps=args.steps, seed=seed),
                                      data=args.data, audio_dir=folder / "wav",
                                      cache_root=args.cache, progress=True)
        for row in summary["classes"]:
            wav = folder / "wav" / f"{row['class']}.wav"
            row["predicted"] = {name: judge.predict_file(wav, top=1)["top"][0][0]
                                for name, judge in judges.items()}
        runs.append({"seed": seed, "seconds": time.perf_counter() - start,
                     "classes": summary["classes"]})
        print(f"restart {seed}: {runs[-1]['seconds']:.0f} s")

    classes = [row["class"] for row in runs[0]["classes"]]
    table = []
    print(f"{'genre':<10} {'max score':>10} {'best real':>10} {'difference':>10}  best track"
          + "".join(f"  {name}" for name in judges))
    for k, name in enumerate(classes):
        rows = [run["classes"][k] for run in runs]
        hits = {judge: sum(r["predicted"][judge] == name for r in rows) for judge in judges}
        entry = {"class": name, "max_score": [r["max_score"] for r in rows],
                 "best_track": rows[0]["best_track"], "best_score": rows[0]["best_score"],
                 "difference": [r["difference"] for r in rows],
                 "predicted": [r["predicted"] for r in rows], "hits": hits}
        table.append(entry)
        print(f"{name:<10} {np.mean(entry['max_score']):>10.2f} {entry['best_score']:>10.2f} "
              f"{np.mean(entry['difference']):>10.2f}  {entry['best_track']:<16}"
              + "".join(f"  {hits[j]}/{len(rows)}" for j in judges))
    totals = {judge: sum(e["hits"][judge] for e in table) for judge in judges}
    print("inverted audio classified as its genre: " + ", ".join(
        f"{judge} {totals[judge]}/{len(classes) * len(runs)}" for judge in judges))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"steps": args.steps, "restarts": args.restarts,
                                   "models": [args.model_a, args.model_b], "table": table,
                                   "totals": totals, "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
