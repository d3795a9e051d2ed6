"""Element-wise activations (and Softmax over the last axis), each with its derivative.

ReLU       y = max(x, 0)                          dx = dy · [x > 0]
LeakyReLU  y = x if x > 0 else α x                 dx = dy · (1 if x > 0 else α)
ELU        y = x if x > 0 else α (eˣ − 1)          dx = dy · (1 if x > 0 else α eˣ)
Sigmoid    y = 1 / (1 + e⁻ˣ)                       dx = dy · y (1 − y)
Tanh       y = tanh x                              dx = dy · (1 − y²)
Softmax    yᵢ = e^{xᵢ − max x} / Σⱼ e^{xⱼ − max x}  dx = y ⊙ (dy − Σⱼ dyⱼ yⱼ)

Each caches the smallest thing its backward needs: a boolean mask, the output, or (ELU) the
slope; ReLU and ELU run in blocks on every core (:mod:`tinymir.nn.kernels.relu`,
:mod:`tinymir.nn.kernels.elu`).
"""
from __future__ import annotations

from tinymir import backend
from tinymir.special import sigmoid, softmax

from .kernels import elu as elu_kernels
from .kernels import relu as relu_kernels
from .layer import Layer, register


@register
class ReLU(Layer):
    def _forward(self, x, training):
        # y = x ⊙ [x > 0]; the mask is kept for backward
        y, self.positive = relu_kernels.relu_forward(x, keep_mask=self.keep_for_backward)
        return y

    def _backward(self, grad_out):
        # dx = dy ⊙ [x > 0]
        return relu_kernels.relu_backward(grad_out, self.positive)


@register
class LeakyReLU(Layer):
    def __init__(self, alpha: float = 0.3, name: str | None = None):
        super().__init__(name)
        self.alpha = float(alpha)

    def _forward(self, x, training):
        xp = backend.array_module(x)
        self.positive = x > 0
        return xp.where(self.positive, x, self.alpha * x)

    def _backward(self, grad_out):
        xp = backend.array_module(grad_out)
        return xp.where(self.positive, grad_out, self.alpha * grad_out)

    def get_config(self):
        return {"alpha": self.alpha, **super().get_config()}


@register
class ELU(Layer):
    def __init__(self, alpha: float = 1.0, name: str | None = None):
        super().__init__(name)
        if alpha <= 0:
            raise ValueError(f"ELU: alpha must be > 0, got {alpha}")
        self.alpha = float(alpha)

    def _forward(self, x, training):
        # y = x if x > 0 else α (eˣ − 1); the slope dy/dx is kept for backward
        y, self.slope = elu_kernels.elu_forward(x, self.alpha)
        return y

    def _backward(self, grad_out):
        # dx = dy · (1 if x > 0 else α eˣ)
        return elu_kernels.elu_backward(grad_out, self.slope)

    def get_config(self):
        return {"alpha": self.alpha, **super().get_config()}


@register
class Sigmoid(Layer):
    def _forward(self, x, training):
        self.y = sigmoid(x)
        return self.y

    def _backward(self, grad_out):
        return grad_out * self.y * (1.0 - self.y)


@register
class Tanh(Layer):
    def _forward(self, x, training):
        self.y = backend.array_module(x).tanh(x)
        return self.y

    def _backward(self, grad_out):
        return grad_out * (1.0 - self.y * self.y)


@register
class Softmax(Layer):
    """Softmax over the last axis. For training, prefer :class:`SoftmaxCrossEntropy` on logits."""

    def _forward(self, x, training):
        self.y = softmax(x)
        return self.y

    def _backward(self, grad_out):
        return self.y * (grad_out - (grad_out * self.y).sum(axis=-1, keepdims=True))
