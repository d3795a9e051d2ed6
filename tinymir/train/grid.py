"""Experiment grids: every combination of some training options, several seeds each, one split.

A grid file (TOML; JSON with the same keys works too, and is the only choice before Python
3.11, which brought ``tomllib``)::

    name = "Seed 000, Experiment I: inputs of CNN-3"
    data = "../shared/data/gtzan_excerpts"     # relative to the current folder
    seeds = [0, 1, 2]                          # training seeds: weights, batches, augmentation

    [fixed]                                    # options of every run (TrainConfig fields)
    split = "group"
    epochs = 10

    [grid]                                     # one cell per combination, in this order
    arch = ["cnn3"]
    features = ["mel", "stft", "mfcc"]

    [[cells]]                                  # optional: listed combinations (a table that is
    n_fft = 2048                               # not a full product), each crossed with [grid]
    hop_length = 1024

A cell is one combination of the ``[grid]`` values (and one ``[[cells]]`` entry); it is
trained once per seed on the SAME split (``split_seed``, 0 unless ``[fixed]`` says otherwise),
so the seeds measure how much a result moves with initialisation, batch order and
augmentation alone. Each run has its folder
``OUT/<cell>/seed-<s>``; a run whose ``report.json`` is there is finished and kept, a run with
a run state is resumed, so a killed grid continues where it stopped. Before any run starts,
every run is checked (:func:`configs`) and so is OUT (:func:`check_out`): an earlier run there
trained with other options (another fixed option, ``--epochs`` or data) is refused, never
reported under this grid's options, and a folder of other files is refused; the results files
are replaced only when every run has finished.

Results, over the seeds of each cell, for the test tracks (mean and sample standard deviation,
``std = sqrt(sum (v - mean)^2 / (n - 1))``, 0 for one seed): accuracy, macro F1 and ROC-AUC
(tags: ROC-AUC, PR-AUC and macro F1), written as ``results.md``, ``results.csv``,
``results.json`` and, with matplotlib, ``results.png`` (means with std error bars).
"""
from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinymir.atomic import write_atomically
from tinymir.compare import corrected_interval
from tinymir.data.engines import open_engine

from . import config as run_config
from . import report as reporting
from . import run as running
from .rundir import STATE_FILE

METRICS_SINGLE = (("accuracy", "accuracy"), ("macro_f1", "macro F1"), ("roc_auc", "ROC-AUC"))
METRICS_TAGS = (("roc_auc", "ROC-AUC"), ("pr_auc", "PR-AUC"), ("macro_f1", "macro F1"))
#: Options a grid may not set: they name the run, not what it does.
RESERVED = ("data", "out", "seed")
REPORT_FILE = "report.json"


class GridError(ValueError):
    """A grid file that cannot be run; the message names the file and the problem."""


@dataclass
class Grid:
    """A parsed grid file: fixed options, the varied ones (in order), seeds and data."""
    path: Path
    name: str
    data: str
    seeds: list
    fixed: dict
    axes: dict
    listed: list = dataclasses.field(default_factory=lambda: [{}])
    cv: dict | None = None          # {"folds": k, "repeats": r, "group": name or ""}

    def cells(self) -> list[dict]:
        """Every combination of the varied options (the first one varying slowest), each with
        every listed cell."""
        keys = list(self.axes)
        return [{**dict(zip(keys, values)), **listed}
                for values in itertools.product(*self.axes.values()) for listed in self.listed]

    def varied(self) -> list[str]:
        """The options that differ between cells, in order."""
        keys = list(self.axes)
        for listed in self.listed:
            keys += [k for k in listed if k not in keys]
        return keys


def read_grid(path, data: str | None = None) -> Grid:
    """Parse and check the grid file at ``path``; ``data`` replaces its ``data``."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise GridError(f"{path}: cannot read the grid file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise GridError(f"{path}: not a text file (not UTF-8); a grid file is TOML or JSON "
                        "text") from None
    if path.suffix == ".json":
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise GridError(f"{path}: not valid JSON ({exc})") from None
    else:
        try:
            import tomllib
        except ModuleNotFoundError:
            raise GridError(f"{path}: reading TOML needs Python 3.11 or later; write the grid "
                            "as JSON (same keys) instead") from None
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise GridError(f"{path}: not valid TOML ({exc})") from None
    if not isinstance(raw, dict):
        raise GridError(f"{path}: the grid must be a table of keys")
    unknown = set(raw) - {"name", "data", "seeds", "fixed", "grid", "cells", "cv"}
    if unknown:
        raise GridError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}; a grid has name, "
                        "data, seeds, cv, [fixed], [grid] and [[cells]]")
    fields = set(run_config.OPTIONS) - set(RESERVED)
    for key, kind in (("fixed", "[fixed]"), ("grid", "[grid]")):
        if not isinstance(raw.get(key, {}), dict):
            raise GridError(f"{path}: {key} must be a table of options ({kind} with one "
                            f"option a line), not {raw[key]!r}")
    fixed, axes = dict(raw.get("fixed", {})), dict(raw.get("grid", {}))
    listed = raw.get("cells", [{}])
    if not isinstance(listed, list) or not all(isinstance(c, dict) for c in listed) or not listed:
        raise GridError(f"{path}: cells must be a list of tables ([[cells]])")
    for table, keys in (("fixed", fixed), ("grid", axes),
                        *(("cells", cell) for cell in listed)):
        bad = sorted(set(keys) - fields)
        if bad:
            raise GridError(f"{path}: [{table}] sets {', '.join(bad)}, which is not a training "
                            f"option; options: {', '.join(sorted(fields))}")
    for key, values in axes.items():
        if not isinstance(values, list) or not values:
            raise GridError(f"{path}: [grid] {key} must be a non-empty list")
        if not all(isinstance(v, (str, int, float)) for v in values):
            raise GridError(f"{path}: [grid] {key} must list numbers, text or true/false, "
                            f"got {values!r}")
        if len({json.dumps(v) for v in values}) < len(values):
            raise GridError(f"{path}: [grid] {key} lists a value twice: give each once")
    both = sorted(set(fixed) & (set(axes) | {k for cell in listed for k in cell}))
    if both:
        raise GridError(f"{path}: {', '.join(both)} is both fixed and varied")
    crossed = sorted(set(axes) & {k for cell in listed for k in cell})
    if crossed:
        raise GridError(f"{path}: {', '.join(crossed)} is both in [grid] and in [[cells]]: "
                        "give each option in one of them")
    seeds = raw.get("seeds", [0])
    if not isinstance(seeds, list) or not seeds or not all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds):
        raise GridError(f"{path}: seeds must be a non-empty list of integers, 0 or more")
    if len(set(seeds)) < len(seeds):
        raise GridError(f"{path}: seeds lists a seed twice: give each once")
    data = data or raw.get("data")
    if not data:
        raise GridError(f"{path}: no data: give `data = \"...\"` in the file or --data")
    if not isinstance(data, str):
        raise GridError(f"{path}: data must be a path in quotes, got {data!r}")
    if not isinstance(raw.get("name", ""), (str, int, float)):
        raise GridError(f"{path}: name must be text, got {raw['name']!r}")
    if "arch" not in fixed and "arch" not in axes and not all("arch" in c for c in listed):
        raise GridError(f"{path}: no architecture: give arch in [fixed], [grid] or every "
                        "[[cells]] entry")
    cv = read_cv(path, raw.get("cv"), fixed, axes, listed)
    if cv is None:
        fixed.setdefault("split_seed", 0)
    return Grid(path, str(raw.get("name", path.stem)), str(data), list(seeds), fixed, axes,
                [dict(cell) for cell in listed], cv)


#: Options a cross-validated grid sets itself, for every run.
CV_OPTIONS = ("split", "split_seed", "fold", "folds")


def read_cv(path, cv, fixed: dict, axes: dict, listed: list) -> dict | None:
    """The grid's ``cv = {folds = 5, repeats = 3, group = "artist"}`` checked (None without
    one): ``folds`` 2 or more, ``repeats`` 1 or more (default 1), ``group`` true or the name of
    what the dataset's groups are (artist, album) to keep each group on one side, or false.

    Parameters
    ----------
    path : Path
        The grid file (named in errors).
    cv : dict or None
        The file's ``cv`` table.
    fixed, axes : dict
        The file's ``[fixed]`` and ``[grid]`` options (they must leave the split to ``cv``).
    listed : list of dict
        The file's ``[[cells]]``.
    """
    if cv is None:
        return None
    if not isinstance(cv, dict) or set(cv) - {"folds", "repeats", "group"}:
        raise GridError(f"{path}: cv must be a table of folds, repeats and group, e.g. "
                        'cv = {folds = 5, repeats = 3, group = "artist"}')
    folds, repeats, group = cv.get("folds"), cv.get("repeats", 1), cv.get("group", False)
    for key, value, low in (("folds", folds, 2), ("repeats", repeats, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise GridError(f"{path}: cv {key} must be a whole number of {low} or more, got "
                            f"{value!r}")
    if not isinstance(group, (bool, str)):
        raise GridError(f"{path}: cv group must be true, false or what the groups are "
                        f"(\"artist\"), got {group!r}")
    clash = sorted(set(CV_OPTIONS) & (set(fixed) | set(axes) | {k for c in listed for k in c}))
    if clash:
        raise GridError(f"{path}: cv chooses {', '.join(clash)} for every run; leave "
                        f"{'it' if len(clash) == 1 else 'them'} out of the grid")
    name = group if isinstance(group, str) else ("group" if group else "")
    return {"folds": folds, "repeats": repeats, "group": name}


def override(grid: Grid, seeds: str | None = None, epochs: int | None = None,
             **defaults) -> Grid:
    """The grid with the command line's ``seeds`` (``"0,1,2"``) and ``epochs`` in place of
    the file's, and ``defaults`` (cache, jobs) where the file sets none."""
    if seeds is not None:
        try:
            grid.seeds = [int(s) for s in seeds.split(",")]
        except ValueError:
            raise GridError(f"--seeds {seeds!r} is not a comma-separated list of whole "
                            "numbers") from None
        if any(s < 0 for s in grid.seeds) or len(set(grid.seeds)) < len(grid.seeds):
            raise GridError(f"--seeds {seeds!r}: give each seed once, 0 or more")
    if epochs is not None:
        if "epochs" in grid.varied():
            raise GridError(f"{grid.path}: the grid varies epochs; --epochs would replace "
                            "them all: drop --epochs or the varied epochs")
        grid.fixed["epochs"] = epochs
    for key, value in defaults.items():
        grid.fixed.setdefault(key, value)
    return grid


def configs(grid: Grid, out) -> list:
    """``(cell, seed, TrainConfig)`` of every run, each checked
    (:func:`tinymir.train.config.check_config`, which builds the network on its input), and the
    data checked to exist: one clear error naming the cell or the data before any run starts
    (a dry run included)."""
    runs = []
    folders: dict = {}
    for cell in grid.cells():
        other = folders.setdefault(cell_name(cell), cell)
        if other is not cell:
            raise GridError(f"{grid.path}: cells {cell_label(other)} and {cell_label(cell)} "
                            f"would share the folder {cell_name(cell)}: make them differ by "
                            "more than punctuation")
        for seed, folder_name, split in run_splits(grid):
            folder = Path(out) / cell_name(cell) / folder_name
            try:
                config = run_config.TrainConfig(data=grid.data, out=str(folder), seed=seed,
                                             **{**grid.fixed, **cell, **split})
                run_config.check_config(run_config.with_defaults(config))
            except (TypeError, ValueError, KeyError) as exc:
                raise GridError(f"{grid.path}: cell {cell_label(cell)}: {exc}") from None
            runs.append((cell, seed, config))
    if not Path(grid.data).exists():
        raise GridError(f"{grid.path}: its data {grid.data!r} is not there (a grid's data is "
                        f"relative to the current folder, {Path.cwd()}); run it from the folder "
                        "the path is relative to, or give --data PATH")
    return runs


def run_splits(grid: Grid) -> list:
    """``(seed, folder name, split options)`` of each run of a cell: one per seed on the grid's
    one split, or, with ``cv``, one per seed, repeat r and fold f (split seed r), so every cell
    runs on the same folds and two cells can be compared fold by fold."""
    if grid.cv is None:
        return [(seed, f"seed-{seed}", {}) for seed in grid.seeds]
    method = "group-kfold" if grid.cv["group"] else "kfold"
    return [(seed, f"seed-{seed}_repeat-{r}_fold-{f}",
             {"split": method, "folds": grid.cv["folds"], "fold": f, "split_seed": r})
            for seed in grid.seeds for r in range(grid.cv["repeats"])
            for f in range(grid.cv["folds"])]


def cell_name(cell: dict) -> str:
    """A folder name for a cell: ``arch-cnn3_features-mel`` (``+ : , =`` become ``.``)."""
    parts = [f"{key}-{value}" for key, value in cell.items()] or ["all"]
    name = "_".join(parts)
    for char in "+:,=/ ":
        name = name.replace(char, ".")
    return name


def cell_label(cell: dict) -> str:
    return ", ".join(f"{key} {value}" for key, value in cell.items()) or "all runs"


def run_one(config, stream, progress: bool) -> dict:
    """One run of the grid: finished -> its report; interrupted -> resumed; else trained."""
    folder = Path(config.out)
    if (folder / REPORT_FILE).is_file():
        return json.loads((folder / REPORT_FILE).read_text())
    if (folder / STATE_FILE).is_file() and (folder / "config.json").is_file():
        stream.write(f"resuming {folder}\n")
        return running.resume(folder, {}, stream=stream, progress=progress)
    return running.train(config, stream=stream, progress=progress)


def run_grid(grid: Grid, out, stream=None, epochs_shown: bool = True, scheduler=None,
             jobs: int = 1) -> dict:
    """Run every cell and seed not yet finished, then write and return the results. One line
    per run on ``stream``, and the runs' epoch lines when ``epochs_shown``. With ``jobs`` > 1
    or a Dask ``scheduler`` the runs go to an engine (:mod:`tinymir.data.engines`), ``jobs``
    at a time, each on one core (one BLAS thread instead of all: the same run by another path,
    so its figures agree with a serial run's to float32 rounding, not bit for bit).

    Parameters
    ----------
    grid : Grid
        The experiment (:func:`read_grid`, :func:`override`).
    out : str or Path
        Folder of the runs and results.
    stream : file, default sys.stderr
        Where the progress lines go.
    epochs_shown : bool, default True
        Also show each run's epoch lines.
    scheduler : str, optional
        ``"dask"`` or a Dask scheduler address: the runs go to Dask workers.
    jobs : int, default 1
        Runs at a time.
    """
    stream = stream if stream is not None else sys.stderr
    out = Path(out)
    runs = configs(grid, out)
    check_out(out, runs)
    if jobs > 1 or scheduler not in (None, "processes"):
        found = _run_on_engine(runs, stream, scheduler or "processes", jobs)
    else:
        found = []
        for i, (cell, seed, config) in enumerate(runs, 1):
            stream.write(f"[{i}/{len(runs)}] {cell_label(cell)}, seed {seed}\n")
            stream.flush()
            found.append(run_one(config, stream if epochs_shown else io.StringIO(),
                                 progress=False))
            stream.write(reporting.headline(found[-1]) + "\n")
    reports = [(cell, seed, report) for (cell, seed, _), report in zip(runs, found)]
    results = summarise(grid, reports)
    out.mkdir(parents=True, exist_ok=True)
    write_results(out, results)
    return results


def train_runs(configs_batch: list) -> list:
    """Engine task: run (or resume, or read back) each config; ``(report, None)`` or
    ``(None, error)`` per run (the grid stops at the first error, as a serial one does)."""
    done = []
    for config in configs_batch:
        try:
            done.append((run_one(config, io.StringIO(), progress=False), None))
        except (run_config.RunError, ValueError, OSError) as exc:
            done.append((None, f"{config.out}: {exc}"))
    return done


def _run_on_engine(runs, stream, scheduler, jobs: int) -> list:
    """The runs' reports, in order, trained on an engine one run a task."""
    found = [None] * len(runs)
    with open_engine(scheduler, jobs) as engine:
        stream.write(f"{len(runs)} runs on {engine.name}\n")
        finished = 0
        for index, result, lost in engine.run(train_runs, [[config] for _, _, config in runs]):
            if lost is not None:
                raise GridError(f"{runs[index][2].out}: {lost}; run the grid again to retry it")
            ((report, error),) = result
            if error is not None:
                raise GridError(error)
            found[index], finished = report, finished + 1
            cell, seed, _ = runs[index]
            stream.write(f"[{finished}/{len(runs)}] {cell_label(cell)}, seed {seed}: "
                         f"{reporting.headline(report)}\n")
            stream.flush()
    return found


#: Fields of a run's config that do not change its numbers (a grid may rerun with others).
NOT_COMPARED = ("out", "cache", "jobs")
DEFAULTS = {f.name: f.default for f in dataclasses.fields(run_config.TrainConfig)
            if f.default is not dataclasses.MISSING and f.name != "front_end"}


def check_out(out: Path, runs) -> None:
    """Refuse, before any run starts, an OUT that holds something else than this grid's
    runs and results, and any earlier run in OUT whose options differ from this grid's
    (its numbers would be reported under options they were not trained with)."""
    if out.exists() and not out.is_dir():
        raise GridError(f"{out} is a file: choose another --out")
    folders = {Path(config.out) for _, _, config in runs}
    cells = {folder.parent.name for folder in folders}
    if out.is_dir():
        ours = {"results.json", "results.md", "results.csv", "results.png"} | cells
        foreign = sorted(p.name for p in out.iterdir()
                         if p.name not in ours and not list(p.glob("seed-*/config.json")))
        if foreign:
            raise GridError(f"{out} holds files that are not this experiment's ("
                            f"{', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}): "
                            "choose another --out")
    for _, _, config in runs:
        saved = Path(config.out) / run_config.CONFIG_FILE
        if not saved.is_file():
            continue
        try:
            old = json.loads(saved.read_text())
        except (OSError, ValueError):
            old = None
        try:        # either form: front end nested, or flat as earlier versions wrote it
            old = run_config.comparable(old) if isinstance(old, dict) else None
        except (ValueError, KeyError, TypeError):
            old = None
        if old is None:
            raise GridError(f"{saved}: not a tinymir run configuration; delete "
                            f"{saved.parent} to run it again, or choose another --out")
        new = run_config.comparable(dataclasses.asdict(run_config.check_config(
            run_config.with_defaults(config))))
        for key, value in new.items():
            if key in NOT_COMPARED:
                continue
            was = old.get(key, DEFAULTS.get(key))       # a field newer than the run: default
            same = (Path(str(was)).resolve() == Path(value).resolve() if key == "data"
                    else was == json.loads(json.dumps(value)))
            if not same:
                raise GridError(f"{saved.parent} holds a run with {key}={was!r} and this grid "
                                f"asks for {key}={value!r}: its results would be reported "
                                "under options it was not trained with; choose another --out "
                                f"(or delete {saved.parent} to train it again)")


def summarise(grid: Grid, reports) -> dict:
    """Each cell's test-track metrics: mean and std over the seeds on the one split, or, with
    ``cv``, over the folds (each fold's score the mean over the seeds) with the corrected
    resampled t interval (:mod:`tinymir.compare`), and every pair of cells' paired difference
    in the first metric."""
    multilabel = bool(reports and reports[0][2]["multilabel"])
    metrics = METRICS_TAGS if multilabel else METRICS_SINGLE
    fraction = test_fraction(reports) if grid.cv else None
    rows, scores = [], []
    for cell in grid.cells():
        mine = [r for c, _, r in reports if c == cell]
        varied = {k: v for k, v in cell.items()
                  if len({str(c.get(k)) for c in grid.cells()}) > 1}
        row = {"cell": cell_label(varied or cell), **{k: str(v) for k, v in cell.items()},
               "seeds": len(grid.seeds), "test_tracks": mine[0]["results"]["test"]["tracks"]["n"]}
        for key, _ in metrics:
            values = fold_scores(mine, key) if grid.cv else np.array(
                [r["results"]["test"]["tracks"][key] for r in mine], np.float64)
            row[f"{key}_mean"] = float(values.mean())
            row[f"{key}_std"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
            row[f"{key}_runs"] = [float(v) for v in values]
            if grid.cv:
                interval = _interval(values, fraction)
                row[f"{key}_low"], row[f"{key}_high"] = (
                    (interval.low, interval.high) if interval else (None, None))
        if grid.cv:
            row["folds"] = len(row[f"{metrics[0][0]}_runs"])
            scores.append((row["cell"], fold_scores(mine, metrics[0][0])))
        row["epochs_mean"] = float(np.mean([r["epochs_run"] for r in mine]))
        row["train_seconds_mean"] = float(np.mean([r["train_seconds"] for r in mine]))
        rows.append(row)
    first = reports[0][2] if reports else {}
    results = {"name": grid.name, "grid": str(grid.path), "data": grid.data,
               "split": first.get("split"), "seeds": grid.seeds, "fixed": grid.fixed,
               "varied": grid.varied(), "multilabel": multilabel,
               "metrics": [key for key, _ in metrics], "cells": rows,
               "n_classes": len(first.get("classes", []))}
    if grid.cv:
        results["cv"] = {**grid.cv, "test_fraction": fraction,
                         "interval": "95 % corrected resampled t (Nadeau & Bengio)"}
        results["split"] = cv_name(grid.cv)
        results["differences"] = differences(scores, metrics[0][0], fraction)
    return results


def fold_scores(reports, key: str) -> np.ndarray:
    """One score per fold (repeat, fold) in fold order, each the mean over the seeds."""
    by_fold: dict = {}
    for report in reports:
        config = report["config"]
        by_fold.setdefault((config["split_seed"], config["fold"]), []).append(
            report["results"]["test"]["tracks"][key])
    return np.array([np.mean(by_fold[k]) for k in sorted(by_fold)], np.float64)


def test_fraction(reports) -> float:
    """The mean ``n_test / n_train`` of the runs' splits (the correction of the interval)."""
    return float(np.mean([r["tracks"]["test"] / max(r["tracks"]["train"], 1)
                          for _, _, r in reports]))


def cv_name(cv: dict) -> str:
    how = f"by {cv['group']}, no {cv['group']} on two sides" if cv["group"] else "by track"
    validation = ("the next fold" if cv["group"] else "10 % of each fold's training part")
    return (f"{cv['folds']}-fold x {cv['repeats']} repeats {how} (split seeds "
            f"0..{cv['repeats'] - 1}); validation: {validation}")


def _interval(values, fraction):
    return corrected_interval(values, fraction) if (len(values) > 1 and
                                                    np.isfinite(values).all()) else None


def differences(scores, metric: str, fraction: float) -> list[dict]:
    """Every pair of cells' paired difference in ``metric`` over the same folds."""
    found = []
    for i, (a, a_scores) in enumerate(scores):
        for b, b_scores in scores[i + 1:]:
            d = a_scores - b_scores
            interval = _interval(d, fraction)
            found.append({"a": a, "b": b, "metric": metric, "mean": float(d.mean()),
                          "low": interval.low if interval else None,
                          "high": interval.high if interval else None,
                          "excludes_zero": bool(interval and interval.excludes_zero)})
    return found


def _metric_names(results):
    table = METRICS_TAGS if results["multilabel"] else METRICS_SINGLE
    return [(key, label) for key, label in table if key in results["metrics"]]


def markdown(results: dict) -> str:
    """The results table: one row per cell, each metric as mean ± std over the seeds (with
    ``cv``: over the folds, and the 95 % interval), then, with ``cv``, the paired differences
    between cells; ``*`` marks a difference whose interval excludes zero."""
    metrics = _metric_names(results)
    cv = results.get("cv")
    over = "the folds, [95 % corrected resampled t interval]" if cv else "the seeds"
    head = results["varied"] + [label for _, label in metrics] + ["epochs", "train s"]
    lines = [f"# {results['name']}", "",
             f"`{results['data']}`, {results['split']}; seeds {results['seeds']}; "
             f"test-track metrics, mean ± std over {over}; fixed options: "
             + (", ".join(f"{k}={v}" for k, v in results["fixed"].items()
                          if k not in ("cache", "jobs")) or "none"), "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in results["cells"]:
        cells = [row.get(k, "") for k in results["varied"]]
        cells += [_figure(row, key, cv) for key, _ in metrics]
        cells += [f"{row['epochs_mean']:.1f}", f"{row['train_seconds_mean']:.3g}"]
        lines.append("| " + " | ".join(cells) + " |")
    if cv and results["differences"]:
        label = dict(metrics)[results["differences"][0]["metric"]]
        lines += ["", f"Paired differences in {label} over the same {cv['folds']} x "
                      f"{cv['repeats']} folds (* : the interval excludes zero, the difference "
                      "holds):", "", "| a | b | a - b | 95 % interval |", "|---|---|---|---|"]
        for d in results["differences"]:
            interval = (f"[{d['low']:+.3f}, {d['high']:+.3f}]{' *' if d['excludes_zero'] else ''}"
                        if d["low"] is not None else "–")
            lines.append(f"| {d['a']} | {d['b']} | {d['mean']:+.3f} | {interval} |")
    return "\n".join(lines) + "\n"


def _figure(row: dict, key: str, cv) -> str:
    text = f"{row[key + '_mean']:.3f} ± {row[key + '_std']:.3f}"
    if cv and row.get(key + "_low") is not None:
        text += f" [{row[key + '_low']:.3f}, {row[key + '_high']:.3f}]"
    return text


def to_csv(results: dict) -> str:
    metrics = _metric_names(results)
    columns = results["varied"] + ["seeds", "test_tracks"]
    columns += [f"{key}_{stat}" for key, _ in metrics for stat in ("mean", "std")]
    columns += ["epochs_mean", "train_seconds_mean"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(results["cells"])
    return buffer.getvalue()


def chance_level(key: str, results: dict) -> float | None:
    """A metric's value for guessing: 0.5 for ROC-AUC; ``1 / n_classes`` for accuracy and
    macro F1 of a single-label set (a uniform guess on balanced classes); None otherwise."""
    if key == "roc_auc":
        return 0.5
    n_classes = results.get("n_classes")
    if key in ("accuracy", "macro_f1") and not results["multilabel"] and n_classes:
        return 1.0 / n_classes
    return None


def figure(results: dict):
    """A ``matplotlib.figure.Figure``: one panel per metric on [0, 1], each cell's mean with
    a std bar (cut at 0 and 1) and its single runs as dots, and a line at the chance level."""
    from tinymir import pictures

    metrics = _metric_names(results)
    rows = results["cells"]
    fig, axes = pictures.new_figure(3.2 * len(metrics) + 1.0, 0.35 * len(rows) + 1.8,
                                    columns=len(metrics), sharey=True)
    axes = axes[0]
    positions = np.arange(len(rows))[::-1]
    for ax, (key, label) in zip(axes, metrics):
        means = np.array([r[f"{key}_mean"] for r in rows])
        stds = np.array([r[f"{key}_std"] for r in rows])
        ax.errorbar(means, positions, xerr=[np.minimum(stds, means), np.minimum(stds, 1 - means)],
                    fmt="o", capsize=3, label="mean ± std", clip_on=False, zorder=3)
        for y, row in zip(positions, rows):
            ax.plot(row[f"{key}_runs"], [y] * len(row[f"{key}_runs"]), ".", color="0.6",
                    clip_on=False)
        chance = chance_level(key, results)
        if chance is not None:
            ax.axvline(chance, color="C3", linestyle="--", linewidth=1,
                       label=f"chance ({chance:.2g})")
        ax.set_xlim(0, 1)
        ax.set(xlabel=label, title=label)
        ax.grid(axis="x", alpha=0.3)
        ax.legend(fontsize=7, loc="lower left")
    axes[0].set_yticks(positions, [r["cell"] for r in rows])
    axes[0].set_ylabel("cell")
    fig.suptitle(f"{results['name']}: test tracks, mean ± std over {len(results['seeds'])} "
                 "seeds", fontsize=9)
    fig.tight_layout()
    return fig


def write_results(out, results: dict) -> bool:
    """results.json / .md / .csv and (with matplotlib) results.png; whether it was drawn."""
    from tinymir import pictures

    out = Path(out)
    for name, text in (("results.json", json.dumps(results, indent=2)),
                       ("results.md", markdown(results)), ("results.csv", to_csv(results))):
        write_atomically(out / name, lambda handle, text=text: handle.write(text.encode()))
    if not pictures.available():
        return False
    fig = figure(results)
    write_atomically(out / "results.png", lambda handle: fig.savefig(handle, format="png",
                                                                     dpi=100))
    return True
