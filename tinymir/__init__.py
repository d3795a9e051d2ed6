"""tinymir: music classification from scratch on NumPy and CuPy.

    import tinymir
    model = tinymir.load_model("runs/cnn3/model.npz")
    model.predict_file("song.wav")          # {"file": ..., "top": [("rock", 0.91), ...]}
    model.predict_array(samples, sr=44100)  # audio already in memory
    model.timeline("dj-mix.flac").lines()   # ["0:00-3:12 house 0.91", ...]
"""

__version__ = "0.1.0"


def load_model(path):
    """A model file written by ``tinymir train`` (``model.npz``), ready to label audio: a
    :class:`tinymir.predict.Predictor` (files, arrays, long recordings as a timeline)."""
    from tinymir.predict import Predictor
    return Predictor.load(path)
