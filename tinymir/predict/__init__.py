"""Inference: a trained model file on new audio, what ``tinymir predict / evaluate`` run.

    from tinymir.predict import Predictor, tag_catalogue
    Predictor.load("runs/cnn3/model.npz").predict_file("song.wav")
    tag_catalogue("runs/cnn3/model.npz", "music/", "tags.csv")   # one CSV row per track

=============  ================================================================================
``predictor``  :class:`Predictor`: a model file loaded with the recipe of its inputs; the top
               labels (or tags) of audio files and folders
``evaluation`` :func:`evaluate`: segment- and track-level metrics on a labelled dataset,
               optionally through a labels map from another collection's names
``catalogue``  :func:`tag_catalogue`: a whole catalogue into a CSV, resumable, on any engine
``recording``  a recording of any length as the model's segments, computed block by block
``timeline``   segment scores over time -> smoothing -> spans of one label (or tag) in seconds
=============  ================================================================================

A model file carries everything its inputs need (front end, classes, standardisation,
thresholds), so nothing here reads a training configuration. Predict sits above train: it uses
train's inputs, evaluation and preparation, and nothing in train imports it.
"""
from .catalogue import CatalogueReport, tag_catalogue
from .evaluation import describe, evaluate, read_labels_map, trained_on, training_warning
from .predictor import Predictor, audio_inputs, predict_files, predict_inputs

__all__ = ["CatalogueReport", "Predictor", "audio_inputs", "describe", "evaluate",
           "predict_files", "predict_inputs", "read_labels_map", "tag_catalogue", "trained_on",
           "training_warning"]
