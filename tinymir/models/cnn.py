"""CNN-3 ... CNN-7 of seed 000 (Tables 2 and 3), for mel, STFT and MFCC input.

One block is ``Conv 3x3 (valid) -> ReLU -> MaxPool (stride 2, 'same') -> BatchNorm``; the net is
the blocks, ``Dropout 0.3``, ``Flatten`` and a softmax ``Dense``::

    CNN-3   3 blocks of 32 maps, pools (2,4) (4,4) (2,5)
    CNN-4   + a block of 64 maps, pool (2,4)
    CNN-5   + a block of 64 maps, pool (4,4)
    CNN-6   CNN-5 + Conv 1x1x128, ReLU
    CNN-7   CNN-5 + two Conv 1x1x128, ReLU

Padding choice: the seed prints 128x130 -> 63x64 -> 31x31 -> 15x15 (-> 7x7 -> 3x3). Those sizes
come out exactly with *valid* 3x3 convolutions and *same*-padded pools of stride 2
(``ceil(n / 2)``), which is what is built here.

STFT input (513 bins): the pools are the same but the first two stride 4 along frequency, so
513x130 -> 128x64 -> 32x31 -> 15x15 and the deeper blocks meet the grid of the mel net.

MFCC input (20 coefficients): convolution and pooling along time only, as the seed says. The
coefficients become the channels of a 1-D convolution over time (a 3-frame kernel spanning all
coefficients), pools 4, 4, 5 with stride 2: 130 -> 64 -> 31 -> 15 frames. A feature stack
(``mfcc+chroma+...``) takes the same 1-D path: its rows are not one frequency axis.
"""
from __future__ import annotations

from tinymir import nn

from .frontend import FrontEnd

CONV_MAPS = (32, 32, 32, 64, 64)
MEL_POOLS = ((2, 4), (4, 4), (2, 5), (2, 4), (4, 4))
STFT_STRIDES = ((4, 2), (4, 2), (2, 2), (2, 2), (2, 2))
MFCC_POOLS = (4, 4, 5, 4, 4)


def cnn_layers(depth: int, front: FrontEnd, n_classes: int) -> list:
    """The layers of CNN-``depth`` (3..7) for mel, stft, mfcc or a feature stack."""
    if not 3 <= depth <= 7:
        raise ValueError(f"CNN depth must be 3..7, got {depth}")
    n_blocks = min(depth, 5)
    n_one_by_one = depth - n_blocks
    layers = []
    if front.kind == "mfcc" or front.is_stack:
        layers.append(nn.Reshape((front.n_bins, front.segment_frames)))
        for maps, pool in zip(CONV_MAPS[:n_blocks], MFCC_POOLS):
            layers += [nn.Conv1D(maps, 3), nn.ReLU(),
                       nn.MaxPool1D(pool, stride=2, padding="same"), nn.BatchNorm()]
        for _ in range(n_one_by_one):
            layers += [nn.Conv1D(128, 1), nn.ReLU()]
    else:
        strides = STFT_STRIDES if front.kind == "stft" else ((2, 2),) * 5
        for maps, pool, stride in zip(CONV_MAPS[:n_blocks], MEL_POOLS, strides):
            layers += [nn.Conv2D(maps, (3, 3)), nn.ReLU(),
                       nn.MaxPool2D(pool, stride=stride, padding="same"), nn.BatchNorm()]
        for _ in range(n_one_by_one):
            layers += [nn.Conv2D(128, (1, 1)), nn.ReLU()]
    layers += [nn.Dropout(0.3), nn.Flatten(), nn.Dense(n_classes)]
    return layers
