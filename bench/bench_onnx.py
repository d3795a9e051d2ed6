"""Benchmark: an exported model in onnxruntime (CPU) against ``tinymir predict``, per 30 s clip,
for cnn3, fcn5 and crnn, in one run on the same machine, with the file sizes.

For each architecture: a model of the zoo on its own front end with seeded random weights (the
weights do not change the time), saved as ``tinymir train`` saves it and exported twice, with a
float32 DFT (the default) and a float64 one (``--dft float64``); a synthetic 30 s clip
(tinymir.audio.synth, rock) at the model's rate as a wav. Timed, alternating, ``--runs`` times:

    latency     one clip, file to scores: ``Predictor.predict_file`` against soundfile.read +
                ``InferenceSession.run``, after one untimed call of each
    throughput  ``--batch`` clips: tinymir labels them one file after the other (what predict
                does); onnxruntime gets them as one (batch, samples) array

Medians with the min and max of the runs, the ratio (tinymir / onnxruntime: > 1 means
onnxruntime is faster), the largest score difference, the session set-up time and the sizes of
the .npz and .onnx files are printed and written to ``bench/results/onnx_cpu.json``; with
``--parity``, also the largest score difference of every zoo architecture on two 30 s clips.
Both sides use every core they see (onnxruntime's default intra-op threads, tinymir's block
threads and BLAS). Run from the repository root::

    python bench/bench_onnx.py                    # 5 runs, batches of 4
    python bench/bench_onnx.py --parity           # and the parity of every zoo architecture
    python bench/bench_onnx.py --runs 3 --archs cnn3
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "onnx_cpu.json"
CLASSES = [f"class{k}" for k in range(10)]


def timed(function):
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def spread(times):
    return {"median": statistics.median(times), "min": min(times), "max": max(times),
            "runs": times}


def model_file(arch: str, path: Path):
    """A zoo model with seeded random weights, saved with the metadata `tinymir train` writes."""
    from tinymir import models, nn
    front = models.default_front(arch)
    model = models.build(arch, len(CLASSES), front, seed=0)
    rng = np.random.default_rng(0)
    nn.save(path, model, {
        "tinymir_model": 1, "arch": arch, "front": front.to_dict(), "classes": CLASSES,
        "multilabel": False, "standardize": {
            "mean": rng.normal(-30, 5, front.n_bins).tolist(),
            "std": rng.uniform(5, 15, front.n_bins).tolist()}})
    return front


def bench_arch(arch: str, folder: Path, runs: int, batch: int, seconds: float) -> dict:
    import onnxruntime as ort
    import soundfile as sf

    from tinymir.audio import synth
    from tinymir.export import to_onnx
    from tinymir.predict import Predictor

    front = model_file(arch, folder / f"{arch}.npz")
    wav = folder / f"{arch}.wav"
    sf.write(wav, synth.render_clip("rock", 0, seconds=seconds, sr=front.sr), front.sr,
             subtype="FLOAT")
    predictor = Predictor.load(folder / f"{arch}.npz")
    out = {"sr": front.sr, "front": front.describe(),
           "npz_mb": (folder / f"{arch}.npz").stat().st_size / 1e6}
    sessions = {}
    for dft in ("float64", "float32"):
        path = to_onnx(predictor, folder / f"{arch}_{dft}.onnx", dft_dtype=np.dtype(dft))
        out[f"onnx_{dft}_mb"] = path.stat().st_size / 1e6
        setup, sessions[dft] = timed(lambda: ort.InferenceSession(
            str(path), providers=["CPUExecutionProvider"]))
        out[f"session_setup_{dft}_s"] = setup

    def run_onnx(dft, clips=1):
        y, _ = sf.read(wav, dtype="float32")
        return sessions[dft].run(None, {"audio": np.repeat(y[None], clips, axis=0)})[1]

    expected = np.array([dict(predictor.predict_file(wav, top=len(CLASSES))["top"])[c]
                         for c in CLASSES])
    for dft in sessions:
        out[f"max_score_difference_{dft}"] = float(np.abs(run_onnx(dft)[0] - expected).max())
    latency = {"tinymir": [], "onnx_float64": [], "onnx_float32": []}
    throughput = {key: [] for key in latency}
    for _ in range(runs):
        latency["tinymir"].append(timed(lambda: predictor.predict_file(wav))[0])
        for dft in sessions:
            latency[f"onnx_{dft}"].append(timed(lambda: run_onnx(dft))[0])
        many = timed(lambda: [predictor.predict_file(wav) for _ in range(batch)])[0]
        throughput["tinymir"].append(batch / many)
        for dft in sessions:
            throughput[f"onnx_{dft}"].append(batch / timed(lambda: run_onnx(dft, batch))[0])
    out["latency_s"] = {k: spread(v) for k, v in latency.items()}
    out["throughput_clips_per_s"] = {k: spread(v) for k, v in throughput.items()}
    out["latency_ratio"] = {dft: out["latency_s"]["tinymir"]["median"]
                            / out["latency_s"][f"onnx_{dft}"]["median"] for dft in sessions}
    return out


def parity(arch: str, folder: Path, seconds: float) -> dict:
    """The largest difference between onnxruntime's and tinymir's track scores (float64 and
    float32 DFT) on two synthetic clips (rock, ambient: loud and quiet bins) of ``seconds``."""
    import onnxruntime as ort
    import soundfile as sf

    from tinymir.audio import synth
    from tinymir.export import to_onnx
    from tinymir.predict import Predictor

    front = model_file(arch, folder / f"p_{arch}.npz")
    predictor = Predictor.load(folder / f"p_{arch}.npz")
    out = {}
    for dft in ("float64", "float32"):
        path = to_onnx(predictor, folder / f"p_{arch}.onnx", dft_dtype=np.dtype(dft))
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        worst, same_top = 0.0, True
        for genre in ("rock", "ambient"):
            y = synth.render_clip(genre, 1, seconds=seconds, sr=front.sr)
            sf.write(folder / "p.wav", y, front.sr, subtype="FLOAT")
            result = predictor.predict_file(folder / "p.wav", top=len(CLASSES))
            expected = np.array([dict(result["top"])[c] for c in CLASSES])
            scores = session.run(None, {"audio": y[None]})[1][0]
            worst = max(worst, float(np.abs(scores - expected).max()))
            same_top &= CLASSES[int(np.argmax(scores))] == result["top"][0][0]
        out[dft] = {"max_difference": worst, "same_top_label": bool(same_top)}
    return out


def feature_differences(seconds: float) -> dict:
    """The largest |dB| difference between the exported front end (mel, STFT, MFCC of cnn3's
    front end) and tinymir's features, float32 and float64 DFT, on hard clips: a loud tone over
    noise 70 and 90 dB below it (quiet bins beside loud ones), and sparse clicks."""
    import onnxruntime as ort
    from onnx import TensorProto, helper

    from tinymir import models
    from tinymir.export import IR_VERSION, OPSET
    from tinymir.export.frontend import features
    from tinymir.export.graph import Graph
    from tinymir.features import compute

    sr = 22050
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(0)
    clips = {"tone, noise at -70 dB": 0.9 * np.sin(2 * np.pi * 100 * t)
             + 10 ** (-70 / 20) * rng.normal(size=t.size),
             "tone, noise at -90 dB": 0.9 * np.sin(2 * np.pi * 1000 * t)
             + 10 ** (-90 / 20) * rng.normal(size=t.size),
             "clicks": 0.9 * (rng.random(t.size) < 1e-4)}
    out = {}
    for kind in ("mel", "stft", "mfcc"):
        front = models.default_front("cnn3").replace(kind=kind)
        for dft in ("float32", "float64"):
            g = Graph()
            g.names.add("audio")
            g.op("Identity", features(g, "audio", front, np.dtype(dft))[0], out="features")
            graph = helper.make_graph(g.nodes, "front_end", [helper.make_tensor_value_info(
                "audio", TensorProto.FLOAT, ["batch", "samples"])], [
                helper.make_tensor_value_info("features", TensorProto.FLOAT, None)],
                g.initializers)
            model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
            model.ir_version = IR_VERSION
            session = ort.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
            worst = 0.0
            for y in clips.values():
                y = y.astype(np.float32)
                got = session.run(None, {"audio": y[None]})[0][0]
                worst = max(worst, float(np.abs(got - compute(y, front)).max()))
            out[f"{kind}_{dft}"] = worst
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", nargs="+", default=["cnn3", "fcn5", "crnn"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--parity", action="store_true",
                        help="also the score differences of every zoo architecture")
    args = parser.parse_args()
    import onnxruntime as ort
    results = {"machine": platform.platform(), "cpus": os.cpu_count(),
               "note": "a shared 2-core VM: other jobs ran beside it, so the spreads are wide",
               "onnxruntime": ort.__version__, "clip_seconds": args.seconds,
               "runs": args.runs, "batch": args.batch, "archs": {}}
    with tempfile.TemporaryDirectory() as folder:
        for arch in args.archs:
            r = bench_arch(arch, Path(folder), args.runs, args.batch, args.seconds)
            results["archs"][arch] = r
            lat, thr = r["latency_s"], r["throughput_clips_per_s"]
            print(f"{arch}: latency per {args.seconds:g} s clip (median, min-max of "
                  f"{args.runs}):")
            for key in lat:
                print(f"  {key:<13} {lat[key]['median']:.3f} s ({lat[key]['min']:.3f}-"
                      f"{lat[key]['max']:.3f})   {thr[key]['median']:.2f} clips/s in "
                      f"batches of {args.batch}")
            print(f"  sizes: npz {r['npz_mb']:.1f} MB, onnx {r['onnx_float64_mb']:.1f} MB "
                  f"(float64 DFT) / {r['onnx_float32_mb']:.1f} MB (float32 DFT); largest "
                  f"score difference {r['max_score_difference_float64']:.1e} / "
                  f"{r['max_score_difference_float32']:.1e}")
        if args.parity:
            from tinymir import models
            results["parity"] = {}
            results["feature_db_difference"] = f = feature_differences(args.seconds)
            print("largest |dB| difference of the features: " + ", ".join(
                f"{key} {value:.1e}" for key, value in f.items()))
            for arch in models.ARCHS:
                results["parity"][arch] = r = parity(arch, Path(folder), args.seconds)
                print(f"parity {arch:<9} largest score difference "
                      f"{r['float64']['max_difference']:.1e} (float64 DFT), "
                      f"{r['float32']['max_difference']:.1e} (float32 DFT); same top label: "
                      f"{r['float64']['same_top_label'] and r['float32']['same_top_label']}")
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
