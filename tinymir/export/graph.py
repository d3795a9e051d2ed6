"""A small builder of ONNX graphs: constants and nodes by name, one output per call.

    g = Graph()
    y = g.op("MatMul", x, g.const(basis, "dft_basis"))       # returns the output's name
    z = g.op("ReduceMax", y, axes=[1, 2], keepdims=1)        # attributes as keywords

Only this module and :mod:`tinymir.export` touch the ``onnx`` package, and only when an export
runs, so ``import tinymir`` never imports it.
"""
from __future__ import annotations

import numpy as np


class Graph:
    """Nodes and initializers of one graph, with unique names."""

    def __init__(self):
        from onnx import helper, numpy_helper
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.initializers = [], []
        self.names: set[str] = set()
        self._ints: dict = {}

    def name(self, base: str) -> str:
        """``base``, or ``base_2``, ``base_3``, ... when taken."""
        name, k = base, 1
        while name in self.names:
            k += 1
            name = f"{base}_{k}"
        self.names.add(name)
        return name

    def const(self, value, base: str = "const", dtype=None) -> str:
        """A constant tensor (an initializer) holding ``value``."""
        array = np.asarray(value, dtype=dtype)
        name = self.name(base)
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def ints(self, values, base: str = "ints") -> str:
        """An int64 constant (shapes, axes, indices), one initializer per distinct value."""
        array = np.asarray(values, dtype=np.int64)
        key = (array.shape, array.tobytes())
        if key not in self._ints:
            self._ints[key] = self.const(array, base)
        return self._ints[key]

    def op(self, op_type: str, *inputs: str, out: str | None = None, **attrs) -> str:
        """Add one node; returns the name of its single output (``out`` or a fresh one).

        Parameters
        ----------
        op_type : str
            The ONNX operator (``"MatMul"``, ``"Gather"`` ...).
        *inputs : str
            Names of its inputs, in order.
        out : str or None, default None
            Name of the output (``None``: a fresh name from ``op_type``).
        **attrs
            The operator's attributes (``axis=0`` ...).
        """
        return self.op_n(op_type, inputs, 1, out=out, **attrs)[0]

    def op_n(self, op_type: str, inputs, n_outputs: int, out: str | None = None,
             **attrs) -> list[str]:
        """Add one node with ``n_outputs`` outputs (``""`` skips an optional input).

        Parameters
        ----------
        op_type : str
            The ONNX operator (``"TopK"`` ...).
        inputs : sequence of str
            Names of its inputs, in order (``""`` for a skipped optional input).
        n_outputs : int
            Number of outputs.
        out : str or None, default None
            Name of the output when there is one (``None``: fresh names from ``op_type``).
        **attrs
            The operator's attributes.
        """
        base = out or op_type.lower()
        outputs = [out] if out and n_outputs == 1 else [self.name(base)
                                                       for _ in range(n_outputs)]
        if out:
            self.names.add(out)
        node_name = self.name(f"{op_type}_node")
        self.nodes.append(self.helper.make_node(op_type, list(inputs), outputs,
                                                name=node_name, **attrs))
        return outputs
