"""The feature cache under faults: a damaged entry, a full disk, non-finite features, two builds
at once, and kill -9 of a parallel build (no process may outlive it)."""
import errno
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile

from _data_helpers import each_clip_alone, make_gtzan, tone
from _rounding import assert_same_result
from tinymir.data import claims, read_dataset
from tinymir.data.cache import CacheError, FeatureCache, save_entry
from tinymir.features import FeatureParams
from tinymir.features.files import file_features

PARAMS = FeatureParams(kind="mel", sr=8000, n_fft=256, hop_length=128, n_mels=16, n_mfcc=13)


@pytest.fixture
def table(tmp_path):
    make_gtzan(tmp_path / "set", ("blues", "rock"), per_genre=3)
    return read_dataset(tmp_path / "set")


def test_a_truncated_entry_is_named_and_computed_again(tmp_path, table, capsys):
    cache = FeatureCache(tmp_path / "cache", PARAMS)
    cache.build(table, progress=False)
    whole = np.array(cache.load("blues.00001"))
    entry = cache.folder / "features" / cache._entry("blues.00001")["file"]
    entry.write_bytes(entry.read_bytes()[:-100])       # what a full disk or a bad copy leaves
    with pytest.raises(CacheError, match="blues.00001.*cannot be read.*build again"):
        FeatureCache(tmp_path / "cache", PARAMS).load("blues.00001")
    fresh = FeatureCache(tmp_path / "cache", PARAMS)
    report = fresh.build(table, progress=False)
    assert (report.done, report.reused) == (1, 5)
    assert len(report.repaired) == 1 and "truncated" in report.repaired[0][1]
    assert "blues.00001.wav is corrupt: truncated" in capsys.readouterr().err
    assert_same_result(fresh.load("blues.00001"), whole, each_clip_alone())


@pytest.mark.parametrize("failure", [OSError("165376 requested and 24544 written"),
                                     OSError(errno.ENOSPC, "No space left on device")])
def test_a_full_disk_is_one_line_naming_the_entry(tmp_path, table, monkeypatch, failure):
    def save_half_then_fail(handle, array):
        handle.write(b"\x93NUMPY")
        raise failure

    monkeypatch.setattr(np, "save", save_half_then_fail)
    cache = FeatureCache(tmp_path / "cache", PARAMS)
    with pytest.raises(CacheError) as caught:
        cache.build(table, progress=False)
    message = str(caught.value)
    assert message.startswith(str(cache.folder / "features"))
    assert "the disk is full: cannot write the features of" in message
    assert "blues.00000.wav" in message and "\n" not in message
    assert not list(cache.folder.rglob(".tmp-*")) and not list(cache.folder.rglob("*.lock"))


def test_overflowing_silent_and_too_short_files_are_skipped_never_cached(tmp_path, table):
    folder = tmp_path / "set" / "genres" / "rock"
    good = tone(folder / "rock.00003.wav", seconds=0.5)       # a good clip, then its variants
    clip, sr = soundfile.read(good, dtype="float32")
    peak = float(np.abs(clip).max())
    soundfile.write(folder / "rock.00004.wav", clip.astype(np.float64) * (3e38 / peak), sr,
                    subtype="FLOAT")
    soundfile.write(folder / "rock.00005.wav", clip * 1e-30, sr, subtype="FLOAT")
    soundfile.write(folder / "rock.00006.wav", clip[:100], sr)
    table = read_dataset(tmp_path / "set")
    for jobs in (1, 2):
        cache = FeatureCache(tmp_path / f"cache{jobs}", PARAMS)
        report = cache.build(table, jobs=jobs, progress=False)
        reasons = {Path(path).name: reason for path, reason in report.skipped}
        assert reasons == {
            "rock.00004.wav": "samples up to 3e38: overflow in the power spectrum",
            "rock.00005.wav": "silent (peak -605 dBFS, below -60 dBFS): nothing to classify",
            "rock.00006.wav": "100 samples (0.0125 s), shorter than one analysis frame "
                              "(256 samples): nothing to classify"}
        assert report.done == 7
        for entry in cache.folder.rglob("*.npy"):
            assert np.isfinite(np.load(entry)).all()


def test_an_entry_claimed_by_another_build_is_waited_for_not_computed(tmp_path, table):
    cache = FeatureCache(tmp_path / "cache", PARAMS)
    first = table.tracks[0]
    target = cache.folder / "features" / _entry_file(first.path)
    target.parent.mkdir(parents=True)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        claims.lock_path(target).write_text(str(sleeper.pid))    # a live process holds it

        def other_build_finishes():                               # as its worker would
            time.sleep(0.5)
            save_entry(target, file_features(first.path, PARAMS), first.path)
            claims.release(target)

        helper = threading.Thread(target=other_build_finishes)
        helper.start()
        report = cache.build(table, progress=False)
        helper.join()
    finally:
        sleeper.kill()
        sleeper.wait()
    assert (report.done, report.reused) == (5, 1)
    assert_same_result(cache.load(first.id), file_features(first.path, PARAMS), each_clip_alone())


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path, table):
    cache = FeatureCache(tmp_path / "cache", PARAMS)
    target = cache.folder / "features" / _entry_file(table.tracks[0].path)
    target.parent.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    claims.lock_path(target).write_text(str(dead.pid))
    report = cache.build(table, progress=False)
    assert report.done == 6 and not list(cache.folder.rglob("*.lock"))


def test_two_builds_at_once_share_the_work(tmp_path):
    make_gtzan(tmp_path / "set", ("blues", "jazz", "rock"), per_genre=8)
    root = tmp_path / "cache"
    script = ("import sys; from tinymir.data import read_dataset; "
              "from tinymir.data.cache import FeatureCache; from tinymir.features import "
              "FeatureParams; p = FeatureParams(kind='mel', sr=8000, n_fft=256, hop_length=128, "
              "n_mels=16, n_mfcc=13); r = FeatureCache(sys.argv[2], p).build("
              "read_dataset(sys.argv[1]), progress=False); print(r.done, r.reused)")
    builds = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "set"), str(root)],
                               stdout=subprocess.PIPE, text=True) for _ in range(2)]
    counts = [tuple(map(int, build.communicate(timeout=120)[0].split())) for build in builds]
    assert all(done + reused == 24 for done, reused in counts)
    assert sum(done for done, _ in counts) == 24          # each entry computed exactly once
    assert len(list(root.rglob("*.npy"))) == 24 and not list(root.rglob("*.lock"))


def _entry_file(path):
    from tinymir.data.cache import entry_name, file_identity
    return entry_name(file_identity(path))


def _children(pid):
    """Process ids whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _running(pid):
    """True while ``pid`` exists and is not a zombie."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_kill_9_of_a_parallel_build_leaves_no_process_behind(tmp_path):
    for n in range(60):
        tone(tmp_path / "set" / "tones" / f"t{n:02d}.wav", seconds=4.0, freq=200 + 10 * n)
    parent = subprocess.Popen([sys.executable, "-m", "tinymir.cli.main", "--device", "cpu",
                               "features", str(tmp_path / "set"), "--cache",
                               str(tmp_path / "cache"), "--jobs", "2"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    children = []
    while time.monotonic() < deadline and len(children) < 3:   # 2 workers + resource tracker
        children = _children(parent.pid)
        time.sleep(0.05)
    assert len(children) >= 2, "the workers never started"
    manifest = next((tmp_path / "cache").glob("*/manifest.jsonl"), None)
    while time.monotonic() < deadline and (manifest is None or not manifest.read_text()):
        manifest = next((tmp_path / "cache").glob("*/manifest.jsonl"), None)
        time.sleep(0.05)                        # a worker has started and finished a file
    parent.send_signal(signal.SIGKILL)
    assert parent.wait() == -signal.SIGKILL, "the build must be killed in the middle"
    # a worker still starting up (importing) exits as soon as its initializer runs; give a
    # loaded machine time for that
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(map(_running, children)):
        time.sleep(0.1)
    survivors = [pid for pid in children if _running(pid)]
    for pid in survivors:                                  # do not leak them into the suite
        os.kill(pid, signal.SIGKILL)
    assert survivors == []
