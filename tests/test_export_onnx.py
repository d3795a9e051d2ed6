"""ONNX export (tinymir.export, `tinymir export`): the graph of every zoo architecture gives what
`tinymir predict` gives, on the same files, within 1e-4 and with the same top labels; every
layer converter against the layer itself; the files pass onnx.checker's full check; bad input
is one line and leaves existing files as they were. Skipped only without onnx / onnxruntime
(both are in the test extra)."""
import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from _cli_helpers import invoke, refused, tree_digest
from tinymir import backend, models, nn
from tinymir.predict import Predictor

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from tinymir.export import IR_VERSION, OPSET, ExportError, build_onnx, to_onnx  # noqa: E402
from tinymir.export.graph import Graph  # noqa: E402
from tinymir.export.network import CONVERTERS, LSTM_ORDER, network  # noqa: E402

CLASSES = ["blues", "jazz", "rock", "metal"]
TOLERANCE = 1e-4


def randomise(model, seed: int) -> None:
    """Batch-norm statistics and affine parameters away from (0, 1), every bias non-zero, so
    that folding, the gate order and the biases are all exercised."""
    rng = np.random.default_rng(seed)

    def put(array, values):
        array[...] = backend.to_device(np.asarray(values).reshape(array.shape), array.dtype)

    for layer in model.layers:
        for name, param in layer.params.items():
            if name in ("bias", "recurrent_bias", "beta"):
                put(param.value, rng.normal(0.0, 0.2, param.value.shape))
            elif name == "gamma":
                put(param.value, rng.uniform(0.5, 1.5, param.value.shape))
        if isinstance(layer, nn.BatchNorm):
            mean, var = layer.buffers["running_mean"], layer.buffers["running_var"]
            put(mean, rng.normal(0.0, 0.5, mean.shape))
            put(var, rng.uniform(0.5, 2.0, var.shape))


def save_model(path, arch, front=None, seed=0, multilabel=False, aggregate="mean", **options):
    """A model file as `tinymir train` writes it, with seeded random weights (parity needs no
    training) and a plausible standardisation of dB features."""
    front = front or models.default_front(arch)
    model = models.build(arch, len(CLASSES), front, seed=seed, **options)
    randomise(model, seed)
    rng = np.random.default_rng(seed + 1)
    meta = {"tinymir_model": 1, "arch": arch, "arch_options": options, "front": front.to_dict(),
            "classes": CLASSES, "multilabel": multilabel, "aggregate": aggregate,
            "standardize": {"mean": rng.normal(-30.0, 5.0, front.n_bins).tolist(),
                            "std": rng.uniform(5.0, 15.0, front.n_bins).tolist()}}
    if multilabel:
        meta["thresholds"] = [0.3, 0.5, 0.5, 0.7]
    nn.save(path, model, meta)
    return path


def music(seconds: float, sr: int, seed: int) -> np.ndarray:
    """A few notes with vibrato, a quiet passage and some noise: loud and quiet bins both."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    y = np.zeros_like(t)
    for k, f in enumerate(rng.uniform(110, 880, 4)):
        y += 0.2 / (k + 1) * np.sin(2 * np.pi * f * t + 3 * np.sin(2 * np.pi * 5 * t))
    y *= 0.55 + 0.45 * np.sin(2 * np.pi * t / max(seconds, 1.0))     # swells and fades
    y += 0.01 * rng.normal(size=t.size)
    return y.astype(np.float32)


@pytest.fixture(scope="module")
def songs(tmp_path_factory):
    """``songs(sr, seconds)``: a float32 wav at ``sr``, written once per (sr, seconds)."""
    folder, made = tmp_path_factory.mktemp("songs"), {}

    def song(sr, seconds):
        key = (sr, round(seconds, 3))
        if key not in made:
            made[key] = folder / f"song_{sr}_{seconds:.3f}.wav"
            sf.write(made[key], music(seconds, sr, len(made)), sr, subtype="FLOAT")
        return made[key]
    return song


def session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def run_onnx(sess, wav):
    y, _ = sf.read(wav, dtype="float32")
    return sess.run(None, {"audio": y[None]})


def tinymir_segments(predictor, wav):
    """The segment probabilities `tinymir predict` averages (its own functions)."""
    from tinymir.features.files import file_features
    from tinymir.train.evaluate import probabilities, segment_logits
    from tinymir.train.inputs import frame_view, part_params, segment_batches, segment_tracks, stack
    feats = frame_view(stack([file_features(wav, p) for p in part_params(predictor.front)]),
                       predictor.front)
    s = segment_tracks([feats], predictor.front)
    batches = segment_batches([feats], s, np.zeros(1), predictor.standardize, 64,
                              shuffle=False)
    return probabilities(segment_logits(predictor.model, batches), predictor.multilabel)


def check_parity(model_path, onnx_path, wavs):
    predictor = Predictor.load(model_path)
    sess = session(onnx_path)
    for wav in wavs:
        result = predictor.predict_file(wav, top=len(CLASSES))
        expected = np.array([dict(result["top"])[c] for c in CLASSES])
        per_segment, scores = run_onnx(sess, wav)
        assert scores.shape == (1, len(CLASSES))
        assert np.abs(scores[0] - expected).max() < TOLERANCE, (wav, scores, expected)
        assert CLASSES[int(np.argmax(scores[0]))] == result["top"][0][0]
        segment_probs = tinymir_segments(predictor, wav)
        assert per_segment.shape == (1,) + segment_probs.shape
        assert np.abs(per_segment[0] - segment_probs).max() < TOLERANCE


# Every architecture of the zoo on its own front end, then the variants that take other paths:
# LSTM cells in the CRNN, a feature stack (chroma, contrast, centroid) in the 1-D CNN and the
# LSTM, the STFT input (strided pools), overlapping segments with a majority vote, tags.
CASES = [(name, {}) for name in models.ARCHS] + [
    ("crnn", {"rnn": "lstm"}),
    ("cnn3", {"kind": "mfcc+chroma+contrast+centroid", "overlap": 0.5}),
    ("lstm", {"kind": "mel+stft+centroid"}),
    ("cnn3", {"kind": "stft"}),
    ("ffnn", {"overlap": 0.75, "aggregate": "vote"}),
    ("cnn3", {"multilabel": True}),
    ("cnn3", {"n_fft": 1023}),                      # odd frames: T = 1 + (n - 1) // hop
]


@pytest.mark.parametrize("arch, variant", CASES,
                         ids=[f"{a}-{'-'.join(map(str, v.values())) or 'zoo'}" for a, v in CASES])
def test_every_architecture_matches_predict(tmp_path, songs, arch, variant):
    variant = dict(variant)
    options = {k: variant.pop(k) for k in ("rnn",) if k in variant}
    flags = {k: variant.pop(k) for k in ("multilabel", "aggregate") if k in variant}
    front = models.default_front(arch).replace(**variant)
    model_path = save_model(tmp_path / "model.npz", arch, front, **flags, **options)
    onnx_path = to_onnx(model_path, tmp_path / "model.onnx")
    longest = front.segment * 2.3 + 2 * front.discard + (front.center or 0)
    check_parity(model_path, onnx_path, [songs(front.sr, 1.3), songs(front.sr, longest)])
    onnx.checker.check_model(onnx.load(str(onnx_path)), full_check=True)


def test_the_file_says_what_it_holds(tmp_path):
    model_path = save_model(tmp_path / "m.npz", "fcn5", multilabel=True)
    to_onnx(model_path, tmp_path / "m.onnx")
    model = onnx.load(str(tmp_path / "m.onnx"))
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version == OPSET and model.ir_version == IR_VERSION
    props = {p.key: json.loads(p.value) for p in model.metadata_props}
    assert props["classes"] == CLASSES and props["multilabel"] is True
    assert props["sample_rate"] == 12000 and props["thresholds"] == [0.3, 0.5, 0.5, 0.7]
    assert props["front_end"]["discard"] == 20.0
    assert [i.name for i in model.graph.input] == ["audio"]
    assert [o.name for o in model.graph.output] == ["segment_scores", "scores"]
    ops = {node.op_type for node in model.graph.node}
    assert "BatchNormalization" not in ops and "DFT" not in ops
    # fcn5's five batch norms follow convolutions: all folded, no Mul/Add pair left for them
    assert sum(node.op_type == "Conv" for node in model.graph.node) == 5
    assert not any("batchnorm" in i.name for i in model.graph.initializer)


def test_a_batch_of_clips_gives_each_clip_its_own_scores(tmp_path, songs):
    """Clips of one length in one call: each has its own dB floor and its own scores."""
    model_path = save_model(tmp_path / "m.npz", "cnn3")
    to_onnx(model_path, tmp_path / "m.onnx")
    sess = session(tmp_path / "m.onnx")
    loud, _ = sf.read(songs(22050, 4.0), dtype="float32")
    quiet = (0.01 * loud[::-1]).copy()
    both = sess.run(None, {"audio": np.stack([loud, quiet])})[1]
    alone = [sess.run(None, {"audio": clip[None]})[1][0] for clip in (loud, quiet)]
    np.testing.assert_allclose(both, np.stack(alone), atol=1e-6)


def test_silence_and_clips_shorter_than_a_frame_give_finite_scores(tmp_path):
    """`tinymir predict` refuses them; the graph scores them, never with a NaN."""
    model_path = save_model(tmp_path / "m.npz", "crnn")
    to_onnx(model_path, tmp_path / "m.onnx")
    sess = session(tmp_path / "m.onnx")
    for clip in (np.zeros((2, 12000), np.float32), np.full((1, 7), 0.5, np.float32),
                 np.zeros((1, 0), np.float32)):
        per_segment, scores = sess.run(None, {"audio": clip})
        assert np.isfinite(per_segment).all() and np.isfinite(scores).all()
        np.testing.assert_allclose(scores.sum(axis=1), 1.0, atol=1e-5)


def _layer_graph(model, input_shape):
    """The network alone as an ONNX model: x (N, *input_shape) -> y."""
    from onnx import TensorProto, helper
    g = Graph()
    g.names.add("x")
    out = network(g, "x", model, input_shape)
    g.op("Identity", out, out="y")
    graph = helper.make_graph(
        g.nodes, "layers",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", *input_shape])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       ["n", *model.output_shape(input_shape)])],
        g.initializers)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = IR_VERSION
    onnx.checker.check_model(m, full_check=True)
    return ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])


LAYER_NETS = [
    ((3, 9, 11), lambda: [
        nn.Conv2D(4, 3, padding="same"), nn.BatchNorm(), nn.LeakyReLU(0.1),
        nn.AvgPool2D((2, 3), stride=(1, 2), padding="same"), nn.Conv2D(3, (2, 2), stride=2),
        nn.Tanh(), nn.ZeroPad2D(((1, 0), (0, 2))), nn.MaxPool2D((2, 2), stride=1,
                                                             padding="same"),
        nn.BatchNorm(), nn.Dropout(0.5), nn.GlobalAvgPool2D(), nn.Dense(5), nn.Sigmoid()]),
    ((5, 12), lambda: [
        nn.Conv1D(4, 3, padding="same", use_bias=False), nn.BatchNorm(), nn.ELU(0.7),
        nn.MaxPool1D(3, stride=2, padding="same"), nn.AvgPool1D(2, padding="same"),
        nn.Permute((2, 1)), nn.LSTM(6, return_sequences=True, dropout=0.2),
        nn.LSTM(5, return_sequences=True), nn.GRU(4, return_sequences=True), nn.GRU(3),
        nn.Dense(4), nn.Softmax()]),
    ((6, 8), lambda: [
        nn.Conv1D(5, 2, stride=2, padding=1), nn.ReLU(), nn.GlobalMaxPool2D(),
        nn.Reshape((5, 1)), nn.Flatten(), nn.BatchNorm(), nn.Dense(3, use_bias=False)]),
]


@pytest.mark.parametrize("index", range(len(LAYER_NETS)))
def test_every_layer_converter_matches_the_layer(index):
    shape, layers = LAYER_NETS[index]
    model = nn.Sequential(layers(), name="net")
    model.build(shape, seed=index)
    randomise(model, index)
    x = np.random.default_rng(index).normal(size=(3, *shape)).astype(np.float32)
    expected = backend.to_host(model.forward(backend.to_device(x, np.float32)))
    got = _layer_graph(model, shape).run(None, {"x": x})[0]
    np.testing.assert_allclose(got, expected, atol=2e-5, rtol=1e-4)


def test_the_layer_nets_cover_every_converter_and_every_layer_has_one():
    used = {type(layer) for _, layers in LAYER_NETS for layer in layers()}
    assert set(CONVERTERS) <= used, set(CONVERTERS) - used
    missing = set(nn.LAYERS.values()) - set(CONVERTERS)
    assert not missing, f"layers of tinymir.nn with no ONNX form: {missing}"


def test_lstm_gate_order_is_onnx_order():
    """tinymir's [i, f, g, o] blocks land on ONNX's [i, o, f, c]: a weight put only in the
    forget block must come out as ONNX's third block."""
    assert LSTM_ORDER == (0, 3, 1, 2)
    model = nn.Sequential([nn.LSTM(2)], name="net")
    model.build((1, 3), seed=0)
    from tinymir.export.network import _gates
    blocks = np.repeat(np.arange(4.0), 2)[None]                     # i i f f g g o o
    assert _gates(blocks, LSTM_ORDER, 2).tolist() == [[0, 0, 3, 3, 1, 1, 2, 2]]


# ---- the command and bad input ---------------------------------------------------------------

def test_export_command_writes_the_file_and_predict_agrees(tmp_path, songs):
    model_path = save_model(tmp_path / "m.npz", "dieleman")
    result = invoke("export", model_path, tmp_path / "out" / "m.onnx")
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and f"opset {OPSET}" in result.output
    wav = songs(22050, 5.0)
    predicted = json.loads(invoke("predict", model_path, wav, "--json", "--top", 4).stdout)
    scores = run_onnx(session(tmp_path / "out" / "m.onnx"), wav)[1][0]
    for label, p in predicted["top"]:
        assert abs(scores[CLASSES.index(label)] - p) < TOLERANCE
    assert not list((tmp_path / "out").glob(".tmp-*"))


@pytest.mark.parametrize("dft", ["float32", "float64"])
def test_float32_dft_option(tmp_path, songs, dft):
    model_path = save_model(tmp_path / "m.npz", "cnn3")
    result = invoke("export", model_path, tmp_path / "m.onnx", "--dft", dft)
    assert result.exit_code == 0, result.output
    dtypes = {i.data_type for i in onnx.load(str(tmp_path / "m.onnx")).graph.initializer
              if i.name == "dft_basis"}
    assert dtypes == {onnx.TensorProto.DOUBLE if dft == "float64" else onnx.TensorProto.FLOAT}
    check_parity(model_path, tmp_path / "m.onnx", [songs(22050, 4.0)])


def test_old_model_formats_are_one_line(tmp_path):
    bare = nn.Sequential([nn.Flatten(), nn.Dense(2)], name="bare")
    bare.build((1, 4, 5))
    nn.save(tmp_path / "nn_only.npz", bare, {"classes": ["a", "b"]})
    refused(invoke("export", tmp_path / "nn_only.npz", tmp_path / "x.onnx"),
            "not a model written by `tinymir train`")
    np.savez(tmp_path / "format1.npz", __tinymir__=1, __config__=json.dumps(bare.get_config()),
             __metadata__=json.dumps({"classes": ["a", "b"]}),
             **{k: backend.to_host(v) for k, v in bare.state_dict().items()})
    refused(invoke("export", tmp_path / "format1.npz", tmp_path / "x.onnx"),
            "not a model written by `tinymir train`")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    refused(invoke("export", tmp_path / "junk.npz", tmp_path / "x.onnx"), "junk.npz")
    refused(invoke("export", tmp_path / "missing.npz", tmp_path / "x.onnx"), "missing.npz")
    assert not (tmp_path / "x.onnx").exists()


class Squash(nn.Layer):
    """A user's own layer: x / (1 + |x|), with no ONNX form (registered only in its test, so
    the suite's checks over every registered layer do not see it)."""

    def _forward(self, x, training):
        return x / (1 + abs(x))


def test_a_layer_without_onnx_form_is_named_and_nothing_is_overwritten(tmp_path, monkeypatch):
    monkeypatch.setitem(nn.LAYERS, "Squash", Squash)
    front = models.default_front("ffnn")
    model = nn.Sequential([nn.Flatten(), Squash(name="my_squash"), nn.Dense(len(CLASSES))],
                          name="custom")
    model.build(front.input_shape)
    nn.save(tmp_path / "m.npz", model, {
        "tinymir_model": 1, "arch": "custom", "front": front.to_dict(), "classes": CLASSES,
        "multilabel": False, "standardize": {"mean": [0.0] * front.n_bins,
                                             "std": [1.0] * front.n_bins}})
    target = tmp_path / "m.onnx"
    target.write_bytes(b"the user's earlier export")
    before = tree_digest(tmp_path)
    refused(invoke("export", tmp_path / "m.npz", target), "'my_squash' (Squash) has no ONNX form")
    assert tree_digest(tmp_path) == before


def test_unwritable_paths_are_one_line(tmp_path):
    model_path = save_model(tmp_path / "m.npz", "cnn3")
    (tmp_path / "afile").write_text("x")
    refused(invoke("export", model_path, tmp_path / "afile" / "m.onnx"),
            "cannot be written", "is a file, not a folder")
    (tmp_path / "folder").mkdir()
    refused(invoke("export", model_path, tmp_path / "folder"), "is a folder")
    with pytest.raises(ExportError, match="cannot be written"):
        to_onnx(model_path, "/proc/tinymir-cannot-write-here.onnx")


def test_without_onnx_the_command_says_what_to_install(tmp_path, monkeypatch):
    model_path = save_model(tmp_path / "m.npz", "cnn3")
    monkeypatch.setitem(sys.modules, "onnx", None)           # import onnx -> ImportError
    refused(invoke("export", model_path, tmp_path / "m.onnx"), 'pip install "tinymir[onnx]"')
    with pytest.raises(ExportError, match="onnx package"):
        build_onnx(Predictor.load(model_path))


def test_importing_tinymir_does_not_import_onnx():
    code = ("import sys, tinymir, tinymir.export, tinymir.cli.main; "
            "assert 'onnx' not in sys.modules and 'onnxruntime' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
