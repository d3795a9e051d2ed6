"""Every fast layer, loss and optimiser equals its plain twin in tinymir.nn.reference.

In float64 to 1e-10, on random inputs, on tie-heavy inputs for the max pools, and at several
block sizes: the fast kernels work on cache-sized blocks of the batch (of the time steps, for
the LSTM's backward), and at the test shapes the default budget is one block, so the
`blocks_of` fixture shrinks the budget to 1, 2 and 3 items per block (ragged last blocks
included), shared among as many threads (tinymir.threads), and in its "cut" case makes every
sample larger than a block, so the pools and batch norms cut each sample into runs of one
channel or position (tinymir.nn.kernels.blocks.tiles). The twins
themselves pass the finite-difference checks that the fast layers pass.
"""
import ast
from pathlib import Path

import numpy as np
import pytest

from tinymir import backend, nn, threads
from tinymir.nn import conv, gradcheck, pooling, reference, windows
from tinymir.nn.kernels import blocks

TOLERANCE = 1e-10
LAYER_CASES = list(gradcheck.CASES)
BLOCK_SIZES = [None, 1, 2, 3, "cut"]   # items per block; None: the default budget


@pytest.fixture(params=BLOCK_SIZES,
                ids=lambda k: "default-blocks" if k is None else f"blocks-of-{k}")
def blocks_of(request, monkeypatch):
    """Make every cache-sized block ``k`` items long (the budget is k items' bytes) and share
    the blocks among k threads; "cut": every sample is larger than a block and is cut into
    runs of 1 cell, on 2 threads. Records the longest list of blocks any kernel used, so a
    test can tell it went through several."""
    real = backend.cpu_blocks
    size = request.param
    if size == "cut":
        monkeypatch.setattr(blocks, "CPU_BLOCK_BYTES", 1)
        monkeypatch.setattr(threads, "CPU_THREADS", 2)
        size = 1
    elif size is not None:
        monkeypatch.setattr(threads, "CPU_THREADS", size)
    seen = {"most_blocks": 0}

    def cpu_blocks(count, bytes_per_item, budget_bytes, mod):
        if size is not None:
            budget_bytes = size * bytes_per_item
        pieces = real(count, bytes_per_item, budget_bytes, mod)
        seen["most_blocks"] = max(seen["most_blocks"], len(pieces))
        return pieces

    monkeypatch.setattr(backend, "cpu_blocks", cpu_blocks)
    seen["size"] = request.param
    return seen


def assert_agree(report):
    worst = max(report, key=lambda row: row.max_abs_error)
    assert worst.max_abs_error <= TOLERANCE, (worst.name, worst.max_abs_error)


def test_every_layer_has_a_twin():
    layers = {cls for cls in nn.LAYERS.values()}
    assert len(layers) == 23
    assert set(reference.LAYER_TWINS) == layers
    for fast_cls, twin_cls in reference.LAYER_TWINS.items():
        assert issubclass(twin_cls, fast_cls)
        assert "_forward" in vars(twin_cls) or "pool2d_class" in vars(twin_cls) or \
            fast_cls is nn.Conv1D, twin_cls


@pytest.mark.parametrize("name", LAYER_CASES)
def test_fast_equals_reference(name, blocks_of):
    model, x, training = gradcheck.build_case(name, seed=3)
    assert_agree(gradcheck.compare_twins(model, x, training, seed=3))


@pytest.mark.parametrize("build, shape, training", [
    (lambda: nn.MaxPool2D((2, 4), stride=2), (5, 3, 8, 13), True),
    (lambda: nn.MaxPool2D((4, 4), stride=2, padding="same"), (5, 2, 9, 9), True),
    (lambda: nn.BatchNorm(), (5, 3, 4, 6), True),
    (lambda: nn.BatchNorm(), (7, 4), False),
    (lambda: nn.Conv2D(2, 3, padding="same"), (5, 3, 5, 6), False),    # dx: full correlation
    (lambda: nn.Conv2D(4, 3, stride=2, padding="same"), (5, 2, 7, 8), False),   # dx: col2im
    (lambda: nn.LSTM(3), (2, 7, 4), True),                             # last state only
    (lambda: nn.ReLU(), (5, 3, 4, 2), True),                            # runs of elements
    (lambda: nn.ELU(), (5, 3, 4, 2), True),
    (lambda: nn.ELU(0.5), (6, 3, 4), True),                            # slope α eˣ + (1 − α)
    (lambda: nn.ELU(2.0), (7, 5), True),
    (lambda: nn.Dropout(0.4, seed=3), (6, 3, 5), True),              # the mask in blocks
])
def test_the_multi_block_branches(build, shape, training, blocks_of):
    """Batches (sequences) of 5-7 items: with blocks of 1-3 items the kernels go through
    several blocks, the last one shorter."""
    rng = np.random.default_rng(4)
    with backend.default_dtype(np.float64):
        model = build()
        model.build(shape[1:], rng)
    x = backend.to_device(rng.standard_normal(shape), np.float64)
    assert_agree(gradcheck.compare_twins(model, x, training, seed=4))
    if blocks_of["size"] is not None and backend.get_device() == "cpu":
        assert blocks_of["most_blocks"] > 1


POOLS = [((2, 4), 2, "valid"), ((4, 4), 2, "valid"), ((2, 5), 2, "valid"), ((3, 3), 2, "same"),
         ((3, 2), (2, 1), "valid"), (2, 3, "valid"), ((1, 4), (1, 1), "valid"), (3, 1, "same")]


@pytest.mark.parametrize("pool, stride, padding", POOLS)
@pytest.mark.parametrize("values", ["three-levels", "all-equal"])
def test_max_pool_ties_go_where_the_twin_sends_them(pool, stride, padding, values, blocks_of):
    """Inputs drawn from {0, 1, 2} (most windows hold several maxima) or all zero: the fast
    pool's arg-max is the twin's, the first maximum of each window column by column."""
    rng = np.random.default_rng(5)
    x = rng.integers(0, 3, size=(3, 2, 9, 12)).astype(np.float64)
    if values == "all-equal":
        x[...] = 0.0
    with backend.default_dtype(np.float64):
        layer = nn.MaxPool2D(pool, stride=stride, padding=padding)
        layer.build(x.shape[1:])
    # a gradient sent to another cell would be off by O(1); overlapping windows add in
    # another order, which is rounding
    assert_agree(gradcheck.compare_twins(layer, backend.to_device(x), training=True, seed=5))


@pytest.mark.parametrize("layer", [nn.GlobalMaxPool2D, lambda: nn.MaxPool1D(3, stride=2)])
def test_other_max_pools_on_ties(layer):
    x = np.random.default_rng(6).integers(0, 2, size=(3, 2, 11)).astype(np.float64)
    with backend.default_dtype(np.float64):
        model = layer()
        model.build(x.shape[1:])
    report = gradcheck.compare_twins(model, backend.to_device(x), training=True)
    assert max(row.max_abs_error for row in report) == 0.0


def test_the_relu_pool_reorder_changes_nothing():
    """The fast Sequential runs ReLU after a max pool that follows it; the twin keeps the
    declared order. Ties at zero included (integers around 0)."""
    rng = np.random.default_rng(7)
    with backend.default_dtype(np.float64):
        model = nn.Sequential([nn.ReLU(), nn.MaxPool2D((2, 4), stride=2), nn.Flatten()])
        model.build((2, 6, 10))
    assert model.run_order() == [1, 0, 2]
    assert reference.twin(model).run_order() == [0, 1, 2]
    x = backend.to_device(rng.integers(-2, 3, size=(3, 2, 6, 10)).astype(np.float64))
    assert max(row.max_abs_error for row in gradcheck.compare_twins(model, x)) == 0.0


@pytest.mark.parametrize("name", list(gradcheck.LOSS_CASES))
def test_losses_equal_their_twins(name):
    assert_agree(gradcheck.compare_loss_twins(*gradcheck.build_loss_case(name, seed=2)))


@pytest.mark.parametrize("name", LAYER_CASES)
def test_twins_pass_finite_differences(name):
    model, x, training = gradcheck.build_case(name)
    slow = reference.twin(model)
    for layer in getattr(slow, "layers", [slow]):
        assert type(layer).__module__.startswith("tinymir.nn.reference.")
    report = gradcheck.check_model(slow, x, training=training)
    assert max(row.relative_error for row in report) < 1e-6


@pytest.mark.parametrize("name", list(gradcheck.LOSS_CASES))
def test_loss_twins_pass_finite_differences(name):
    loss, logits, targets = gradcheck.build_loss_case(name)
    assert gradcheck.check_loss(reference.twin(loss), logits, targets)[0].relative_error < 1e-6


OPTIMIZERS = [
    (nn.SGD, reference.SGD, dict(lr=0.1)),
    (nn.SGD, reference.SGD, dict(lr=0.1, momentum=0.9)),
    (nn.SGD, reference.SGD, dict(lr=0.1, momentum=0.8, nesterov=True, decay=0.1)),
    (nn.Adam, reference.Adam, dict(lr=0.01)),
    (nn.AdamW, reference.AdamW, dict(lr=0.01, weight_decay=0.1)),
]


@pytest.mark.parametrize("fast_cls, twin_cls, kwargs", OPTIMIZERS,
                         ids=[f"{f.__name__}-{k}" for f, _, k in OPTIMIZERS])
def test_optimizers_equal_their_twins(fast_cls, twin_cls, kwargs, blocks_of):
    rng = np.random.default_rng(8)
    start = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    grads = [[rng.standard_normal(w.shape) for w in start] for _ in range(6)]
    runs = []
    for cls in (fast_cls, twin_cls):
        params = [nn.Param(backend.to_device(w.copy(), np.float64)) for w in start]
        optimizer = cls(params, **kwargs)
        for step in grads:
            for p, g in zip(params, step):
                p.grad[...] = backend.to_device(g, np.float64)
            optimizer.step()
        runs.append([backend.to_host(p.value) for p in params])
    for fast_value, twin_value, initial in zip(*runs, start):
        assert not np.allclose(fast_value, initial)          # the steps moved the weights
        np.testing.assert_allclose(fast_value, twin_value, rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_equals_its_twin(max_norm):
    rng = np.random.default_rng(9)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    results = []
    for clip in (nn.clip_grad_norm, reference.clip_grad_norm):
        params = [nn.Param(backend.to_device(np.zeros_like(g), np.float64)) for g in grads]
        for p, g in zip(params, grads):
            p.grad[...] = backend.to_device(g, np.float64)
        norm = clip(params, max_norm)
        results.append((float(backend.to_host(norm)), [backend.to_host(p.grad) for p in params]))
    assert results[0][0] == pytest.approx(np.sqrt(sum((g ** 2).sum() for g in grads)))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-12)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=0, atol=TOLERANCE)


# -- the twins stand alone ------------------------------------------------------------------

REFERENCE_DIR = Path(reference.__file__).parent
#: fast helpers a twin still calls, by module: the dropout twin's seeding goes when the twin
#: draws its own mask (issue 22, part 4)
STILL_SHARED: dict = {}


def _fast_names_used(path):
    """(names of fast modules imported, fast attributes used other than as a base class)."""
    tree = ast.parse(path.read_text())
    aliases, imported = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tinymir.nn"):
            if node.module == "tinymir.nn":
                aliases |= {a.asname or a.name for a in node.names}
            else:
                imported |= {f"{node.module}.{a.name}" for a in node.names}
    bases = {id(b) for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
             for b in node.bases}
    used = {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id in aliases and id(node) not in bases}
    return imported, used


@pytest.mark.parametrize("path", sorted(REFERENCE_DIR.glob("*.py")), ids=lambda p: p.stem)
def test_twins_take_nothing_but_their_base_class_from_the_fast_code(path):
    imported, used = _fast_names_used(path)
    if path.stem == "__init__":
        assert imported == {"tinymir.nn.sequential.Sequential"}     # to tell a model apart
        return
    assert not imported, imported            # no windows, kernels, helpers, ...
    assert used <= STILL_SHARED.get(path.stem, set()), used


def _odd_row_first(real):
    """resolve_padding with the odd row of "same" padding put at the top (left) instead of
    the bottom (right): the kind of bug a padding rule copied from another library brings."""
    def planted(padding, kernel, stride, size):
        return tuple((after, before) for before, after in real(padding, kernel, stride, size))
    return planted


@pytest.mark.parametrize("build, shape", [
    (lambda: nn.Conv2D(2, 3, stride=2, padding="same"), (2, 2, 6, 7)),
    (lambda: nn.MaxPool2D((2, 4), stride=2, padding="same"), (2, 2, 9, 9)),
    (lambda: nn.AvgPool2D(3, stride=2, padding="same"), (2, 2, 6, 8)),
    (lambda: nn.MaxPool1D(4, stride=2, padding="same"), (2, 3, 9)),
], ids=["conv2d", "maxpool2d", "avgpool2d", "maxpool1d"])
def test_a_padding_bug_in_the_fast_geometry_is_caught(build, shape, monkeypatch):
    rng = np.random.default_rng(10)
    with backend.default_dtype(np.float64):
        model = build()
        model.build(shape[1:], rng)
    x = backend.to_device(rng.standard_normal(shape), np.float64)
    assert_agree(gradcheck.compare_twins(model, x, training=True))
    real = windows.resolve_padding
    for module in (conv, pooling):
        monkeypatch.setattr(module, "resolve_padding", _odd_row_first(real))
    report = gradcheck.compare_twins(model, x, training=True)
    assert max(row.max_abs_error for row in report) > 0.01
    with pytest.raises(AssertionError):
        assert_agree(report)
