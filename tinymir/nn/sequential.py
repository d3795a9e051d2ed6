"""A stack of layers applied in order, with the bookkeeping a training loop needs.

    model = Sequential([Conv2D(32, 3, padding="same"), ReLU(), MaxPool2D((2, 4), 2),
                        Flatten(), Dense(10)])
    model.build((1, 128, 130), seed=0)
    print(model.summary())
    logits = model.forward(x, training=True)
    model.backward(loss.backward(), input_grad=False)     # the input is data: no dL/dx

Forward is ``y = f_L(… f_2(f_1(x)))``; backward applies the chain rule in reverse,
``dx = J_1ᵀ(… J_Lᵀ dy)``, each layer filling its own parameter gradients on the way.

The passes may run the layers in another order that gives the same numbers (a ReLU before a
max pool runs after it): :meth:`Sequential.run_order`, from :mod:`tinymir.nn.kernels.fusion`.
``summary()`` shows the declared order; :class:`tinymir.nn.reference.Sequential` runs it.
"""
from __future__ import annotations

import numpy as np

from tinymir import backend

from .kernels import fusion
from .layer import LAYERS, Layer, ShapeError, as_generator


class StateDictError(ValueError):
    """A state dict that does not fit the model (missing, unexpected or mis-shaped entries)."""


class Sequential:
    """Layers in order, ``y = f_L(… f_1(x))``; ``build(input_shape, seed)`` names them and
    creates their weights (the passes run them in :meth:`run_order`)."""

    def __init__(self, layers, name: str | None = None):
        self.layers = list(layers)
        for layer in self.layers:
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential takes Layer objects, got {type(layer).__name__}")
        self.name = name or "sequential"
        self.input_shape = None
        self.seed = None
        self._passes = None            # the last forward's passes (kernels.fusion.passes)
        self._name_layers()

    def _name_layers(self):
        """Give layers that kept their default name a unique Keras-style one (``conv2d_2``)."""
        counts, taken = {}, set()
        for layer in self.layers:
            default = type(layer).__name__.lower()
            if layer.name == default:
                counts[default] = counts.get(default, 0) + 1
                layer.name = f"{default}_{counts[default]}"
            if layer.name in taken:
                raise ValueError(f"two layers are named {layer.name!r}")
            taken.add(layer.name)

    # -- shapes ---------------------------------------------------------------------------
    def build(self, input_shape, seed=0):
        """Create every layer's weights for ``input_shape`` (no batch axis), seeded."""
        rng = as_generator(seed)
        shape = tuple(input_shape)
        for index in self.run_order():          # each layer for the input it will be given
            self.layers[index].build(shape, rng)
            shape = self.layers[index].output_shape(shape)
        self.input_shape = tuple(input_shape)
        self.seed = seed if isinstance(seed, (int, np.integer)) else None
        return self

    @property
    def built(self) -> bool:
        return self.input_shape is not None

    def output_shape(self, input_shape=None):
        shape = tuple(input_shape or self.input_shape)
        for layer in self.layers:
            shape = layer.output_shape(shape)
        return shape

    def summary(self, input_shape=None) -> str:
        """A Keras-style table: layer (type), output shape, parameter count, and the total.

        An unbuilt model is built for ``input_shape`` first (seed 0)."""
        shape = tuple(input_shape or self.input_shape or ())
        if not shape:
            raise ValueError("summary() needs an input shape: build the model or pass one")
        if not self.built:
            self.build(shape)
        rows = [("Layer (type)", "Output Shape", "Param #")]
        total = 0
        for layer in self.layers:
            shape = layer.output_shape(shape)
            count = layer.num_params()
            total += count
            rows.append((f"{layer.name} ({type(layer).__name__})",
                         str((None,) + tuple(shape)), f"{count:,}"))
        widths = [max(len(r[i]) for r in rows) + 2 for i in range(3)]
        rule = "─" * sum(widths)
        lines = [f'Model: "{self.name}"', rule]
        for k, row in enumerate(rows):
            lines.append("".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
            lines.append("═" * sum(widths) if k == 0 else rule)
        lines.append(f"Total params: {total:,}")
        return "\n".join(lines)

    # -- passes ---------------------------------------------------------------------------
    def run_order(self) -> list[int]:
        """The indices of the layers in the order the passes run them: as declared, with a
        ReLU directly before a max pool moved after it (:mod:`tinymir.nn.kernels.fusion`)."""
        return fusion.relu_after_pool(self.layers)

    def forward(self, x, training: bool = False, keep_for_backward: bool = True):
        """The layers' forward passes in :meth:`run_order`; ``keep_for_backward=False`` for
        inference (see :meth:`tinymir.nn.Layer.forward`)."""
        if not self.built:
            self.build(x.shape[1:])
        self._passes = fusion.passes(self.layers, self.run_order(),
                                     backend.array_module(x) is np)
        for group in self._passes:     # a layer, or a convolution straight into its max pool
            x = fusion.forward_pass(self.layers, group, x, training, keep_for_backward)
        return x

    def backward(self, grad, input_grad: bool = True):
        """dL/d(input) from dL/d(output), filling every parameter gradient on the way.

        A training step passes ``input_grad=False``: its input is data, so the first layer
        skips ``dx`` (for a first convolution that is a product as large as its forward pass)
        and ``None`` is returned."""
        groups = self._passes or [(index,) for index in self.run_order()]
        for position in range(len(groups) - 1, -1, -1):
            grad = fusion.backward_pass(self.layers, groups[position], grad,
                                        input_grad or position > 0)
        return grad

    def predict(self, x, batch_size: int = 256) -> np.ndarray:
        """Inference on ``x`` (host or device array) in batches; returns a host array."""
        outputs = []
        for start in range(0, len(x), batch_size):
            batch = backend.to_device(x[start:start + batch_size], backend.float_dtype())
            outputs.append(backend.to_host(self.forward(batch, keep_for_backward=False)))
        return np.concatenate(outputs) if outputs else np.empty((0,) + self.output_shape())

    # -- parameters and state -------------------------------------------------------------
    def parameters(self):
        """``[(qualified_name, Param)]`` in layer order, e.g. ``("conv2d_1.kernel", p)``."""
        return [(f"{layer.name}.{name}", p) for layer in self.layers
                for name, p in layer.params.items()]

    def buffers(self) -> dict:
        return {f"{layer.name}.{name}": b for layer in self.layers
                for name, b in layer.buffers.items()}

    def penalty(self) -> float:
        """Σ over layers of ``λ Σ w²`` (add it to the data loss you report)."""
        return sum(layer.penalty() for layer in self.layers)

    def num_params(self) -> int:
        return sum(layer.num_params() for layer in self.layers)

    def state_dict(self) -> dict:
        """Every parameter and buffer by qualified name, as host NumPy arrays (copies)."""
        state = {name: backend.to_host(p.value).copy() for name, p in self.parameters()}
        state.update({name: backend.to_host(b).copy() for name, b in self.buffers().items()})
        return state

    def load_state_dict(self, state: dict) -> None:
        """Copy values into the model (in place); every entry must exist with its shape."""
        targets = {name: p.value for name, p in self.parameters()}
        targets.update(self.buffers())
        missing = sorted(set(targets) - set(state))
        unexpected = sorted(set(state) - set(targets))
        if missing or unexpected:
            raise StateDictError(f"state does not fit model {self.name!r}: "
                                 f"missing {missing or 'nothing'}, "
                                 f"unexpected {unexpected or 'nothing'}")
        for name, target in targets.items():
            value = backend.as_array_like(state[name], target)     # host or device state
            if value.shape != target.shape:
                raise StateDictError(f"{name}: the model has shape {tuple(target.shape)}, "
                                     f"the state has {value.shape}")
            target[...] = value

    # -- config ---------------------------------------------------------------------------
    def get_config(self) -> dict:
        return {"name": self.name,
                "input_shape": None if self.input_shape is None else list(self.input_shape),
                "seed": self.seed,
                "layers": [{"class": type(layer).__name__, "config": layer.get_config()}
                           for layer in self.layers]}

    @classmethod
    def from_config(cls, config: dict) -> "Sequential":
        """Rebuild a model from :meth:`get_config` (built if the config has an input shape)."""
        layers = []
        for entry in config["layers"]:
            if entry["class"] not in LAYERS:
                raise ValueError(f"unknown layer class {entry['class']!r}")
            layers.append(LAYERS[entry["class"]](**entry["config"]))
        model = cls(layers, name=config.get("name"))
        if config.get("input_shape") is not None:
            model.build(tuple(config["input_shape"]), seed=config.get("seed") or 0)
        return model

    def __repr__(self):
        return f"Sequential({self.layers!r}, name={self.name!r})"


__all__ = ["Sequential", "StateDictError", "ShapeError"]
