"""`predict --timeline` and `listen` used wrongly: one line, the right exit status, no
traceback, and nothing written where the work would have gone."""
import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

from _cli_helpers import invoke, refused, tiny_model, tree_digest, two_class_set, usage_error
from tinymir.cli.main import main


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    root = tmp_path_factory.mktemp("recordings")
    return tiny_model(two_class_set(root / "data"), root / "run")


@pytest.fixture
def song(tmp_path):
    path = tmp_path / "song.wav"
    soundfile.write(path, 0.3 * np.sin(np.linspace(0, 2000, 22050)).astype(np.float32), 22050)
    return path


@pytest.mark.parametrize("args, texts", [
    (["--timeline", "--out", "tags.csv"], ["--timeline writes into --timeline-dir"]),
    (["--timeline", "--smoothing", "viterbi"], ["'viterbi' is not one of"]),
    (["--timeline", "--switch-penalty", "-1"], ["--switch-penalty"]),
    (["--timeline", "--median-width", "0"], ["--median-width"]),
])
def test_nonsensical_timeline_options_are_refused_before_anything_is_written(model, song,
                                                                              tmp_path, args,
                                                                              texts):
    before = tree_digest(tmp_path)
    usage_error(invoke("predict", model, song, *args, "--timeline-dir", tmp_path / "out"),
                *texts)
    assert tree_digest(tmp_path) == before


def test_a_timeline_of_an_unreadable_file_writes_nothing(model, tmp_path):
    bad = tmp_path / "noise.wav"
    bad.write_bytes(b"not audio" * 50)
    before = tree_digest(tmp_path)
    refused(invoke("predict", model, bad, "--timeline", "--timeline-dir", tmp_path / "out"),
            "noise.wav", "1 of 1 files could not be labelled")
    assert tree_digest(tmp_path) == before


def test_a_timeline_with_a_file_that_is_no_model_is_one_line(song, tmp_path):
    fake = tmp_path / "model.npz"
    fake.write_bytes(b"PK not a model")
    before = tree_digest(tmp_path)
    refused(invoke("predict", fake, song, "--timeline", "--timeline-dir", tmp_path / "out"),
            "model.npz")
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize("args, texts", [
    (["--format", "mp3"], ["'mp3' is not one of"]),
    (["--format", "f32le", "--sr", "0"], ["--sr"]),
    (["--format", "f32le", "--channels", "0"], ["--channels"]),
    (["--format", "f32le", "--block-seconds", "0"], ["--block-seconds"]),
])
def test_nonsensical_listen_options_are_refused(model, args, texts):
    usage_error(invoke("listen", model, *args), *texts)


def test_listen_with_a_file_that_is_no_model_is_one_line(tmp_path):
    fake = tmp_path / "model.npz"
    fake.write_bytes(b"PK not a model")
    refused(invoke("listen", fake, "--format", "f32le"), "model.npz")


def test_an_empty_or_ragged_stream_ends_without_a_label_or_a_traceback(model):
    for raw in (b"", b"\x00\x00\x80"):            # nothing; less than one float32 sample
        result = CliRunner().invoke(main, ["listen", str(model), "--format", "f32le"],
                                    input=raw)
        assert result.exit_code == 0 and result.stdout == "", result.output
