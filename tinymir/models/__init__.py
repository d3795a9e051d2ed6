"""The model zoo: every architecture of the seed documents, by name.

    >>> from tinymir import models
    >>> net = models.build("cnn3", n_classes=10)                 # seed 000's front end
    >>> net = models.build("cnn3", 10, front=models.default_front("cnn3").replace(kind="mfcc"))
    >>> print(net.summary())

Each :class:`Arch` carries its default :class:`FrontEnd` (sample rate, features, n_fft, hop, mels,
segment length) and the training settings of its seed, except the batch size: 32 by default
rather than seed 000's 128, so a small set still gets several steps per epoch
(``--batch-size 128`` reproduces the seed). Every net reads one segment as a
``(1, bins, frames)`` image and ends in a ``Dense`` of raw scores (logits); the loss applies the
softmax (one label per track) or the sigmoid (tags), and so does prediction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from tinymir import nn

from .cnn import cnn_layers
from .crnn import crnn_layers
from .dieleman import dieleman_layers
from .fcn5 import fcn5_layers
from .ffnn import ffnn_layers
from .fma_cnn import fma_cnn_layers
from .frontend import FEATURE_KINDS, STACK_KINDS, FrontEnd, FrontEndError
from .lstm import lstm_layers

__all__ = ["Arch", "ARCHS", "FrontEnd", "FrontEndError", "FEATURE_KINDS", "STACK_KINDS",
           "UnknownArchError",
           "get_arch", "default_front", "build", "check_stack", "describe_archs"]


class UnknownArchError(KeyError):
    """An architecture name the zoo does not have."""

    def __str__(self):
        return self.args[0]


@dataclass(frozen=True)
class Arch:
    """One architecture: how to build it, its default front end and its seed's training recipe."""

    name: str
    seed: str
    summary: str
    layers: Callable[..., list]
    front: FrontEnd
    optimizer: dict = field(default_factory=lambda: {"name": "adam", "lr": 1e-3})
    epochs: int = 20
    batch_size: int = 32
    stacks: bool = False     # reads a feature stack (rows of several kinds) as well


GTZAN_MEL = FrontEnd(kind="mel", sr=22050, n_fft=1024, hop_length=512, n_mels=128, n_mfcc=20,
                     segment=3.0)
SEED002_MFCC = FrontEnd(kind="mfcc", sr=22050, n_fft=2048, hop_length=1024, n_mels=128,
                        n_mfcc=40, segment=3.0)


def _cnn(depth):
    return lambda front, n_classes: cnn_layers(depth, front, n_classes)


ARCHS = {arch.name: arch for arch in [
    *(Arch(f"cnn{d}", "000", f"CNN-{d}: {min(d, 5)} conv blocks"
           + (f" + {d - 5} conv 1x1x128" if d > 5 else "") + ", dropout 0.3, dense",
           _cnn(d), GTZAN_MEL, stacks=True) for d in range(3, 8)),
    Arch("ffnn", "000", "feed-forward baseline: flatten -> 512 -> 256 -> 64, L2 0.001, dropout 0.3",
         ffnn_layers, GTZAN_MEL, stacks=True),
    Arch("dieleman", "002", "conv 128/64/32 (4x4, 3x3, 2x2) + pools 4/3/2, dense 128 and 64",
         dieleman_layers, SEED002_MFCC, epochs=30, batch_size=32),
    Arch("lstm", "002", "LSTM 128 -> 64 -> 32, dense 128 and 64, on the MFCC sequence",
         lstm_layers, SEED002_MFCC, epochs=30, batch_size=32, stacks=True),
    Arch("crnn", "004", "zero-pad + batch-norm front, 4 conv/ELU blocks, 3 GRU (or LSTM) layers",
         crnn_layers, FrontEnd(kind="mel", sr=12000, n_fft=512, hop_length=256, n_mels=96,
                               segment=25.0, center=25.0),
         epochs=200, batch_size=16),
    Arch("fcn5", "000", "5 conv blocks 32..512 with batch norm and dropout 0.5, one unit per tag",
         fcn5_layers, FrontEnd(kind="mel", sr=12000, n_fft=2048, hop_length=1024, n_mels=96,
                               segment=29.1, discard=20.0),
         epochs=15),
    Arch("fma_cnn", "001", "3 conv layers on 13 MFCCs (3, 15, 65 maps), dense 512 and 256",
         fma_cnn_layers, FrontEnd(kind="mfcc", sr=22050, n_fft=2048, hop_length=512, n_mels=128,
                                  n_mfcc=13, segment=29.0),
         optimizer={"name": "sgd", "lr": 0.1, "decay": 0.5}),
]}


def get_arch(name: str) -> Arch:
    try:
        return ARCHS[name]
    except KeyError:
        raise UnknownArchError(f"unknown architecture {name!r}: choose one of "
                               f"{', '.join(ARCHS)}") from None


def default_front(name: str) -> FrontEnd:
    return get_arch(name).front


def build(name: str, n_classes: int, front: FrontEnd | None = None, seed: int = 0,
          **options) -> nn.Sequential:
    """Build architecture ``name`` for ``n_classes`` outputs on ``front`` (default: its own).

    Parameters
    ----------
    name : str
        An architecture of :data:`ARCHS` (``tinymir archs`` lists them).
    n_classes : int
        Number of outputs, at least 1.
    front : FrontEnd or None, default None
        Front end the inputs come from (``None``: the architecture's own); it fixes the input
        shape.
    seed : int, default 0
        Seed the weights are drawn from.
    **options
        Keyword arguments of the architecture (``rnn="lstm"`` for ``crnn``).
    """
    arch = get_arch(name)
    front = front or arch.front
    check_stack(arch, front)
    if n_classes < 1:
        raise ValueError(f"{name} needs at least one output, got {n_classes}")
    try:
        model = nn.Sequential(arch.layers(front, n_classes, **options), name=name)
        model.build(front.input_shape, seed=seed)
    except ValueError as exc:
        raise FrontEndError(f"{name} cannot read {front.input_shape[1]}x{front.input_shape[2]} "
                            f"inputs ({front.describe()}): {exc}") from None
    return model


def check_stack(arch: Arch, front: FrontEnd) -> None:
    """Refuse a feature stack for an architecture that reads one kind of features only (its
    2-D convolutions treat the rows as one frequency axis)."""
    if front.is_stack and not arch.stacks:
        takers = ", ".join(a.name for a in ARCHS.values() if a.stacks)
        raise FrontEndError(f"{arch.name} reads one kind of features as a 2-D image, not the "
                            f"feature stack {front.kind}; stacks work with {takers}")


def describe_archs(n_classes: int = 10) -> list[dict]:
    """Name, seed, input shape, parameter count (for ``n_classes`` outputs), training recipe
    (epochs, batch size, optimiser and learning rate: ``tinymir train``'s defaults for it) and
    summary of each."""
    rows = []
    for arch in ARCHS.values():
        model = build(arch.name, n_classes)
        rows.append({"name": arch.name, "seed": arch.seed, "input": arch.front.input_shape,
                     "features": arch.front.kind, "params": model.num_params(),
                     "epochs": arch.epochs, "batch_size": arch.batch_size,
                     "optimizer": arch.optimizer["name"], "lr": arch.optimizer["lr"],
                     "summary": arch.summary})
    return rows
