"""The fully convolutional mood tagger of seed 000 (Table 6, after Choi et al. 2016).

    mel (1 x 96 x 342: 12 kHz, n_fft 2048, hop 1024, 29.1 s after dropping 20 s at each end)
    5 x [Conv 3x3 'same' (32, 64, 128, 256, 512), BatchNorm, ReLU, MaxPool, Dropout 0.5]
    Flatten -> Dense tags (sigmoid: one independent probability per tag)

Padding choice: the seed's printed pools, (2,4) (2,4) (2,4) (2,2) (3,3), do not reach its own
1x1 output from 96x341 (12x7 cannot pool to 4x1 with (2,2)). The pools here do, with *same*
convolutions and floor pooling: 96x342 -> 48x85 -> 24x21 -> 12x5 -> (3,5) 4x1 -> (4,1) 1x1.
"""
from __future__ import annotations

from tinymir import nn

from .frontend import FrontEnd

CONV_MAPS = (32, 64, 128, 256, 512)
POOLS = ((2, 4), (2, 4), (2, 4), (3, 5), (4, 1))
DROPOUT = 0.5


def fcn5_layers(front: FrontEnd, n_classes: int) -> list:
    layers = []
    for maps, pool in zip(CONV_MAPS, POOLS):
        layers += [nn.Conv2D(maps, (3, 3), padding="same"), nn.BatchNorm(), nn.ReLU(),
                   nn.MaxPool2D(pool), nn.Dropout(DROPOUT)]
    layers += [nn.Flatten(), nn.Dense(n_classes)]
    return layers
