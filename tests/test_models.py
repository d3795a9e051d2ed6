"""The model zoo: every architecture builds on its front end, with the seed's shapes."""
import numpy as np
import pytest

from tinymir import backend, models, nn
from tinymir.features import FeatureParams


def layer_shapes(model, kind):
    """Output shapes (no batch axis) of the layers of type ``kind``, in order."""
    shape, out = model.input_shape, []
    for layer in model.layers:
        shape = layer.output_shape(shape)
        if isinstance(layer, kind):
            out.append(shape)
    return out


@pytest.mark.parametrize("name", list(models.ARCHS))
def test_every_arch_builds_on_its_front_end(name):
    arch = models.get_arch(name)
    model = models.build(name, n_classes=7)
    assert model.input_shape == arch.front.input_shape
    assert model.output_shape() == (7,)
    assert model.num_params() > 0


def test_cnn3_pool_outputs_are_seed_000_table_2():
    model = models.build("cnn3", 10)
    assert models.default_front("cnn3").input_shape == (1, 128, 130)
    assert [s[1:] for s in layer_shapes(model, nn.MaxPool2D)] == [(63, 64), (31, 31), (15, 15)]


def test_cnn5_and_cnn7_follow_table_3():
    cnn5 = models.build("cnn5", 10)
    assert [s[1:] for s in layer_shapes(cnn5, nn.MaxPool2D)][3:] == [(7, 7), (3, 3)]
    assert [s[0] for s in layer_shapes(cnn5, nn.Conv2D)] == [32, 32, 32, 64, 64]
    cnn7 = models.build("cnn7", 10)
    assert layer_shapes(cnn7, nn.Conv2D)[-2:] == [(128, 3, 3), (128, 3, 3)]


def test_stft_variant_meets_the_mel_grid_and_mfcc_variant_convolves_time_only():
    front = models.default_front("cnn3")
    stft = models.build("cnn3", 10, front=front.replace(kind="stft"))
    assert stft.input_shape == (1, 513, 130)
    assert layer_shapes(stft, nn.MaxPool2D)[-1] == (32, 15, 15)
    mfcc = models.build("cnn3", 10, front=front.replace(kind="mfcc"))
    assert mfcc.input_shape == (1, 20, 130)
    assert not layer_shapes(mfcc, nn.Conv2D)
    assert layer_shapes(mfcc, nn.MaxPool1D) == [(32, 64), (32, 31), (32, 15)]


def test_fcn5_pools_reach_one_by_one_and_crnn_reads_13_steps():
    fcn5 = models.build("fcn5", 35)
    assert layer_shapes(fcn5, nn.MaxPool2D)[-1] == (512, 1, 1)
    crnn = models.build("crnn", 6)
    assert layer_shapes(crnn, nn.Reshape)[-1] == (13, 128)
    lstm_head = models.build("crnn", 6, rnn="lstm")
    assert any(isinstance(layer, nn.LSTM) for layer in lstm_head.layers)


def test_small_nets_forward_a_batch(xp):
    for name in ("cnn3", "dieleman", "lstm", "ffnn"):
        front = models.default_front(name)
        model = models.build(name, 4)
        x = backend.to_device(np.random.default_rng(0).standard_normal(
            (2,) + front.input_shape), backend.float_dtype())
        assert model.forward(x, training=True).shape == (2, 4)


def test_same_seed_same_weights():
    a = models.build("cnn3", 3, seed=5).state_dict()
    b = models.build("cnn3", 3, seed=5).state_dict()
    c = models.build("cnn3", 3, seed=6).state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert any(not np.array_equal(a[k], c[k]) for k in a)


def test_unknown_arch_and_unusable_front_end_are_one_clear_error():
    with pytest.raises(models.UnknownArchError, match="unknown architecture 'cnn9'.*cnn3"):
        models.build("cnn9", 10)
    with pytest.raises(models.FrontEndError, match="crnn cannot read 20x"):
        models.build("crnn", 6, front=models.default_front("crnn").replace(n_mels=20))
    with pytest.raises(models.FrontEndError, match="unknown feature kind"):
        models.default_front("cnn3").replace(kind="chroma")


def test_front_end_frames_and_round_trip():
    front = models.default_front("cnn3")
    assert front.segment_frames == 130 and front.hop_frames == 129     # 30 s hold 10 segments
    assert front.replace(overlap=0.5).hop_frames == 65
    assert models.default_front("crnn").input_shape == (1, 96, 1172)
    assert models.FrontEnd.from_dict(front.to_dict()) == front


def test_front_end_is_its_feature_params():
    front = models.default_front("crnn")
    params = front.feature_params()
    assert type(params) is FeatureParams and params.kind == "mel" and params.sr == 12000
    assert front.key() == params.key()                  # the cache key ignores segmenting
    assert front.replace(segment=5.0).key() == front.key()
    assert front.replace(n_mels=64).key() != front.key()


def test_front_end_reads_the_field_names_of_older_model_files():
    old = {"features": "mfcc", "sample_rate": 22050, "n_fft": 2048, "hop_length": 512,
           "n_mels": 128, "n_mfcc": 13, "segment": 29.0, "overlap": 0.0, "discard": 0.0,
           "center": None}
    assert models.FrontEnd.from_dict(old) == models.default_front("fma_cnn")
