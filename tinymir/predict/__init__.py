"""Inference: a trained model file on new audio, what ``tinymir predict / evaluate / listen``
run.

    from tinymir.predict import Predictor, tag_catalogue
    model = Predictor.load("runs/cnn3/model.npz")             # or tinymir.load_model(...)
    model.predict_file("song.wav")
    model.timeline("dj-mix.flac").lines()                      # ["0:00-3:12 house 0.91", ...]
    tag_catalogue("runs/cnn3/model.npz", "music/", "tags.csv")   # one CSV row per track

=============  ================================================================================
``predictor``  :class:`Predictor`: a model file loaded with the recipe of its inputs; the top
               labels (or tags) of audio files and folders
``evaluation`` :func:`evaluate`: segment- and track-level metrics on a labelled dataset,
               optionally through a labels map from another collection's names
``catalogue``  :func:`tag_catalogue`: a whole catalogue into a CSV, resumable, on any engine
``recording``  a recording of any length as the model's segments, computed block by block
``timeline``   segment scores over time -> smoothing -> spans of one label (or tag) in seconds
``listen``     a live stream labelled segment by segment as it plays, with each one's latency
``confidence`` calibrated probabilities, "unsure" and "unlike the training data"
=============  ================================================================================

A model file carries everything its inputs need (front end, classes, standardisation,
thresholds), so nothing here reads a training configuration. Predict sits above train: it uses
train's inputs, evaluation and preparation, and nothing in train imports it.
"""
from .catalogue import CatalogueReport, tag_catalogue
from .evaluation import describe, evaluate, read_labels_map, trained_on, training_warning
from .listen import Heard
from .predictor import Predictor, audio_inputs, predict_files, predict_inputs
from .timeline import Span, Timeline

# (the function listen stays in its module: a package attribute of that name would hide the
# module tinymir.predict.listen)
__all__ = ["CatalogueReport", "Heard", "Predictor", "Span", "Timeline", "audio_inputs",
           "describe", "evaluate", "predict_files", "predict_inputs", "read_labels_map",
           "tag_catalogue", "trained_on", "training_warning"]
