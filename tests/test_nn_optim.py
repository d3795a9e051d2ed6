"""Optimisers, schedules and gradient clipping against their formulas (and torch's SGD)."""
import math

import numpy as np
import pytest

from tinymir import backend, nn


def make_param(values):
    p = nn.Param(backend.to_device(np.asarray(values, dtype=np.float64)))
    return p


def set_grad(p, values):
    p.grad = backend.to_device(np.asarray(values, dtype=np.float64))


def host(a):
    return backend.to_host(a)


def test_adam_follows_its_formula():
    p = make_param([1.0, -2.0])
    opt = nn.Adam([("w", p)], lr=0.1, beta1=0.9, beta2=0.999, eps=1e-7)
    w, m, v = np.array([1.0, -2.0]), np.zeros(2), np.zeros(2)
    for t, g in enumerate([[0.5, -1.0], [0.2, 0.3], [-0.4, 0.1]], start=1):
        set_grad(p, g)
        opt.step()
        g = np.array(g)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        w = w - 0.1 * math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m / (np.sqrt(v) + 1e-7)
        np.testing.assert_allclose(host(p.value), w, rtol=1e-12)


def test_adamw_decays_weights_without_gradient():
    p = make_param([2.0])
    opt = nn.AdamW([("w", p)], lr=0.1, weight_decay=0.5)
    set_grad(p, [0.0])
    opt.step()
    np.testing.assert_allclose(host(p.value), [2.0 * (1 - 0.05)])


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_matches_torch(nesterov):
    torch = pytest.importorskip("torch")
    p = make_param([1.0, -1.0])
    opt = nn.SGD([("w", p)], lr=0.1, momentum=0.9, nesterov=nesterov)
    tw = torch.tensor([1.0, -1.0], dtype=torch.float64, requires_grad=True)
    topt = torch.optim.SGD([tw], lr=0.1, momentum=0.9, nesterov=nesterov)
    for g in ([1.0, 2.0], [-0.5, 0.5], [0.3, -0.1]):
        set_grad(p, g)
        opt.step()
        tw.grad = torch.tensor(g, dtype=torch.float64)
        topt.step()
        np.testing.assert_allclose(host(p.value), tw.detach().numpy(), rtol=1e-12)


def test_sgd_time_decay_is_keras_style():
    p = make_param([0.0])
    opt = nn.SGD([("w", p)], lr=0.1, decay=0.5)
    for _ in range(3):
        set_grad(p, [1.0])
        opt.step()
    # steps use lr/(1+0.5·0), lr/(1+0.5·1), lr/(1+0.5·2)
    np.testing.assert_allclose(host(p.value), [-(0.1 + 0.1 / 1.5 + 0.1 / 2)])
    assert opt.effective_lr == pytest.approx(0.1 / 2.5)


def test_optimizer_state_resumes_exactly():
    grads = np.random.default_rng(0).standard_normal((6, 3))
    p = make_param([1.0, 2.0, 3.0])
    opt = nn.Adam([("w", p)], lr=0.05)
    for g in grads:
        set_grad(p, g)
        opt.step()
    q = make_param([1.0, 2.0, 3.0])
    first = nn.Adam([("w", q)], lr=0.05)
    for g in grads[:3]:
        set_grad(q, g)
        first.step()
    state = first.state_dict()
    r = make_param(host(q.value))
    resumed = nn.Adam([("w", r)], lr=1.0)
    resumed.load_state_dict(state)
    for g in grads[3:]:
        set_grad(r, g)
        resumed.step()
    assert np.array_equal(host(r.value), host(p.value))


def test_reduce_lr_on_plateau_waits_cuts_and_cools_down():
    opt = nn.SGD([("w", make_param([0.0]))], lr=1.0)
    schedule = nn.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=2, cooldown=1,
                                    min_lr=0.2)
    lrs = [schedule.step(metric) for metric in [0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]]
    # Keras semantics: the cooldown epoch resets the wait and that same epoch counts again
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2]   # 0.125 floored at min_lr
    restored = nn.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=2)
    restored.load_state_dict(schedule.state_dict())
    assert restored.state_dict() == schedule.state_dict()


def test_reduce_lr_on_plateau_min_mode():
    opt = nn.SGD([("w", make_param([0.0]))], lr=1.0)
    schedule = nn.ReduceLROnPlateau(opt, mode="min", factor=0.1, patience=1)
    assert [schedule.step(m) for m in [3.0, 2.0, 2.5]] == [1.0, 1.0, pytest.approx(0.1)]


def test_step_and_cosine_decay():
    opt = nn.SGD([("w", make_param([0.0]))], lr=1.0)
    step = nn.StepDecay(opt, step_size=2, gamma=0.5)
    assert [step.step() for _ in range(5)] == [1.0, 0.5, 0.5, 0.25, 0.25]
    opt = nn.Adam([("w", make_param([0.0]))], lr=1.0)
    cosine = nn.CosineDecay(opt, total_steps=4, min_lr=0.2)
    values = [cosine.step() for _ in range(6)]
    assert values[1] == pytest.approx(0.6) and values[3] == pytest.approx(0.2)
    assert values[5] == pytest.approx(0.2)


def test_clip_grad_norm_scales_all_gradients_together():
    a, b = make_param([0.0, 0.0]), make_param([0.0])
    set_grad(a, [3.0, 0.0])
    set_grad(b, [4.0])
    total = nn.clip_grad_norm([("a", a), ("b", b)], max_norm=1.0)
    assert float(total) == pytest.approx(5.0)
    np.testing.assert_allclose(np.r_[host(a.grad), host(b.grad)], [0.6, 0.0, 0.8], rtol=1e-9)
    assert float(nn.clip_grad_norm([("a", a), ("b", b)], max_norm=10.0)) == pytest.approx(1.0)
    np.testing.assert_allclose(np.r_[host(a.grad), host(b.grad)], [0.6, 0.0, 0.8], rtol=1e-9)


def test_losses_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 4)) * 3
    labels = rng.integers(0, 4, 5)
    ce = nn.SoftmaxCrossEntropy()
    ours = float(ce.forward(backend.to_device(logits), backend.to_device(labels)))
    theirs = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(labels))
    assert ours == pytest.approx(theirs.item(), rel=1e-12)
    targets = (rng.random((5, 4)) < 0.5).astype(np.float64)
    pos_weight = np.array([1.0, 2.0, 0.5, 3.0])
    bce = nn.BinaryCrossEntropy(pos_weight=pos_weight)
    ours = float(bce.forward(backend.to_device(logits), backend.to_device(targets)))
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(logits), torch.tensor(targets), pos_weight=torch.tensor(pos_weight))
    assert ours == pytest.approx(theirs.item(), rel=1e-12)


def test_losses_are_stable_for_huge_logits():
    logits = backend.to_device(np.array([[1000.0, -1000.0], [-800.0, 800.0]]))
    ce = float(nn.SoftmaxCrossEntropy().forward(logits, backend.to_device(np.array([0, 1]))))
    labels = backend.to_device(np.array([[1, 0], [0, 1]]))
    bce = float(nn.BinaryCrossEntropy().forward(logits, labels))
    assert ce == 0.0 and bce == 0.0


def test_class_weights_divide_by_batch_size():
    logits = backend.to_device(np.zeros((2, 2)))
    labels = backend.to_device(np.array([0, 1]))
    weighted = float(nn.SoftmaxCrossEntropy(class_weights=[3.0, 1.0]).forward(logits, labels))
    assert weighted == pytest.approx((3.0 + 1.0) * math.log(2) / 2)


def test_loss_shape_errors_are_clear():
    with pytest.raises(ValueError, match="labels"):
        nn.SoftmaxCrossEntropy().forward(backend.xp().zeros((3, 2)), backend.xp().zeros(4))
    with pytest.raises(ValueError, match=r"labels must be in 0\.\.1"):
        nn.SoftmaxCrossEntropy().forward(backend.xp().zeros((2, 2)), backend.xp().asarray([0, 2]))
    with pytest.raises(ValueError, match="do not match"):
        nn.BinaryCrossEntropy().forward(backend.xp().zeros((3, 2)), backend.xp().zeros((3, 3)))
