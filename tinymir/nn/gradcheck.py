"""Gradient checks: the proof that every backward pass is right.

For a model f with parameters θ, take a fixed random projection G of its output and the
scalar L = Σ G ⊙ f(x; θ) + penalty(θ) (the L2 terms), so dL/df = G. Backward gives the
analytic dL/dx and dL/dθ. Each is
compared with central differences in float64,

    ∂L/∂u ≈ (L(u + ε) − L(u − ε)) / 2ε       for every element u of x and of every θ,

and the relative error of a tensor is  ‖analytic − numeric‖₂ / max(‖analytic‖₂ + ‖numeric‖₂, 1e-12).
Buffers (BatchNorm running statistics, Dropout's mask counter) are restored before every
forward, so a training-mode forward sees the same batch statistics and the same dropout mask
each time. Losses are checked the same way with L = loss(z, targets).

:data:`CASES` are small ready-made checks (used by ``tinymir gradcheck`` and the tests).

:func:`compare_twins` runs a fast layer (or model, or loss) and its plain twin from
:mod:`tinymir.nn.reference` on the same input, weights and output gradient, and reports per
tensor (output, dL/dx, every parameter gradient, every buffer after the pass) how far apart
they are (``tinymir gradcheck --reference``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinymir import backend

from . import reference
from .activations import ELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .batchnorm import BatchNorm
from .conv import Conv1D, Conv2D
from .dense import Dense
from .dropout import Dropout
from .losses import MSE, BinaryCrossEntropy, SoftmaxCrossEntropy
from .pooling import AvgPool1D, AvgPool2D, GlobalAvgPool2D, GlobalMaxPool2D, MaxPool1D, MaxPool2D
from .recurrent import GRU, LSTM
from .reshape import Flatten, Permute, Reshape, ZeroPad2D
from .sequential import Sequential


@dataclass
class TensorCheck:
    """One row of a gradient-check report."""
    name: str
    shape: tuple
    relative_error: float
    max_abs_error: float


def _named_params(model):
    if hasattr(model, "parameters"):
        return model.parameters()
    return list(model.params.items())


def _buffers(model) -> dict:
    return model.buffers() if callable(getattr(model, "buffers", None)) else model.buffers


def _relative(analytic, numeric):
    diff = float(np.linalg.norm(analytic - numeric))
    scale = max(float(np.linalg.norm(analytic)) + float(np.linalg.norm(numeric)), 1e-12)
    return diff / scale, float(np.abs(analytic - numeric).max(initial=0.0))


def _numeric_gradient(evaluate, array, eps):
    """Central differences of the scalar ``evaluate()`` w.r.t. every element of ``array``
    (perturbed in place and restored)."""
    grad = np.zeros(array.shape)
    flat_index = np.ndindex(*array.shape)
    for index in flat_index:
        original = array[index].item()
        array[index] = original + eps
        plus = evaluate()
        array[index] = original - eps
        minus = evaluate()
        array[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def _check_float64(x, params):
    if x.dtype != np.float64 or any(p.value.dtype != np.float64 for _, p in params):
        raise ValueError("gradient checks need float64 inputs and parameters: build the model "
                         "inside `with backend.default_dtype(np.float64):`")


def check_model(model, x, training: bool = False, eps: float = 1e-6, seed: int = 0):
    """Check dL/dx and every dL/dθ of a layer or Sequential at ``x``; returns TensorChecks.

    Each gradient is compared with central differences (L(θ + ε) − L(θ − ε)) / 2ε of the loss
    L = Σ y ⊙ P + the L2 penalty, P a fixed random projection of the output.

    Parameters
    ----------
    model : Layer or Sequential
        What to check; built on the first pass if it is not built.
    x : array, float64
        The input (with its batch axis).
    training : bool, default False
        Run the passes in training mode (batch statistics, dropout masks).
    eps : float, default 1e-6
        Step ε of the central differences.
    seed : int, default 0
        Seed of the projection P.
    """
    xp = backend.array_module(x)
    model.forward(x, training)                       # builds lazily
    params = _named_params(model)
    _check_float64(x, params)
    saved = {name: b.copy() for name, b in _buffers(model).items()}

    def restore():
        for name, b in _buffers(model).items():
            b[...] = saved[name]

    restore()
    projection = xp.asarray(np.random.default_rng(seed + 1).standard_normal(
        backend.to_host(model.forward(x, training)).shape))

    def evaluate():
        restore()
        return float((model.forward(x, training) * projection).sum()) + model.penalty()

    restore()
    model.forward(x, training)
    grad_x = backend.to_host(model.backward(projection))
    analytic = {"input": grad_x}
    analytic.update({name: backend.to_host(p.grad).copy() for name, p in params})
    targets = [("input", x)] + [(name, p.value) for name, p in params]
    report = []
    for name, array in targets:
        numeric = backend.to_host(_numeric_gradient(evaluate, array, eps))
        rel, max_abs = _relative(analytic[name], numeric)
        report.append(TensorCheck(name, tuple(array.shape), rel, max_abs))
    restore()
    return report


def check_loss(loss, logits, targets, eps: float = 1e-6):
    """Check ``loss.backward()`` against central differences of ``loss.forward``:
    dL/dz ≈ (L(z + ε) − L(z − ε)) / 2ε for every logit z.

    Parameters
    ----------
    loss : loss object
        A loss of :mod:`tinymir.nn.losses` (or its twin).
    logits : array, float64
        The logits z.
    targets : array
        The targets the loss takes (class indices or 0/1 labels or values).
    eps : float, default 1e-6
        Step ε of the central differences.
    """
    if logits.dtype != np.float64:
        raise ValueError("gradient checks need float64 logits")

    def evaluate():
        return float(loss.forward(logits, targets))

    evaluate()
    analytic = backend.to_host(loss.backward())
    numeric = _numeric_gradient(evaluate, logits, eps)
    rel, max_abs = _relative(analytic, numeric)
    return [TensorCheck("logits", tuple(logits.shape), rel, max_abs)]


def format_report(title: str, report) -> str:
    """The table ``tinymir gradcheck`` prints: tensor, shape, relative and max abs error."""
    lines = [title, f"  {'tensor':<28}{'shape':<18}{'rel. error':>12}{'max |diff|':>13}"]
    for row in report:
        lines.append(f"  {row.name:<28}{str(row.shape):<18}{row.relative_error:>12.2e}"
                     f"{row.max_abs_error:>13.2e}")
    return "\n".join(lines)


# --- ready-made checks ------------------------------------------------------------------
@dataclass
class Case:
    """A small gradient check: a model factory, the input shape (with batch), the mode."""
    build: object
    input_shape: tuple
    training: bool = False
    description: str = ""


CASES: dict[str, Case] = {
    "dense": Case(lambda: Dense(4, l2=0.01), (3, 5), description="Dense 5->4 with L2"),
    "conv2d": Case(lambda: Conv2D(3, 3, padding="same"), (2, 2, 5, 6),
                   description="3x3 conv, 'same' padding"),
    "conv2d_stride": Case(lambda: Conv2D(2, (3, 2), stride=(2, 3), padding=1), (2, 2, 7, 8),
                          description="3x2 conv, stride (2,3), padding 1"),
    "conv2d_full_correlation": Case(lambda: Conv2D(2, (3, 2), padding=(1, 0)), (2, 3, 5, 6),
                                    description="stride 1, filters <= channels: dx by full "
                                                "correlation"),
    "conv2d_one_column_kernel": Case(lambda: Conv2D(3, (2, 1), padding=(1, 0)), (2, 2, 4, 5),
                                     description="2x1 kernel, stride 1: the grid has no "
                                                 "garbage columns"),
    "conv1d": Case(lambda: Conv1D(3, 3, stride=2, padding="same"), (2, 4, 9),
                   description="conv along time, stride 2"),
    "conv1d_stride1": Case(lambda: Conv1D(5, 3, padding="same"), (2, 2, 7),
                           description="conv along time, stride 1, filters > channels"),
    "maxpool2d": Case(lambda: MaxPool2D((2, 4), stride=2), (2, 2, 6, 10),
                      description="MaxPool (2,4) stride 2: overlapping windows"),
    "maxpool2d_same": Case(lambda: MaxPool2D(3, stride=2, padding="same"), (2, 2, 5, 6),
                           description="MaxPool 3 stride 2, 'same'"),
    "maxpool2d_columns_first": Case(lambda: MaxPool2D((3, 2), stride=(2, 1)), (2, 2, 7, 5),
                                    description="MaxPool (3,2) stride (2,1): W pooled first"),
    "maxpool2d_gaps": Case(lambda: MaxPool2D(2, stride=3), (2, 2, 7, 8),
                           description="MaxPool 2 stride 3: cells between windows get no gradient"),
    "maxpool1d": Case(lambda: MaxPool1D(3, stride=2), (2, 3, 9),
                      description="max over 3 steps, stride 2"),
    "avgpool2d": Case(lambda: AvgPool2D((2, 3), stride=(1, 2), padding="same"), (2, 2, 5, 7),
                      description="mean over (2,3), stride (1,2), 'same'"),
    "avgpool1d": Case(lambda: AvgPool1D(2), (2, 3, 8), description="mean over pairs of steps"),
    "globalavgpool2d": Case(lambda: GlobalAvgPool2D(), (2, 3, 4, 5),
                            description="mean per channel"),
    "globalmaxpool2d": Case(lambda: GlobalMaxPool2D(), (2, 3, 4, 5), description="max per channel"),
    "batchnorm_train_conv": Case(lambda: BatchNorm(), (4, 3, 3, 4), training=True,
                                 description="BatchNorm on (N,C,H,W), batch statistics"),
    "batchnorm_train_dense": Case(lambda: BatchNorm(), (5, 4), training=True,
                                  description="BatchNorm on (N,F), batch statistics"),
    "batchnorm_inference": Case(lambda: BatchNorm(), (4, 3, 5),
                                description="BatchNorm on (N,C,T), running statistics"),
    "dropout": Case(lambda: Dropout(0.4, seed=3), (4, 6), training=True,
                    description="inverted dropout, mask fixed by its seed"),
    "flatten": Case(lambda: Flatten(), (2, 2, 3, 4), description="(2,3,4) -> 24"),
    "reshape": Case(lambda: Reshape((3, -1)), (2, 2, 3, 4), description="(2,3,4) -> (3,8)"),
    "permute": Case(lambda: Permute((2, 1)), (2, 3, 5), description="(C,T) -> (T,C)"),
    "zeropad2d": Case(lambda: ZeroPad2D(((1, 2), (0, 3))), (2, 2, 3, 3),
                      description="zeros: 1 above, 2 below, 3 right"),
    "relu": Case(lambda: ReLU(), (3, 7), description="max(x, 0)"),
    "elu": Case(lambda: ELU(0.7), (3, 7), description="x, or 0.7(e^x - 1) below 0"),
    "leakyrelu": Case(lambda: LeakyReLU(0.2), (3, 7), description="x, or 0.2x below 0"),
    "sigmoid": Case(lambda: Sigmoid(), (3, 7), description="1 / (1 + e^-x)"),
    "tanh": Case(lambda: Tanh(), (3, 7), description="tanh x"),
    "softmax": Case(lambda: Softmax(), (3, 7), description="softmax over the last axis"),
    "lstm": Case(lambda: LSTM(4, return_sequences=True), (2, 5, 3),
                 description="LSTM, 5 steps, every hidden state"),
    "gru": Case(lambda: GRU(4, return_sequences=True), (2, 5, 3),
                description="GRU, 5 steps, every hidden state"),
    "conv_bn_relu_pool": Case(lambda: Sequential([
        Conv2D(3, 3, padding="same", l2=0.01, use_bias=False), BatchNorm(), ReLU(),
        MaxPool2D((2, 4), stride=2), Flatten(), Dropout(0.3, seed=1), Dense(3)]),
        (3, 1, 6, 10), training=True,
        description="conv -> BN -> ReLU -> MaxPool(2,4)/2 -> dropout -> dense, training"),
    "lstm_head": Case(lambda: Sequential([
        LSTM(4, return_sequences=True), LSTM(3, dropout=0.2, seed=2), Dense(2)]),
        (2, 6, 3), training=True, description="stacked LSTM (6 steps) -> dense"),
    "gru_head": Case(lambda: Sequential([GRU(4), Dense(2)]), (2, 6, 3),
                     description="GRU (6 steps) -> dense"),
}


@dataclass
class LossCase:
    """A loss with logits of ``shape`` and targets drawn by ``targets(rng, shape)``."""
    build: object
    shape: tuple
    targets: object
    description: str = ""


def _labels(rng, shape):
    return rng.integers(0, shape[1], size=shape[0])


def _binary(rng, shape):
    return (rng.random(shape) < 0.4).astype(np.float64)


LOSS_CASES: dict[str, LossCase] = {
    "softmax_ce": LossCase(lambda: SoftmaxCrossEntropy(), (4, 5), _labels, "integer labels"),
    "softmax_ce_weighted": LossCase(lambda: SoftmaxCrossEntropy(class_weights=[1, 2, .5, 1, 3]),
                                    (4, 5), _labels, "class-weighted"),
    "softmax_ce_soft_targets": LossCase(
        lambda: SoftmaxCrossEntropy(), (4, 5),
        lambda rng, shape: rng.dirichlet(np.ones(shape[1]), shape[0]), "class probabilities"),
    "bce": LossCase(lambda: BinaryCrossEntropy(), (4, 3), _binary, "multi-label {0,1} targets"),
    "bce_pos_weight": LossCase(lambda: BinaryCrossEntropy(pos_weight=[2.0, 0.5, 4.0]), (4, 3),
                               _binary, "per-label positive weights"),
    "mse": LossCase(lambda: MSE(), (4, 3), lambda rng, shape: rng.standard_normal(shape),
                    "mean squared error"),
}


def compare_twins(model, x, training: bool = False, seed: int = 0):
    """Fast ``model`` (built) against ``reference.twin(model)`` on ``x``: TensorChecks of
    the output, dL/dx, each dL/dθ and each buffer after the pass (the twin gets a copy of the
    buffers as they are before the pass).

    Parameters
    ----------
    model : Layer or Sequential
        The fast model, built.
    x : array
        The input (with its batch axis).
    training : bool, default False
        Run the passes in training mode.
    seed : int, default 0
        Seed of the random projection of the output that backward starts from.
    """
    xp = backend.array_module(x)
    slow = reference.twin(model)
    fast_y = model.forward(x, training)
    slow_y = slow.forward(x, training)
    projection = xp.asarray(np.random.default_rng(seed + 1).standard_normal(fast_y.shape),
                            dtype=fast_y.dtype)
    pairs = [("output", fast_y, slow_y),
             ("input", model.backward(projection), slow.backward(projection))]
    slow_params = dict(_named_params(slow))
    pairs += [(name, p.grad, slow_params[name].grad) for name, p in _named_params(model)]
    slow_buffers = _buffers(slow)
    pairs += [(name, b, slow_buffers[name]) for name, b in _buffers(model).items()]
    return _differences(pairs)


def compare_loss_twins(loss, logits, targets):
    """A fast loss against its reference twin: the loss value and dL/dz."""
    slow = reference.twin(loss)
    return _differences([("loss", loss.forward(logits, targets), slow.forward(logits, targets)),
                         ("logits", loss.backward(), slow.backward())])


def _differences(pairs) -> list:
    """TensorChecks of ``(name, fast, twin)`` triples (arrays on the device or the host)."""
    report = []
    for name, a, b in pairs:
        a = np.asarray(backend.to_host(a), np.float64)
        b = np.asarray(backend.to_host(b), np.float64)
        rel, max_abs = _relative(a, b)
        report.append(TensorCheck(name, tuple(a.shape), rel, max_abs))
    return report


def build_case(name: str, seed: int = 0):
    """Case ``name`` of CASES built in float64 on the device: (model, x, training)."""
    rng = np.random.default_rng(seed)
    case = CASES[name]
    with backend.default_dtype(np.float64):
        model = case.build()
        x = backend.to_device(rng.standard_normal(case.input_shape), np.float64)
        if hasattr(model, "layers"):
            model.build(case.input_shape[1:], seed=seed)
        else:
            model.build(case.input_shape[1:], rng)
    return model, x, case.training


def build_loss_case(name: str, seed: int = 0):
    """Loss case ``name`` of LOSS_CASES: (loss, logits, targets) in float64 on the device."""
    rng = np.random.default_rng(seed)
    case = LOSS_CASES[name]
    logits = backend.to_device(3 * rng.standard_normal(case.shape), np.float64)
    targets = backend.to_device(np.asarray(case.targets(rng, case.shape)))
    return case.build(), logits, targets


def run_reference_case(name: str, seed: int = 0):
    """Case ``name`` (from CASES or LOSS_CASES): fast against reference twin."""
    if name in LOSS_CASES:
        return compare_loss_twins(*build_loss_case(name, seed))
    return compare_twins(*build_case(name, seed), seed=seed)


def run_case(name: str, seed: int = 0):
    """Build check ``name`` (from CASES or LOSS_CASES) in float64 on the device and run it."""
    if name in LOSS_CASES:
        return check_loss(*build_loss_case(name, seed))
    if name not in CASES:
        raise KeyError(f"no gradient check named {name!r}; known: "
                       f"{', '.join(list(CASES) + list(LOSS_CASES))}")
    model, x, training = build_case(name, seed)
    return check_model(model, x, training=training, seed=seed)


#: What ``tinymir gradcheck`` accepts: the worst relative error against finite differences,
#: and the largest difference between a fast layer and its reference twin (both in float64).
TOLERANCE = 1e-6
TWIN_TOLERANCE = 1e-10


@dataclass
class CaseResult:
    """One named check: its report, its worst row and whether that is within tolerance."""
    name: str
    description: str
    report: list
    worst: float
    tolerance: float

    @property
    def ok(self) -> bool:
        return self.worst <= self.tolerance


def case_descriptions() -> dict[str, str]:
    """Every named check (layers, then losses) with its one-line description."""
    return {**{k: c.description for k, c in CASES.items()},
            **{k: c.description for k, c in LOSS_CASES.items()}}


def check_cases(names, reference: bool = False, seed: int = 0):
    """A :class:`CaseResult` for each check in ``names``, in order: against finite differences
    (worst relative error), or with ``reference`` against its plain twin (largest absolute
    difference). An unknown name raises ``KeyError`` before anything runs."""
    described = case_descriptions()
    unknown = [name for name in names if name not in described]
    if unknown:
        raise KeyError(f"no gradient check named {unknown[0]!r}; `tinymir gradcheck --list` "
                       f"shows the {len(described)} there are")
    for name in names:
        if reference:
            report = run_reference_case(name, seed=seed)
            worst, tolerance = max(row.max_abs_error for row in report), TWIN_TOLERANCE
        else:
            report = run_case(name, seed=seed)
            worst, tolerance = max(row.relative_error for row in report), TOLERANCE
        yield CaseResult(name, described[name], report, worst, tolerance)
