"""Neural-network core with hand-written backward passes (NumPy / CuPy).

Every layer is readable in one sitting and proven by finite differences
(:mod:`tinymir.nn.gradcheck`); :mod:`tinymir.nn.reference` holds a plain twin of every layer,
loss and optimiser (the formula written out, loops and all), tested equal to the fast code,
whose tuned parts live in :mod:`tinymir.nn.kernels`. Data layout: (N, C, H, W) images,
(N, C, T) channels over time, (N, T, F) sequences, (N, F) vectors. See
:mod:`tinymir.nn.layer` for the contract.

    from tinymir import nn
    model = nn.Sequential([nn.Conv2D(32, 3, padding="same"), nn.ReLU(),
                           nn.MaxPool2D((2, 4), stride=2), nn.BatchNorm(),
                           nn.Flatten(), nn.Dropout(0.3), nn.Dense(10)])
    model.build((1, 128, 130), seed=0)
    loss, optimizer = nn.SoftmaxCrossEntropy(), nn.Adam(model.parameters())
    loss.forward(model.forward(x, training=True), labels)   # x on the device, float32
    model.backward(loss.backward(), input_grad=False)
    optimizer.step()
    nn.save("model.npz", model, {"classes": names})
"""
from . import gradcheck, reference
from .activations import ELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .batchnorm import BatchNorm
from .conv import Conv1D, Conv2D
from .dense import Dense
from .dropout import Dropout
from .layer import LAYERS, Layer, Param, ShapeError, register
from .losses import MSE, BinaryCrossEntropy, SoftmaxCrossEntropy
from .optimizers import SGD, Adam, AdamW, Optimizer, clip_grad_norm
from .pooling import AvgPool1D, AvgPool2D, GlobalAvgPool2D, GlobalMaxPool2D, MaxPool1D, MaxPool2D
from .recurrent import GRU, LSTM
from .reshape import Flatten, Permute, Reshape, ZeroPad2D
from .schedules import CosineDecay, ReduceLROnPlateau, StepDecay
from .sequential import Sequential, StateDictError
from .serialization import ModelFileError, load, save

# The global pools also take (N, C, T); these names read better in 1-D models.
GlobalAvgPool1D = GlobalAvgPool2D
GlobalMaxPool1D = GlobalMaxPool2D

__all__ = [
    "Layer", "Param", "ShapeError", "LAYERS", "register",
    "Dense", "Conv2D", "Conv1D", "MaxPool2D", "MaxPool1D", "AvgPool2D", "AvgPool1D",
    "GlobalAvgPool2D", "GlobalMaxPool2D", "GlobalAvgPool1D", "GlobalMaxPool1D",
    "BatchNorm", "Dropout", "Flatten", "Reshape", "Permute", "ZeroPad2D",
    "ReLU", "ELU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LSTM", "GRU",
    "Sequential", "StateDictError",
    "SoftmaxCrossEntropy", "BinaryCrossEntropy", "MSE",
    "Optimizer", "SGD", "Adam", "AdamW", "clip_grad_norm",
    "ReduceLROnPlateau", "StepDecay", "CosineDecay",
    "save", "load", "ModelFileError", "gradcheck", "reference",
]
