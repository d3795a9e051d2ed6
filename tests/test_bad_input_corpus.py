"""A bad-input corpus (tests/_corpus.py: 24 good synthetic clips and 80 kinds of broken, empty,
silent, overflowing, oddly encoded files and non-files) through every command a user runs on a
folder: `dataset info --check-audio`, `features`, `train`, `evaluate`, `baselines`, `predict`.

What must hold: no traceback; no non-finite number in any cache entry, model or report; every
bad file named exactly once with its reason by every command that should skip it (and no good
one); every command's skipped count right. The README's "Bad input" figures come from here
(`pytest tests/test_bad_input_corpus.py -m "slow or not slow" -s` prints them).

`dataset info`, `features` and `baselines` run by default (about 20 s); `train` (2 epochs of
cnn3 on the 59 usable tracks) and the `evaluate` / `predict` of its model are marked slow.
"""
import json
import math
from collections import Counter

import numpy as np
import pytest
from click.testing import CliRunner

from _corpus import KINDS, make_corpus
from tinymir.cli.main import main

#: Which fates each command skips (see tests/_corpus.py).
SKIPPED_BY = {
    "dataset info": {"not-a-file", "twin", "header"},
    "features": {"not-a-file", "header", "content"},
    "train": {"not-a-file", "twin", "header", "content"},
    "evaluate": {"not-a-file", "twin", "header", "content"},
    "baselines": {"not-a-file", "twin", "header", "content"},
    "predict": {"not-a-file", "header", "content"},
}


def invoke(*args):
    return CliRunner().invoke(main, ["--device", "cpu", *map(str, args)])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root, placed = make_corpus(tmp_path_factory.mktemp("corpus") / "music", good_per_class=8)
    return root, placed


@pytest.fixture(scope="module")
def trained(corpus, tmp_path_factory):
    root, _ = corpus
    out = tmp_path_factory.mktemp("run")
    result = invoke("train", root, "--arch", "cnn3", "--segment", "1", "--epochs", "2",
                    "--batch-size", "16", "--no-early-stopping", "--out", out,
                    "--cache", out / "cache", "--quiet")
    return out, result


def expected(placed, command) -> dict:
    """``{path: reason piece}`` of the files ``command`` must skip."""
    return {path: kind.reason for path, kind in placed.items()
            if kind.fate in SKIPPED_BY[command]}


def assert_named_once(text, placed, command):
    """Every file the command must skip is named once, as ``<path>: <reason>``, and no other
    corpus file is named as skipped."""
    for path, reason in expected(placed, command).items():
        assert text.count(f"{path}: ") == 1, (command, path, text.count(f"{path}: "))
        line = next(line for line in text.splitlines() if f"{path}: " in line)
        assert reason in line, (command, line, reason)
    for path, kind in placed.items():
        if kind.fate not in SKIPPED_BY[command]:
            assert f"skipped {path}: " not in text and f"  {path}: " not in text, (command, path)


def assert_clean(result, command):
    assert "Traceback" not in result.output + (result.stderr or "")
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        (command, repr(result.exception))


def assert_all_finite(value, where):
    """Every number in a JSON-like value is finite."""
    if isinstance(value, float):
        assert math.isfinite(value), where
    elif isinstance(value, dict):
        for key, item in value.items():
            assert_all_finite(item, f"{where}.{key}")
    elif isinstance(value, list):
        for at, item in enumerate(value):
            assert_all_finite(item, f"{where}[{at}]")


def assert_cache_finite(folder):
    entries = list(folder.rglob("*.npy"))
    assert entries
    for entry in entries:
        assert np.isfinite(np.load(entry)).all(), entry


def test_the_corpus_has_at_least_60_kinds_of_bad_or_unusual_files(corpus):
    _, placed = corpus
    fates = Counter(kind.fate for kind in placed.values())
    assert len(placed) == len(KINDS) >= 60
    print(f"\ncorpus: {len(KINDS)} kinds, {dict(fates)}")


def test_dataset_info_check_audio_names_every_unreadable_file(corpus):
    root, placed = corpus
    result = invoke("dataset", "info", root, "--check-audio", "--max-skipped", "1000")
    assert_clean(result, "dataset info")
    assert result.exit_code == 0, result.output
    bad = expected(placed, "dataset info")
    assert f"skipped files: {len(bad)}\n" in result.output
    assert f"tracks: {24 + len(placed) - len(bad)}," in result.output
    assert_named_once(result.output, placed, "dataset info")


def test_features_skips_and_names_every_bad_file_and_caches_only_finite_arrays(corpus, tmp_path):
    root, placed = corpus
    result = invoke("features", root, "--cache", tmp_path / "cache", "--jobs", "2")
    assert_clean(result, "features")
    assert result.exit_code == 0, result.output
    bad = expected(placed, "features")
    good = 24 + len(placed) - len(bad)
    assert f"cached mel features of {good} files" in result.output
    assert f"skipped {len(bad)} files" in result.output
    assert_named_once(result.output, placed, "features")
    assert_cache_finite(tmp_path / "cache")


@pytest.mark.slow
def test_train_names_every_skipped_file_and_writes_only_finite_numbers(corpus, trained):
    _, placed = corpus
    out, result = trained
    assert_clean(result, "train")
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    skipped = dict(report["skipped"])
    bad = expected(placed, "train")
    assert len(report["skipped"]) == len(skipped) == len(bad)
    assert set(skipped) == set(bad)
    for path, reason in bad.items():
        assert reason in skipped[path], (path, skipped[path])
    assert f"{len(bad)} file(s) skipped" in result.output
    assert "Traceback" not in result.output
    assert_all_finite(report, "report.json")
    with np.load(out / "model.npz", allow_pickle=False) as model:
        for name in model.files:
            if model[name].dtype.kind == "f":
                assert np.isfinite(model[name]).all(), name
    assert_cache_finite(out / "cache")
    assert report["results"]["test"]["tracks"]["accuracy"] > 1 / 3    # it learned something


@pytest.mark.slow
def test_evaluate_counts_every_skipped_file(corpus, trained):
    root, placed = corpus
    out, _ = trained
    result = invoke("evaluate", out / "model.npz", root, "--json", "--cache", out / "cache")
    assert_clean(result, "evaluate")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    bad = expected(placed, "evaluate")
    assert {path for path, _ in report["skipped"]} == set(bad)
    assert len(report["skipped"]) == len(bad)
    assert_all_finite(report, "evaluate")


def test_baselines_skip_and_name_every_bad_file(corpus, tmp_path):
    root, placed = corpus
    result = invoke("baselines", root, "--cache", tmp_path / "cache", "--models", "LR,KNN",
                    "--json", tmp_path / "baselines.json")
    assert_clean(result, "baselines")
    assert result.exit_code == 0, result.output
    bad = expected(placed, "baselines")
    assert f"{len(bad)} skipped\n" in result.output
    assert_named_once(result.output, placed, "baselines")
    assert_all_finite(json.loads((tmp_path / "baselines.json").read_text()), "baselines")
    assert_cache_finite(tmp_path / "cache")


@pytest.mark.slow
def test_predict_over_the_folder_names_every_failure_and_exits_1(corpus, trained):
    root, placed = corpus
    out, _ = trained
    result = invoke("predict", out / "model.npz", root, "--json")
    assert_clean(result, "predict")
    bad = expected(placed, "predict")
    total = 24 + len(placed)
    assert result.exit_code == 1
    assert f"{len(bad)} of {total} files could not be labelled" in result.output
    assert_named_once(result.stderr, placed, "predict")
    labelled = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(labelled) == total - len(bad)
    for row in labelled:
        assert all(math.isfinite(p) and 0 <= p <= 1 for _, p in row["top"])
