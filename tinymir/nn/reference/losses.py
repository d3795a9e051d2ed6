"""The losses on logits z, each the mean over the batch, with their gradients.

SoftmaxCrossEntropy, one-hot (or soft) targets Y, class weights w_k (1 without):
    pₙ = softmax(zₙ),   L = (1/N) Σₙ wₙ · (−Σₖ Yₙₖ log pₙₖ),   wₙ = Σₖ Yₙₖ w_k
    dL/dzₙ = (wₙ / N)(pₙ − Yₙ)
BinaryCrossEntropy, targets y ∈ {0, 1}, positive weight π per label, over N·L elements:
    ℓ = −[π y log σ(z) + (1 − y) log(1 − σ(z))] = π y softplus(−z) + (1 − y) softplus(z)
    dℓ/dz = −π y (1 − σ(z)) + (1 − y) σ(z);   L = mean ℓ
MSE:  L = mean (z − y)²,   dL/dz = 2 (z − y) / size
"""
from __future__ import annotations

from tinymir import backend
from tinymir.nn import losses as fast


def softplus(z):
    """log(1 + eᶻ), as log(e⁰ + eᶻ) (no overflow)."""
    return backend.array_module(z).logaddexp(0.0, z)


class SoftmaxCrossEntropy(fast.SoftmaxCrossEntropy):
    def forward(self, logits, targets):
        xp = backend.array_module(logits)
        n, k = logits.shape
        targets = xp.asarray(targets)
        if targets.ndim == 1:                       # labels -> one-hot rows
            targets = (xp.arange(k)[None, :] == targets[:, None]).astype(logits.dtype)
        e = xp.exp(logits - logits.max(axis=1, keepdims=True))
        self.p = e / e.sum(axis=1, keepdims=True)
        self.y = targets.astype(logits.dtype)
        weights = (xp.ones(k, dtype=logits.dtype) if self.class_weights is None
                   else xp.asarray(self.class_weights, dtype=logits.dtype))
        self.w = self.y @ weights
        return (self.w * -(self.y * xp.log(self.p)).sum(axis=1)).sum() / n

    def backward(self):
        n = self.p.shape[0]
        return self.w[:, None] / n * (self.p - self.y)


class BinaryCrossEntropy(fast.BinaryCrossEntropy):
    def forward(self, logits, targets):
        xp = backend.array_module(logits)
        self.z, self.y = logits, xp.asarray(targets).astype(logits.dtype)
        self.pi = 1.0 if self.pos_weight is None else xp.asarray(self.pos_weight, logits.dtype)
        return (self.pi * self.y * softplus(-self.z) + (1.0 - self.y) * softplus(self.z)).mean()

    def backward(self):
        s = 1.0 / (1.0 + backend.array_module(self.z).exp(-self.z))
        return (-self.pi * self.y * (1.0 - s) + (1.0 - self.y) * s) / self.z.size


class MSE(fast.MSE):
    def forward(self, outputs, targets):
        xp = backend.array_module(outputs)
        self.z, self.y = outputs, xp.asarray(targets).astype(outputs.dtype)
        return ((self.z - self.y) ** 2).mean()

    def backward(self):
        return 2.0 * (self.z - self.y) / self.z.size
