"""The CRNN of seed 004 (after Choi et al. 2017): convolutions for local patterns, a recurrent
head for the order in which they come.

    mel (1 x 96 x 1172: 12 kHz, n_fft 512, hop 256, the central 25 s)
    ZeroPad (time, to a multiple of 96 frames) -> BatchNorm per frequency bin
    4 x [Conv 3x3 'same' (64, 128, 128, 128), BatchNorm, ELU, MaxPool (2,2) (3,3) (4,4) (4,4),
         Dropout 0.1]
    (128 maps x freq x time) -> sequence (time x 128*freq)
    GRU 32 -> GRU 32 -> GRU 32 (last state), dropout 0.1   (``rnn="lstm"`` for LSTM cells)
    Dense classes (softmax)

The seed gives the block structure, the rates and the three recurrent layers but no map counts
or pool sizes; those are Choi's. The pools divide time by 96, hence the padding: 1172 frames
become 1248 and the recurrent layers read 13 steps; 96 mel bands are pooled down to 1.
"""
from __future__ import annotations

import math

from tinymir import nn

from .frontend import FrontEnd

CONV_MAPS = (64, 128, 128, 128)
POOLS = ((2, 2), (3, 3), (4, 4), (4, 4))
TIME_REDUCTION = math.prod(p[1] for p in POOLS)
FREQ_REDUCTION = math.prod(p[0] for p in POOLS)
CONV_DROPOUT = 0.1
RNN_UNITS = (32, 32, 32)
RNN_DROPOUT = 0.1
RNN_CELLS = ("gru", "lstm")


def crnn_layers(front: FrontEnd, n_classes: int, rnn: str = "gru") -> list:
    if rnn not in RNN_CELLS:
        raise ValueError(f"unknown recurrent cell {rnn!r}: choose gru or lstm")
    frames = front.segment_frames
    padded = TIME_REDUCTION * math.ceil(frames / TIME_REDUCTION)
    bins = front.n_bins
    layers = [nn.ZeroPad2D(((0, 0), (0, padded - frames))),
              nn.Permute((2, 1, 3)), nn.BatchNorm(), nn.Permute((2, 1, 3))]
    for maps, pool in zip(CONV_MAPS, POOLS):
        layers += [nn.Conv2D(maps, (3, 3), padding="same"), nn.BatchNorm(), nn.ELU(),
                   nn.MaxPool2D(pool), nn.Dropout(CONV_DROPOUT)]
    freq_left = bins // FREQ_REDUCTION
    if freq_left < 1:
        raise ValueError(f"crnn needs at least {FREQ_REDUCTION} frequency bins, got {bins}")
    steps = padded // TIME_REDUCTION
    layers += [nn.Permute((3, 1, 2)), nn.Reshape((steps, CONV_MAPS[-1] * freq_left))]
    cell = nn.GRU if rnn == "gru" else nn.LSTM
    for i, units in enumerate(RNN_UNITS):
        layers.append(cell(units, return_sequences=i < len(RNN_UNITS) - 1, dropout=RNN_DROPOUT))
    layers.append(nn.Dense(n_classes))
    return layers
