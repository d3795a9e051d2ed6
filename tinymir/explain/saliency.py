"""Why did the model say jazz? Saliency of one track for one class.

For every segment ``x`` (standardised, as the model reads it) and the class score ``s_c`` (logit
or log-probability, as in :mod:`tinymir.explain.represent`):

    gradient          |ds_c / dx|                       how much each cell can move the score
    gradient x input  max(0, x * ds_c / dx)             cells whose value pushes the score up
    Grad-CAM          relu(sum_k a_k A_k),  a_k = mean_{i,j} ds_c / dA_k[i, j]
                      (Selvaraju et al. 2017) on the output A of the last Conv2D, brought back
                      to the input's size by nearest-neighbour upsampling; only for
                      architectures that have a 2-D convolution

Each map is scaled to [0, 1] per segment (its maximum; an all-zero map stays zero). Over the
whole track the segments' maps are averaged where segments overlap (frames no segment covers
are 0).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinymir import backend, nn
from tinymir.data.standardize import Standardizer
from tinymir.models import FrontEnd
from tinymir.train.inputs import segment_tracks

from . import pictures
from .represent import class_scores

METHODS = ("gradient", "gradient x input", "grad-cam")


@dataclass
class Saliency:
    """``per_segment[method]`` ``(n_segments, bins, frames)``, ``track[method]``
    ``(bins, n_frames)``, the segment starts (frames), the per-segment class scores and the
    track's features."""
    per_segment: dict
    track: dict
    starts: np.ndarray
    scores: np.ndarray
    features: np.ndarray


def last_conv2d(model) -> int | None:
    """Index of the model's last Conv2D layer, or None."""
    found = [i for i, layer in enumerate(model.layers) if isinstance(layer, nn.Conv2D)]
    return found[-1] if found else None


def gradients(model, x, classes, objective: str = "logit", multilabel: bool = False,
              layer: int | None = None):
    """Scores, ``ds/dx``, and (for ``layer``) that layer's output ``A`` and ``ds/dA``.

    The passes of :class:`~tinymir.nn.Sequential`, one layer at a time, so that the chosen
    layer's output and incoming gradient can be kept.

    Parameters
    ----------
    model : Sequential
        The trained model (built).
    x : array
        Standardised inputs ``(rows, 1, bins, frames)`` on the device.
    classes : array of int
        The class scored in each row.
    objective : {"logit", "logprob"}, default "logit"
        See :func:`tinymir.explain.represent.class_scores`.
    multilabel : bool, default False
        See :func:`tinymir.explain.represent.class_scores`.
    layer : int or None, default None
        Index of the layer whose ``A`` and ``ds/dA`` are kept (the last Conv2D for
        Grad-CAM); None keeps none (both returned as None).
    """
    order = model.run_order()
    activation = activation_grad = None
    h = x
    for index in order:
        h = model.layers[index].forward(h, False)
        if index == layer:
            activation = h
    score, grad = class_scores(h, classes, objective, multilabel)
    for index in reversed(order):
        if index == layer:
            activation_grad = grad
        grad = model.layers[index].backward(grad, True)
    return score, grad, activation, activation_grad


def _unit_scale(maps):
    peak = maps.reshape(len(maps), -1).max(axis=1)
    return maps / np.where(peak > 0, peak, 1.0)[:, None, None]


def grad_cam(activation, activation_grad, shape):
    """``relu(sum_k a_k A_k)`` upsampled (nearest) to ``shape`` = (bins, frames), per segment."""
    weights = activation_grad.mean(axis=(2, 3), keepdims=True)
    cam = np.maximum((weights * activation).sum(axis=1), 0)
    rows = np.arange(shape[0]) * cam.shape[1] // shape[0]
    columns = np.arange(shape[1]) * cam.shape[2] // shape[1]
    return cam[:, rows][:, :, columns]


def saliency(model, features, front: FrontEnd, standardize: Standardizer, class_index: int,
             objective: str = "logit", multilabel: bool = False) -> Saliency:
    """The maps of the module docstring for one track's ``features`` ``(bins, n_frames)``:
    per segment, then averaged over the segments covering each frame of the track.

    Parameters
    ----------
    model : Sequential
        The trained model.
    features : ndarray
        The track's features ``(bins, n_frames)``, not standardised.
    front : FrontEnd
        The model's front end (segment length in frames).
    standardize : Standardizer
        The model's standardisation.
    class_index : int
        The class explained.
    objective : {"logit", "logprob"}, default "logit"
        The score whose gradient is taken.
    multilabel : bool, default False
        The model's classes are tags.
    """
    segments = segment_tracks([features], front)
    if len(segments) == 0:
        raise ValueError(f"{features.shape[1]} frames long, shorter than one {front.segment:g} s "
                         f"segment ({front.segment_frames} frames): nothing to explain")
    frames = front.segment_frames
    x = np.stack([standardize.transform(features[:, s:s + frames]) for s in segments.start])
    layer = last_conv2d(model)
    score, grad, activation, activation_grad = gradients(
        model, backend.to_device(x[:, None], backend.float_dtype()),
        backend.to_device(np.full(len(x), class_index)), objective, multilabel, layer)
    grad = backend.to_host(grad)[:, 0].astype(np.float64)
    maps = {"gradient": np.abs(grad), "gradient x input": np.maximum(x * grad, 0)}
    if layer is not None:
        maps["grad-cam"] = grad_cam(backend.to_host(activation).astype(np.float64),
                                    backend.to_host(activation_grad).astype(np.float64),
                                    x.shape[1:])
    maps = {name: _unit_scale(values) for name, values in maps.items()}
    track = {}
    coverage = np.zeros(features.shape[1])
    for s in segments.start:
        coverage[s:s + frames] += 1
    for name, values in maps.items():
        total = np.zeros(features.shape)
        for start, values_of_segment in zip(segments.start, values):
            total[:, start:start + frames] += values_of_segment
        track[name] = total / np.maximum(coverage, 1)
    return Saliency(maps, track, np.asarray(segments.start), backend.to_host(score),
                    np.asarray(features))


def write_saliency(out, result: Saliency, params, segment_frames: int, name: str,
                   class_name: str, max_segments: int = 8) -> bool:
    """``saliency.npz`` (the features, segment starts and scores, the label, every map of the
    track and of each segment) and, with matplotlib, the pictures
    (:func:`tinymir.explain.pictures.saliency_pictures`) in the folder ``out``; returns whether
    the pictures were drawn.

    Parameters
    ----------
    out : Path
        The folder to write into (it exists).
    result : Saliency
        What :func:`saliency` found for the track.
    params : FeatureParams
        The features' parameters (axes of the pictures in Hz and seconds).
    segment_frames : int
        Frames per segment (where each segment starts in the track picture).
    name : str
        The audio file's name, for the titles.
    class_name : str
        The class explained (stored as ``label``, and in the titles).
    max_segments : int, default 8
        Pictures of at most this many segments.
    """
    np.savez(out / "saliency.npz", features=result.features, starts=result.starts,
             scores=result.scores, label=np.array(class_name),
             **{f"track_{k.replace(' ', '_')}": v for k, v in result.track.items()},
             **{f"segments_{k.replace(' ', '_')}": v for k, v in result.per_segment.items()})
    drawing = pictures.available()
    if drawing:
        pictures.saliency_pictures(out, result, params, segment_frames, name, class_name,
                                   max_segments)
    return drawing
