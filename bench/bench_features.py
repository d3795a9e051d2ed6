"""Benchmark: tinymir features against librosa 0.11 on the same clips, in the same run.

32 synthetic clips of 30 s at 22 050 Hz (``tinymir.audio.synth``, four genres), the seed-000
parameters (n_fft 1024, hop 512, 128 mels, 20 MFCC). tinymir computes each feature for the whole
batch in one call; librosa gets the same ``(32, n)`` array in one call too (it accepts a batch),
except ``track_features``, which librosa has no single call for: there the librosa side computes
the same columns feature by feature, clip by clip. Each timing is the best of ``--repeats``
runs, each straight after an untimed run of the same side (steady state), the two sides taking
turns; the script prints clips/s for both sides and the ratio, and writes
``bench/results/features_<device>.json`` (or ``--output``). ``--runs K`` repeats the whole
comparison K times: on a shared machine one run says little, so the JSON then keeps every run's
ratio and reports the median run. On a GPU it also times mel against
torchaudio when torchaudio imports. On the CPU tinymir shares each call's blocks of frames among
the cores the process may use (``tinymir.threads.CPU_THREADS``, recorded in the JSON); librosa
uses one.
Pinning the process to one core compares the two on equal terms. Like the ``tinymir`` command,
the script lets glibc keep freed memory (:func:`tinymir.backend.keep_freed_memory`, recorded in
the JSON; both sides profit); ``--glibc-defaults`` leaves malloc as a library user gets it. Run
from the repository root::

    python bench/bench_features.py                    # 32 x 30 s, 5 repeats
    python bench/bench_features.py --runs 6           # six whole comparisons: the spread
    python bench/bench_features.py --clips 8 --repeats 1 --only mel,mfcc
    taskset -c 1 python bench/bench_features.py --output bench/results/features_cpu_1core.json
    TINYMIR_DEVICE=gpu python bench/bench_features.py
    TINYMIR_DEVICE=gpu python bench/bench_features.py --clips 256 --distinct 16 --only mel,mfcc

``--distinct N`` synthesises N clips and repeats them up to ``--clips`` (the timing does not
depend on the content; synthesising 256 clips of 30 s would take longer than the benchmark).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from tinymir import backend, threads
from tinymir import features as F
from tinymir.audio import synth

RESULTS = Path(__file__).resolve().parent / "results"
SR, N_FFT, HOP, N_MELS, N_MFCC = 22050, 1024, 512, 128, 20
TARGETS = {"mel": 3.0, "mfcc": 3.0}     # x librosa; 2.0 for the rest
GENRES = ("rock", "jazz", "electronic", "classical")


def make_clips(count: int, seconds: float, seed: int = 0,
               distinct: int | None = None) -> np.ndarray:
    """``(count, seconds * SR)`` float32 synthetic music, the same for a given seed: ``distinct``
    different clips (default ``count``) repeated in turn."""
    distinct = min(count, distinct or count)
    genres = [GENRES[i % len(GENRES)] for i in range(distinct)]
    clips = np.stack([synth.render_clip(genre, synth.clip_rng(seed, genre, i), seconds, SR)
                      for i, genre in enumerate(genres)])
    return clips[np.arange(count) % distinct]


def tinymir_cases():
    """name -> function of the device batch."""
    return {
        "stft": lambda y: F.stft(y, N_FFT, HOP),
        "mel": lambda y: F.melspectrogram(y, SR, N_FFT, HOP, N_MELS),
        "mfcc": lambda y: F.mfcc(y, SR, n_mfcc=N_MFCC, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS),
        "chroma": lambda y: F.chroma_stft(y, SR, n_fft=N_FFT, hop_length=HOP),
        "contrast": lambda y: F.spectral_contrast(y, SR, n_fft=N_FFT, hop_length=HOP),
        "tempo": lambda y: F.tempo(y, SR, hop_length=HOP),
        "track_features": lambda y: F.track_features(y, SR, n_fft=N_FFT, hop_length=HOP,
                                                     n_mfcc=N_MFCC, n_mels=N_MELS)[0],
    }


def librosa_cases():
    """name -> function of the host batch (same parameters; chroma with tuning 0)."""
    import librosa
    from scipy import stats

    feature = librosa.feature

    def track(y):
        rows = []
        for clip in y:
            columns = []
            for values in (feature.chroma_stft(y=clip, sr=SR, n_fft=N_FFT, hop_length=HOP,
                                               tuning=0.0),
                           feature.rms(y=clip, frame_length=N_FFT, hop_length=HOP),
                           feature.spectral_centroid(y=clip, sr=SR, n_fft=N_FFT, hop_length=HOP),
                           feature.spectral_bandwidth(y=clip, sr=SR, n_fft=N_FFT, hop_length=HOP),
                           feature.spectral_rolloff(y=clip, sr=SR, n_fft=N_FFT, hop_length=HOP),
                           feature.zero_crossing_rate(clip, frame_length=N_FFT, hop_length=HOP)):
                columns += [values.mean(), values.var()]
            columns.append(feature.tempo(y=clip, sr=SR, hop_length=HOP)[0])
            mfcc = feature.mfcc(y=clip, sr=SR, n_mfcc=N_MFCC, n_fft=N_FFT, hop_length=HOP)
            columns += list(np.stack([mfcc.mean(axis=1), mfcc.var(axis=1)], axis=1).ravel())
            contrast = feature.spectral_contrast(y=clip, sr=SR, n_fft=N_FFT, hop_length=HOP)
            columns += [contrast.mean(), contrast.var()]
            columns += [clip.mean(), clip.var(), stats.skew(clip), stats.kurtosis(clip)]
            rows.append(columns)
        return np.array(rows)

    return {
        "stft": lambda y: librosa.stft(y, n_fft=N_FFT, hop_length=HOP),
        "mel": lambda y: feature.melspectrogram(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP,
                                                n_mels=N_MELS),
        "mfcc": lambda y: feature.mfcc(y=y, sr=SR, n_mfcc=N_MFCC, n_fft=N_FFT, hop_length=HOP,
                                       n_mels=N_MELS),
        "chroma": lambda y: feature.chroma_stft(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP,
                                                tuning=0.0),
        "contrast": lambda y: feature.spectral_contrast(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP),
        "tempo": lambda y: feature.tempo(y=y, sr=SR, hop_length=HOP),
        "track_features": track,
    }


def timed(function, argument, synchronize=lambda: None) -> float:
    """Seconds one call takes (waiting for the GPU where there is one)."""
    start = time.perf_counter()
    function(argument)
    synchronize()
    return time.perf_counter() - start


def best_times(sides, repeats: int) -> list[float]:
    """Fastest of ``repeats`` runs of each ``(function, argument, synchronize)`` side, in the
    steady state of a loop over batches: every timed run directly follows an untimed run of
    the same side. So neither side pays for the other's leftovers (OpenBLAS threads spin for
    ~0.1 s after a multi-threaded product, taking a core: without this the side timed after
    librosa's mel ran up to 2x slower) or for waking from idle (after a 0.25 s pause on this
    VM, tinymir's 2-thread MFCC took 83 ms instead of 55). The sides take turns, so a burst of
    load from other processes hits both rather than one."""
    best = [float("inf")] * len(sides)
    for _ in range(repeats):
        for i, side in enumerate(sides):
            timed(*side)
            best[i] = min(best[i], timed(*side))
    return best


def summary_row(runs: list[tuple[float, float]], clips: int, target: float) -> dict:
    """The median run (by ratio) of ``[(tinymir s, librosa s), ...]``, with every run's ratio."""
    ratios = [theirs / ours for ours, theirs in runs]
    t_ours, t_librosa = runs[sorted(range(len(runs)), key=ratios.__getitem__)[len(runs) // 2]]
    return {"tinymir_s": t_ours, "librosa_s": t_librosa,
            "tinymir_clips_per_s": clips / t_ours, "librosa_clips_per_s": clips / t_librosa,
            "ratio": t_librosa / t_ours, "target": target,
            "meets_target": t_librosa / t_ours >= target,
            "ratios": ratios, "ratio_min": min(ratios), "ratio_max": max(ratios),
            "runs_meeting_target": sum(ratio >= target for ratio in ratios)}


def torchaudio_mel_seconds(y_host: np.ndarray, repeats: int) -> float | None:
    """Mel spectrogram with torchaudio on the GPU (same parameters, Slaney scale and norm)."""
    try:
        import torch
        import torchaudio
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    transform = torchaudio.transforms.MelSpectrogram(
        sample_rate=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS, center=True,
        pad_mode="constant", power=2.0, norm="slaney", mel_scale="slaney").to("cuda")
    signal = torch.from_numpy(y_host).to("cuda")
    return best_times([(transform, signal, torch.cuda.synchronize)], repeats)[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--distinct", type=int, default=None,
                        help="synthesise this many clips and repeat them up to --clips")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--runs", type=int, default=1,
                        help="repeat the whole comparison; the JSON keeps every run's ratio and "
                             "reports the median run (the spread shows a noisy machine)")
    parser.add_argument("--only", default="", help="comma-separated subset of the cases")
    parser.add_argument("--output", type=Path, default=None,
                        help="JSON to write (default bench/results/features_<device>.json)")
    parser.add_argument("--glibc-defaults", action="store_true",
                        help="do not call backend.keep_freed_memory (the tinymir command does)")
    args = parser.parse_args()

    device = backend.get_device()
    malloc_tuned = device == "cpu" and not args.glibc_defaults and backend.keep_freed_memory()
    y_host = make_clips(args.clips, args.seconds, distinct=args.distinct)
    y_device = backend.to_device(y_host)
    ours, theirs = tinymir_cases(), librosa_cases()
    names = [n for n in ours if not args.only or n in args.only.split(",")]
    load_before = os.getloadavg()
    timings = {name: [] for name in names}                 # (tinymir s, librosa s) per run
    for run in range(args.runs):
        if args.runs > 1:
            print(f"run {run + 1} of {args.runs}")
        for name in names:
            t_ours, t_librosa = best_times([(ours[name], y_device, backend.synchronize),
                                            (theirs[name], y_host, lambda: None)], args.repeats)
            timings[name].append((t_ours, t_librosa))
            print(f"{name:15s} tinymir {args.clips / t_ours:8.1f} clips/s   librosa "
                  f"{args.clips / t_librosa:8.1f} clips/s   x{t_librosa / t_ours:5.2f}  "
                  f"(target x{TARGETS.get(name, 2.0):g})", flush=True)
    rows = {name: summary_row(runs, args.clips, TARGETS.get(name, 2.0))
            for name, runs in timings.items()}
    if args.runs > 1:
        for name, row in rows.items():
            print(f"{name:15s} over {args.runs} runs: x{row['ratio_min']:.2f} .. "
                  f"x{row['ratio_max']:.2f}, median run x{row['ratio']:.2f}; "
                  f"{row['runs_meeting_target']} of {args.runs} runs meet x{row['target']:g}")
    if device == "gpu" and "mel" in rows:
        seconds = torchaudio_mel_seconds(y_host, args.repeats)
        if seconds is not None:
            rows["mel"]["torchaudio_gpu_s"] = seconds
            rows["mel"]["torchaudio_over_tinymir"] = seconds / rows["mel"]["tinymir_s"]
            print(f"mel vs torchaudio (GPU): x{seconds / rows['mel']['tinymir_s']:.2f}")

    import librosa
    import scipy
    result = {
        "benchmark": "features", "device": device, "gpu": backend.gpu_name(),
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpu_count": os.cpu_count(), "tinymir_threads": threads.CPU_THREADS,
                    "load_average_before": load_before,
                    "malloc_keeps_freed_memory": malloc_tuned,
                    "load_average_after": os.getloadavg()},
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__,
                     "librosa": librosa.__version__},
        "setup": {"clips": args.clips, "distinct_clips": args.distinct or args.clips,
                  "seconds": args.seconds, "sr": SR, "n_fft": N_FFT,
                  "hop_length": HOP, "n_mels": N_MELS, "n_mfcc": N_MFCC,
                  "repeats": args.repeats, "runs": args.runs,
                  "timing": "best of repeats, each timed run straight after an untimed run "
                            "of the same side, tinymir and librosa alternating"},
        "results": rows,
    }
    out = args.output or RESULTS / f"features_{device}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
