"""The feed-forward baseline of seed 000 (section 3.2.2): what a CNN is measured against.

    flatten(mel 128x130) -> Dense 512 -> Dense 256 -> Dense 64 -> Dense classes (softmax)

ReLU after every hidden layer, an L2 penalty ``0.001 * sum(w^2)`` on each hidden kernel and
``Dropout 0.3`` after each hidden layer.
"""
from __future__ import annotations

from tinymir import nn

from .frontend import FrontEnd

HIDDEN_UNITS = (512, 256, 64)
L2 = 0.001
DROPOUT = 0.3


def ffnn_layers(front: FrontEnd, n_classes: int) -> list:
    layers = [nn.Flatten()]
    for units in HIDDEN_UNITS:
        layers += [nn.Dense(units, l2=L2), nn.ReLU(), nn.Dropout(DROPOUT)]
    layers.append(nn.Dense(n_classes))
    return layers
