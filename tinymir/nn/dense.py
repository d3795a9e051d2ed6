"""Dense (fully connected) layer on ``(N, F)`` inputs.

Forward:   y = x W + b                  x: (N, F), W: (F, U), b: (U,)
Backward:  dW = xᵀ dy,  db = Σₙ dy,  dx = dy Wᵀ
"""
from __future__ import annotations

import numpy as np

from .init import check_initializer, initialize
from .layer import Layer, register


@register
class Dense(Layer):
    """``y = x W + b`` with ``units`` outputs; kernel ``W`` is (in, out) like Keras.

    Parameters
    ----------
    units : int
        Number of outputs.
    l2 : float, default 0.0
        L2 penalty λ: the layer adds λ Σ w² over its kernels to the loss (:meth:`penalty`).
    init : str, default "glorot_uniform"
        Initializer of the kernel (:mod:`tinymir.nn.init`).
    use_bias : bool, default True
        Add the bias b; False drops it.
    name : str or None, default None
        The layer's name; None gives the class name, numbered by :class:`Sequential`.
    """

    kernel_names = ("kernel",)
    input_ndim = 1

    def __init__(self, units: int, l2: float = 0.0, init: str = "glorot_uniform",
                 use_bias: bool = True, name: str | None = None):
        super().__init__(name, l2)
        if int(units) < 1:
            raise ValueError(f"Dense: units must be >= 1, got {units}")
        self.units = int(units)
        self.init = check_initializer(init)
        self.use_bias = bool(use_bias)

    def output_shape(self, input_shape):
        self.check_ndim(input_shape)
        return (self.units,)

    def _build(self, input_shape, rng):
        fan_in = input_shape[0]
        self.new_param("kernel", initialize(self.init, (fan_in, self.units), fan_in, self.units,
                                            rng))
        if self.use_bias:
            self.new_param("bias", np.zeros(self.units))

    def _forward(self, x, training):
        self.x = x
        y = x @ self.params["kernel"].value
        if self.use_bias:
            y += self.params["bias"].value
        return y

    def _backward(self, grad_out):
        self.params["kernel"].grad = self.x.T @ grad_out
        if self.use_bias:
            self.params["bias"].grad = grad_out.sum(axis=0)
        self.x = None
        return grad_out @ self.params["kernel"].value.T if self.input_grad_needed else None

    def get_config(self):
        return {"units": self.units, "l2": self.l2, "init": self.init,
                "use_bias": self.use_bias, **super().get_config()}
