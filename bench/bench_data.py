"""Benchmark: building the mel cache with tinymir (``--jobs 2``) against a plain librosa loop.

Both sides read the same N synthetic 30 s wav files (tinymir.audio.synth) in the same run:

* tinymir: ``read_dataset(folder)`` then ``FeatureCache(cache, FeatureParams(kind="mel")).build(
  table, jobs=J)`` — load, 1024-point STFT every 512 samples, 128 mels, dB, one .npy per track;
* librosa: for each file ``librosa.load(path, sr=22050)``, ``librosa.feature.melspectrogram(
  n_fft=1024, hop_length=512, n_mels=128)``, ``librosa.power_to_db``, ``np.save``.

Each side runs in its own child process, which reports its wall time and its peak resident
memory (``resource.getrusage``: itself, and its largest worker process). The script prints the
ratio and writes ``bench/results/data_cpu.json``. Run from the repository root::

    python bench/bench_data.py              # 1000 clips (about 650 MB of wav in a temp dir)
    python bench/bench_data.py --n 100      # quicker
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "data_cpu.json"
SR, N_FFT, HOP, N_MELS = 22050, 1024, 512, 128


def peak_memory_mb() -> dict:
    """Peak resident set size of this process and of its largest (waited-for) child, in MB."""
    to_mb = 1 / 1024 if sys.platform != "darwin" else 1 / 1024 ** 2
    return {"self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * to_mb,
            "largest_child_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * to_mb}


def run_tinymir(audio_dir: Path, out: Path, jobs: int) -> dict:
    from tinymir.data import read_dataset
    from tinymir.data.cache import FeatureCache
    from tinymir.features import FeatureParams

    start = time.perf_counter()
    table = read_dataset(audio_dir)
    cache = FeatureCache(out, FeatureParams(kind="mel", sr=SR, n_fft=N_FFT, hop_length=HOP,
                                            n_mels=N_MELS))
    report = cache.build(table, jobs=jobs, progress=False)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "tracks": report.done, "skipped": len(report.skipped),
            **peak_memory_mb()}


def run_librosa(audio_dir: Path, out: Path) -> dict:
    import librosa

    start = time.perf_counter()
    paths = sorted(audio_dir.rglob("*.wav"))
    out.mkdir(parents=True, exist_ok=True)
    for i, path in enumerate(paths):
        y, sr = librosa.load(path, sr=SR)
        mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=N_FFT, hop_length=HOP,
                                             n_mels=N_MELS)
        np.save(out / f"{i}.npy", librosa.power_to_db(mel))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "tracks": len(paths), **peak_memory_mb()}


def run_side(side: str, audio_dir: Path, out: Path, jobs: int) -> dict:
    """Run one side in a fresh child process and return what it reports."""
    command = [sys.executable, __file__, "--side", side, "--audio", str(audio_dir),
               "--out", str(out), "--jobs", str(jobs)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def agreement(audio_dir: Path, cache_root: Path, n: int = 3) -> float:
    """Largest |dB difference| between the tinymir cache and librosa on the first n files."""
    import librosa

    from tinymir.data import read_dataset
    from tinymir.data.cache import FeatureCache
    from tinymir.features import FeatureParams

    table = read_dataset(audio_dir)
    cache = FeatureCache(cache_root, FeatureParams(kind="mel", sr=SR, n_fft=N_FFT,
                                                   hop_length=HOP, n_mels=N_MELS))
    worst = 0.0
    for track in table.tracks[:n]:
        y, sr = librosa.load(track.path, sr=SR)
        reference = librosa.power_to_db(librosa.feature.melspectrogram(
            y=y, sr=sr, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS))
        worst = max(worst, float(np.abs(np.asarray(cache.load(track.id)) - reference).max()))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of clips (default 1000)")
    parser.add_argument("--seconds", type=float, default=30.0, help="clip length")
    parser.add_argument("--jobs", type=int, default=2, help="tinymir worker processes")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temp folder")
    parser.add_argument("--side", choices=("tinymir", "librosa"), help=argparse.SUPPRESS)
    parser.add_argument("--audio", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.side == "tinymir":
        print(json.dumps(run_tinymir(args.audio, args.out, args.jobs)))
        return
    if args.side == "librosa":
        print(json.dumps(run_librosa(args.audio, args.out)))
        return

    from tinymir.audio import synth

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(dir=args.workdir) as work:
        work = Path(work)
        classes = synth.resolve_classes(len(synth.GENRES))
        per_class = -(-args.n // len(classes))
        start = time.perf_counter()
        paths = synth.make_dataset(work / "audio", classes, per_class,
                                   args.seconds, seed=0, sr=SR)
        for extra in paths[args.n:]:
            extra.unlink()
        print(f"wrote {args.n} clips of {args.seconds:g} s in "
              f"{time.perf_counter() - start:.1f} s", flush=True)
        tinymir = run_side("tinymir", work / "audio", work / "cache", args.jobs)
        print(f"tinymir (jobs {args.jobs}): {tinymir['seconds']:.1f} s", flush=True)
        librosa_side = run_side("librosa", work / "audio", work / "librosa", 1)
        print(f"librosa loop: {librosa_side['seconds']:.1f} s", flush=True)
        worst_db = agreement(work / "audio", work / "cache")

    ratio = librosa_side["seconds"] / tinymir["seconds"]
    result = {
        "benchmark": "mel cache build vs plain librosa loop",
        "clips": args.n, "clip_seconds": args.seconds, "jobs": args.jobs,
        "params": {"sr": SR, "n_fft": N_FFT, "hop_length": HOP, "n_mels": N_MELS, "db": True},
        "tinymir": tinymir, "librosa": librosa_side,
        "speedup": ratio, "target_speedup": 3.0,
        "max_abs_db_difference_first_3": worst_db,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "load_average_1_5_15_min_before": load_before,
                    "load_average_1_5_15_min_after": os.getloadavg()},
        "note": "shared machine: timings taken under load from other processes (see load "
                "averages); rerun on a quiet machine for clean figures",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"speedup {ratio:.2f}x (target 3x); peak memory tinymir "
          f"{tinymir['self_mb']:.0f} MB + workers {tinymir['largest_child_mb']:.0f} MB each, "
          f"librosa {librosa_side['self_mb']:.0f} MB; max |dB diff| {worst_db:.2e}; "
          f"written to {RESULTS}")


if __name__ == "__main__":
    main()
