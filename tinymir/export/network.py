"""The network as ONNX nodes, layer by layer (every layer of :mod:`tinymir.nn`).

Each layer becomes the operator that computes its formula at inference (``training=False``):

    Conv2D / Conv1D        Conv (kernel (F, C, kh, kw) / (F, C, k), the layer's explicit pads)
    Conv -> BatchNorm      one Conv: W' = W s, b' = (b - mu) s + beta, s = gamma / sqrt(var + eps)
    BatchNorm              x s + (beta - mu s), per channel (axis 1)
    MaxPool / AvgPool      MaxPool / AveragePool (count_include_pad=0: zeros are not counted)
    GlobalAvg/MaxPool      ReduceMean / ReduceMax over the positions
    Dense                  Gemm (y = x W + b)
    LSTM                   LSTM, gates [i, f, g, o] -> ONNX's [i, o, f, c]; W^T, R^T, b + 0
    GRU                    GRU with linear_before_reset=1, gates [r, z, n] -> ONNX's [z, r, h]
    Flatten / Reshape / Permute / ZeroPad2D    Flatten / Reshape / Transpose / Pad
    ReLU, ELU, LeakyReLU, Sigmoid, Tanh, Softmax    the operators of the same names
    Dropout                nothing (the identity at inference)

A layer class not listed (one registered by a user) is refused with :class:`NoOnnxForm`,
naming the layer.
"""
from __future__ import annotations

import numpy as np

from tinymir import backend, nn
from tinymir.nn.windows import resolve_padding


class NoOnnxForm(ValueError):
    """A layer that has no ONNX form here."""


def network(g, x: str, model, input_shape) -> str:
    """Append ``model``'s layers to ``x`` (``(N, *input_shape)``); returns the logits' name.

    Parameters
    ----------
    g : Graph
        The ONNX graph being built (:class:`tinymir.export.graph.Graph`); the nodes are added
        to it.
    x : str
        Name of the input tensor in ``g``, ``(N, *input_shape)``.
    model : tinymir.nn model
        The network whose ``layers`` are converted in order (a Conv followed by BatchNorm
        becomes one Conv); a layer without an ONNX form raises :class:`NoOnnxForm`.
    input_shape : tuple of int
        Shape of one input without the batch axis, e.g. ``(channels, bins, frames)``.
    """
    shape = tuple(input_shape)
    layers = list(model.layers)
    i = 0
    while i < len(layers):
        layer = layers[i]
        convert = CONVERTERS.get(type(layer))
        if convert is None:
            raise NoOnnxForm(f"layer {layer.name!r} ({type(layer).__name__}) has no ONNX form; "
                             "the layers that export are "
                             + ", ".join(sorted(c.__name__ for c in CONVERTERS)))
        folded = None
        if (isinstance(layer, (nn.Conv2D, nn.Conv1D)) and i + 1 < len(layers)
                and type(layers[i + 1]) is nn.BatchNorm):
            folded = layers[i + 1]
        x = convert(g, x, layer, shape, folded) if folded else convert(g, x, layer, shape)
        shape = layer.output_shape(shape)
        i += 2 if folded else 1
    return x


def _host(value) -> np.ndarray:
    return np.asarray(backend.to_host(value), dtype=np.float64)


def _bn_affine(layer):
    """``(s, t)`` of inference batch norm ``y = x s + t`` (float64)."""
    gamma, beta = _host(layer.params["gamma"].value), _host(layer.params["beta"].value)
    mean, var = _host(layer.buffers["running_mean"]), _host(layer.buffers["running_var"])
    scale = gamma / np.sqrt(var + layer.eps)
    return scale, beta - mean * scale


def _conv(g, x, layer, shape, bn=None):
    conv = layer.conv if isinstance(layer, nn.Conv1D) else layer
    kernel = _host(conv.params["kernel"].value)                 # (F, C, kh, kw)
    bias = (_host(conv.params["bias"].value) if conv.use_bias
            else np.zeros(kernel.shape[0]))
    if bn is not None:                                          # y = (K x + b) s + t
        scale, shift = _bn_affine(bn)
        kernel = kernel * scale[:, None, None, None]
        bias = bias * scale + shift
    if isinstance(layer, nn.Conv1D):
        (_, _), (left, right) = resolve_padding(conv.padding, conv.kernel_size, conv.stride,
                                                (1, shape[1]))
        return g.op("Conv", x, g.const(kernel[:, :, 0, :].astype(np.float32), f"{layer.name}_W"),
                    g.const(bias.astype(np.float32), f"{layer.name}_b"),
                    kernel_shape=[conv.kernel_size[1]], strides=[conv.stride[1]],
                    pads=[left, right])
    (top, bottom), (left, right) = resolve_padding(conv.padding, conv.kernel_size, conv.stride,
                                                   shape[1:])
    return g.op("Conv", x, g.const(kernel.astype(np.float32), f"{layer.name}_W"),
                g.const(bias.astype(np.float32), f"{layer.name}_b"),
                kernel_shape=list(conv.kernel_size), strides=list(conv.stride),
                pads=[top, left, bottom, right])


def _batchnorm(g, x, layer, shape):
    scale, shift = _bn_affine(layer)
    tail = (1,) * (len(shape) - 1)                               # broadcast over axis 1
    return g.op("Add", g.op("Mul", x, g.const(scale.reshape(-1, *tail).astype(np.float32),
                                              f"{layer.name}_scale")),
                g.const(shift.reshape(-1, *tail).astype(np.float32), f"{layer.name}_shift"))


def _pool(g, x, layer, shape):
    inner = layer.pool if hasattr(layer, "pool") else layer
    op = "MaxPool" if isinstance(inner, nn.MaxPool2D) else "AveragePool"
    extra = {} if op == "MaxPool" else {"count_include_pad": 0}
    if inner is not layer:                                       # 1-D: (N, C, T)
        (_, _), (left, right) = resolve_padding(inner.padding, inner.pool_size, inner.stride,
                                                (1, shape[1]))
        return g.op(op, x, kernel_shape=[inner.pool_size[1]], strides=[inner.stride[1]],
                    pads=[left, right], **extra)
    (top, bottom), (left, right) = resolve_padding(inner.padding, inner.pool_size,
                                                   inner.stride, shape[1:])
    return g.op(op, x, kernel_shape=list(inner.pool_size), strides=list(inner.stride),
                pads=[top, left, bottom, right], **extra)


def _global_pool(g, x, layer, shape):
    op = "ReduceMean" if isinstance(layer, nn.GlobalAvgPool2D) else "ReduceMax"
    return g.op(op, x, axes=list(range(2, len(shape) + 1)), keepdims=0)


def _dense(g, x, layer, shape):
    kernel = _host(layer.params["kernel"].value).astype(np.float32)
    inputs = [x, g.const(kernel, f"{layer.name}_W")]
    if layer.use_bias:
        inputs.append(g.const(_host(layer.params["bias"].value).astype(np.float32),
                              f"{layer.name}_b"))
    return g.op("Gemm", *inputs)


#: tinymir's gate blocks in ONNX's order: LSTM [i, f, g, o] -> [i, o, f, c]; GRU [r, z, n] ->
#: [z, r, h].
LSTM_ORDER, GRU_ORDER = (0, 3, 1, 2), (1, 0, 2)


def _gates(matrix: np.ndarray, order, units: int) -> np.ndarray:
    """Reorder the gate blocks of the last axis (each ``units`` wide)."""
    return np.concatenate([matrix[..., k * units:(k + 1) * units] for k in order], axis=-1)


def _recurrent(g, x, layer, shape):
    units, lstm = layer.units, isinstance(layer, nn.LSTM)
    order = LSTM_ORDER if lstm else GRU_ORDER
    w = _gates(_host(layer.params["kernel"].value), order, units).T[None]     # (1, G, F)
    r = _gates(_host(layer.params["recurrent_kernel"].value), order, units).T[None]
    b = _gates(_host(layer.params["bias"].value), order, units)
    rb = (np.zeros_like(b) if lstm
          else _gates(_host(layer.params["recurrent_bias"].value), order, units))
    sequence = g.op("Transpose", x, perm=[1, 0, 2])            # (T, N, F): ONNX's layout 0
    inputs = [sequence, g.const(w.astype(np.float32), f"{layer.name}_W"),
              g.const(r.astype(np.float32), f"{layer.name}_R"),
              g.const(np.concatenate([b, rb])[None].astype(np.float32), f"{layer.name}_B")]
    extra = {} if lstm else {"linear_before_reset": 1}
    outputs = g.op_n("LSTM" if lstm else "GRU", inputs, 2, hidden_size=units, **extra)
    if layer.return_sequences:                                  # Y: (T, 1, N, U)
        return g.op("Transpose", g.op("Squeeze", outputs[0], g.ints([1], "axes_1")),
                    perm=[1, 0, 2])
    return g.op("Squeeze", outputs[1], g.ints([0], "axes_0"))  # Y_h: (1, N, U)


def _flatten(g, x, layer, shape):
    return g.op("Flatten", x, axis=1)


def _reshape(g, x, layer, shape):
    return g.op("Reshape", x, g.ints([-1, *layer.output_shape(shape)], "shape"))


def _permute(g, x, layer, shape):
    return g.op("Transpose", x, perm=[0, *layer.axes])


def _zero_pad(g, x, layer, shape):
    (top, bottom), (left, right) = layer.pads
    return g.op("Pad", x, g.ints([0, 0, top, left, 0, 0, bottom, right], "pads"),
                mode="constant")


def _identity(g, x, layer, shape):
    return x


def _activation(op, **attrs):
    def convert(g, x, layer, shape):
        """The ``op`` node of an activation layer applied to ``x``; returns its output's name.

        Parameters
        ----------
        g : Graph
            The ONNX graph being built.
        x : str
            Name of the input tensor in ``g``.
        layer : tinymir.nn layer
            The activation layer; its attributes named in ``attrs`` become the node's float
            attributes (e.g. ``alpha``).
        shape : tuple of int
            The input's shape without the batch axis (unused: an activation keeps it).
        """
        values = {name: float(getattr(layer, name)) for name in attrs}
        return g.op(op, x, **values)
    return convert


CONVERTERS = {
    nn.Conv2D: _conv, nn.Conv1D: _conv, nn.BatchNorm: _batchnorm,
    nn.MaxPool2D: _pool, nn.MaxPool1D: _pool, nn.AvgPool2D: _pool, nn.AvgPool1D: _pool,
    nn.GlobalAvgPool2D: _global_pool, nn.GlobalMaxPool2D: _global_pool,
    nn.Dense: _dense, nn.LSTM: _recurrent, nn.GRU: _recurrent,
    nn.Flatten: _flatten, nn.Reshape: _reshape, nn.Permute: _permute,
    nn.ZeroPad2D: _zero_pad, nn.Dropout: _identity,
    nn.ReLU: _activation("Relu"), nn.ELU: _activation("Elu", alpha=True),
    nn.LeakyReLU: _activation("LeakyRelu", alpha=True), nn.Sigmoid: _activation("Sigmoid"),
    nn.Tanh: _activation("Tanh"), nn.Softmax: _activation("Softmax"),
}
