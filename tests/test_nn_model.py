"""Sequential, shapes, summaries, state, save/load and layer behaviour beyond gradients."""
import json

import numpy as np
import pytest

from _rounding import assert_float32_close
from tinymir import archive, backend, nn


def small_cnn():
    return nn.Sequential([
        nn.Conv2D(4, 3, padding="same", l2=0.001), nn.ReLU(), nn.MaxPool2D((2, 4), stride=2),
        nn.BatchNorm(), nn.Flatten(), nn.Dropout(0.3), nn.Dense(3)], name="small")


def batch(shape, seed=0):
    return backend.to_device(np.random.default_rng(seed).standard_normal(shape),
                             backend.float_dtype())


def test_build_names_layers_and_is_reproducible():
    a, b = small_cnn().build((1, 8, 12), seed=3), small_cnn().build((1, 8, 12), seed=3)
    names = [name for name, _ in a.parameters()]
    assert names[:2] == ["conv2d_1.kernel", "conv2d_1.bias"]
    assert all(np.array_equal(backend.to_host(p.value), backend.to_host(q.value))
               for (_, p), (_, q) in zip(a.parameters(), b.parameters()))
    c = small_cnn().build((1, 8, 12), seed=4)
    assert not np.array_equal(backend.to_host(a.parameters()[0][1].value),
                              backend.to_host(c.parameters()[0][1].value))


def test_float32_by_default():
    model = small_cnn().build((1, 8, 12))
    assert all(p.value.dtype == np.float32 for _, p in model.parameters())
    assert model.forward(batch((2, 1, 8, 12))).dtype == np.float32


def test_summary_lists_shapes_and_parameter_counts():
    model = small_cnn().build((1, 8, 12))
    text = model.summary()
    assert "conv2d_1 (Conv2D)" in text and "(None, 4, 8, 12)" in text
    assert "(None, 4, 4, 5)" in text            # MaxPool (2,4) stride 2 on 8×12
    assert f"Total params: {model.num_params():,}" in text
    assert model.num_params() == 4 * 9 + 4 + 2 * 4 + 80 * 3 + 3


def test_summary_of_a_seed_architecture_counts_like_keras():
    # seed 000's feedforward baseline on a 128×130 mel image: 512-256-64-10
    model = nn.Sequential([nn.Flatten(), nn.Dense(512), nn.ReLU(), nn.Dense(256), nn.ReLU(),
                           nn.Dense(64), nn.ReLU(), nn.Dense(10)])
    text = model.summary((128, 130))
    assert "Total params: 8,668,618" in text


def test_shape_error_names_the_layer_and_the_shapes():
    model = small_cnn().build((1, 8, 12))
    with pytest.raises(nn.ShapeError, match=r"conv2d_1.*\(1, 8, 12\).*\(1, 8, 13\)"):
        model.forward(batch((2, 1, 8, 13)))
    with pytest.raises(nn.ShapeError, match="dense_1"):
        nn.Sequential([nn.Dense(3)]).build((4, 5))
    with pytest.raises(nn.ShapeError, match="maxpool2d_1"):
        nn.Sequential([nn.MaxPool2D(4)]).build((1, 2, 8))


def test_bad_constructor_arguments_are_clear():
    with pytest.raises(ValueError, match="padding"):
        nn.Conv2D(3, 3, padding="full")
    with pytest.raises(ValueError, match="rate"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="initializer"):
        nn.Dense(3, init="zeros")
    with pytest.raises(ValueError, match="1-based"):
        nn.Permute((0, 1))


def test_l2_penalty_is_lambda_times_sum_of_squares():
    model = nn.Sequential([nn.Dense(3, l2=0.01), nn.Dense(2)]).build((4,))
    kernel = backend.to_host(model.layers[0].params["kernel"].value).astype(np.float64)
    assert model.penalty() == pytest.approx(0.01 * (kernel ** 2).sum(), rel=1e-5)


def test_batchnorm_running_statistics_follow_keras_momentum():
    layer = nn.BatchNorm(momentum=0.9)
    x = batch((16, 3, 4, 4)) * 2 + 1
    layer.forward(x, training=True)
    mean = backend.to_host(x).mean(axis=(0, 2, 3))
    np.testing.assert_allclose(backend.to_host(layer.buffers["running_mean"]), 0.1 * mean,
                               rtol=1e-5)
    out = layer.forward(x, training=False)   # inference uses the running statistics
    expected = (backend.to_host(x) - 0.1 * mean[None, :, None, None]) / np.sqrt(
        backend.to_host(layer.buffers["running_var"])[None, :, None, None] + 1e-3)
    np.testing.assert_allclose(backend.to_host(out), expected, rtol=1e-4, atol=1e-5)


def test_dropout_is_inverted_seeded_and_off_in_inference():
    layer = nn.Dropout(0.25, seed=7)
    x = backend.xp().ones((200, 100), dtype=np.float32)
    y = backend.to_host(layer.forward(x, training=True))
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02
    assert np.array_equal(backend.to_host(layer.forward(x, training=False)), backend.to_host(x))
    again = nn.Dropout(0.25, seed=7)
    assert np.array_equal(backend.to_host(again.forward(x, training=True)), y)
    assert not np.array_equal(backend.to_host(again.forward(x, training=True)), y)


def test_lstm_last_step_equals_sequence_end_and_gru_too():
    x = batch((2, 6, 3))
    for cls in (nn.LSTM, nn.GRU):
        full = cls(5, return_sequences=True)
        full.build((6, 3), 0)
        last = cls(5)
        last.build((6, 3), 0)
        assert_float32_close(last.forward(x), backend.to_host(full.forward(x))[:, -1])


def test_predict_batches_and_returns_host_array():
    model = small_cnn().build((1, 8, 12))
    x = np.random.default_rng(1).standard_normal((5, 1, 8, 12)).astype(np.float32)
    out = model.predict(x, batch_size=2)
    assert isinstance(out, np.ndarray) and out.shape == (5, 3)
    assert_float32_close(out, model.forward(backend.to_device(x)))


def train_steps(model, steps, x, y):
    loss, optimizer = nn.SoftmaxCrossEntropy(), nn.Adam(model.parameters(), lr=0.01)
    for _ in range(steps):
        loss.forward(model.forward(x, training=True), y)
        model.backward(loss.backward())
        optimizer.step()
    return optimizer


def test_save_load_reproduces_outputs_and_metadata(tmp_path):
    model = small_cnn().build((1, 8, 12), seed=1)
    x, y = batch((4, 1, 8, 12)), backend.to_device(np.array([0, 1, 2, 1]))
    train_steps(model, 2, x, y)                         # BN stats and dropout counter move
    path = nn.save(tmp_path / "model.npz", model, {"classes": ["a", "b", "c"], "sr": 22050})
    loaded, metadata = nn.load(path)
    assert metadata == {"classes": ["a", "b", "c"], "sr": 22050}
    assert np.array_equal(loaded.predict(x), model.predict(x))
    # training mode too: same batch statistics, same next dropout mask
    assert np.array_equal(backend.to_host(loaded.forward(x, training=True)),
                          backend.to_host(model.forward(x, training=True)))


def test_load_rejects_truncated_corrupt_and_foreign_files(tmp_path):
    model = small_cnn().build((1, 8, 12))
    path = nn.save(tmp_path / "model.npz", model)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(path.read_bytes()[:300])
    with pytest.raises(nn.ModelFileError, match="truncated.npz"):
        nn.load(truncated)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, weights=np.ones(3))
    with pytest.raises(nn.ModelFileError, match="not a tinymir model"):
        nn.load(foreign)
    with pytest.raises(nn.ModelFileError, match="no such"):
        nn.load(tmp_path / "missing.npz")


@pytest.mark.parametrize("content", [b"garbage" * 100, b"", b"a wav? RIFF....WAVEfmt ",
                                     "npy", "object npz"],
                         ids=["garbage", "empty", "wav-like", "npy", "object-npz"])
def test_a_wrong_file_is_not_a_model_and_unsafe_loading_is_never_suggested(tmp_path, content):
    path = tmp_path / "model.npz"
    if content == "npy":
        with open(path, "wb") as handle:
            np.save(handle, np.arange(3))
    elif content == "object npz":
        np.savez(path, __config__=np.array([{"a": 1}], dtype=object))
    else:
        path.write_bytes(content)
    with pytest.raises(nn.ModelFileError) as error:
        nn.load(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert "tinymir model file" in message
    assert "pickle" not in message and "unsafe" not in message


def _format_1_file(path, model, metadata, config=None):
    """A model file as tinymir wrote them before format 2 (entries beside the arrays)."""
    np.savez(path, __tinymir__=np.array(1),
             __config__=np.array(json.dumps(config or model.get_config())),
             __metadata__=np.array(json.dumps(metadata)), **model.state_dict())
    return path


def test_load_rejects_weights_of_another_architecture(tmp_path):
    model = small_cnn().build((1, 8, 12))
    config = model.get_config()
    config["layers"][0]["config"]["filters"] = 5           # a different architecture
    other = archive.save_tree(tmp_path / "other.npz", {
        "tinymir_model": 2, "config": config, "metadata": {}, "state": model.state_dict()})
    with pytest.raises(nn.ModelFileError, match="conv2d_1.kernel"):
        nn.load(other)
    old = _format_1_file(tmp_path / "old.npz", model, {}, config)
    with pytest.raises(nn.ModelFileError, match="conv2d_1.kernel"):
        nn.load(old)


def test_model_files_of_format_1_still_load(tmp_path):
    model = small_cnn().build((1, 8, 12), seed=4)
    path = _format_1_file(tmp_path / "old.npz", model, {"classes": ["a", "b", "c"]})
    loaded, metadata = nn.load(path)
    assert metadata == {"classes": ["a", "b", "c"]}
    x = batch((2, 1, 8, 12))
    assert np.array_equal(loaded.predict(x), model.predict(x))


def test_models_and_checkpoints_share_one_file_format(tmp_path):
    model = small_cnn().build((1, 8, 12))
    tree = archive.load_tree(nn.save(tmp_path / "m.npz", model, {"sr": 22050}))
    assert tree["tinymir_model"] == 2 and tree["metadata"] == {"sr": 22050}
    assert set(tree["state"]) == set(model.state_dict())


def test_state_dict_round_trip_and_mismatch():
    model = small_cnn().build((1, 8, 12), seed=0)
    other = small_cnn().build((1, 8, 12), seed=9)
    other.load_state_dict(model.state_dict())
    x = batch((3, 1, 8, 12))
    assert np.array_equal(other.predict(x), model.predict(x))
    state = model.state_dict()
    del state["dense_1.bias"]
    with pytest.raises(nn.StateDictError, match="dense_1.bias"):
        other.load_state_dict(state)


def test_resumed_training_continues_bit_for_bit():
    x, y = batch((4, 1, 8, 12)), backend.to_device(np.array([0, 1, 2, 1]))
    straight = small_cnn().build((1, 8, 12), seed=2)
    train_steps(straight, 3, x, y)

    first = small_cnn().build((1, 8, 12), seed=2)
    optimizer = train_steps(first, 1, x, y)
    model_state, optimizer_state = first.state_dict(), optimizer.state_dict()
    resumed = small_cnn().build((1, 8, 12), seed=5)
    resumed.load_state_dict(model_state)
    loss, optimizer = nn.SoftmaxCrossEntropy(), nn.Adam(resumed.parameters(), lr=0.01)
    optimizer.load_state_dict(optimizer_state)
    for _ in range(2):
        loss.forward(resumed.forward(x, training=True), y)
        resumed.backward(loss.backward())
        optimizer.step()
    for name, value in straight.state_dict().items():
        assert np.array_equal(value, resumed.state_dict()[name]), name


def test_a_small_cnn_learns_a_separable_problem():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 48)
    images = rng.normal(0, 0.3, (48, 1, 8, 12))
    for k in range(3):                              # class k: a bright band at rows 2k..2k+1
        images[labels == k, 0, 2 * k:2 * k + 2] += 2.0
    model = small_cnn().build((1, 8, 12), seed=0)
    x, y = backend.to_device(images, np.float32), backend.to_device(labels)
    train_steps(model, 40, x, y)
    accuracy = (model.predict(x).argmax(axis=1) == labels).mean()
    assert accuracy > 0.95


def test_a_lazily_built_layer_is_reproducible():
    x = batch((2, 4))
    first, second = nn.Dense(3), nn.Dense(3)
    assert np.array_equal(backend.to_host(first.forward(x)), backend.to_host(second.forward(x)))


@pytest.mark.parametrize("name,expected_std", [
    ("glorot_uniform", np.sqrt(2.0 / (400 + 300))), ("glorot_normal", np.sqrt(2.0 / (400 + 300))),
    ("he_uniform", np.sqrt(2.0 / 400)), ("he_normal", np.sqrt(2.0 / 400))])
def test_initializers_have_their_variance(name, expected_std):
    layer = nn.Dense(300, init=name)
    layer.build((400,), rng=0)
    kernel = backend.to_host(layer.params["kernel"].value)
    assert abs(kernel.std() / expected_std - 1) < 0.02
    assert abs(kernel.mean()) < 0.01 * expected_std * 10


def test_orthogonal_recurrent_kernel_and_open_forget_gate():
    lstm = nn.LSTM(8)
    lstm.build((5, 3), rng=0)
    recurrent = backend.to_host(lstm.params["recurrent_kernel"].value).astype(np.float64)
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(8), atol=1e-5)   # (8, 32) rows
    bias = backend.to_host(lstm.params["bias"].value)
    assert np.all(bias[8:16] == 1) and np.all(bias[:8] == 0) and np.all(bias[16:] == 0)


def test_shape_errors_of_time_layers_name_the_layer_and_its_own_input():
    model = nn.Sequential([nn.Conv1D(2, 3), nn.MaxPool1D(8)])
    with pytest.raises(nn.ShapeError,
                       match=r"'maxpool1d_1' \(MaxPool1D\) cannot take input \(2, 3\)"):
        model.build((4, 5))


@pytest.mark.parametrize("first, shape", [
    (lambda: nn.Dense(3), (4, 5)),
    (lambda: nn.Conv2D(3, 3, padding="same"), (2, 2, 6, 7)),
    (lambda: nn.Conv2D(3, 3, stride=2), (2, 2, 7, 7)),
    (lambda: nn.Conv1D(3, 3), (2, 4, 9)),
    (lambda: nn.LSTM(3, return_sequences=True), (2, 5, 4)),
    (lambda: nn.GRU(3, dropout=0.2, seed=1), (2, 5, 4)),
])
def test_skipping_the_input_gradient_leaves_parameter_gradients_unchanged(first, shape):
    def gradients(input_grad):
        model = nn.Sequential([first(), nn.Flatten(), nn.Dense(2)]).build(shape[1:], seed=0)
        x = batch(shape)
        out = model.forward(x, training=True)
        dx = model.backward(backend.xp().ones_like(out), input_grad=input_grad)
        return dx, {name: backend.to_host(p.grad) for name, p in model.parameters()}

    dx_full, full = gradients(True)
    dx_none, skipped = gradients(False)
    assert dx_full.shape == shape and dx_none is None
    assert full.keys() == skipped.keys()
    for name in full:
        np.testing.assert_array_equal(full[name], skipped[name], err_msg=name)


@pytest.mark.parametrize("pool, shape", [
    (lambda: nn.MaxPool2D((2, 4), stride=2), (3, 1, 8, 14)),
    (lambda: nn.MaxPool2D(3, stride=2, padding="same"), (3, 1, 7, 9)),
    (lambda: nn.MaxPool1D(3, stride=2), (3, 2, 11)),
])
def test_relu_before_a_max_pool_runs_after_it_with_identical_results(pool, shape):
    conv = (lambda: nn.Conv2D(2, 3, padding="same")) if len(shape) == 4 else \
        (lambda: nn.Conv1D(2, 3, padding="same"))
    model = nn.Sequential([conv(), nn.ReLU(), pool(), nn.Flatten(), nn.Dense(2)])
    model.build(shape[1:], seed=0)
    assert model.run_order() == [0, 2, 1, 3, 4]
    # integer-valued input and kernel: many ties and many windows that are all negative
    rng = np.random.default_rng(0)
    x = backend.to_device(rng.integers(-2, 3, shape), backend.float_dtype())
    kernel = model.layers[0].params["kernel"]
    kernel.value[...] = backend.to_device(rng.integers(-1, 2, kernel.value.shape),
                                          backend.float_dtype())
    out = model.forward(x, training=True)
    dy = backend.to_device(rng.standard_normal(out.shape), backend.float_dtype())
    dx = model.backward(dy)
    grads = {name: backend.to_host(p.grad).copy() for name, p in model.parameters()}

    h = x                                     # the declared order, layer by layer
    for layer in model.layers:
        h = layer._forward(h, True)
    np.testing.assert_array_equal(backend.to_host(h), backend.to_host(out))
    g = dy
    for layer in reversed(model.layers):
        g = layer._backward(g)
    np.testing.assert_array_equal(backend.to_host(g), backend.to_host(dx))
    for name, p in model.parameters():
        np.testing.assert_array_equal(backend.to_host(p.grad), grads[name], err_msg=name)
