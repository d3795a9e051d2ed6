"""The files a run leaves for people: ``history.csv``, ``report.json``, ``report.md`` (each
written atomically) and, when matplotlib is installed, ``confusion.png`` (test tracks) and
``curves.png`` (loss and the monitored metric per epoch); see :mod:`tinymir.pictures`."""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from pathlib import Path

import numpy as np

from tinymir import backend, pictures
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
    cache = f"cache {report['feature_cache']}" if report.get("feature_cache") else "in memory"
    lines = [f"# {report['arch']} on {report['dataset']}", "",
             f"- data: `{report['data']}`; classes: {', '.join(report['classes'])}",
             f"- split: {report['split']} — tracks "
             + ", ".join(f"{p} {n}" for p, n in report["tracks"].items())
             + "; segments " + ", ".join(f"{p} {n}" for p, n in report["segments"].items()),
             f"- front end: {report['front']['kind']}, {report['front']['sr']} Hz, "
             f"{report['front']['segment']:g} s segments; {report['params']} parameters",
             f"- best epoch {report['best_epoch']} of {report['epochs_run']}; track scores: "
             f"{report['aggregate']} of segment probabilities",
             f"- time: features {report['feature_seconds']:.1f} s ({cache})"
             f", training "
             f"{report['train_seconds']:.1f} s on {report['device']}; share of training time "
             f"spent waiting for data: {100 * (report['data_loading_share'] or 0):.1f} %"]
    if report.get("calibration"):
        lines.append(calibration_line(report["calibration"]))
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


def calibration_line(calibration: dict) -> str:
    """report.md's line on :mod:`tinymir.train.calibrate`: the temperature, the expected
    calibration error of the tracks before -> after, the "unsure" and "unlike" limits and the
    shares of tracks they catch."""
    unlike = (f"unlike the training data above feature distance "
              f"{calibration['unlike_above']:.3g} (validation "
              f"{100 * calibration['unlike_share']['val']:.0f} %, test "
              f"{100 * calibration['unlike_share']['test']:.0f} % of tracks)")
    if calibration.get("temperature") is None:
        return f"- calibration: none for tags ({calibration.get('note', '')}); {unlike}"
    ece = calibration["ece"]
    errors = ", ".join(f"{name} {ece[part]['tracks']['before']:.3f} -> "
                       f"{ece[part]['tracks']['after']:.3f}"
                       for part, name in (("val", "validation"), ("test", "test")))
    return (f"- calibration on the {calibration['fitted_on']}: temperature "
            f"{calibration['temperature']:.3g}; expected calibration error of the tracks "
            f"({calibration['ece_bins']} bins) {errors}; unsure below top probability "
            f"{calibration['unsure_below']:.3f} (validation "
            f"{100 * calibration['unsure_share']['val']:.0f} %, test "
            f"{100 * calibration['unsure_share']['test']:.0f} % of tracks); {unlike}")


#: Readable names of the per-epoch logs drawn in ``curves.png``.
CURVE_NAMES = {"loss": "training loss", "val_loss": "validation loss",
               "acc": "training accuracy", "val_acc": "validation accuracy",
               "val_segment_acc": "validation accuracy (segments)",
               "val_auc": "validation ROC-AUC"}
SCORES = ("acc", "val_acc", "val_segment_acc", "val_auc")


def plot_confusion(path, confusion, classes) -> None:
    """Counts (left) and each true class's row as a share of its tracks (right, the recall
    on the diagonal), each with a colour bar; a cell's text is white on dark cells and
    black on light ones."""
    confusion = np.asarray(confusion, dtype=float)
    totals = confusion.sum(axis=1, keepdims=True)
    shares = np.divide(confusion, totals, out=np.zeros_like(confusion), where=totals > 0)
    size = max(4.0, 0.5 * len(classes) + 2)
    figure, axes = pictures.new_figure(2 * size + 1.5, size, columns=2)
    views = ((axes[0, 0], confusion, "test tracks: counts", "tracks", "{:.0f}", None),
             (axes[0, 1], shares, "test tracks: share of each true class", "share of the "
              "true class's tracks", "{:.2f}", (0.0, 1.0)))
    font = 8 if len(classes) <= 12 else 6
    for ax, values, title, unit, text, limits in views:
        vmin, vmax = limits or (0.0, max(float(values.max()), 1.0))
        image = ax.imshow(values, cmap="Blues", vmin=vmin, vmax=vmax)
        figure.colorbar(image, ax=ax, label=unit, fraction=0.046, pad=0.04)
        ax.set_xticks(range(len(classes)), classes, rotation=60, ha="right")
        ax.set_yticks(range(len(classes)), classes)
        ax.set(xlabel="predicted class", ylabel="true class", title=title)
        for i, row in enumerate(values):
            for j, value in enumerate(row):
                if confusion[i, j]:
                    ax.text(j, i, text.format(value), ha="center", va="center", fontsize=font,
                            color=pictures.text_colour(image, value))
    pictures.save(figure, path)


def plot_curves(path, history: list[dict], best_epoch: int | None = None) -> None:
    """Loss (left) and accuracy / ROC-AUC (right) per epoch, with readable names, a mark at
    the best epoch and a dotted line where the learning rate dropped (its new value noted).
    Lines of the same panel differ in colour, style and marker, so equal curves stay
    visible."""
    epochs = [h["epoch"] for h in history]
    figure, axes = pictures.new_figure(11, 4, columns=2)
    left, right = axes[0]
    styles = (("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"))
    scores = [k for k in SCORES if k in history[0]]
    score_name = " / ".join(dict.fromkeys("ROC-AUC" if k.endswith("auc") else "accuracy"
                                          for k in scores)) or "score"
    panels = ((left, [k for k in ("loss", "val_loss") if k in history[0]], "loss",
               "loss per epoch"),
              (right, scores, score_name, f"{score_name} per epoch"))
    drops = [(h["epoch"], h["lr"]) for before, h in zip(history, history[1:])
             if "lr" in h and h["lr"] < before.get("lr", h["lr"])]
    for ax, keys, ylabel, title in panels:
        for (line, marker), key in zip(styles, keys):
            ax.plot(epochs, [h[key] for h in history], linestyle=line, marker=marker,
                    markersize=4, markerfacecolor="none", label=CURVE_NAMES.get(key, key))
        for number, (epoch, lr) in enumerate(drops):
            ax.axvline(epoch, color="0.5", linestyle=":", linewidth=1,
                       label="learning rate drop" if number == 0 else None)
            ax.annotate(f"lr {lr:.2g}", (epoch, 0), xycoords=("data", "axes fraction"),
                        xytext=(2, 3), textcoords="offset points", fontsize=7, color="0.4")
        if best_epoch is not None:
            ax.axvline(best_epoch, color="C3", linewidth=1.2, alpha=0.7,
                       label=f"best epoch ({best_epoch})")
        ax.set(xlabel="epoch", ylabel=ylabel, title=title)
        pictures.integer_ticks(ax.xaxis)
        if ax is right:
            ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    pictures.save(figure, path)


def matplotlib_available() -> bool:
    """Whether the pictures can be drawn (:func:`tinymir.pictures.available`)."""
    return pictures.available()


def write_run(out, report: dict, history: list[dict], classes) -> bool:
    """The files of the module docstring in ``out``; whether the pictures were drawn.

    Parameters
    ----------
    out : str or Path
        RUN_DIR (or the folder a replacing run is built in).
    report : dict
        report.json's content (:func:`build_report`).
    history : list of dict
        The per-epoch logs (history.csv, curves.png).
    classes : list of str
        Class names (the confusion matrix's labels).
    """
    out = Path(out)
    write_text(out / "history.csv", history_csv(history))
    write_text(out / "report.json", json.dumps(report, indent=2))
    write_text(out / "report.md", markdown(report))
    if not matplotlib_available():
        return False
    plot_curves(out / "curves.png", history, report.get("best_epoch"))
    test = report["results"].get("test", {}).get("tracks", {})
    if "confusion" in test:
        plot_confusion(out / "confusion.png", test["confusion"], classes)
    return True


def build_report(config, prepared, model, history, results, best_epoch) -> dict:
    """report.json's content: the run's data, split, sizes, configuration, timings and the
    validation and test results.

    Parameters
    ----------
    config : TrainConfig
        The run's configuration (defaults filled in).
    prepared : Prepared
        The data the run trained on (:func:`tinymir.train.prepare.prepare`).
    model : nn.Sequential
        The best epoch's network (its parameter count is reported).
    history : list of dict
        The per-epoch logs.
    results : dict
        Segment and track reports of each part (:func:`tinymir.train.evaluate.evaluate_parts`).
    best_epoch : int
        The epoch whose weights were kept.
    """
    shares = [h["data_share"] for h in history]
    augmenting = [h["augment_share"] for h in history if "augment_share" in h]
    return {
        "arch": config.arch, "data": str(config.data), "dataset": prepared.table.name,
        "split": prepared.split.name,
        "tracks": {p: int(len(prepared.split[p])) for p in ("train", "val", "test")},
        "segments": {p: int(len(prepared.segments[p])) for p in ("train", "val", "test")},
        "skipped": [list(s) for s in prepared.skipped],
        "classes": prepared.classes, "multilabel": prepared.multilabel,
        "front": prepared.front.to_dict(), "params": model.num_params(),
        "config": dataclasses.asdict(config), "best_epoch": best_epoch,
        "epochs_run": len(history), "aggregate": config.aggregate,
        "feature_seconds": prepared.feature_seconds, "feature_cache": config.cache,
        "train_seconds": float(sum(h["epoch_time"] for h in history)),
        "data_loading_share": float(np.mean(shares)) if shares else None,
        "augment": config.augment,
        "augment_share": float(np.mean(augmenting)) if augmenting else None,
        "device": backend.get_device(),
        "results": results,
    }


def headline(report: dict) -> str:
    """One line: the test tracks' main figures."""
    test = report["results"]["test"]["tracks"]
    if report["multilabel"]:
        figures = (f"ROC-AUC {test['roc_auc']:.3f}, PR-AUC {test['pr_auc']:.3f}, "
                   f"macro F1 {test['macro_f1']:.3f}")
    else:
        figures = (f"accuracy {test['accuracy']:.3f}, macro F1 {test['macro_f1']:.3f}, "
                   f"ROC-AUC {test['roc_auc']:.3f}")
    return (f"{report['arch']}: test tracks ({test['n']}, {report['split']}): {figures} "
            f"(best epoch {report['best_epoch']})")
