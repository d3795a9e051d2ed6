"""How distinct are the classes' most representative inputs (`tinymir explain represent`)?

Trains (or loads, --model) a CNN-3 on a synthetic set, optimises one input per class from the
same noise (tinymir.explain.represent.optimise, the command's defaults unless --steps), and
prints the mean Pearson correlation over every pair of classes of
  * the inputs themselves (what `<class>.png` showed alone: near 1 means they look alike),
  * each input minus the average of all classes' inputs (the view `<class>.png` now shows
    beside it),
and, for reference, the same for the classes' real average segments (for n unrelated images,
subtracting their average alone gives -1/(n-1)). Last, whether each class's input resembles its
own class's real average more than the others': the mean correlation of input c with real
average c (own) against real averages d != c (others). Writes
bench/results/represent_distinct.json.

    python bench/bench_represent.py --steps 60
"""
import argparse
import io
import json
import tempfile
from pathlib import Path

import numpy as np

from tinymir import backend
from tinymir.audio import synth
from tinymir.explain.measure import track_slice
from tinymir.explain.represent import Settings, optimise, starting_inputs
from tinymir.predict import Predictor
from tinymir.train import run
from tinymir.train.report import headline

RESULTS = Path(__file__).resolve().parent / "results" / "represent_distinct.json"


def mean_pairwise_correlation(images: np.ndarray) -> float:
    """Mean over pairs i < j of the Pearson correlation of the flattened images i and j."""
    flat = images.reshape(len(images), -1).astype(np.float64)
    r = np.corrcoef(flat)
    return float(r[np.triu_indices(len(images), 1)].mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a model file (default: train cnn3 on a synthetic set)")
    parser.add_argument("--steps", type=int, default=Settings().steps)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        synth.make_dataset(data, classes=6, per_class=10, seconds=4.0, seed=args.seed)
        model_path = args.model
        if model_path is None:
            config = run.TrainConfig(arch="cnn3", data=str(data), out=str(Path(folder) / "run"),
                                     epochs=6, seed=args.seed)
            report = run.train(config, progress=False, stream=io.StringIO())
            print(headline(report))
            model_path = str(Path(folder) / "run" / "model.npz")
        predictor = Predictor.load(model_path)
        classes = np.arange(len(predictor.classes))
        start = starting_inputs("noise", len(classes), predictor.front.input_shape,
                                seed=args.seed)
        found = optimise(predictor.model, classes, start, Settings(steps=args.steps,
                                                                   seed=args.seed))
        inputs = found.x[:, 0]
        real = []
        for name in predictor.classes:
            segments = [backend.to_host(track_slice(predictor, path))
                        for path in sorted((data / name).glob("*.wav"))]
            real.append(np.mean(segments, axis=0)[0])       # the first segment of each track
        real = np.stack(real)
    both = np.corrcoef(np.concatenate([inputs.reshape(len(inputs), -1),
                                       real.reshape(len(real), -1)]).astype(np.float64))
    cross = both[:len(inputs), len(inputs):]              # input c against real average d
    own = float(np.mean(np.diag(cross)))
    others = float(np.mean(cross[~np.eye(len(cross), dtype=bool)]))
    figures = {
        "classes": list(predictor.classes), "steps": args.steps,
        "inputs": mean_pairwise_correlation(inputs),
        "inputs_minus_their_average": mean_pairwise_correlation(inputs - inputs.mean(axis=0)),
        "real_class_averages": mean_pairwise_correlation(real),
        "real_minus_their_average": mean_pairwise_correlation(real - real.mean(axis=0)),
        "unrelated_images_minus_their_average": -1 / (len(inputs) - 1),
        "input_vs_own_class_real_average": own, "input_vs_other_classes_real_average": others,
    }
    for key in ("inputs", "inputs_minus_their_average", "real_class_averages",
                "real_minus_their_average", "unrelated_images_minus_their_average",
                "input_vs_own_class_real_average", "input_vs_other_classes_real_average"):
        print(f"mean pairwise correlation, {key.replace('_', ' ')}: {figures[key]:+.3f}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
