"""Train seed 000's CNN-3 on a small synthetic music set, then ask it about one file.

What happens, step by step (each step is one module of tinymir.train):

1. ``audio.synth.make_dataset`` writes labelled clips in the GTZAN layout;
2. ``train.run.train`` reads them, splits by TRACK (stratified 80/10/10), computes the
   architecture's front end (log-mel, 128 bands), cuts 1.5 s segments with 50 % overlap,
   standardises with training statistics, trains with Adam and keeps the best epoch;
3. ``predict.Predictor`` reloads ``model.npz`` (weights + front end + class names) and
   averages the segment probabilities of a whole file.

Runs in well under a minute on a laptop CPU:  python examples/train_cnn3_synthetic.py
"""
import tempfile
from pathlib import Path

from tinymir import backend
from tinymir.audio import synth
from tinymir.predict import Predictor
from tinymir.train import run
from tinymir.train.report import headline

if backend.get_device() == "cpu":
    backend.keep_freed_memory()        # this script owns its process, as the tinymir command

with tempfile.TemporaryDirectory() as tmp:
    data = Path(tmp) / "demo"
    synth.make_dataset(data, ("electronic", "classical", "metal"), per_class=10, seconds=3.0)

    config = run.TrainConfig(arch="cnn3", data=str(data), out=str(Path(tmp) / "run"),
                             segment=1.5, overlap=0.5, epochs=5, batch_size=16)
    report = run.train(config, progress=False)
    print(headline(report))
    print(Path(config.out, "report.md").read_text())

    predictor = Predictor.load(Path(config.out) / "model.npz")
    clip = sorted((data / "metal").glob("*.wav"))[0]
    top = predictor.predict_file(clip, top=3)
    print(top)

    # What it learned: the three synthetic genres are easy to tell apart
    test = report["results"]["test"]["tracks"]
    assert test["accuracy"] >= 2 / 3 and report["results"]["val"]["tracks"]["accuracy"] >= 2 / 3
    assert top["top"][0][0] == "metal", top          # a training clip, named right
