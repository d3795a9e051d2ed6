"""Benchmark: the engines of tinymir.data.engines side by side, in one run, on one catalogue.

A synthetic catalogue of N tracks of 30 s (tinymir.audio.synth, 22 050 Hz 16-bit wav; K distinct
clips copied to N files) goes through

* ``features``: ``FeatureCache(cache, FeatureParams(kind="mel")).build(tracks, scheduler=engine)``
  (load, 1024-point STFT every 512 samples, 128 mels, dB, one .npy per track), and
* ``predict``: ``tag_catalogue(model, tracks, out.csv, scheduler=engine)`` with a ``cnn3``
  trained for one epoch on a small synthetic set (3 s slices, mean over the track),

on each engine: the built-in pool with 1 and 2 processes, a local Dask cluster with 1 and 2
workers (one thread each), and Dask with 2 workers and one track per task (the cost of
scheduling without batches). Each engine is started and warmed up first (its workers have
imported tinymir); that start is reported apart from the work. Repeats run the engines in
turn, so background load hits them alike; the spread over repeats is printed.

Reported per engine and task: tracks/s (median over repeats, and min-max), Dask's overhead
against the pool at the same worker count, the scaling efficiency 1 -> 2 workers
(``t1 / (2 t2)``), the peak resident memory of each worker, the bytes of cache per track, the
bytes that travel between client and workers per track (pickled task arguments and results),
and the load average of the machine. Results go to ``bench/results/engines_cpu.json``::

    python bench/bench_engines.py                               # 1000 tracks, predict on 100
    python bench/bench_engines.py --tracks 100 --predict-tracks 20 --repeats 2
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "engines_cpu.json"
ENGINES = [("pool", 1, None), ("pool", 2, None), ("dask", 1, None), ("dask", 2, None),
           ("dask", 2, 1)]


def engine_name(kind: str, workers: int, batch) -> str:
    return f"{kind}-{workers}" + (f" batch {batch}" if batch else "")


def warm_up(batch):
    """Runs on a worker: import what the work imports; linger so every worker gets one."""
    import tinymir.data.cache  # noqa: F401
    import tinymir.predict.catalogue  # noqa: F401
    time.sleep(0.3)
    return [os.getpid()]


def peak_rss_mb(batch=None):
    """Peak resident memory of this process in MB (``VmHWM``, Linux); used on the workers."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return [int(line.split()[1]) / 1024]
    return [float("nan")]


def start(kind: str, workers: int):
    from tinymir.data.engines import ProcessEngine, start_engine
    begin = time.perf_counter()
    engine = ProcessEngine(workers) if kind == "pool" else start_engine("dask", workers)
    list(engine.run(warm_up, [[None]] * (2 * workers)))
    return engine, time.perf_counter() - begin


def worker_memory(engine) -> list[float]:
    """Peak RSS (MB) of each worker of ``engine``."""
    if hasattr(engine, "client"):
        return sorted(v[0] for v in engine.client.run(peak_rss_mb).values())
    peaks = []
    for pid in engine._pool._processes:
        with open(f"/proc/{pid}/status") as handle:
            peaks += [int(line.split()[1]) / 1024 for line in handle
                      if line.startswith("VmHWM:")]
    return sorted(peaks)


def make_catalogue(root: Path, n: int, distinct: int, seconds: float) -> list[str]:
    from tinymir.audio import synth
    clips = synth.make_dataset(root / "distinct", ("rock", "jazz", "classical", "electronic"),
                               per_class=max(1, distinct // 4), seconds=seconds, seed=7)
    paths = []
    for i in range(n):
        target = root / "catalogue" / f"{i // 100:03d}" / f"track{i:05d}.wav"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(clips[i % len(clips)], target)
        paths.append(str(target))
    return paths


def train_model(root: Path) -> str:
    from tinymir.audio import synth
    from tinymir.train import run
    synth.make_dataset(root / "train", ("rock", "jazz", "classical", "electronic"),
                       per_class=10, seconds=3.5, seed=8)
    config = run.TrainConfig(arch="cnn3", data=str(root / "train"), out=str(root / "model"),
                             epochs=1, seed=0, early_stopping=False)
    run.train(config, stream=open(os.devnull, "w"), progress=False)
    return str(root / "model" / "model.npz")


def run_features(engine, paths, out: Path, batch):
    from tinymir.data.cache import FeatureCache
    from tinymir.features import FeatureParams
    cache = FeatureCache(out, FeatureParams(kind="mel"))
    begin = time.perf_counter()
    report = cache.build(paths, scheduler=engine, progress=False, batch_size=batch)
    seconds = time.perf_counter() - begin
    assert report.done == len(paths) and not report.skipped, report.summary()
    sizes = [p.stat().st_size for p in cache.folder.rglob("*.npy")]
    return seconds, sum(sizes) / len(sizes)


def run_predict(engine, paths, out: Path, batch, model: str):
    from tinymir.predict.catalogue import tag_catalogue
    begin = time.perf_counter()
    report = tag_catalogue(model, paths_file(out, paths), out / "tags.csv", scheduler=engine,
                           progress=False, batch_size=batch)
    seconds = time.perf_counter() - begin
    assert report.tagged == len(paths) and not report.failed, report.summary()
    return seconds, (out / "tags.csv").stat().st_size / len(paths)


def paths_file(folder: Path, paths) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    listing = folder / "tracks.txt"
    listing.write_text("\n".join(paths) + "\n")
    return listing


def traffic_per_track(paths, model: str, cache_root: Path) -> dict:
    """Bytes of the pickled task arguments and results per track (what Dask sends each way,
    without its own framing), measured on one batch of 8 tracks of each task."""
    from tinymir.data.cache import FeatureCache, extract_batch
    from tinymir.features import FeatureParams
    from tinymir.predict.catalogue import tag_batch
    cache = FeatureCache(cache_root, FeatureParams(kind="mel"))
    items = [(p, str(cache.folder / "features" / f"x{i}.npy")) for i, p in enumerate(paths[:8])]
    (cache.folder / "features").mkdir(parents=True, exist_ok=True)
    features_out = extract_batch(items, cache.params.to_dict())
    predict_out = tag_batch(paths[:8], model, 3)
    n = len(items)
    return {"features": {"to_worker": len(pickle.dumps((items, cache.params.to_dict()))) / n,
                         "to_client": len(pickle.dumps(features_out)) / n},
            "predict": {"to_worker": len(pickle.dumps((paths[:8], model, 3))) / n,
                        "to_client": len(pickle.dumps(predict_out)) / n}}


def mp3_cost(folder: str, count: int = 8, repeats: int = 3) -> dict:
    """Per-track ms of decoding (to 22 050 Hz mono) and of mel features for the first
    ``count`` mp3 files below ``folder``, in this process (median of ``repeats``): the plan's
    mp3 figures."""
    from tinymir.audio import load
    from tinymir.features import FeatureParams
    from tinymir.features.files import batch_features
    params = FeatureParams(kind="mel")
    files = sorted(Path(folder).rglob("*.mp3"))[:count]
    decode, mel, sizes = [], [], [f.stat().st_size for f in files]
    for _ in range(repeats):
        begin = time.perf_counter()
        clips = [load(f, sr=params.sr)[0] for f in files]
        middle = time.perf_counter()
        for clip in clips:
            batch_features([clip], params)
        decode.append((middle - begin) / len(files))
        mel.append((time.perf_counter() - middle) / len(files))
    return {"files": len(files), "mean_bytes": sum(sizes) / len(sizes),
            "decode_ms": 1e3 * statistics.median(decode), "mel_ms": 1e3 * statistics.median(mel)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", type=int, default=1000, help="catalogue size (features)")
    parser.add_argument("--predict-tracks", type=int, default=100,
                        help="tracks tagged by predict (the first of the catalogue)")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--distinct", type=int, default=16, help="distinct synthetic clips")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--batch", type=int, default=None,
                        help="tracks per task (default: the engines' own choice)")
    parser.add_argument("--tasks", default="features,predict")
    parser.add_argument("--engines", default=",".join(engine_name(*e) for e in ENGINES),
                        help="which engines, comma-separated (default: all)")
    parser.add_argument("--json", default=None, help=f"results file (default {RESULTS})")
    parser.add_argument("--work", default=None, help="folder for the catalogue (default: temp)")
    parser.add_argument("--mp3", default=None,
                        help="also time decoding and mel of the mp3 files of this folder "
                             "(e.g. ../shared/data/mer4q_dev)")
    args = parser.parse_args()
    os.environ.setdefault("TINYMIR_DEVICE", "cpu")

    work = Path(args.work or tempfile.mkdtemp(prefix="bench_engines_"))
    print(f"catalogue: {args.tracks} x {args.seconds:g} s in {work}", flush=True)
    shutil.rmtree(work / "runs", ignore_errors=True)          # caches of an earlier run
    paths = make_catalogue(work, args.tracks, args.distinct, args.seconds)
    model = train_model(work)
    tasks = args.tasks.split(",")
    results = {task: {} for task in tasks}
    loads = []
    for repeat in range(args.repeats):
        for kind, workers, batch in ENGINES:
            name = engine_name(kind, workers, batch)
            if name not in args.engines.split(","):
                continue
            engine, start_seconds = start(kind, workers)
            try:
                for task in tasks:
                    out = work / "runs" / f"{task}-{name.replace(' ', '')}-{repeat}"
                    load_before = os.getloadavg()[0]
                    if task == "features":
                        seconds, size = run_features(engine, paths, out, batch or args.batch)
                        n = len(paths)
                    else:
                        n = min(args.predict_tracks, len(paths))
                        seconds, size = run_predict(engine, paths[:n], out, batch or args.batch,
                                                    model)
                    loads.append(os.getloadavg()[0])
                    entry = results[task].setdefault(name, {"runs": [], "start_s": [],
                                                            "bytes_per_track": size})
                    entry["runs"].append(seconds)
                    entry["start_s"].append(start_seconds)
                    entry["tracks"] = n
                    entry["worker_peak_rss_mb"] = worker_memory(engine)
                    print(f"[{repeat + 1}/{args.repeats}] {task:<8} {name:<14} {n / seconds:7.2f} "
                          f"tracks/s ({seconds:.1f} s; start {start_seconds:.1f} s; load "
                          f"{load_before:.1f} -> {loads[-1]:.1f})", flush=True)
            finally:
                engine.close()
        for task in tasks:                  # the cache of one repeat must not serve the next
            for folder in (work / "runs").glob(f"{task}-*-{repeat}"):
                shutil.rmtree(folder, ignore_errors=True)

    summary = {}
    print()
    for task in tasks:
        rows = results[task]
        for name, entry in rows.items():
            entry["tracks_per_s"] = entry["tracks"] / statistics.median(entry["runs"])
            entry["tracks_per_s_range"] = [entry["tracks"] / max(entry["runs"]),
                                           entry["tracks"] / min(entry["runs"])]
        rate = {name: entry["tracks_per_s"] for name, entry in rows.items()}
        rate = {name: rate.get(name, float("nan")) for name in map(lambda e: engine_name(*e),
                                                                   ENGINES)}
        summary[task] = {
            "dask_overhead_vs_pool_1": rate["pool-1"] / rate["dask-1"] - 1,
            "dask_overhead_vs_pool_2": rate["pool-2"] / rate["dask-2"] - 1,
            "batch_1_overhead_dask_2": rate["dask-2"] / rate["dask-2 batch 1"] - 1,
            "scaling_1_to_2_pool": rate["pool-2"] / (2 * rate["pool-1"]),
            "scaling_1_to_2_dask": rate["dask-2"] / (2 * rate["dask-1"]),
        }
        print(f"{task}: " + ", ".join(
            f"{name} {entry['tracks_per_s']:.2f} tracks/s [{entry['tracks_per_s_range'][0]:.2f}"
            f"-{entry['tracks_per_s_range'][1]:.2f}], workers {entry['worker_peak_rss_mb'][0]:.0f}"
            f"-{entry['worker_peak_rss_mb'][-1]:.0f} MB" for name, entry in rows.items()))
        s = summary[task]
        print(f"{task}: Dask overhead vs pool {100 * s['dask_overhead_vs_pool_1']:+.1f} % at 1 "
              f"worker, {100 * s['dask_overhead_vs_pool_2']:+.1f} % at 2 (target within 15 %); "
              f"one track per task costs {100 * s['batch_1_overhead_dask_2']:+.1f} %; scaling "
              f"1 -> 2: pool {s['scaling_1_to_2_pool']:.2f}, dask {s['scaling_1_to_2_dask']:.2f}")
    traffic = traffic_per_track(paths, model, work / "traffic")
    print(f"bytes per track client<->worker: {json.dumps(traffic)}")
    mp3 = mp3_cost(args.mp3) if args.mp3 else None
    if mp3:
        print(f"mp3 ({mp3['files']} files, {mp3['mean_bytes'] / 1e3:.0f} KB each): decode "
              f"{mp3['decode_ms']:.1f} ms, mel {mp3['mel_ms']:.1f} ms a track")
    RESULTS.parent.mkdir(exist_ok=True)
    results_path = Path(args.json) if args.json else RESULTS
    results_path.write_text(json.dumps({
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "python": sys.version.split()[0], "load_average_during": loads},
        "command": " ".join(["python", "bench/bench_engines.py"] + sys.argv[1:]),
        "tracks": args.tracks, "seconds": args.seconds, "repeats": args.repeats,
        "results": results, "summary": summary, "traffic_bytes_per_track": traffic,
        "mp3_per_track": mp3}, indent=1))
    print(f"wrote {results_path}")
    shutil.rmtree(work, ignore_errors=True) if args.work is None else None


if __name__ == "__main__":
    main()
