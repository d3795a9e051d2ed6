"""The Dieleman-style CNN of seed 002 (its best CNN, 0.85 validation accuracy on GTZAN).

    MFCC (1 x coefficients x frames)
    Conv 128 (4x4), ReLU, MaxPool 4      Conv 64 (3x3), ReLU, MaxPool 3
    Conv 32 (2x2), ReLU, MaxPool 2       Flatten
    Dense 128, ReLU, Dropout 0.3         Dense 64, ReLU, Dropout 0.3
    Dense classes (softmax)

Padding choice: the seed prints no shapes. With *valid* convolutions 40 coefficients would run
out before the third pool, so the convolutions are *same*-padded and the pools *valid* (floor):
40x65 -> 10x16 -> 3x5 -> 1x2 on the default front end (40 MFCCs, 3 s at hop 1024).
"""
from __future__ import annotations

from tinymir import nn

from .frontend import FrontEnd

CONV_BLOCKS = ((128, 4, 4), (64, 3, 3), (32, 2, 2))   # maps, kernel, pool
DENSE_UNITS = (128, 64)
DROPOUT = 0.3


def dieleman_layers(front: FrontEnd, n_classes: int) -> list:
    layers = []
    for maps, kernel, pool in CONV_BLOCKS:
        layers += [nn.Conv2D(maps, (kernel, kernel), padding="same"), nn.ReLU(),
                   nn.MaxPool2D((pool, pool))]
    layers.append(nn.Flatten())
    for units in DENSE_UNITS:
        layers += [nn.Dense(units), nn.ReLU(), nn.Dropout(DROPOUT)]
    layers.append(nn.Dense(n_classes))
    return layers
