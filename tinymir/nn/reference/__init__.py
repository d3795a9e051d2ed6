"""Plain reference twins of every layer, loss and optimiser of :mod:`tinymir.nn`.

A twin computes what its fast layer's docstring states, written out directly: loops over
windows and time steps, whole-array formulas, nothing reused in place, no cache-sized blocks.
It is what to read to learn how a layer works; the fast layer is what to run. A twin takes
nothing from the fast code but the class it subclasses: padding, output sizes and windows are
worked out again from their formulas (``conv``), so a bug in the fast geometry cannot hide in
both (tests/test_nn_reference.py plants one). Each twin subclasses its fast class and
replaces only the passes (``_forward`` / ``_backward``; a loss's ``forward`` / ``backward``; an
optimiser's ``step``), so it takes the same arguments, holds the same parameters and can stand
in for the fast one anywhere:

    from tinymir.nn import reference
    slow = reference.twin(layer)         # same configuration, weights and buffers
    slow_model = reference.twin(model)   # a Sequential of twins, run in declared order

| family        | module            | twins                                                        |
|---------------|-------------------|--------------------------------------------------------------|
| dense         | ``dense``         | Dense                                                        |
| convolution   | ``conv``          | Conv2D, Conv1D                                               |
| pooling       | ``pooling``       | MaxPool2D/1D, AvgPool2D/1D, GlobalAvgPool2D, GlobalMaxPool2D |
| normalisation | ``normalization`` | BatchNorm, Dropout                                           |
| activations   | ``activations``   | ReLU, LeakyReLU, ELU, Sigmoid, Tanh, Softmax                 |
| reshaping     | ``reshape``       | Flatten, Reshape, Permute, ZeroPad2D                         |
| recurrent     | ``recurrent``     | LSTM, GRU                                                    |
| losses        | ``losses``        | SoftmaxCrossEntropy, BinaryCrossEntropy, MSE                 |
| optimisers    | ``optimizers``    | SGD, Adam, AdamW, clip_grad_norm                             |
| model         | ``sequential``    | Sequential (no reordering of layers)                         |

Fast and twin agree to rounding (float64: 1e-10) at every block size of the fast kernels
(tests/test_nn_reference.py); ``tinymir gradcheck --reference`` prints the differences, and
the twins pass the same finite-difference checks as the fast layers.
"""
from __future__ import annotations

import numpy as np

from tinymir import backend
from tinymir.nn.sequential import Sequential as FastSequential

from .activations import ELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .conv import Conv1D, Conv2D
from .dense import Dense
from .losses import MSE, BinaryCrossEntropy, SoftmaxCrossEntropy
from .normalization import BatchNorm, Dropout
from .optimizers import SGD, Adam, AdamW, clip_grad_norm
from .pooling import AvgPool1D, AvgPool2D, GlobalAvgPool2D, GlobalMaxPool2D, MaxPool1D, MaxPool2D
from .recurrent import GRU, LSTM
from .reshape import Flatten, Permute, Reshape, ZeroPad2D
from .sequential import Sequential

#: fast layer class -> its twin (the 23 layers)
LAYER_TWINS = {cls.__bases__[0]: cls for cls in (
    Dense, Conv2D, Conv1D, MaxPool2D, MaxPool1D, AvgPool2D, AvgPool1D, GlobalAvgPool2D,
    GlobalMaxPool2D, BatchNorm, Dropout, Flatten, Reshape, Permute, ZeroPad2D, ReLU, ELU,
    LeakyReLU, Sigmoid, Tanh, Softmax, LSTM, GRU)}

#: fast loss class -> its twin
LOSS_TWINS = {cls.__bases__[0]: cls for cls in (SoftmaxCrossEntropy, BinaryCrossEntropy, MSE)}


def twin(model, input_shape=None):
    """The reference twin of a fast layer, Sequential or loss: same configuration, and (if
    built) the same weights and buffers, copied. A layer's twin is built for ``input_shape``
    when given (the shape it meets in declared order, inside a Sequential)."""
    if type(model) in LOSS_TWINS:
        copy = object.__new__(LOSS_TWINS[type(model)])
        copy.__dict__.update(vars(model))          # the constructor's arguments
        return copy
    if isinstance(model, FastSequential):
        layers, shape = [], model.input_shape
        for layer in model.layers:
            layers.append(twin(layer, shape))
            shape = None if shape is None else layer.output_shape(shape)
        copy = Sequential(layers, name=model.name)
        copy.input_shape, copy.seed = model.input_shape, model.seed
        return copy
    kind = type(model)
    if kind not in LAYER_TWINS:
        raise TypeError(f"no reference twin for {kind.__name__}")
    copy = LAYER_TWINS[kind](**model.get_config())
    if model.built:
        dtype = next(iter(model.params.values())).value.dtype if model.params else np.float64
        with backend.default_dtype(dtype):
            copy.build(input_shape or model.input_shape)
        for name, p in model.params.items():
            copy.params[name].value[...] = p.value
        for name, b in model.buffers.items():
            copy.buffers[name][...] = b
    return copy


__all__ = ["twin", "LAYER_TWINS", "LOSS_TWINS", "Dense", "Conv2D", "Conv1D", "MaxPool2D",
           "MaxPool1D", "AvgPool2D", "AvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool2D", "BatchNorm",
           "Dropout", "Flatten", "Reshape", "Permute", "ZeroPad2D", "ReLU", "ELU", "LeakyReLU",
           "Sigmoid", "Tanh", "Softmax", "LSTM", "GRU", "SoftmaxCrossEntropy",
           "BinaryCrossEntropy", "MSE", "SGD", "Adam", "AdamW", "clip_grad_norm", "Sequential"]
