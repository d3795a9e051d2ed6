"""The model zoo on real audio (issue 5, acceptance items 2 and 3), from ``../shared/data``.

GTZAN excerpts (10 genres, 2-3 s each), group-aware split on Sturm's artist ids (the GTZAN
reader attaches them), 2 s segments so every excerpt is one segment:

* seed 000 Experiment I: cnn3 on mel, stft and mfcc;
* seed 000 Experiment II: cnn3 ... cnn7 and ffnn on mel;
* seed 002: dieleman and lstm on MFCC.

4Q MER clips (``mer4q_dev``, 85 clips of ~30 s): fcn5 on the AllMusic mood tags (multi-label,
tags on at least ``--min-count`` clips) and on the quadrant (one label), random stratified split.

Each run writes its RUN_DIR under ``--out`` (features cached in ``--out/cache``); the table of
test-track figures goes to ``bench/results/bench_train_real.{json,md}``. Nothing here is timed
against a reference: it measures what the zoo reaches on this data with the given epoch budget.

    python bench/bench_train_real.py --epochs 10            # everything
    python bench/bench_train_real.py --only cnn3-mel fcn5-tags
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from tinymir.train import run

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "bench" / "results"

GTZAN = [("cnn3-mel", "cnn3", "mel"), ("cnn3-mfcc", "cnn3", "mfcc"),
         ("dieleman-mfcc", "dieleman", "mfcc"), ("lstm-mfcc", "lstm", "mfcc"),
         ("ffnn-mel", "ffnn", "mel"), ("cnn4-mel", "cnn4", "mel"), ("cnn5-mel", "cnn5", "mel"),
         ("cnn6-mel", "cnn6", "mel"), ("cnn7-mel", "cnn7", "mel"), ("cnn3-stft", "cnn3", "stft")]


def configs(args):
    """Cheapest first, so that a short time budget still fills most of the table: five GTZAN
    runs, the two 4Q runs, then the deeper CNNs and the STFT input."""
    gtzan = SHARED / "gtzan_excerpts"
    mer = SHARED / "mer4q_dev"
    for name, arch, features in GTZAN[:5]:
        yield name, gtzan_config(args, gtzan, name, arch, features)
    yield "fcn5-tags", run.TrainConfig(
        arch="fcn5", data=str(mer), out=str(Path(args.out) / "fcn5-tags"), dataset="tags",
        epochs=args.epochs, patience=args.patience, seed=args.seed, batch_size=8,
        cache=str(Path(args.out) / "cache"),
        reader_options={"tags_column": "MoodsStrSplit", "min_count": args.min_count})
    yield "fcn5-quadrant", run.TrainConfig(
        arch="fcn5", data=str(mer), out=str(Path(args.out) / "fcn5-quadrant"), dataset="tags",
        epochs=args.epochs, patience=args.patience, seed=args.seed, batch_size=8,
        cache=str(Path(args.out) / "cache"), reader_options={"label_columns": "Quadrant"})
    for name, arch, features in GTZAN[5:]:
        yield name, gtzan_config(args, gtzan, name, arch, features)


def gtzan_config(args, gtzan, name, arch, features):
    return run.TrainConfig(arch=arch, data=str(gtzan), out=str(Path(args.out) / name),
                           features=features, segment=2.0, split="group", epochs=args.epochs,
                           patience=args.patience, seed=args.seed,
                           cache=str(Path(args.out) / "cache"))


def row(name, report, seconds):
    test = report["results"]["test"]["tracks"]
    out = {"run": name, "arch": report["arch"], "features": report["front"]["features"],
           "data": Path(report["data"]).name, "split": report["split"],
           "test_tracks": test["n"], "best_epoch": report["best_epoch"],
           "epochs_run": report["epochs_run"], "seconds": seconds,
           "data_loading_share": report["data_loading_share"],
           "roc_auc": test["roc_auc"], "pr_auc": test["pr_auc"], "macro_f1": test["macro_f1"]}
    if report["multilabel"]:
        out.update(roc_auc_samples=test["roc_auc_samples"], n_tags=len(report["classes"]),
                   binary_accuracy=test["binary_accuracy"],
                   all_zeros_binary_accuracy=test["all_zeros_binary_accuracy"])
    else:
        out["accuracy"] = test["accuracy"]
    return out


def markdown(rows) -> str:
    lines = ["| run | data | split | test tracks | accuracy | macro F1 | ROC-AUC | PR-AUC | "
             "best / run epochs |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        acc = f"{r['accuracy']:.3f}" if "accuracy" in r else (
            f"bin. {r['binary_accuracy']:.3f} (zeros {r['all_zeros_binary_accuracy']:.3f})")
        lines.append(f"| {r['run']} | {r['data']} | {r['split']} | {r['test_tracks']} | {acc} | "
                     f"{r['macro_f1']:.3f} | {r['roc_auc']:.3f} | {r['pr_auc']:.3f} | "
                     f"{r['best_epoch']} / {r['epochs_run']} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--patience", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-count", type=int, default=6)
    parser.add_argument("--out", default="runs/real")
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    if not SHARED.is_dir():
        raise SystemExit(f"{SHARED} is not there: this benchmark needs the development data")

    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "bench_train_real.json"
    rows = json.loads(path.read_text()) if args.only and path.is_file() else []
    for name, config in configs(args):
        if args.only and name not in args.only:
            continue
        start = time.perf_counter()
        report = run.train(config, progress=False)
        rows = ([r for r in rows if r["run"] != name]
                + [row(name, report, time.perf_counter() - start)])
        print(markdown(rows[-1:]).splitlines()[-1], flush=True)
        path.write_text(json.dumps(rows, indent=2))
        (RESULTS / "bench_train_real.md").write_text(markdown(rows))


if __name__ == "__main__":
    main()
