"""The stacked LSTM of seed 002 (its best recurrent net, 0.88 validation accuracy on GTZAN).

    MFCC sequence (frames x coefficients)
    LSTM 128 (sequences) -> LSTM 64 (sequences) -> LSTM 32 (last state), input dropout 0.05
    Dense 128, ReLU, Dropout 0.3 -> Dense 64, ReLU, Dropout 0.3 -> Dense classes (softmax)

The data pipeline hands every model a ``(1, coefficients, frames)`` image; the net's first two
layers turn it into the ``(frames, coefficients)`` sequence the LSTM reads.
"""
from __future__ import annotations

from tinymir import nn

from .frontend import FrontEnd

LSTM_UNITS = (128, 64, 32)
LSTM_DROPOUT = 0.05
DENSE_UNITS = (128, 64)
DROPOUT = 0.3


def image_to_sequence(front: FrontEnd) -> list:
    """``(1, bins, frames)`` -> ``(frames, bins)``: drop the channel axis, swap the other two."""
    return [nn.Reshape((front.n_bins, front.segment_frames)), nn.Permute((2, 1))]


def lstm_layers(front: FrontEnd, n_classes: int) -> list:
    layers = image_to_sequence(front)
    for i, units in enumerate(LSTM_UNITS):
        last = i == len(LSTM_UNITS) - 1
        layers.append(nn.LSTM(units, return_sequences=not last, dropout=LSTM_DROPOUT))
    for units in DENSE_UNITS:
        layers += [nn.Dense(units), nn.ReLU(), nn.Dropout(DROPOUT)]
    layers.append(nn.Dense(n_classes))
    return layers
