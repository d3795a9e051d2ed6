"""The most representative input of a class: gradient ascent on the model's input, weights fixed.

In the model's standardised feature space (``x = (F - mean) / std`` per frequency row, the
statistics of the training tracks stored in the model file), for class ``c`` and a score
``s_c`` (the logit ``z_c``, or the log-probability: ``log softmax(z)_c`` for one label per
track, ``log sigmoid(z_c)`` for tags), each step maximises

    J(x) = s_c(roll(x, k)) - l2 * sum x^2 - tv_time * sum |x[:, t+1] - x[:, t]|
                                          - tv_freq * sum |x[f+1, :] - x[f, :]|

with ``k`` a random shift of at most ``jitter`` frames drawn anew at every step (a circular
shift along time: the input must score wherever it starts), by one Adam step on ``x``
(``tinymir.nn.Adam`` on a ``Param`` holding the input) followed by the projection onto the
bound ``|x| <= bound``: each value stays within ``bound`` training standard deviations of its
row's training mean, the range the model saw.

All classes are optimised together, one batch row per class (the model runs in inference mode,
so rows do not interact). ``dJ/dx`` comes from the model's own backward pass with
``input_grad=True``. The start is seeded noise (standard normal in the standardised space,
i.e. the training mean and spread of each row), silence (the features of a silent clip) or a
given track's first segment ("what would make this track more jazz?").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinymir import backend, nn

OBJECTIVES = ("logit", "logprob")
STARTS = ("noise", "silence")


@dataclass(frozen=True)
class Settings:
    """The optimisation's knobs (module docstring); the defaults are the CLI's."""
    objective: str = "logit"
    steps: int = 200
    lr: float = 0.05
    l2: float = 1e-3
    tv_time: float = 1e-2
    tv_freq: float = 1e-2
    jitter: int = 4
    bound: float = 3.0
    seed: int = 0

    def __post_init__(self):
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, "
                             f"got {self.objective!r}")
        numbers = {"lr": self.lr, "l2": self.l2, "tv_time": self.tv_time,
                   "tv_freq": self.tv_freq, "bound": self.bound}
        for name, value in numbers.items():
            if not np.isfinite(value):
                raise ValueError(f"--{name.replace('_', '-')} {value}: must be a finite number")
        if self.steps < 1 or self.lr <= 0 or self.bound <= 0 or self.jitter < 0:
            raise ValueError("need steps >= 1, lr > 0, bound > 0 and jitter >= 0")
        if min(self.l2, self.tv_time, self.tv_freq) < 0:
            raise ValueError("the regulariser weights l2, tv_time, tv_freq must be >= 0")


@dataclass
class Representative:
    """Optimised inputs ``x`` ``(classes, 1, bins, frames)`` (standardised), the score of each
    row's class after every step ``trajectory`` ``(steps, classes)`` and the final scores."""
    x: np.ndarray
    trajectory: np.ndarray
    scores: np.ndarray


def class_scores(logits, classes, objective: str = "logit", multilabel: bool = False):
    """``s[i] = score of class classes[i] in row i`` and ``ds/dlogits`` (module docstring).

    Parameters
    ----------
    logits : array
        ``(rows, n_classes)`` logits (NumPy or CuPy).
    classes : array of int
        The class scored in each row.
    objective : {"logit", "logprob"}, default "logit"
        The logit itself, or the log-probability.
    multilabel : bool, default False
        Log-probability of a tag (log sigmoid) instead of one label (log softmax).
    """
    xp = backend.array_module(logits)
    rows = xp.arange(logits.shape[0])
    classes = xp.asarray(classes)
    onehot = xp.zeros_like(logits)
    onehot[rows, classes] = 1
    z = logits[rows, classes]
    if objective == "logit":
        return z, onehot
    if multilabel:                                   # log sigmoid(z): d/dz = 1 - sigmoid(z)
        score = -xp.logaddexp(0, -z)
        return score, onehot * (1 - xp.exp(score))[:, None]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_norm = xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
    log_probs = shifted - log_norm
    return log_probs[rows, classes], onehot - xp.exp(log_probs)


def input_gradient(model, x, classes, objective: str = "logit", multilabel: bool = False):
    """Scores of ``x`` for ``classes`` (one per row) and their gradient with respect to ``x``
    (the model in inference mode; its parameter gradients are overwritten, never applied).

    Parameters
    ----------
    model : Sequential
        The trained model (built).
    x : array
        Standardised inputs ``(rows, 1, bins, frames)``.
    classes : array of int
        The class scored in each row.
    objective : {"logit", "logprob"}, default "logit"
        See :func:`class_scores`.
    multilabel : bool, default False
        See :func:`class_scores`.
    """
    logits = model.forward(x, training=False)
    score, grad = class_scores(logits, classes, objective, multilabel)
    return score, model.backward(grad, input_grad=True)


def penalty_gradient(x, settings: Settings):
    """``d/dx`` of ``l2 sum x^2 + tv_time sum |dx/dt| + tv_freq sum |dx/df|`` per row (the
    sums over one row's values; rows are independent)."""
    xp = backend.array_module(x)
    grad = (2 * settings.l2) * x
    for axis, weight in ((-1, settings.tv_time), (-2, settings.tv_freq)):
        if weight and x.shape[axis] > 1:
            sign = xp.sign(xp.diff(x, axis=axis)) * weight
            pad = [(0, 0)] * x.ndim
            pad[axis] = (1, 0)
            before = xp.pad(sign, pad)                           # d|x[t] - x[t-1]| / dx[t]
            pad[axis] = (0, 1)
            after = xp.pad(sign, pad)                            # d|x[t+1] - x[t]| / dx[t]
            grad += before - after
    return grad


def optimise(model, classes, start, settings: Settings = Settings(), multilabel: bool = False,
             on_step=None) -> Representative:
    """Gradient ascent on ``start`` ``(len(classes), 1, bins, frames)`` (module docstring).

    Parameters
    ----------
    model : Sequential
        The trained model (weights fixed).
    classes : array of int
        The class of each row of ``start``.
    start : array
        Standardised starting inputs ``(len(classes), 1, bins, frames)``.
    settings : Settings, default Settings()
        The optimisation's knobs (objective, steps, lr, penalties, jitter, bound, seed).
    multilabel : bool, default False
        The model's classes are tags (see :func:`class_scores`).
    on_step : callable or None, default None
        ``on_step(step)`` after every step (progress).
    """
    xp = backend.array_module(start)
    x = nn.Param(xp.clip(xp.array(start, dtype=backend.float_dtype()),
                         -settings.bound, settings.bound))
    optimizer = nn.Adam([("input", x)], lr=settings.lr)
    rng = np.random.default_rng(settings.seed)
    trajectory = []
    for step in range(settings.steps):
        shift = int(rng.integers(-settings.jitter, settings.jitter + 1)) if settings.jitter else 0
        score, grad = input_gradient(model, xp.roll(x.value, shift, axis=-1), classes,
                                     settings.objective, multilabel)
        trajectory.append(backend.to_host(score))
        x.grad = penalty_gradient(x.value, settings) - xp.roll(grad, -shift, axis=-1)
        optimizer.step()                                          # Adam descends -J
        xp.clip(x.value, -settings.bound, settings.bound, out=x.value)
        if on_step is not None:
            on_step(step)
    final, _ = class_scores(model.forward(x.value, training=False), classes,
                            settings.objective, multilabel)
    return Representative(backend.to_host(x.value), np.stack(trajectory), backend.to_host(final))


def starting_inputs(kind, n_classes: int, shape, silence=None, track=None, seed: int = 0):
    """``(n_classes, 1, bins, frames)`` starts on the device: ``"noise"`` (seeded standard
    normal), ``"silence"`` (``silence``, standardised features of a silent clip) or
    ``"track"`` (``track``, a standardised segment), repeated for every class.

    Parameters
    ----------
    kind : {"noise", "silence", "track"}
        Where to start.
    n_classes : int
        How many rows.
    shape : tuple of int
        One input's shape ``(1, bins, frames)``.
    silence : ndarray or None, default None
        The silent segment (for ``"silence"``).
    track : ndarray or None, default None
        The track's segment (for ``"track"``).
    seed : int, default 0
        Seed of the noise.
    """
    if kind == "noise":
        start = np.random.default_rng(seed).standard_normal((n_classes,) + tuple(shape))
    elif kind == "silence":
        start = np.broadcast_to(silence, (n_classes,) + tuple(shape))
    elif kind == "track":
        start = np.broadcast_to(track, (n_classes,) + tuple(shape))
    else:
        raise ValueError(f"start must be noise, silence or a track, got {kind!r}")
    return backend.to_device(np.array(start), backend.float_dtype())
