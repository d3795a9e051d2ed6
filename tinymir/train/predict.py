"""Moved: inference has its own room, :mod:`tinymir.predict` (the model file and the files it
labels in :mod:`tinymir.predict.predictor`, scores on a labelled dataset in
:mod:`tinymir.predict.evaluation`). The old names warn and say where they went."""
from tinymir import moved

_MOVED = {"tinymir.predict.predictor": ("Predictor", "audio_inputs", "predict_files",
                                        "BATCH_SIZE", "SHORT_SHARE"),
          "tinymir.predict.evaluation": ("evaluate", "read_labels_map", "trained_on",
                                         "training_warning", "describe")}
__getattr__ = moved.names(__name__, {name: module for module, names in _MOVED.items()
                                     for name in names})
