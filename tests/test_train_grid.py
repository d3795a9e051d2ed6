"""`tinymir experiment`: grid files, the runs of a grid on one split, resuming a killed grid,
and the results table over seeds."""
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tinymir.audio import synth
from tinymir.cli.main import main
from tinymir.data.splits import make_split
from tinymir.train import grid as grids
from tinymir.train import run

SHIPPED = Path(__file__).resolve().parents[1] / "grids"
GRID = """
name = "tiny grid"
seeds = [0, 1]
[fixed]
features = "mfcc"
segment = 0.5
overlap = 0.5
epochs = 1
batch_size = 4
[grid]
arch = ["cnn3"]
augment = ["none", "crop+gain"]
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    synth.make_dataset(out, ("electronic", "classical"), per_class=8, seconds=1.0, seed=2)
    return out


def invoke(*args):
    return CliRunner().invoke(main, ["--device", "cpu", *map(str, args)])


def test_a_bad_grid_file_is_one_clear_line(tmp_path):
    cases = [("name = 1\n[grid]\nwidth = [1]\n", "[grid] sets width, which is not a training"),
             ("[grid]\narch = 'cnn3'\n", "arch must be a non-empty list"),
             ("seeds = []\n", "seeds must be a non-empty list"),
             ("[fixed]\narch='cnn3'\n[grid]\narch=['cnn4']\n", "both fixed and varied"),
             ("[fixed]\nseed = 3\n", "seed, which is not a training option"),
             ("[fixed\n", "not valid TOML"), ("colour = 2\n", "unknown key(s) colour"),
             ("[fixed]\nfeatures = 'mfcc'\nn_mfcc = 13\nn_fft = 2048\nhop_length = 1024\n"
              "[grid]\narch = ['dieleman']\n", "cell arch dieleman: dieleman cannot read 13x65")]
    for i, (text, says) in enumerate(cases):
        path = tmp_path / f"g{i}.toml"
        path.write_text(text + "data = 'x'\n" if "[" not in text else "data = 'x'\n" + text)
        result = invoke("experiment", path)
        assert result.exit_code == 1 and says in result.stderr, (text, result.stderr)
        assert "Traceback" not in result.stderr
    (tmp_path / "nodata.json").write_text(json.dumps({"grid": {"arch": ["cnn3"]}}))
    assert "no data" in invoke("experiment", tmp_path / "nodata.json").stderr


@pytest.mark.parametrize("path", sorted(SHIPPED.glob("*.toml")), ids=lambda path: path.stem)
def test_every_shipped_grid_is_valid_and_each_cell_builds_its_network(path, tmp_path):
    grid = grids.read_grid(path)
    assert grid.data.startswith("../shared/data/")          # the development data, from the repo
    runs = grids.configs(grids.read_grid(path, data=str(tmp_path)), "unused")   # without it too
    folds = grid.cv["folds"] * grid.cv["repeats"] if grid.cv else 1
    assert len(runs) == len(grid.cells()) * len(grid.seeds) * folds
    assert len(grid.seeds) * folds >= 3                  # every cell measured more than once


def test_a_grid_runs_every_cell_and_seed_on_one_split_and_a_killed_grid_continues(
        tiny, tmp_path, monkeypatch):
    path = tmp_path / "grid.toml"
    path.write_text(f"data = '{tiny}'\n" + GRID)
    out = tmp_path / "out"
    result = invoke("experiment", path, "--out", out, "--quiet", "--no-cache")
    assert result.exit_code == 0, result.output + result.stderr
    results = json.loads((out / "results.json").read_text())
    assert [row["augment"] for row in results["cells"]] == ["none", "crop+gain"]
    assert all(row["seeds"] == 2 for row in results["cells"])
    reports = [json.loads(p.read_text()) for p in sorted(out.glob("*/seed-*/report.json"))]
    assert len(reports) == 4 and len({r["split"] for r in reports}) == 1      # one split
    assert {r["config"]["seed"] for r in reports} == {0, 1}
    row = results["cells"][1]
    runs = row["accuracy_runs"]
    assert row["accuracy_mean"] == pytest.approx(np.mean(runs))
    assert row["accuracy_std"] == pytest.approx(np.std(runs, ddof=1))
    assert "| cnn3 | crop+gain |" in (out / "results.md").read_text()
    assert (out / "results.csv").read_text().startswith("arch,augment,seeds,test_tracks,")
    assert (out / "results.png").stat().st_size > 0

    # A killed grid: one run lost its report (killed before the end), the others are kept.
    lost = out / "arch-cnn3_augment-crop.gain" / "seed-1" / "report.json"
    lost.unlink()
    trained = []
    original = run.train

    def counting(config, *args, **kwargs):
        trained.append(config.out)
        return original(config, *args, **kwargs)

    monkeypatch.setattr(run, "train", counting)
    again = grids.run_grid(grids.read_grid(path), out, epochs_shown=False)
    assert trained == [str(lost.parent)] and lost.is_file()
    assert again["cells"][0] == results["cells"][0]


def test_a_dry_run_checks_that_the_grids_data_is_there(tmp_path, monkeypatch):
    """The shipped grids name ../shared/data/...: run from another folder, the dry run says so
    instead of listing runs that would fail after the first."""
    from click.testing import CliRunner

    from tinymir.cli.main import main
    grid = tmp_path / "g.toml"
    grid.write_text('data = "../nowhere/gtzan"\nseeds = [0]\n[grid]\narch = ["cnn3"]\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["experiment", str(grid), "--dry-run"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "its data '../nowhere/gtzan' is not there" in result.output
    assert f"relative to the current folder, {tmp_path}" in result.output


CV_GRID = """
name = "cross-validated"
seeds = [0]
cv = {folds = 4, repeats = 2, group = "artist"}
[fixed]
dataset = "folders"
segment = 0.5
overlap = 0.5
epochs = 1
batch_size = 4
early_stopping = false
[grid]
arch = ["cnn3"]
features = ["mel", "mfcc"]
"""


def test_a_cross_validated_grid_runs_every_cell_on_the_same_folds_by_artist(tmp_path):
    """cv = {folds, repeats, group}: every cell on the same 4 x 2 folds, no artist on two
    sides, one score per fold, corrected intervals and the paired difference; a rerun
    trains nothing and reports the same."""
    import io

    from _data_helpers import artist_folders
    from tinymir.data import read_dataset
    data = artist_folders(tmp_path / "artists")
    path = tmp_path / "cv.toml"
    path.write_text(f'data = "{data}"\n' + CV_GRID)
    grid = grids.read_grid(path)
    results = grids.run_grid(grid, tmp_path / "out", stream=io.StringIO(), epochs_shown=False)
    assert "4-fold x 2 repeats by artist" in results["split"]
    rows = results["cells"]
    assert [row["folds"] for row in rows] == [8, 8]
    for row in rows:
        assert row["accuracy_low"] <= row["accuracy_mean"] <= row["accuracy_high"]
    (pair,) = results["differences"]
    assert pair["low"] <= pair["mean"] <= pair["high"]
    reports = {}
    for folder in sorted((tmp_path / "out").glob("*/seed-0_repeat-*_fold-*")):
        report = json.loads((folder / "report.json").read_text())
        reports.setdefault(folder.name, []).append((report["split"], report["tracks"]))
    assert len(reports) == 8 and all(len(v) == 2 and v[0] == v[1] for v in reports.values())
    table = read_dataset(data, dataset="folders")
    for repeat in range(2):
        for fold in range(4):
            split = make_split(table, "group-kfold", repeat, fold, 4)
            sides = [{table.groups[i] for i in split[p]} for p in ("train", "val", "test")]
            assert not (sides[0] & sides[2] or sides[1] & sides[2] or sides[0] & sides[1])
    markdown = grids.markdown(results)
    assert "Paired differences in accuracy over the same 4 x 2 folds" in markdown
    before = (tmp_path / "out" / "results.json").read_text()
    again = grids.run_grid(grids.read_grid(path), tmp_path / "out", stream=io.StringIO(),
                           epochs_shown=False)
    assert again == results and (tmp_path / "out" / "results.json").read_text() == before


@pytest.mark.parametrize("cv, message", [
    ("cv = 5", "cv must be a table of folds, repeats and group"),
    ("cv = {folds = 1}", "cv folds must be a whole number of 2 or more, got 1"),
    ("cv = {folds = 3, repeats = 0}", "cv repeats must be a whole number of 1 or more"),
    ("cv = {folds = 3, group = 2}", "cv group must be true, false or what the groups are"),
    ("cv = {folds = 3, shuffle = true}", "cv must be a table of folds, repeats and group"),
])
def test_a_bad_cv_is_one_line(tmp_path, cv, message):
    path = tmp_path / "g.toml"
    path.write_text(f'data = "{tmp_path}"\n{cv}\n[grid]\narch = ["cnn3"]\n')
    with pytest.raises(grids.GridError, match=message):
        grids.read_grid(path)


def test_cv_and_a_split_of_the_grids_own_are_refused(tmp_path):
    path = tmp_path / "g.toml"
    path.write_text(f'data = "{tmp_path}"\ncv = {{folds = 3}}\n[fixed]\nsplit = "group"\n'
                    '[grid]\narch = ["cnn3"]\n')
    with pytest.raises(grids.GridError, match="cv chooses split for every run"):
        grids.read_grid(path)


def test_a_grid_on_two_worker_processes_reports_what_the_serial_run_reports(tmp_path):
    """--jobs 2: the runs go to the process pool, two at a time, and the reports are written
    where the serial run writes them. A worker runs BLAS on one thread and this process on all,
    another path to the same run: its figures agree with the serial run's to within one test
    track (float32 rounding may move one decision), not bit for bit."""
    import io
    data = tmp_path / "data"
    synth.make_dataset(data, ("electronic", "classical"), per_class=10, seconds=1.0, seed=4)
    path = tmp_path / "g.toml"
    path.write_text(f'data = "{data}"\n' + GRID)
    serial = grids.run_grid(grids.read_grid(path), tmp_path / "serial", stream=io.StringIO(),
                            epochs_shown=False)
    log = io.StringIO()
    parallel = grids.run_grid(grids.read_grid(path), tmp_path / "parallel", stream=log,
                              epochs_shown=False, jobs=2)
    from tinymir import backend  # a GPU is one process's: the pool runs there
    where = "2 processes" if backend.get_device() == "cpu" else "this process"
    assert f"4 runs on {where}" in log.getvalue()
    for a, b in zip(serial["cells"], parallel["cells"]):
        one_track = 1.0 / a["test_tracks"]
        for key in serial["metrics"]:
            assert a[f"{key}_runs"] == pytest.approx(b[f"{key}_runs"], abs=one_track), key
    def written(out):
        return sorted(p.relative_to(out) for p in out.glob("*/seed-*/report.json"))

    assert written(tmp_path / "parallel") == written(tmp_path / "serial")
