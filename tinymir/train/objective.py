"""What a run minimises and how: the loss of :mod:`tinymir.nn` with the run's weights, and
the optimiser of the architecture's recipe.

    one label: softmax cross-entropy, class c weighted by w_c = N / (K n_c) (when asked)
    tags:      binary cross-entropy, tag c's positives weighted by n_neg,c / n_pos,c
               (unless switched off)
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tinymir import nn
from tinymir.data.balance import class_weights

from .config import OPTIMIZERS, RunError

if TYPE_CHECKING:
    from .prepare import Prepared


def make_loss(prepared: Prepared, weighted: bool):
    """Softmax cross-entropy, with class weights ``N / (K n_c)`` over the training tracks when
    ``weighted``; for tags binary cross-entropy, with positive weights ``n_neg / n_pos`` per tag
    unless ``weighted`` is False."""
    y = prepared.targets[prepared.split["train"]]
    if prepared.multilabel:
        if weighted is False:
            return nn.BinaryCrossEntropy()
        pos = y.sum(axis=0)
        return nn.BinaryCrossEntropy(pos_weight=((len(y) - pos) / np.maximum(pos, 1))
                                     .astype(np.float32))
    weights = class_weights(y, len(prepared.classes)) if weighted else None
    return nn.SoftmaxCrossEntropy(class_weights=weights)


def make_optimizer(name: str, model, lr: float, recipe: dict):
    """Adam, or SGD with the recipe's momentum (and its decay when the recipe is SGD's).

    Parameters
    ----------
    name : str
        ``"adam"`` or ``"sgd"`` (:data:`~tinymir.train.config.OPTIMIZERS`).
    model : nn.Sequential
        The network whose parameters it updates.
    lr : float
        Learning rate.
    recipe : dict
        The architecture's optimiser recipe (SGD momentum and decay when it is SGD).
    """
    if name == "adam":
        return nn.Adam(model.parameters(), lr=lr)
    if name == "sgd":
        decay = recipe.get("decay", 0.0) if recipe.get("name") == "sgd" else 0.0
        return nn.SGD(model.parameters(), lr=lr, momentum=recipe.get("momentum", 0.0),
                      decay=decay)
    raise RunError(f"unknown optimizer {name!r}: choose one of {', '.join(OPTIMIZERS)}")
