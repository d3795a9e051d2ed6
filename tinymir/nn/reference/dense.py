"""Dense, written as its sums.

    y[n, u] = Σ_f x[n, f] W[f, u] + b[u]
    dW[f, u] = Σ_n x[n, f] dy[n, u],   db[u] = Σ_n dy[n, u],   dx[n, f] = Σ_u dy[n, u] W[f, u]
"""
from __future__ import annotations

from tinymir import backend
from tinymir.nn import dense as fast


class Dense(fast.Dense):
    def _forward(self, x, training):
        xp = backend.array_module(x)
        self.x = x
        y = xp.einsum("nf,fu->nu", x, self.params["kernel"].value)
        if self.use_bias:
            y = y + self.params["bias"].value
        return y

    def _backward(self, dy):
        xp = backend.array_module(dy)
        self.params["kernel"].grad = xp.einsum("nf,nu->fu", self.x, dy)
        if self.use_bias:
            self.params["bias"].grad = dy.sum(axis=0)
        return xp.einsum("nu,fu->nf", dy, self.params["kernel"].value)
