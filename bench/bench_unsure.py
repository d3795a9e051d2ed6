"""How often a model says "unsure" or "unlike the training data" instead of a confident wrong
label: a cnn3 trained on 4 of the 8 synthetic genres (``tinymir.audio.synth.GENRES``), then
labelling held-out clips of those genres, clips of the 4 genres it never saw, white noise,
very quiet noise (peak about -45 dBFS, just above the silence refusal) and DC.

Per input kind, the share of clips answered right and wrong BEFORE (the raw softmax, no
threshold: every clip gets its top label, as a model file without calibration answers) and
AFTER (:mod:`tinymir.train.calibrate`: temperature, ``unsure`` below the validation threshold,
``unlike_training`` above the feature-distance limit). After, the kinds are exclusive: flagged
unlike first, then unsure, then confidently right or wrong; ``unsure_any`` counts unsure with
or without the flag. A clip of an unseen genre, noise or DC has no right label. Results go to
``bench/results/bench_unsure.json``.

    python bench/bench_unsure.py                 # a few minutes on 2 CPU cores
    python bench/bench_unsure.py --clips 5 --epochs 2      # a quick look
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from tinymir import nn
from tinymir.audio import synth
from tinymir.predict.predictor import Predictor
from tinymir.train import run

RESULTS = Path(__file__).resolve().parent / "results"
TRAINED = ("rock", "electronic", "jazz", "classical")
SR = 22050
KEPT = ("temperature", "unsure_below", "unlike")


def inputs(n: int, seconds: float, seed: int) -> dict:
    """Per input kind, ``(clips, true label or None)``."""
    rng = np.random.default_rng(seed)
    unseen = [g for g in synth.GENRES if g not in TRAINED]
    size = int(seconds * SR)

    def genre_clips(genres):
        return [(synth.render_clip(g, synth.clip_rng(seed, g, i), seconds, SR), g)
                for g in genres for i in range(n)]

    return {
        "trained genres (held out)": genre_clips(TRAINED),
        "unseen genres": genre_clips(unseen),
        "white noise": [(rng.normal(0, rng.uniform(0.05, 0.3), size).astype(np.float32), None)
                        for _ in range(n)],
        "quiet noise": [(rng.normal(0, 10 ** (-45 / 20) / 4, size).astype(np.float32), None)
                        for _ in range(n)],
        "DC": [(np.full(size, rng.uniform(-0.8, 0.8), np.float32), None) for _ in range(n)],
    }


def shares(predictor: Predictor, clips, calibrated: bool) -> dict:
    counts = dict.fromkeys(("right", "wrong", "unsure", "unlike", "unsure_any"), 0)
    for y, truth in clips:
        result = predictor.predict_array(y, SR)
        right = result["top"][0][0] == truth
        if calibrated and result.get("unlike_training"):
            kind = "unlike"
        elif calibrated and result.get("unsure"):
            kind = "unsure"
        else:
            kind = "right" if right else "wrong"
        counts[kind] += 1
        counts["unsure_any"] += bool(calibrated and result.get("unsure"))
    keys = ("right", "wrong", "unsure", "unlike", "unsure_any") if calibrated else ("right",
                                                                                    "wrong")
    return {key: counts[key] / len(clips) for key in keys}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=20, help="training clips per genre")
    parser.add_argument("--clips", type=int, default=10, help="test clips per genre and kind")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        synth.make_dataset(folder / "data", TRAINED, per_class=args.per_class,
                           seconds=args.seconds, seed=args.seed)
        report = run.train(run.TrainConfig(arch="cnn3", data=str(folder / "data"),
                                           out=str(folder / "run"), segment=1.0, overlap=0.5,
                                           epochs=args.epochs, batch_size=16, seed=args.seed,
                                           cache=None), progress=False)
        model, metadata = nn.load(folder / "run" / "model.npz")
    after = Predictor(model, metadata)
    before = Predictor(model, {k: v for k, v in metadata.items() if k not in KEPT})
    table = {}
    for kind, clips in inputs(args.clips, args.seconds, args.seed + 1000).items():
        table[kind] = {"n": len(clips), "before": shares(before, clips, False),
                       "after": shares(after, clips, True)}
    calibration = report["calibration"]
    header = (f"{'input':<26} {'n':>4} | before: {'right':>5} {'wrong':>5} | after: "
              f"{'right':>5} {'wrong':>5} {'unsure':>6} {'unlike':>6} (unsure any)")
    print(f"cnn3 on {', '.join(TRAINED)}: test accuracy "
          f"{report['results']['test']['tracks']['accuracy']:.3f}; "
          f"temperature {calibration['temperature']:.3g}, unsure below "
          f"{calibration['unsure_below']:.3f}, unlike above {calibration['unlike_above']:.3g}; "
          f"ECE validation tracks {calibration['ece']['val']['tracks']['before']:.3f} -> "
          f"{calibration['ece']['val']['tracks']['after']:.3f}, test "
          f"{calibration['ece']['test']['tracks']['before']:.3f} -> "
          f"{calibration['ece']['test']['tracks']['after']:.3f}")
    print(header)
    for kind, row in table.items():
        b, a = row["before"], row["after"]
        print(f"{kind:<26} {row['n']:>4} | before: {b['right']:>5.2f} {b['wrong']:>5.2f} | "
              f"after: {a['right']:>5.2f} {a['wrong']:>5.2f} {a['unsure']:>6.2f} "
              f"{a['unlike']:>6.2f} ({a['unsure_any']:.2f})")
    seconds = time.perf_counter() - start
    print(f"{seconds:.0f} s")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "bench_unsure.json"
    out.write_text(json.dumps({"trained": TRAINED, "args": vars(args),
                               "test_accuracy": report["results"]["test"]["tracks"]["accuracy"],
                               "calibration": calibration, "table": table,
                               "seconds": seconds}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
