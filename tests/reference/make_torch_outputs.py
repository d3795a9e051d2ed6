"""PyTorch's outputs for every tinymir layer, loss and optimiser, stored for the tests.

Regenerate (needs torch; the files were written with torch 2.13.0, CPU build)::

    pip install torch==2.13.0
    python tests/reference/make_torch_outputs.py

It writes ``torch_layers.npz``, ``torch_losses.npz`` and ``torch_optimizers.npz`` beside this
script; ``tests/test_torch_reference.py`` compares tinymir with them in float64 to 1e-10 on
every run, without torch. Everything here is PyTorch on the CPU in float64 on small inputs
drawn from fixed seeds; nothing is imported from tinymir, so the files are an outside check.

Every array is stored in tinymir's layout and convention; the mapping to PyTorch is done here:

* Conv2D / Conv1D: kernel (F, C, kh, kw), as torch's (Conv1D: (F, C, 1, k), torch's (F, C, k)).
  "same" is Keras' rule (output ceil(n / s), the odd row at the bottom/right), which torch
  has not for strides > 1 or even kernels: the input is padded first (``F.pad``).
* MaxPool "same": padded with −inf first; AvgPool "same" does not count the padding: the pool
  of the zero-padded input divided by the pool of the zero-padded ones.
* Dense: kernel (in, units) = torch's ``weight.T``; ``l2`` adds ``l2 Σ W²`` to the loss.
* BatchNorm: tinymir's (Keras') momentum m is torch's 1 − m. torch keeps the unbiased batch
  variance in ``running_var``, tinymir the biased one; the stored running variance is torch's
  update with the batch variance recovered from it and scaled by (M − 1) / M.
* LSTM / GRU: kernel (F, gU) = ``weight_ih.T``, recurrent_kernel (U, gU) = ``weight_hh.T``,
  the same gate order (i, f, g, o and r, z, n, GRU "reset after" as torch's). The LSTM's one
  bias is torch's ``bias_ih + bias_hh`` (split at random here, both get the same gradient); the
  GRU's ``recurrent_bias`` is ``bias_hh``. tinymir has no Bidirectional layer: the
  "bidirectional" cases hold torch's ``bidirectional=True`` output, which the test rebuilds from
  two tinymir layers, the second reading the sequence backwards.
* SoftmaxCrossEntropy with class weights divides by N (Keras), torch by Σ wₙ: computed here
  with ``reduction="none"`` and divided by N.
* Adam / AdamW: tinymir uses Keras' ε-hat form ``m / (√v + ε) · √(1 − β₂ᵗ)/(1 − β₁ᵗ)``, torch
  ``m / (√v / √(1 − β₂ᵗ) + ε) / (1 − β₁ᵗ)``: equal when torch's ε is ε / √(1 − β₂ᵗ), set before
  each step. SGD's Keras time decay is a ``LambdaLR`` (without momentum, where they agree).
  torch's SGD/Adam ``weight_decay`` adds wd · w to the gradient, which is tinymir's ``l2`` on
  that kernel with l2 = wd / 2 (used without clipping: torch adds it after clipping).
* clip_grad_norm: tinymir scales by min(1, c / (‖g‖ + 1e−12)), torch by min(1, c / (‖g‖ + 1e−6)):
  torch's max_norm is set to c (‖g‖ + 1e−6) / (‖g‖ + 1e−12) each step.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.func import functional_call

HERE = Path(__file__).resolve().parent
DTYPE = torch.float64
INF = float("inf")


def _t(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=DTYPE, requires_grad=grad)


def _np(t):
    return t.detach().numpy().copy()


def _same(size, k, s):
    """Keras' "same": (before, after) for one axis."""
    total = max((math.ceil(size / s) - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def _pads2d(spec, kernel, stride, hw):
    """((top, bottom), (left, right)) for "valid", "same", an int or a pair."""
    if spec == "valid":
        return (0, 0), (0, 0)
    if spec == "same":
        return tuple(_same(n, k, s) for n, k, s in zip(hw, kernel, stride))
    rows, cols = (spec, spec) if isinstance(spec, int) else spec
    return (rows, rows), (cols, cols)


def _pad(x, pads, value=0.0):
    (top, bottom), (left, right) = pads
    return F.pad(x, (left, right, top, bottom), value=value)


# -- layers -------------------------------------------------------------------------------

def _pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def conv2d(cfg):
    k, s = _pair(cfg["kernel_size"]), _pair(cfg.get("stride", 1))

    def run(x, p):
        pads = _pads2d(cfg.get("padding", "valid"), k, s, x.shape[2:])
        return F.conv2d(_pad(x, pads), p["kernel"], p.get("bias"), stride=s)
    return run


def conv1d(cfg):
    k, s = cfg["kernel_size"], cfg.get("stride", 1)

    def run(x, p):
        padding = cfg.get("padding", "valid")
        pads = {"valid": (0, 0), "same": _same(x.shape[2], k, s)}.get(padding, (padding,) * 2)
        return F.conv1d(F.pad(x, pads), p["kernel"][:, :, 0, :], p.get("bias"), stride=s)
    return run


def _pool_geometry(cfg, hw):
    k = _pair(cfg["pool_size"])
    s = _pair(cfg["stride"]) if cfg.get("stride") is not None else k
    return k, s, _pads2d(cfg.get("padding", "valid"), k, s, hw)


def maxpool2d(cfg):
    def run(x, p):
        k, s, pads = _pool_geometry(cfg, x.shape[2:])
        return F.max_pool2d(_pad(x, pads, -INF), k, s)
    return run


def avgpool2d(cfg):
    def run(x, p):
        k, s, pads = _pool_geometry(cfg, x.shape[2:])
        counts = F.avg_pool2d(_pad(torch.ones_like(x[:1, :1]), pads), k, s)
        return F.avg_pool2d(_pad(x, pads), k, s) / counts
    return run


def pool1d(pool2d):
    """A 1-D pool on (N, C, T) as the 2-D one on (N, C, 1, T)."""
    def make(cfg):
        cfg2 = {"pool_size": [1, cfg["pool_size"]], "padding": cfg.get("padding", "valid"),
                "stride": None if cfg.get("stride") is None else [1, cfg["stride"]]}
        inner = pool2d(cfg2)
        return lambda x, p: inner(x[:, :, None, :], p)[:, :, 0, :]
    return make


def batchnorm(cfg):
    momentum, eps = cfg.get("momentum", 0.99), cfg.get("eps", 1e-3)

    def run(x, p, buffers, training):
        return F.batch_norm(x, buffers["running_mean"], buffers["running_var"], p["gamma"],
                            p["beta"], training=training, momentum=1.0 - momentum, eps=eps)
    return run


def dense(cfg):
    def run(x, p):
        y = x @ p["kernel"] + (p["bias"] if "bias" in p else 0.0)
        return y, cfg.get("l2", 0.0) * (p["kernel"] ** 2).sum()
    return run


def _recurrent(kind, units, features, bidirectional=False):
    module = getattr(torch.nn, kind)(features, units, batch_first=True,
                                     bidirectional=bidirectional).to(DTYPE)
    return module


def _torch_weights(kind, p, suffix, rng):
    """tinymir's parameters -> torch's, for direction ``suffix`` ("" or "_reverse")."""
    weights = {f"weight_ih_l0{suffix}": p["kernel"].T,
               f"weight_hh_l0{suffix}": p["recurrent_kernel"].T}
    if kind == "LSTM":
        share = _t(rng.standard_normal(p["bias"].shape))          # bias = bias_ih + bias_hh
        weights[f"bias_ih_l0{suffix}"] = p["bias"] - share
        weights[f"bias_hh_l0{suffix}"] = share
    else:
        weights[f"bias_ih_l0{suffix}"] = p["bias"]
        weights[f"bias_hh_l0{suffix}"] = p["recurrent_bias"]
    return weights


def recurrent(kind):
    def make(cfg):
        def run(x, p):
            module = _recurrent(kind, cfg["units"], x.shape[2])
            y, _ = functional_call(module, _torch_weights(kind, p, "", np.random.default_rng(9)),
                                   (x,))
            return y if cfg.get("return_sequences") else y[:, -1]
        return run
    return make


def bidirectional(kind):
    def make(cfg):
        def run(x, p):
            module = _recurrent(kind, cfg["units"], x.shape[2], bidirectional=True)
            rng = np.random.default_rng(9)
            weights = {}
            for direction, suffix in (("forward", ""), ("backward", "_reverse")):
                mine = {k.split(".", 1)[1]: v for k, v in p.items()
                        if k.startswith(direction + ".")}
                weights.update(_torch_weights(kind, mine, suffix, rng))
            return functional_call(module, weights, (x,))[0]
        return run
    return make


def elementwise(fn):
    return lambda cfg: (lambda x, p: fn(x, cfg))


LAYER_TORCH = {
    "Conv2D": conv2d, "Conv1D": conv1d, "MaxPool2D": maxpool2d, "AvgPool2D": avgpool2d,
    "MaxPool1D": pool1d(maxpool2d), "AvgPool1D": pool1d(avgpool2d), "Dense": dense,
    "BatchNorm": batchnorm,
    "GlobalAvgPool2D": elementwise(lambda x, c: x.flatten(2).mean(dim=2)),
    "GlobalMaxPool2D": elementwise(lambda x, c: x.flatten(2).amax(dim=2)),
    "ReLU": elementwise(lambda x, c: F.relu(x)),
    "LeakyReLU": elementwise(lambda x, c: F.leaky_relu(x, c.get("alpha", 0.3))),
    "ELU": elementwise(lambda x, c: F.elu(x, c.get("alpha", 1.0))),
    "Sigmoid": elementwise(lambda x, c: torch.sigmoid(x)),
    "Tanh": elementwise(lambda x, c: torch.tanh(x)),
    "Softmax": elementwise(lambda x, c: torch.softmax(x, dim=-1)),
    "Dropout": elementwise(lambda x, c: F.dropout(x, c["rate"], training=False)),
    "Flatten": elementwise(lambda x, c: x.flatten(1)),
    "Reshape": elementwise(lambda x, c: x.reshape((x.shape[0],) + tuple(c["shape"]))),
    "Permute": elementwise(lambda x, c: x.permute((0,) + tuple(c["axes"]))),
    "ZeroPad2D": elementwise(lambda x, c: _pad(x, c["padding"] if isinstance(
        c["padding"], list) else ((c["padding"],) * 2,) * 2)),
    "LSTM": recurrent("LSTM"), "GRU": recurrent("GRU"),
    "BidirectionalLSTM": bidirectional("LSTM"), "BidirectionalGRU": bidirectional("GRU"),
}


def _weights(rng, shape, scale=0.5):
    return scale * rng.standard_normal(shape)


def _recurrent_params(rng, kind, features, units, prefix=""):
    gates = 4 if kind == "LSTM" else 3
    p = {f"{prefix}kernel": _weights(rng, (features, gates * units)),
         f"{prefix}recurrent_kernel": _weights(rng, (units, gates * units)),
         f"{prefix}bias": 0.3 * rng.standard_normal(gates * units)}
    if kind == "GRU":
        p[f"{prefix}recurrent_bias"] = 0.3 * rng.standard_normal(gates * units)
    return p


def _conv_params(rng, filters, channels, kh, kw, bias=True):
    p = {"kernel": _weights(rng, (filters, channels, kh, kw))}
    if bias:
        p["bias"] = 0.3 * rng.standard_normal(filters)
    return p


def layer_cases():
    """(name, tinymir class, config, input shape, training, params, buffers); every padding and
    stride mode of the model zoo (models/*.py) among the convolutions and pools."""
    rng = np.random.default_rng(2026)
    cases = []

    def add(name, cls, cfg, shape, training=False, params=None, buffers=None):
        cases.append((name, cls, cfg, shape, training, params or {}, buffers or {}))

    for name, cfg, shape in [
            ("conv2d_valid_3x3", dict(filters=4, kernel_size=[3, 3]), (2, 3, 9, 8)),   # CNN-n
            ("conv2d_same_3x3", dict(filters=4, kernel_size=[3, 3], padding="same"),
             (2, 3, 7, 8)),                                                       # CRNN, FCN
            ("conv2d_same_4x4", dict(filters=3, kernel_size=[4, 4], padding="same"),
             (2, 2, 7, 8)),                                                      # Dieleman
            ("conv2d_same_2x2", dict(filters=3, kernel_size=[2, 2], padding="same"),
             (2, 2, 5, 6)),
            ("conv2d_1x1", dict(filters=3, kernel_size=[1, 1]), (2, 4, 5, 6)),    # CNN-6/7
            ("conv2d_full_height", dict(filters=3, kernel_size=[6, 4]), (2, 1, 6, 11)),  # FMA
            ("conv2d_same_dx_by_correlation", dict(filters=2, kernel_size=[3, 3],
                                                   padding="same"), (2, 3, 6, 7)),  # F <= C
            ("conv2d_stride2_same", dict(filters=4, kernel_size=[3, 3], stride=[2, 2],
                                         padding="same"), (2, 3, 8, 9)),
            ("conv2d_stride_2x1_valid", dict(filters=4, kernel_size=[3, 3], stride=[2, 1]),
             (2, 3, 9, 8)),
            ("conv2d_pad_pair", dict(filters=3, kernel_size=[3, 3], padding=[0, 2]),
             (2, 3, 9, 8)),
            ("conv2d_pad_int_stride2", dict(filters=3, kernel_size=[3, 3], stride=[2, 2],
                                            padding=1), (2, 3, 9, 8)),
            ("conv2d_no_bias", dict(filters=3, kernel_size=[3, 3], use_bias=False),
             (2, 2, 6, 7))]:
        params = _conv_params(rng, cfg["filters"], shape[1], *cfg["kernel_size"],
                              bias=cfg.get("use_bias", True))
        add(name, "Conv2D", cfg, shape, params=params)
    for name, cfg, shape in [
            ("conv1d_valid_3", dict(filters=4, kernel_size=3), (2, 5, 11)),      # CNN on MFCC
            ("conv1d_1", dict(filters=3, kernel_size=1), (2, 4, 7)),
            ("conv1d_same_4", dict(filters=3, kernel_size=4, padding="same"), (2, 3, 9)),
            ("conv1d_stride2", dict(filters=3, kernel_size=3, stride=2), (2, 3, 10))]:
        add(name, "Conv1D", cfg, shape, params=_conv_params(rng, cfg["filters"], shape[1], 1,
                                                             cfg["kernel_size"]))
    for name, cls, cfg, shape in [
            ("maxpool2d_2x4_s2_same", "MaxPool2D",                           # CNN-3, mel
             dict(pool_size=[2, 4], stride=[2, 2], padding="same"), (2, 3, 9, 13)),
            ("maxpool2d_4x4_s2_same", "MaxPool2D",
             dict(pool_size=[4, 4], stride=[2, 2], padding="same"), (2, 2, 9, 10)),
            ("maxpool2d_2x5_s2_same", "MaxPool2D",
             dict(pool_size=[2, 5], stride=[2, 2], padding="same"), (2, 2, 7, 11)),
            ("maxpool2d_2x4_s4x2_same", "MaxPool2D",                         # CNN-3, STFT
             dict(pool_size=[2, 4], stride=[4, 2], padding="same"), (2, 2, 13, 10)),
            ("maxpool2d_2x2", "MaxPool2D", dict(pool_size=[2, 2]), (2, 3, 8, 9)),  # CRNN
            ("maxpool2d_3x3", "MaxPool2D", dict(pool_size=[3, 3]), (2, 2, 9, 10)),
            ("maxpool2d_4x4", "MaxPool2D", dict(pool_size=[4, 4]), (2, 2, 9, 13)),   # CRNN
            ("maxpool2d_1x4", "MaxPool2D", dict(pool_size=[1, 4]), (2, 3, 1, 13)),  # FMA
            ("maxpool2d_2x4_s2_valid", "MaxPool2D",
             dict(pool_size=[2, 4], stride=[2, 2]), (2, 2, 8, 13)),
            ("maxpool1d_4_s2_same", "MaxPool1D",                             # CNN on MFCC
             dict(pool_size=4, stride=2, padding="same"), (2, 3, 13)),
            ("maxpool1d_5_s2_same", "MaxPool1D",
             dict(pool_size=5, stride=2, padding="same"), (2, 3, 12)),
            ("avgpool2d_2x2", "AvgPool2D", dict(pool_size=[2, 2]), (2, 3, 8, 9)),
            ("avgpool2d_3x3_s2_same", "AvgPool2D",
             dict(pool_size=[3, 3], stride=[2, 2], padding="same"), (2, 2, 8, 9)),
            ("avgpool1d_3_s2_same", "AvgPool1D",
             dict(pool_size=3, stride=2, padding="same"), (2, 3, 10)),
            ("global_avgpool_2d", "GlobalAvgPool2D", {}, (2, 3, 4, 5)),
            ("global_avgpool_1d", "GlobalAvgPool2D", {}, (2, 3, 7)),
            ("global_maxpool_2d", "GlobalMaxPool2D", {}, (2, 3, 4, 5)),
            ("global_maxpool_1d", "GlobalMaxPool2D", {}, (2, 3, 7))]:
        add(name, cls, cfg, shape)
    for name, cfg, shape, training in [
            ("batchnorm_train_4d", dict(momentum=0.9, eps=1e-3), (4, 3, 4, 5), True),
            ("batchnorm_train_3d", dict(momentum=0.99, eps=1e-3), (3, 4, 6), True),
            ("batchnorm_train_2d", dict(momentum=0.8, eps=1e-5), (7, 4), True),
            ("batchnorm_eval_4d", dict(momentum=0.99, eps=1e-3), (2, 3, 4, 4), False)]:
        c = shape[1]
        params = {"gamma": 1.0 + 0.3 * rng.standard_normal(c), "beta": rng.standard_normal(c)}
        buffers = {"running_mean": 0.2 * rng.standard_normal(c),
                   "running_var": rng.uniform(0.5, 2.0, c)}
        add(name, "BatchNorm", cfg, shape, training, params, buffers)
    add("dense", "Dense", dict(units=4), (3, 5),
        params={"kernel": _weights(rng, (5, 4)), "bias": rng.standard_normal(4)})
    add("dense_l2_no_bias", "Dense", dict(units=3, l2=0.05, use_bias=False), (4, 6),
        params={"kernel": _weights(rng, (6, 3))})
    for cls, cfg in [("ReLU", {}), ("LeakyReLU", {}), ("LeakyReLU", dict(alpha=0.1)),
                     ("ELU", {}), ("ELU", dict(alpha=0.5)), ("Sigmoid", {}), ("Tanh", {})]:
        suffix = "_".join(f"{k}{v}" for k, v in cfg.items())
        add(f"{cls.lower()}{'_' + suffix if suffix else ''}", cls, cfg, (3, 2, 5))
    add("softmax_2d", "Softmax", {}, (4, 5))
    add("softmax_3d", "Softmax", {}, (2, 3, 5))
    add("dropout_eval", "Dropout", dict(rate=0.3), (3, 4, 5))
    add("flatten", "Flatten", {}, (2, 3, 4, 2))
    add("reshape", "Reshape", dict(shape=[4, -1]), (2, 2, 3, 4))
    add("permute_3d", "Permute", dict(axes=[3, 1, 2]), (2, 3, 4, 5))         # CRNN
    add("permute_2d", "Permute", dict(axes=[2, 1]), (2, 3, 4))               # LSTM net
    add("zeropad2d", "ZeroPad2D", dict(padding=[[0, 0], [0, 3]]), (2, 2, 3, 4))  # CRNN
    add("zeropad2d_int", "ZeroPad2D", dict(padding=1), (2, 2, 3, 4))
    for kind in ("LSTM", "GRU"):
        for seq in (True, False):
            add(f"{kind.lower()}_{'sequences' if seq else 'last'}", kind,
                dict(units=4, return_sequences=seq), (3, 6, 5),
                params=_recurrent_params(rng, kind, 5, 4))
        params = {**_recurrent_params(rng, kind, 5, 3, "forward."),
                  **_recurrent_params(rng, kind, 5, 3, "backward.")}
        add(f"bidirectional_{kind.lower()}", f"Bidirectional{kind}",
            dict(units=3, return_sequences=True), (2, 5, 5), params=params)
    return cases


def run_layer(case, rng):
    name, cls, cfg, shape, training, params, buffers = case
    x = _t(rng.standard_normal(shape), grad=True)
    p = {k: _t(v, grad=True) for k, v in params.items()}
    make = LAYER_TORCH[cls](cfg)
    if cls == "BatchNorm":
        state = {k: _t(v) for k, v in buffers.items()}
        y, penalty = make(x, p, state, training), 0.0
    else:
        out = make(x, p)
        y, penalty = out if isinstance(out, tuple) else (out, 0.0)
    grad_out = rng.standard_normal(tuple(y.shape))
    ((y * _t(grad_out)).sum() + penalty).backward()
    record = {"class": cls, "config": json.dumps(cfg), "training": training,
              "x": _np(x), "grad_out": grad_out, "y": _np(y), "dx": _np(x.grad)}
    for k in params:
        record[f"param.{k}"] = params[k]
        record[f"grad.{k}"] = _np(p[k].grad)
    for k, v in buffers.items():
        record[f"buffer.{k}"] = v
    if cls == "BatchNorm" and training:
        # torch: r ← (1 − m_t) r + m_t · var_unbiased; tinymir: r ← m r + (1 − m) var_biased
        count = x.numel() // x.shape[1]
        m = cfg["momentum"]
        unbiased = (_np(state["running_var"]) - m * buffers["running_var"]) / (1.0 - m)
        record["after.running_mean"] = _np(state["running_mean"])
        record["after.running_var"] = (m * buffers["running_var"]
                                       + (1.0 - m) * unbiased * (count - 1) / count)
        biased = _np(x).var(axis=(0,) + tuple(range(2, x.ndim)))
        assert np.allclose(unbiased * (count - 1) / count, biased, rtol=1e-12, atol=0)
    return record


# -- losses -------------------------------------------------------------------------------

def loss_cases():
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 5, 6)
    soft = rng.uniform(size=(6, 5))
    multi = (rng.uniform(size=(6, 4)) < 0.4).astype(np.float64)
    return [
        ("softmax_ce_labels", "SoftmaxCrossEntropy", {}, (6, 5), labels),
        ("softmax_ce_soft", "SoftmaxCrossEntropy", {}, (6, 5), soft / soft.sum(1, keepdims=True)),
        ("softmax_ce_class_weights", "SoftmaxCrossEntropy",
         dict(class_weights=[1.0, 2.0, 0.5, 1.0, 3.0]), (6, 5), labels),
        ("bce", "BinaryCrossEntropy", {}, (6, 4), multi),
        ("bce_pos_weight", "BinaryCrossEntropy", dict(pos_weight=[1.0, 3.0, 0.5, 2.0]),
         (6, 4), multi),
        ("bce_pos_weight_scalar", "BinaryCrossEntropy", dict(pos_weight=2.5), (6, 4), multi),
        ("mse", "MSE", {}, (6, 3), rng.standard_normal((6, 3))),
    ]


def run_loss(case, rng):
    name, cls, cfg, shape, targets = case
    z = _t(3.0 * rng.standard_normal(shape), grad=True)
    y = torch.tensor(targets)
    if cls == "SoftmaxCrossEntropy":
        weight = None if "class_weights" not in cfg else _t(cfg["class_weights"])
        per_sample = F.cross_entropy(z, y, weight=weight, reduction="none")
        loss = per_sample.sum() / shape[0]              # Keras: divide by N, not Σ wₙ
    elif cls == "BinaryCrossEntropy":
        pos = None if "pos_weight" not in cfg else _t(cfg["pos_weight"]).expand(shape[1])
        loss = F.binary_cross_entropy_with_logits(z, y, pos_weight=pos)
    else:
        loss = F.mse_loss(z, y)
    loss.backward()
    return {"class": cls, "config": json.dumps(cfg), "logits": _np(z), "targets": targets,
            "loss": _np(loss), "grad": _np(z.grad)}


# -- optimisers ---------------------------------------------------------------------------

#: (name, tinymir optimiser, its arguments, l2 of the first kernel, clip max_norm or None)
OPTIMIZER_CASES = [
    ("sgd_l2", "SGD", dict(lr=0.1), 0.01, None),
    ("sgd_decay", "SGD", dict(lr=0.1, decay=0.5), 0.0, None),             # FMA's recipe
    ("sgd_momentum_clip", "SGD", dict(lr=0.1, momentum=0.9), 0.0, 0.5),
    ("sgd_nesterov_clip", "SGD", dict(lr=0.05, momentum=0.8, nesterov=True), 0.0, 1.0),
    ("adam_l2", "Adam", dict(lr=0.01, eps=1e-3), 0.02, None),
    ("adam_clip", "Adam", dict(lr=0.01), 0.0, 0.3),
    ("adamw_clip", "AdamW", dict(lr=0.01, weight_decay=0.1, eps=1e-4), 0.0, 0.3),
]
STEPS = 5


def _torch_optimizer(name, args, groups):
    if name == "SGD":
        return torch.optim.SGD(groups, lr=args["lr"], momentum=args.get("momentum", 0.0),
                               nesterov=args.get("nesterov", False), foreach=False)
    cls = torch.optim.Adam if name == "Adam" else torch.optim.AdamW
    return cls(groups, lr=args["lr"], betas=(0.9, 0.999), eps=args.get("eps", 1e-7),
               weight_decay=args.get("weight_decay", 0.0), foreach=False)


def run_optimizer(case, rng):
    """Dense(4, l2) -> Tanh -> Dense(2), MSE, ``STEPS`` steps of backward, clip, step."""
    name, opt, args, l2, max_norm = case
    x, target = rng.standard_normal((6, 5)), rng.standard_normal((6, 2))
    start = {"first.kernel": _weights(rng, (5, 4), 0.7),
             "first.bias": 0.3 * rng.standard_normal(4),
             "second.kernel": _weights(rng, (4, 2), 0.7),
             "second.bias": 0.3 * rng.standard_normal(2)}
    p = {k: _t(v, grad=True) for k, v in start.items()}
    decayed = [p["first.kernel"]] if l2 else []
    groups = [{"params": [v for v in p.values() if all(v is not d for d in decayed)]}]
    if decayed:
        groups.append({"params": decayed, "weight_decay": 2.0 * l2})      # tinymir l2 = wd / 2
    optimizer = _torch_optimizer(opt, args, groups)
    schedule = (torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda t: 1.0 / (1.0 + args["decay"] * t)) if args.get("decay") else None)
    record = {"optimizer": opt, "config": json.dumps(args), "l2": l2,
              "max_norm": np.nan if max_norm is None else max_norm, "steps": STEPS,
              "x": x, "target": target, **{f"start.{k}": v for k, v in start.items()}}
    for step in range(STEPS):
        optimizer.zero_grad()
        hidden = torch.tanh(_t(x) @ p["first.kernel"] + p["first.bias"])
        loss = F.mse_loss(hidden @ p["second.kernel"] + p["second.bias"], _t(target))
        loss.backward()
        if max_norm is not None:
            norm = float(torch.nn.utils.get_total_norm([v.grad for v in p.values()]))
            torch.nn.utils.clip_grad_norm_(list(p.values()),
                                           max_norm * (norm + 1e-6) / (norm + 1e-12))
            record[f"step{step}.norm"] = np.array(norm)
        if opt != "SGD":
            for group in optimizer.param_groups:
                group["eps"] = args.get("eps", 1e-7) / math.sqrt(1.0 - 0.999 ** (step + 1))
        optimizer.step()
        if schedule is not None:
            schedule.step()
        record[f"step{step}.loss"] = _np(loss)
        for k, v in p.items():
            record[f"step{step}.{k}"] = _np(v)
    return record


def _save(path, records: dict):
    flat = {"torch_version": np.array(torch.__version__),
            "numpy_version": np.array(np.__version__)}
    for case, record in records.items():
        for field, value in record.items():
            flat[f"{case}/{field}"] = np.asarray(value)
    np.savez_compressed(path, **flat)
    print(f"{path.name}: {len(records)} cases, {path.stat().st_size / 1024:.0f} KiB")


def main():
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(0)
    _save(HERE / "torch_layers.npz", {c[0]: run_layer(c, rng) for c in layer_cases()})
    _save(HERE / "torch_losses.npz", {c[0]: run_loss(c, rng) for c in loss_cases()})
    _save(HERE / "torch_optimizers.npz", {c[0]: run_optimizer(c, rng) for c in OPTIMIZER_CASES})


if __name__ == "__main__":
    main()
