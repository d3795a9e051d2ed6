"""The files a run leaves for people: ``history.csv``, ``report.json``, ``report.md`` (each
written atomically) and, when matplotlib is installed, ``confusion.png`` (test tracks) and
``curves.png`` (loss and the monitored metric per epoch)."""
from __future__ import annotations

import csv
import importlib.util
import io
import json
import math
from pathlib import Path

from tinymir.atomic import write_text

HEADLINE_SINGLE = (("accuracy", "accuracy"), ("macro_f1", "macro F1"), ("roc_auc", "ROC-AUC"),
                   ("pr_auc", "PR-AUC"))
HEADLINE_TAGS = (("roc_auc", "ROC-AUC macro"), ("roc_auc_samples", "ROC-AUC samples"),
                 ("pr_auc", "PR-AUC macro"), ("pr_auc_samples", "PR-AUC samples"),
                 ("macro_f1", "macro F1"), ("binary_accuracy", "binary accuracy"),
                 ("all_zeros_binary_accuracy", "all-zeros binary accuracy"))


def history_csv(history: list[dict]) -> str:
    """The per-epoch logs as CSV text, one column per key seen in any epoch."""
    keys = []
    for row in history:
        keys += [k for k in row if k not in keys]
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=keys)
    writer.writeheader()
    writer.writerows(history)
    return text.getvalue()


def _fmt(value) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def markdown(report: dict) -> str:
    """A short human report: the run, then the headline metrics per part, level and class."""
    headline = HEADLINE_TAGS if report["multilabel"] else HEADLINE_SINGLE
    lines = [f"# {report['arch']} on {report['dataset']}", "",
             f"- data: `{report['data']}`; classes: {', '.join(report['classes'])}",
             f"- split: {report['split']} — tracks "
             + ", ".join(f"{p} {n}" for p, n in report["tracks"].items())
             + "; segments " + ", ".join(f"{p} {n}" for p, n in report["segments"].items()),
             f"- front end: {report['front']['kind']}, {report['front']['sr']} Hz, "
             f"{report['front']['segment']:g} s segments; {report['params']} parameters",
             f"- best epoch {report['best_epoch']} of {report['epochs_run']}; track scores: "
             f"{report['aggregate']} of segment probabilities",
             f"- time: features {report['feature_seconds']:.1f} s "
             f"({'cache ' + report['feature_cache'] if report.get('feature_cache') else 'in memory'})"
             f", training "
             f"{report['train_seconds']:.1f} s on {report['device']}; share of training time "
             f"spent waiting for data: {100 * (report['data_loading_share'] or 0):.1f} %"]
    if report["skipped"]:
        lines.append(f"- skipped {len(report['skipped'])} files, e.g. {report['skipped'][0][0]}: "
                     f"{report['skipped'][0][1]}")
    lines += ["", "| part | level | " + " | ".join(name for _, name in headline) + " |",
              "|---|---|" + "---|" * len(headline)]
    for part, levels in report["results"].items():
        for level, result in levels.items():
            lines.append(f"| {part} | {level} | "
                         + " | ".join(_fmt(result[key]) for key, _ in headline) + " |")
    test = report["results"].get("test", {}).get("tracks")
    if test:
        extra = " | threshold" if report["multilabel"] else ""
        lines += ["", "Per class, test tracks:", "",
                  f"| class | precision | recall | F1 | support{extra} |",
                  "|---|---|---|---|---|" + ("---|" if extra else "")]
        for name, row in test["per_class"].items():
            cells = [row["precision"], row["recall"], row["f1"], row["support"]]
            if extra:
                cells.append(row["threshold"])
            lines.append(f"| {name} | " + " | ".join(_fmt(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def plot_confusion(path, confusion, classes) -> None:
    from matplotlib.figure import Figure      # no pyplot: the user's backend stays as it is

    size = max(4.0, 0.5 * len(classes) + 2)
    fig = Figure(figsize=(size, size))
    ax = fig.subplots()
    ax.imshow(confusion, cmap="Blues")
    ax.set_xticks(range(len(classes)), classes, rotation=60, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i, row in enumerate(confusion):
        for j, count in enumerate(row):
            if count:
                ax.text(j, i, str(count), ha="center", va="center", fontsize=8)
    ax.set_title("test tracks")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def plot_curves(path, history: list[dict]) -> None:
    from matplotlib.figure import Figure

    epochs = [h["epoch"] for h in history]
    fig = Figure(figsize=(9, 3.5))
    left, right = fig.subplots(1, 2)
    left.plot(epochs, [h["loss"] for h in history], label="training loss")
    if "val_loss" in history[0]:
        left.plot(epochs, [h["val_loss"] for h in history], label="validation loss")
    left.set_xlabel("epoch")
    left.legend()
    for key in ("acc", "val_acc", "val_segment_acc", "val_auc"):
        if key in history[0]:
            right.plot(epochs, [h[key] for h in history], label=key)
    right.set_xlabel("epoch")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def matplotlib_available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def write_run(out, report: dict, history: list[dict], classes) -> None:
    out = Path(out)
    write_text(out / "history.csv", history_csv(history))
    write_text(out / "report.json", json.dumps(report, indent=2))
    write_text(out / "report.md", markdown(report))
    if matplotlib_available():
        plot_curves(out / "curves.png", history)
        test = report["results"].get("test", {}).get("tracks", {})
        if "confusion" in test:
            plot_confusion(out / "confusion.png", test["confusion"], classes)
