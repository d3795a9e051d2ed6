"""Engines (tinymir.data.engines): the feature cache and `predict --out` give the same results on
this process, the built-in pool and a real Dask cluster (a LocalCluster of 2 worker processes);
a worker killed mid-run is replaced and every track still ends up once; a client killed with
SIGKILL resumes; a scheduler that does not answer is one line."""
import csv
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from click.testing import CliRunner

from _data_helpers import each_clip_alone, make_gtzan
from _rounding import assert_same_result
from tinymir import nn
from tinymir.audio import synth
from tinymir.cli.main import main
from tinymir.data import engines, read_dataset
from tinymir.data.cache import FeatureCache
from tinymir.data.engines import WORKER_ENV, ProcessEngine, batches
from tinymir.features import FeatureParams
from tinymir.predict import catalogue
from tinymir.train import run

distributed = pytest.importorskip(
    "distributed", reason="dask.distributed is not installed (pip install 'tinymir[dask]')")

PARAMS = FeatureParams(kind="mel", sr=8000, n_fft=256, hop_length=128, n_mels=16, n_mfcc=13)


@pytest.fixture(scope="module")
def cluster():
    """A real local Dask cluster: 2 worker processes, one thread each, CPU."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  env=dict(WORKER_ENV), dashboard_address=None) as local, \
            distributed.Client(local) as client:
        yield local, client


@pytest.fixture(scope="module")
def songs(tmp_path_factory):
    """Two synthetic genres, 8 clips of 0.6 s each, and one corrupt file."""
    out = tmp_path_factory.mktemp("songs")
    synth.make_dataset(out, ("electronic", "classical"), per_class=8, seconds=0.6, seed=4)
    (out / "classical" / "broken.wav").write_bytes(b"RIFF\x10junk")
    return out


@pytest.fixture(scope="module")
def model(songs, tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    config = run.TrainConfig(arch="cnn3", data=str(songs), out=str(out), segment=0.5,
                             overlap=0.5, epochs=1, batch_size=8, seed=3,
                             early_stopping=False)
    run.train(config, progress=False)
    return str(out / "model.npz")


def read_rows(path):
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], sorted(map(tuple, rows[1:]))


def test_local_dask_workers_are_set_up_as_the_pools():
    import dask

    def settings():
        import dask

        from tinymir import backend as worker_backend
        from tinymir import threads
        return (worker_backend.get_device(), threads.CPU_THREADS,
                worker_backend._malloc_tuned,        # keep_freed_memory took effect
                os.environ.get("MALLOC_ARENA_MAX"),
                dask.config.get("distributed.worker.profile.enabled"))

    profiling = dask.config.get("distributed.worker.profile.enabled")
    with engines.open_engine("dask", jobs=2) as engine:
        found = engine.client.run(settings)
        faults = engine.client.submit(refault_100_mb, pure=False).result()
        first = engine.client.run(os.getpid)
        os.kill(next(iter(first.values())), signal.SIGKILL)      # its nanny starts another
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = engine.client.run(os.getpid, on_error="ignore")      # the dead one left out
            if len(now) == 2 and set(now.values()) != set(first.values()):
                break
            time.sleep(0.2)
        replaced = engine.client.run(settings)
    assert list(found.values()) == [("cpu", 1, True, "1", False)] * 2
    assert list(replaced.values()) == [("cpu", 1, True, "1", False)] * 2
    assert dask.config.get("distributed.worker.profile.enabled") == profiling   # put back
    # a task runs on a worker thread; with its own malloc arena each 100 MB array was a fresh
    # mmap (3 x 51 faults with huge pages, 3 x 25 600 without); with MALLOC_ARENA_MAX=1 the
    # freed block is reused
    assert faults < 20


def refault_100_mb():
    """Page faults of allocating 100 MB three times after a first allocation was freed."""
    import resource
    np.ones(100 * 2**20 // 8)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(3):
        np.ones(100 * 2**20 // 8)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_batches_cover_every_item_once_and_give_every_worker_work():
    items = list(range(100))
    assert [len(b) for b in batches(items, 2)] == [8] * 12 + [4]      # at most MAX_BATCH
    assert [len(b) for b in batches(items[:10], 2)] == [2] * 5         # ~4 batches a worker
    assert sum(batches(items, 3, size=7), []) == items


def test_features_through_dask_equal_the_pool_bit_for_bit(tmp_path, cluster):
    local, client = cluster
    make_gtzan(tmp_path / "set", ("blues", "rock"), per_genre=5)
    (tmp_path / "set" / "genres" / "rock" / "rock.00009.wav").write_bytes(b"RIFF\x10junk")
    table = read_dataset(tmp_path / "set")
    pool = FeatureCache(tmp_path / "pool", PARAMS)
    engine = ProcessEngine(2)               # the pool itself, whatever the device of this run
    try:
        by_pool = pool.build(table, scheduler=engine, progress=False)
    finally:
        engine.close()
    dask = FeatureCache(tmp_path / "dask", PARAMS)
    by_dask = dask.build(table, scheduler=client, progress=False)
    assert (by_dask.done, by_dask.skipped) == (by_pool.done, by_pool.skipped) == (10, [
        (str(tmp_path / "set" / "genres" / "rock" / "rock.00009.wav"),
         by_pool.skipped[0][1])])
    for track_id in table.ids[:-1]:
        assert_same_result(dask.load(track_id), pool.load(track_id), each_clip_alone())
        assert dask._entries[track_id]["file"] == pool._entries[track_id]["file"]
    by_address = FeatureCache(tmp_path / "dask", PARAMS).build(
        table, scheduler=local.scheduler_address, progress=False)
    assert (by_address.done, by_address.reused) == (0, 10)              # resumable


def test_predict_out_gives_the_same_rows_through_every_engine(tmp_path, songs, model, cluster):
    local, client = cluster
    pool = ProcessEngine(2)
    engines = {"inline": "processes", "pool": pool, "client": client,
               "address": local.scheduler_address}
    tables = {}
    for name, scheduler in engines.items():
        out = tmp_path / f"{name}.csv"
        report = catalogue.tag_catalogue(model, songs, out, scheduler=scheduler, top=2,
                                         progress=False)
        assert (report.total, report.tagged, report.already) == (17, 16, 0)
        assert [os.path.basename(p) for p, _ in report.failed] == ["broken.wav"]
        errors = read_rows(catalogue.errors_path(out))
        assert errors[0] == ["path", "reason"] and len(errors[1]) == 1
        tables[name] = read_rows(out)
    header, rows = tables["inline"]
    assert header == ["path", "label_1", "probability_1", "label_2", "probability_2",
                      "warning", "model"]
    assert {row[-1] for row in rows} == {catalogue.model_id(model)}
    assert len({row[0] for row in rows}) == 16
    assert {row[1] for row in rows} <= {"electronic", "classical"}
    pool.close()
    for name in ("client", "address"):          # worker processes on the CPU: the same bits
        assert tables[name] == tables["pool"], name
    inline = [(row[0], row[1], row[3]) for row in rows]      # this process, on any device
    assert inline == [(row[0], row[1], row[3]) for row in tables["pool"][1]]
    for here, there in zip(rows, tables["pool"][1]):
        np.testing.assert_allclose(np.array(here[2:5:2], float), np.array(there[2:5:2], float),
                                   atol=2e-4)


def test_the_model_is_loaded_once_per_worker(songs, model):
    paths = [str(p) for p in sorted(songs.rglob("electronic.0000[0-3].wav"))]
    before = catalogue._load.cache_info()
    catalogue.tag_batch(paths[:2], model, 1)
    catalogue.tag_batch(paths[2:], model, 1)
    after = catalogue._load.cache_info()
    assert after.misses - before.misses <= 1 and after.hits - before.hits >= 1


def kill_a_worker_when(out, rows, pids_of):
    """A thread that SIGKILLs one worker once ``out`` has ``rows`` rows; returns the thread and
    a dict that receives the killed pid and the rows seen at that moment."""
    seen = {}

    def watch():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if out.exists() and len(out.read_text().splitlines()) > rows:
                pids = pids_of()
                if pids:
                    seen["rows"] = len(out.read_text().splitlines()) - 1
                    seen["pid"] = pids[0]
                    os.kill(pids[0], signal.SIGKILL)
                    return
            time.sleep(0.005)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread, seen


@pytest.mark.parametrize("engine", ["dask", "pool"])
def test_a_worker_killed_mid_run_is_replaced_and_every_track_is_there_once(
        tmp_path, songs, model, cluster, engine):
    local, client = cluster
    if engine == "dask":
        scheduler = client
        client.wait_for_workers(2)
        pids_of = lambda: sorted(client.run(os.getpid).values())    # noqa: E731
    else:
        scheduler = ProcessEngine(2)
        pids_of = lambda: sorted(scheduler._pool._processes) if scheduler._pool else []  # noqa
    out = tmp_path / "tags.csv"
    thread, seen = kill_a_worker_when(out, 2, pids_of)
    report = catalogue.tag_catalogue(model, songs, out, scheduler=scheduler, top=1,
                                     progress=False, batch_size=1)
    thread.join()
    if engine == "pool":
        scheduler.close()
    assert "pid" in seen and seen["rows"] < 16, "a worker must be killed in the middle"
    _, rows = read_rows(out)
    assert sorted(row[0] for row in rows) == sorted({row[0] for row in rows})
    assert len(rows) == report.tagged == 16
    assert [os.path.basename(p) for p, _ in report.failed] == ["broken.wav"]


def test_a_resumed_predict_adds_only_the_missing_rows(tmp_path, songs, model):
    whole = tmp_path / "whole.csv"
    catalogue.tag_catalogue(model, songs, whole, top=2, progress=False)
    lines = whole.read_text().splitlines(keepends=True)
    cut = tmp_path / "cut.csv"
    cut.write_text("".join(lines[:6]) + lines[6][:20])        # 5 rows, then a torn line
    report = catalogue.tag_catalogue(model, songs, cut, top=2, progress=False)
    assert (report.already, report.tagged) == (5, 11)
    assert read_rows(cut) == read_rows(whole)
    again = catalogue.tag_catalogue(model, songs, cut, top=2, progress=False)
    assert (again.already, again.tagged, len(again.failed)) == (16, 0, 1)
    assert read_rows(cut) == read_rows(whole)


@pytest.mark.slow
def test_predict_killed_with_sigkill_resumes_where_it_stopped(tmp_path, songs, model):
    out = tmp_path / "tags.csv"
    command = [sys.executable, "-m", "tinymir.cli.main", "--device", "cpu", "predict", model,
               str(songs), "--out", str(out), "--quiet"]
    victim = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and victim.poll() is None:
        if out.exists() and len(out.read_text().splitlines()) >= 3:
            break
        time.sleep(0.005)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL, "the run must be killed in the middle"
    before = len(out.read_text().splitlines()) - 1
    finished = subprocess.run(command, capture_output=True, text=True)
    assert finished.returncode == 1                                      # broken.wav failed
    assert f"{16 - before} tagged now, {before} already in" in finished.stdout
    _, rows = read_rows(out)
    assert len(rows) == len({row[0] for row in rows}) == 16


def test_a_scheduler_that_does_not_answer_is_one_line(tmp_path, songs, monkeypatch):
    monkeypatch.setattr(engines, "CONNECT_TIMEOUT", 1)
    with socket.socket() as probe:                  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(main, ["features", str(songs), "--cache", str(tmp_path / "c"),
                                       "--scheduler", f"tcp://127.0.0.1:{port}"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: no Dask scheduler answers at tcp://127.0.0.1:{port} within 1 s (OSError)"]
    bad = CliRunner().invoke(main, ["features", str(songs), "--cache", str(tmp_path / "c"),
                                    "--scheduler", "yarn"])
    assert bad.exit_code == 2 and "processes, dask or an address" in bad.output


def test_a_tag_model_writes_every_tag_at_or_above_its_threshold(tmp_path, songs, model, cluster):
    """Multi-label: ``path,tags`` with ``tag:probability`` for each tag at or above its
    threshold. The tag model is the trained one read as two independent tags (sigmoids)."""
    network, metadata = nn.load(model)
    metadata.update(multilabel=True, thresholds=[0.0, 0.5])   # tag 0 on every track
    tags_model = str(tmp_path / "tags.npz")
    nn.save(tags_model, network, metadata)
    out = tmp_path / "tags.csv"
    report = catalogue.tag_catalogue(tags_model, songs, out, scheduler=cluster[1],
                                     progress=False)
    assert (report.tagged, len(report.failed)) == (16, 1)
    header, rows = read_rows(out)
    assert header == ["path", "tags", "warning", "model"]
    predictor = catalogue.worker_predictor(tags_model)
    seen = set()
    for path, tags, _, _ in rows:
        expected = predictor.predict_file(path, top=2)
        given = [cell.split(":") for cell in tags.split(";")] if tags else []
        assert [name for name, _ in given] == [name for name, _ in expected["top"]
                                               if name in expected["tags"]]
        for name, p in given:
            assert float(p) == pytest.approx(dict(expected["top"])[name], abs=1e-4)
            assert float(p) >= metadata["thresholds"][predictor.classes.index(name)] - 1e-4
        seen.add(len(given))
    assert len(seen) > 1, "rows with different numbers of tags"
