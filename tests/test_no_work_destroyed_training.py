"""`tinymir train / experiment / synth` never destroy what a user made: a command that fails
before its work starts leaves the folder exactly as it was (file lists and hashes), one that
fails during its work keeps the earlier work, and an earlier run or result is replaced only
at the end, after the new work has succeeded."""
import errno
import json
import shutil

import numpy as np
import pytest

from _cli_helpers import invoke, refused, tree_digest, two_class_set
from tinymir import atomic, nn
from tinymir.audio import synth
from tinymir.data.batches import BatchIterator
from tinymir.train import rundir

FAST = ("--arch", "cnn3", "--segment", "0.5", "--overlap", "0.5", "--batch-size", "4",
        "--no-early-stopping", "--no-cache", "--quiet", "--seed", "1")
GRID = """data = "{data}"
seeds = [0]
[fixed]
segment = 0.5
overlap = 0.5
batch_size = 4
epochs = 1
early_stopping = false
split = "kfold"
[grid]
arch = ["cnn3"]
"""


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return two_class_set(tmp_path_factory.mktemp("data"), seed=5)


@pytest.fixture(scope="module")
def earlier(data, tmp_path_factory):
    """A finished cnn3 run of one epoch: the user's earlier work."""
    out = tmp_path_factory.mktemp("earlier") / "run"
    result = invoke("train", data, *FAST, "--epochs", "1", "--out", out)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def run_dir(earlier, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(earlier, out)
    return out


def poison(monkeypatch, epoch):
    """Training batch 1 of epoch ``epoch`` (from 1) gets a NaN: the loss diverges there."""
    original = BatchIterator.epoch

    def epoch_with_nan(self, e=0):
        for i, (x, y, t) in enumerate(original(self, e)):
            if self.shuffle and e == epoch - 1 and i == 0:
                x = x.copy()
                x[0, 0, 0, 0] = np.nan
            yield x, y, t

    monkeypatch.setattr(BatchIterator, "epoch", epoch_with_nan)


def interrupt(monkeypatch, epoch):
    """Ctrl-C in the middle of epoch ``epoch`` (from 1)."""
    original = BatchIterator.epoch

    def epoch_interrupted(self, e=0):
        for i, batch in enumerate(original(self, e)):
            if self.shuffle and e == epoch - 1 and i == 1:
                raise KeyboardInterrupt("stopped by the user")
            yield batch

    monkeypatch.setattr(BatchIterator, "epoch", epoch_interrupted)


def disk_full(monkeypatch):
    def fsync(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", fsync)


# -- train ---------------------------------------------------------------------------------
def test_train_with_bad_data_leaves_an_earlier_run_and_creates_no_new_folder(data, run_dir,
                                                                              tmp_path):
    before = tree_digest(run_dir)
    refused(invoke("train", tmp_path / "typo_dir", *FAST, "--epochs", "1", "--out", run_dir),
            f"{tmp_path / 'typo_dir'}: no such file or folder")
    assert tree_digest(run_dir) == before
    refused(invoke("train", tmp_path / "typo_dir", *FAST, "--out", tmp_path / "new"))
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("failure", ["diverged", "interrupted", "disk-full"])
def test_a_replacing_run_that_fails_midway_keeps_the_earlier_run(data, run_dir, monkeypatch,
                                                                  failure):
    before = tree_digest(run_dir)
    args = ("train", data, *FAST, "--epochs", "2", "--out", run_dir)
    if failure == "diverged":
        poison(monkeypatch, epoch=2)
        refused(invoke(*args), "non-finite loss (nan) at epoch 2, batch 1", "nothing replaced",
                f"the earlier run in {run_dir} is kept")
    elif failure == "interrupted":
        interrupt(monkeypatch, epoch=2)
        refused(invoke(*args), "interrupted after 1 epoch(s); nothing replaced",
                f"the earlier run in {run_dir} is kept")
    else:
        disk_full(monkeypatch)
        refused(invoke(*args), f"{run_dir / rundir.STAGING / 'config.json'}: cannot write (the "
                               "disk is full; free some space or write elsewhere)")
    assert tree_digest(run_dir) == before                  # no .new-run left either


def test_a_fresh_run_on_a_full_disk_names_the_file(data, tmp_path, monkeypatch):
    disk_full(monkeypatch)
    refused(invoke("train", data, *FAST, "--epochs", "1", "--out", tmp_path / "new"),
            f"{tmp_path / 'new' / 'config.json'}: cannot write (the disk is full")


def test_a_replacing_run_replaces_the_earlier_one_only_at_the_end(data, run_dir, monkeypatch):
    stale = run_dir / rundir.STAGING
    stale.mkdir()
    (stale / "state.npz").write_bytes(b"left by a run killed with -9")
    before = {k: v for k, v in tree_digest(run_dir).items() if not k.startswith(rundir.STAGING)}
    seen = {}
    original = rundir.replace_run

    def replace_run(work, out):
        seen["out"] = {k: v for k, v in tree_digest(out).items()
                       if not k.startswith(rundir.STAGING)}
        seen["work"] = sorted(p.name for p in work.iterdir())
        original(work, out)

    monkeypatch.setattr(rundir, "replace_run", replace_run)
    result = invoke("train", data, *FAST, "--epochs", "2", "--out", run_dir)
    assert result.exit_code == 0, result.output
    assert f"replacing the earlier cnn3 run in {run_dir} once this one has succeeded" \
        in result.stderr
    assert seen["out"] == before                        # untouched until the very end
    assert {"model.npz", "state.npz", "config.json", "report.json"} <= set(seen["work"])
    assert not stale.exists()
    assert json.loads((run_dir / "config.json").read_text())["epochs"] == 2
    assert nn.load(run_dir / "model.npz")[1]["epoch"] in (1, 2)
    assert len(json.loads((run_dir / "report.json").read_text())["config"]) > 0
    assert (run_dir / "history.csv").read_text().count("\n") == 3    # header and 2 epochs


def test_resume_changes_nothing_before_its_data_is_read(data, run_dir, tmp_path):
    moved = tmp_path / "data"
    shutil.copytree(data, moved)
    config = json.loads((run_dir / "config.json").read_text())
    (run_dir / "config.json").write_text(json.dumps({**config, "data": str(moved)}))
    shutil.rmtree(moved)
    before = tree_digest(run_dir)
    refused(invoke("train", "--resume", run_dir, "--epochs", "3"),
            f"{moved}: no such file or folder")
    assert tree_digest(run_dir) == before               # config.json still says 1 epoch


def test_resume_applies_cache_settings_and_continues(run_dir, tmp_path):
    """--cache and --jobs change where features come from, not the run: they apply."""
    cache = tmp_path / "cache"
    result = invoke("train", "--resume", run_dir, "--epochs", "2", "--cache", cache, "--jobs",
                    "1", "--quiet")
    assert result.exit_code == 0, result.output
    assert len(list(cache.glob("*/features/*/*.npy"))) == 16          # one per clip
    assert (run_dir / "history.csv").read_text().count("\n") == 3    # header and 2 epochs
    assert json.loads((run_dir / "config.json").read_text())["epochs"] == 2


# -- experiment ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def finished_once(data, tmp_path_factory):
    """A finished one-run experiment: the user's earlier results."""
    root = tmp_path_factory.mktemp("finished")
    (root / "grid.toml").write_text(GRID.format(data=data))
    result = invoke("experiment", root / "grid.toml", "--out", root / "exp", "--no-cache",
                    "--quiet")
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def finished(finished_once, tmp_path):
    shutil.copytree(finished_once, tmp_path, dirs_exist_ok=True)
    return tmp_path / "grid.toml", tmp_path / "exp"


def test_a_grid_that_fails_midway_keeps_earlier_runs_and_results(data, finished):
    grid, out = finished
    before = tree_digest(out)
    grid.write_text(GRID.format(data=data) + "fold = [0, 7]\n")     # fold 7 fails at its data
    refused(invoke("experiment", grid, "--out", out, "--no-cache", "--quiet"),
            "fold 7 does not exist: choose 0..4")
    after = tree_digest(out)
    assert {k: after.get(k) for k in before} == before              # nothing changed or gone
    assert [k for k in after if k not in before and k.endswith("report.json")] == \
        ["arch-cnn3_fold-0/seed-0/report.json"]                     # the finished new run kept


def test_a_grid_rerun_keeps_finished_runs_and_replaces_results_at_the_end(finished):
    grid, out = finished
    kept = tree_digest(out / "arch-cnn3" / "seed-0")
    result = invoke("experiment", grid, "--out", out, "--seeds", "0,1", "--no-cache", "--quiet")
    assert result.exit_code == 0, result.output
    assert tree_digest(out / "arch-cnn3" / "seed-0") == kept
    assert json.loads((out / "results.json").read_text())["seeds"] == [0, 1]


def test_a_grid_refused_before_any_run_leaves_out_as_it_was(finished, tmp_path):
    grid, out = finished
    before = tree_digest(out)
    refused(invoke("experiment", grid, "--out", out, "--epochs", "2", "--no-cache"),
            "holds a run with epochs=1 and this grid asks for epochs=2")
    assert tree_digest(out) == before
    refused(invoke("experiment", grid, "--out", tmp_path / "new", "--data", tmp_path / "typo",
                   "--no-cache"), f"its data '{tmp_path / 'typo'}' is not there")
    assert not (tmp_path / "new").exists()


# -- synth ---------------------------------------------------------------------------------
SET = ("--classes", "rock,jazz", "--per-class", "2", "--seconds", "0.5", "--seed", "3")


def test_synth_rerun_keeps_every_file_and_extends_without_changing_one(tmp_path):
    out = tmp_path / "set"
    assert invoke("synth", out, *SET).exit_code == 0
    before = tree_digest(out)
    again = invoke("synth", out, *SET)
    assert again.exit_code == 0 and again.stdout.startswith("wrote 0 clips, 4 already there")
    assert tree_digest(out) == before
    more = invoke("synth", out, *SET, "--per-class", "3")
    assert more.exit_code == 0 and more.stdout.startswith("wrote 2 clips, 4 already there")
    after = tree_digest(out)
    assert {k: after[k] for k in before} == before
    assert sorted(set(after) - set(before)) == ["jazz/jazz.00002.wav", "rock/rock.00002.wav"]


def test_synth_refusing_other_content_writes_nothing(tmp_path):
    out = tmp_path / "set"
    assert invoke("synth", out, *SET).exit_code == 0
    (out / "notes.txt").write_text("mine")
    before = tree_digest(out)
    refused(invoke("synth", out, *SET, "--per-class", "3", "--seed", "4"),
            f"{out / 'rock' / 'rock.00000.wav'} already exists with other content")
    assert tree_digest(out) == before                   # not even the missing third clips
    ok = invoke("synth", out, *SET, "--classes", "rock,jazz,metal")
    assert ok.exit_code == 0 and "1 other files (e.g. " in ok.stderr
    assert (out / "notes.txt").read_text() == "mine"


def test_synth_on_a_full_disk_names_the_file_and_leaves_whole_files(tmp_path, monkeypatch):
    out = tmp_path / "set"
    written = []
    original = synth.write

    def write(path, y, sr):
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(path)
        original(path, y, sr)

    monkeypatch.setattr(synth, "write", write)
    refused(invoke("synth", out, *SET), f"{out / 'rock' / 'rock.00001.wav'}: cannot write "
                                        "(the disk is full")
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == ["rock.00000.wav"]


def test_ctrl_c_keeps_the_best_model_so_far_and_says_how_to_resume(data, tmp_path, monkeypatch):
    out = tmp_path / "fresh"
    interrupt(monkeypatch, epoch=3)
    refused(invoke("train", data, *FAST, "--epochs", "4", "--out", out),
            "interrupted after 2 epoch(s)", f"{out / rundir.MODEL_FILE} holds epoch",
            "the best so far", f"tinymir train --resume {out}")
    assert (out / rundir.MODEL_FILE).is_file() and (out / rundir.STATE_FILE).is_file()
    monkeypatch.undo()
    resumed = invoke("train", "--resume", out, "--epochs", "4", "--quiet")
    assert resumed.exit_code == 0, resumed.output
    assert (out / "report.json").is_file()
