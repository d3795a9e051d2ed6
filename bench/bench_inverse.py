"""Benchmark: fast Griffin-Lim (32 iterations, momentum 0.99) on a 30 s clip, tinymir against
``librosa.griffinlim``, and the mel -> STFT magnitude NNLS against
``librosa.feature.inverse.mel_to_stft``.

Both sides get the same magnitude ``|STFT|`` (n_fft 2048, hop 512) of the same synthetic 30 s
clip (tinymir.audio.synth, jazz), the same initial phases (``np.random.default_rng(0)``) and run
in the same process, alternating, ``--runs`` times each; the medians, the ratio
(librosa / tinymir: > 1 means tinymir is faster), every run's time and the spectral convergence
``||S - |STFT(y)||| / ||S||`` of both results are printed and written to
``bench/results/inverse_cpu.json``. Run from the repository root::

    python bench/bench_inverse.py              # 30 s clip, 3 runs
    python bench/bench_inverse.py --runs 5
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "inverse_cpu.json"
SR, N_FFT = 22050, 2048


def timed(function):
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import librosa

    from tinymir.audio import synth
    from tinymir.features import inverse

    y = synth.render_clip("jazz", 0, seconds=args.seconds, sr=SR).astype(np.float32)
    S = np.abs(librosa.stft(y, n_fft=N_FFT))
    mel = librosa.feature.melspectrogram(S=S ** 2, sr=SR)
    librosa.filters.mel(sr=SR, n_fft=N_FFT)                       # librosa's first-call set-up
    inverse.mel_to_stft(mel[:, :8], sr=SR)                        # and tinymir's cached matrices

    def convergence(audio):
        return inverse.spectral_convergence(S, librosa.stft(audio, n_fft=N_FFT))

    times = {"tinymir_griffinlim": [], "librosa_griffinlim": [], "tinymir_nnls": [],
             "librosa_nnls": []}
    for _ in range(args.runs):
        seconds, ours = timed(lambda: inverse.griffinlim(S, random_state=0))
        times["tinymir_griffinlim"].append(seconds)
        seconds, theirs = timed(lambda: librosa.griffinlim(
            S, random_state=np.random.default_rng(0)))
        times["librosa_griffinlim"].append(seconds)
        seconds, our_mag = timed(lambda: inverse.mel_to_stft(mel, sr=SR))
        times["tinymir_nnls"].append(seconds)
        seconds, their_mag = timed(lambda: librosa.feature.inverse.mel_to_stft(mel, sr=SR))
        times["librosa_nnls"].append(seconds)
    medians = {k: float(np.median(v)) for k, v in times.items()}
    bank = librosa.filters.mel(sr=SR, n_fft=N_FFT)
    result = {
        "machine": platform.platform(), "processor": platform.processor(),
        "clip_seconds": args.seconds, "frames": int(S.shape[1]), "runs": args.runs,
        "times_s": times, "median_s": medians,
        "ratio_griffinlim": medians["librosa_griffinlim"] / medians["tinymir_griffinlim"],
        "ratio_nnls": medians["librosa_nnls"] / medians["tinymir_nnls"],
        "spectral_convergence": {"tinymir": convergence(ours), "librosa": convergence(theirs)},
        "nnls": {
            "mel_misfit_tinymir": float(np.linalg.norm(bank @ our_mag ** 2 - mel)
                                        / np.linalg.norm(mel)),
            "mel_misfit_librosa": float(np.linalg.norm(bank @ their_mag ** 2 - mel)
                                        / np.linalg.norm(mel)),
            "error_vs_true_tinymir": float(np.linalg.norm(our_mag - S) / np.linalg.norm(S)),
            "error_vs_true_librosa": float(np.linalg.norm(their_mag - S) / np.linalg.norm(S)),
            "tinymir_vs_librosa": float(np.linalg.norm(our_mag - their_mag)
                                        / np.linalg.norm(their_mag))},
    }
    print(json.dumps(result, indent=2))
    print(f"Griffin-Lim 32 it., {args.seconds:g} s: tinymir {medians['tinymir_griffinlim']:.2f} s,"
          f" librosa {medians['librosa_griffinlim']:.2f} s, ratio {result['ratio_griffinlim']:.2f}")
    print(f"mel -> STFT NNLS: tinymir {medians['tinymir_nnls']:.2f} s, librosa "
          f"{medians['librosa_nnls']:.2f} s, ratio {result['ratio_nnls']:.2f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
