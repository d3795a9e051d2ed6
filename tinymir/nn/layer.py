"""The layer contract every part of :mod:`tinymir.nn` follows.

A layer is a small object with two passes::

    y = layer.forward(x, training)     # caches only what backward needs
    dx = layer.backward(dy)            # fills param.grad (overwrites), returns dL/dx
    layer.backward(dy, input_grad=False)   # the same, for a first layer: dx is not needed
    y = layer.forward(x, keep_for_backward=False)   # inference: nothing kept, no backward

``params`` maps a name to a :class:`Param` (the value and its gradient), ``buffers`` maps a
name to an array that is state but not trained (BatchNorm's running statistics, Dropout's
mask counter). ``build(input_shape, rng)`` creates the parameters for an input shape given
*without* the batch axis; ``forward`` builds lazily on first use, Keras-style.

Subclasses implement ``_build``, ``_forward``, ``_backward``, ``output_shape`` and
``get_config``; the base class checks input shapes (errors name the layer and both shapes)
and adds the L2 penalty's gradient ``2 λ w`` to every kernel listed in ``kernel_names``.
"""
from __future__ import annotations

import numpy as np

from tinymir import backend

LAYERS: dict[str, type] = {}


def register(cls):
    """Class decorator: make ``cls`` known to :meth:`Sequential.from_config` by its name."""
    LAYERS[cls.__name__] = cls
    return cls


class ShapeError(ValueError):
    """An input whose shape a layer cannot take; the message names the layer and the shapes."""


def time_layer_shape(outer, inner, input_shape):
    """Output shape of a 1-D layer ``outer`` that runs the 2-D layer ``inner`` on ``(C, 1, T)``:
    ``(C_out, T_out)``; a shape error names ``outer`` and the 1-D input, not the 2-D view."""
    c, t = input_shape
    try:
        c_out, _, t_out = inner.output_shape((c, 1, t))
    except ShapeError as exc:
        reason = str(exc).split("): ", 1)[-1]
        raise ShapeError(f"layer {outer.name!r} ({type(outer).__name__}) cannot take input "
                         f"{tuple(input_shape)}: {reason}") from None
    return c_out, t_out


class Param:
    """A trainable tensor: ``value`` and ``grad`` (same shape, same device and dtype)."""

    __slots__ = ("value", "grad")

    def __init__(self, value):
        self.value = value
        self.grad = backend.array_module(value).zeros_like(value)

    @property
    def shape(self):
        return self.value.shape

    def __repr__(self):
        return f"Param(shape={tuple(self.value.shape)}, dtype={self.value.dtype})"


def as_generator(rng) -> np.random.Generator:
    """A host NumPy generator from a seed, a generator or None (weights are drawn on the host
    so that the same seed gives the same model on the CPU and on the GPU)."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def shapes_match(expected, actual) -> bool:
    """``expected`` may hold ``None`` for an axis of any length (e.g. a sequence's time)."""
    return len(expected) == len(actual) and all(
        e is None or e == a for e, a in zip(expected, actual))


class Layer:
    """Base class: shape checks, lazy build, L2 penalty, config. See the module docstring."""

    kernel_names: tuple = ()   # the params the L2 penalty applies to (Keras kernel_regularizer)
    input_ndim: int | tuple | None = None  # accepted rank without batch axis (None = any)
    input_grad_needed = True   # set by backward(); layers whose dx costs a product may skip it
    keep_for_backward = True   # set by forward(); False: skip what only backward would use

    def __init__(self, name: str | None = None, l2: float = 0.0):
        if l2 < 0:
            raise ValueError(f"{type(self).__name__}: l2 must be >= 0, got {l2}")
        self.name = name or type(self).__name__.lower()
        self.l2 = float(l2)
        self.params: dict[str, Param] = {}
        self.buffers: dict = {}
        self.input_shape: tuple | None = None
        self.built = False

    # -- building -------------------------------------------------------------------------
    def build(self, input_shape, rng=0) -> None:
        """Create parameters for ``input_shape`` (no batch axis); ``rng``: seed or Generator
        (seed 0 by default, so that a lazily built layer is reproducible too)."""
        input_shape = tuple(None if d is None else int(d) for d in input_shape)
        self.output_shape(input_shape)          # validates, raising ShapeError
        self._build(input_shape, as_generator(rng))
        self.input_shape = input_shape
        self.built = True

    def _build(self, input_shape, rng) -> None:
        """Create ``self.params`` / ``self.buffers``; layers without weights do nothing."""

    def output_shape(self, input_shape) -> tuple:
        """The output shape (no batch axis) for ``input_shape``; raises ShapeError if invalid."""
        self.check_ndim(input_shape)
        return tuple(input_shape)

    def check_ndim(self, input_shape) -> None:
        accepted = self.input_ndim if isinstance(self.input_ndim, tuple) else (self.input_ndim,)
        if self.input_ndim is not None and len(input_shape) not in accepted:
            want = " or ".join(f"{n + 1}-d (batch + {n})" for n in accepted)
            raise ShapeError(f"layer {self.name!r} ({type(self).__name__}) expects {want} input, "
                             f"got per-sample shape {tuple(input_shape)}")

    def new_param(self, name: str, host_value: np.ndarray) -> Param:
        """Register a parameter from a host array, moved to the device in the float policy."""
        self.params[name] = Param(backend.to_device(host_value, backend.float_dtype()))
        return self.params[name]

    # -- passes ---------------------------------------------------------------------------
    def forward(self, x, training: bool = False, keep_for_backward: bool = True):
        """``y = f(x)``; in training mode layers like Dropout and BatchNorm behave differently.

        ``keep_for_backward=False`` says no backward pass follows (inference, like PyTorch's
        ``inference_mode``): ``y`` is the same, and layers skip what only backward would use
        (a max pool's arg-max, a convolution's kept input, a recurrent layer's per-step
        values); :meth:`backward` then refuses."""
        self.prepare(x.shape, keep_for_backward)
        return self._forward(x, training)

    def prepare(self, batch_shape, keep_for_backward: bool = True) -> None:
        """What :meth:`forward` does before the formula, for an input of ``batch_shape``: build
        on first use, check the shape, note whether backward follows (the fused passes of
        :mod:`tinymir.nn.kernels.fusion` call it for each layer they run)."""
        self.keep_for_backward = keep_for_backward
        if not self.built:
            self.build(batch_shape[1:])
        elif not shapes_match(self.input_shape, batch_shape[1:]):
            raise ShapeError(f"layer {self.name!r} ({type(self).__name__}) was built for input "
                             f"{self.input_shape} but got {tuple(batch_shape[1:])} "
                             f"(batch shape {tuple(batch_shape)})")

    def backward(self, grad_out, input_grad: bool = True):
        """Given ``dL/dy``, set every ``param.grad`` (overwriting) and return ``dL/dx``.

        ``input_grad=False`` says nobody needs ``dL/dx`` (the input is data, not the output of
        another layer, like ``requires_grad=False`` on a PyTorch input): layers whose ``dx``
        costs a matrix product (Dense, Conv1D/2D, LSTM, GRU) skip it, and ``None`` is returned.
        """
        self.check_kept()
        self.input_grad_needed = input_grad
        grad_in = self._backward(grad_out)
        if self.l2:
            for name in self.kernel_names:
                p = self.params[name]
                p.grad += (2.0 * self.l2) * p.value
        return grad_in if input_grad else None

    def check_kept(self) -> None:
        """Refuse a backward pass after a forward that kept nothing for it."""
        if not self.keep_for_backward:
            raise RuntimeError(f"layer {self.name!r} ({type(self).__name__}): its last forward "
                               "ran with keep_for_backward=False (inference), so it kept nothing "
                               "for backward; run forward with keep_for_backward=True first")

    def _forward(self, x, training):
        raise NotImplementedError

    def _backward(self, grad_out):
        raise NotImplementedError

    # -- regularisation and config --------------------------------------------------------
    def penalty(self) -> float:
        """The L2 penalty ``λ Σ w²`` over this layer's kernels (0 without ``l2``)."""
        if not self.l2 or not self.built:
            return 0.0
        total = 0.0
        for name in self.kernel_names:
            w = self.params[name].value
            total += float((w * w).sum())
        return self.l2 * total

    def num_params(self) -> int:
        return int(sum(p.value.size for p in self.params.values()))

    def get_config(self) -> dict:
        """Constructor arguments as a JSON-able dict (``Layer(**config)`` rebuilds the layer)."""
        return {"name": self.name}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


def pair(value, what: str) -> tuple:
    """``3`` -> ``(3, 3)``; ``(2, 4)`` stays; anything else is a ValueError naming ``what``."""
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return int(value[0]), int(value[1])
    raise ValueError(f"{what} must be an int or a pair of ints, got {value!r}")
