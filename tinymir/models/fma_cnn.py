"""The MFCC CNN of seed 001 (FMA genre): the FMA baselines' CNN after Li et al. (2010), with the
dense head that first let it fit, and the seed's SGD settings.

    MFCC (1 x 13 x frames)
    Conv 3 maps (13x10) -> ReLU -> MaxPool (1,2)      the kernel spans all coefficients
    Conv 15 maps (1x10) -> ReLU -> MaxPool (1,2)
    Conv 65 maps (1x10) -> ReLU -> MaxPool (1,4)
    Flatten -> Dense 512, ReLU, Dropout 0.3 -> Dense 256, ReLU, Dropout 0.3 -> Dense classes

Trained with SGD at learning rate 0.1 and time decay 0.5 (``lr / (1 + 0.5 * step)``), the
"relatively high values" that got it out of local minima. The seed gives no dropout rate; 0.3
is the one the other seed nets use.
"""
from __future__ import annotations

from tinymir import nn

from .frontend import FrontEnd

CONV_BLOCKS = ((3, 10, 2), (15, 10, 2), (65, 10, 4))   # maps, kernel length in time, time pool
DENSE_UNITS = (512, 256)
DROPOUT = 0.3


def fma_cnn_layers(front: FrontEnd, n_classes: int) -> list:
    layers = []
    for i, (maps, width, pool) in enumerate(CONV_BLOCKS):
        height = front.n_bins if i == 0 else 1
        layers += [nn.Conv2D(maps, (height, width)), nn.ReLU(), nn.MaxPool2D((1, pool))]
    layers.append(nn.Flatten())
    for units in DENSE_UNITS:
        layers += [nn.Dense(units), nn.ReLU(), nn.Dropout(DROPOUT)]
    layers.append(nn.Dense(n_classes))
    return layers
