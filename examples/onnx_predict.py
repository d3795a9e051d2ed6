"""Classify a wav with an exported tinymir model and nothing of tinymir: onnxruntime, soundfile
and NumPy only. The ONNX file holds the whole pipeline (frames, DFT, mel, dB, standardisation,
segments, the network, softmax or sigmoid); its metadata holds the class names.

    tinymir export runs/cnn3/model.npz cnn3.onnx          # once, where tinymir is installed
    python examples/onnx_predict.py cnn3.onnx song.wav     # anywhere onnxruntime runs

Prints the top labels of the whole track (the mean over its segments, as `tinymir predict`)
and, for tag models, the tags at or above their thresholds.
"""
import argparse
import json

import numpy as np
import onnxruntime
import soundfile


def resample(y: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Band-limited resampling by the FFT (zero-padding or truncating the spectrum).
    `tinymir predict` resamples with a polyphase filter, so the scores of a file at another
    rate than the model's agree with it only approximately; at the model's rate, exactly."""
    n = int(round(len(y) * target / rate))
    spectrum = np.fft.rfft(y)
    keep = min(len(spectrum), n // 2 + 1)
    out = np.zeros(n // 2 + 1, dtype=complex)
    out[:keep] = spectrum[:keep]
    return (np.fft.irfft(out, n) * (n / len(y))).astype(np.float32)


def classify(model_path: str, wav_path: str, top: int = 3) -> dict:
    session = onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    meta = {k: json.loads(v) for k, v in session.get_modelmeta().custom_metadata_map.items()}
    classes, rate = meta["classes"], meta["sample_rate"]
    y, file_rate = soundfile.read(wav_path, dtype="float32", always_2d=True)
    y = y.mean(axis=1)                                   # mono: the mean of the channels
    if file_rate != rate:
        y = resample(y, file_rate, rate)
    segment_scores, scores = session.run(None, {"audio": y[None]})
    order = np.argsort(-scores[0], kind="stable")[:top]
    result = {"file": wav_path, "segments": int(segment_scores.shape[1]),
              "top": [(classes[c], float(scores[0, c])) for c in order]}
    if meta.get("multilabel"):
        result["tags"] = [name for name, p, t in zip(classes, scores[0], meta["thresholds"])
                          if p >= t]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="an .onnx file written by `tinymir export`")
    parser.add_argument("wav", help="an audio file soundfile reads (wav, flac, ogg)")
    parser.add_argument("--top", type=int, default=3, help="how many labels to print")
    args = parser.parse_args()
    result = classify(args.model, args.wav, args.top)
    labels = ", ".join(f"{label} {p:.3f}" for label, p in result["top"])
    print(f"{result['file']}: {labels}  ({result['segments']} segments)")
    if "tags" in result:
        print(f"tags: {', '.join(result['tags']) or '-'}")


if __name__ == "__main__":
    main()
