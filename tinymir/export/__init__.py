"""A trained model as one ONNX graph: audio in, probabilities out.

    from tinymir.export import to_onnx
    to_onnx("runs/cnn3/model.npz", "cnn3.onnx")        # needs `pip install "tinymir[onnx]"`

The graph reproduces ``tinymir predict`` for audio already at the model's sample rate::

    audio (batch, samples) float32
      -> frames, Hann window, DFT (MatMul with constant bases), |X|^2, mel / MFCC / ... , dB
         with the floor per clip                          (:mod:`tinymir.export.frontend`)
      -> (x - mean) / std per bin, the track trimmed and cut into the model's segments
      -> the network                                       (:mod:`tinymir.export.network`)
      -> softmax (one label) or sigmoid (tags)
    outputs  segment_scores (batch, segments, classes)
             scores         (batch, classes): the mean over segments (or the vote share)

The class names, the tag thresholds, the sample rate and the front end are in the file's
metadata (``metadata_props``: JSON values). Opset :data:`OPSET` and IR version
:data:`IR_VERSION`: the lowest that hold every operator used (``Pad``, ``Unsqueeze`` and
``ReduceSum`` with their axes as inputs), so runtimes of 2021 on load it too. ``onnx`` is
imported only when an export runs: ``import tinymir`` never needs it.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

import tinymir
from tinymir.nn import ModelFileError
from tinymir.predict.predictor import Predictor
from tinymir.staged import staged_files
from tinymir.train.config import RunError

__all__ = ["IR_VERSION", "OPSET", "ExportError", "build_onnx", "to_onnx"]

OPSET = 13
IR_VERSION = 7           # the IR of opset 13 (onnx 1.8)
INSTALL = 'pip install "tinymir[onnx]"'


class ExportError(ValueError):
    """A model that cannot be exported, or a file that cannot be written: one line."""


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ExportError(f"exporting to ONNX needs the onnx package: {INSTALL}") from None
    return onnx


def build_onnx(predictor: Predictor, dft_dtype=np.float32):
    """The ``onnx.ModelProto`` of a loaded model file (see the module docstring), checked with
    ``onnx.checker.check_model(full_check=True)``. ``dft_dtype`` is the precision of the front
    end up to the dB (float32, or float64 for a closer match to the FFT, on runtimes that
    compute in double precision)."""
    onnx = _onnx()
    from onnx import TensorProto, helper

    from .frontend import features, segments, standardise
    from .graph import Graph
    from .network import NoOnnxForm, network

    front, n_classes = predictor.front, len(predictor.classes)
    g = Graph()
    g.names.update({"audio", "segment_scores", "scores"})
    feats, count = features(g, "audio", front, dft_dtype)
    x = segments(g, standardise(g, feats, predictor.standardize), count, front)
    try:
        logits = network(g, x, predictor.model, front.input_shape)
    except NoOnnxForm as exc:
        raise ExportError(f"{predictor.path}: {exc}") from None
    probs = g.op("Sigmoid" if predictor.multilabel else "Softmax", logits)
    batch = g.op("Slice", g.op("Shape", "audio"), g.ints([0], "s0"), g.ints([1], "s1"))
    shape = g.op("Concat", batch, g.ints([-1, n_classes], "per_track_shape"), axis=0)
    per_segment = g.op("Reshape", probs, shape, out="segment_scores")
    if predictor.aggregate == "vote":
        winner = g.op("ArgMax", per_segment, axis=2, keepdims=0)
        votes = g.op("OneHot", winner, g.ints([n_classes], "depth"),
                     g.const(np.array([0, 1], np.float32), "off_on"), axis=-1)
        g.op("ReduceMean", votes, axes=[1], keepdims=0, out="scores")
    else:
        g.op("ReduceMean", per_segment, axes=[1], keepdims=0, out="scores")
    graph = helper.make_graph(
        g.nodes, f"tinymir_{predictor.metadata.get('arch', 'model')}",
        [helper.make_tensor_value_info("audio", TensorProto.FLOAT, ["batch", "samples"])],
        [helper.make_tensor_value_info("segment_scores", TensorProto.FLOAT,
                                       ["batch", "segments", n_classes]),
         helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", n_classes])],
        g.initializers)
    model = helper.make_model(graph, producer_name="tinymir", producer_version=tinymir.__version__,
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    model.doc_string = (f"tinymir {predictor.metadata.get('arch', 'model')}: audio (batch, "
                        f"samples) float32 at {front.sr} Hz -> scores (batch, classes)")
    helper.set_model_props(model, metadata(predictor))
    onnx.checker.check_model(model, full_check=True)
    return model


def metadata(predictor: Predictor) -> dict:
    """The ``metadata_props`` of the exported file (every value a JSON text)."""
    front = predictor.front
    return {"classes": json.dumps(predictor.classes),
            "multilabel": json.dumps(predictor.multilabel),
            "thresholds": json.dumps([float(t) for t in predictor.thresholds]),
            "sample_rate": json.dumps(front.sr),
            "aggregate": json.dumps(predictor.aggregate),
            "arch": json.dumps(predictor.metadata.get("arch")),
            "front_end": json.dumps(front.to_dict()),
            "tinymir_version": json.dumps(tinymir.__version__)}


def to_onnx(model_or_path, path, dft_dtype=np.float32) -> Path:
    """Export a model file (a path or a loaded :class:`~tinymir.predict.Predictor`) to
    the ONNX file ``path``; returns ``path``. The file is written beside ``path`` under a
    temporary name and renamed over it only when complete, so a failed export leaves an
    existing ``path`` as it was. Raises :class:`ExportError` (one line) for a model file that
    cannot be read or exported, a missing ``onnx`` package or a path that cannot be written."""
    path = Path(path)
    onnx = _onnx()
    check_writable(path)
    try:
        predictor = (model_or_path if isinstance(model_or_path, Predictor)
                     else Predictor.load(model_or_path))
    except (RunError, ModelFileError) as exc:
        raise ExportError(str(exc)) from None
    except OSError as exc:
        raise ExportError(f"{model_or_path}: {exc.strerror or exc}") from None
    model = build_onnx(predictor, dft_dtype)
    try:
        with staged_files([path]) as (temp,):
            onnx.save(model, os.fspath(temp))
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename and Path(exc.filename) != path else ""
        raise ExportError(f"{path}: cannot be written ({exc.strerror or exc}{where})") from None
    return path


def check_writable(path: Path) -> None:
    """Refuse, before any work, a folder as ``path`` or a ``path`` below a file or below a
    folder this process cannot write to (its first existing ancestor is the one that counts)."""
    if path.is_dir():
        raise ExportError(f"{path}: is a folder; give the name of the .onnx file to write")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise ExportError(f"{path}: cannot be written ({folder} is a file, not a folder)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(f"{path}: cannot be written (no permission to write in {folder})")
