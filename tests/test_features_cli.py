"""`tinymir features` end to end on files written by the test."""
import json

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

from _features_helpers import make_signal
from _rounding import assert_float32_close
from tinymir import backend
from tinymir import features as F
from tinymir.cli.main import main


@pytest.fixture
def music_folder(tmp_path):
    """Two labelled folders: three 2 s clips, one 3 s clip at 16 kHz, and three bad files."""
    root = tmp_path / "music"
    (root / "tones").mkdir(parents=True)
    (root / "noise" / "deeper").mkdir(parents=True)
    for i, kind in enumerate(("chirp", "harmonic", "clicks")):
        soundfile.write(root / "tones" / f"t{i}.wav", make_signal(kind, 2 * 22050, 22050), 22050)
    soundfile.write(root / "noise" / "deeper" / "n.flac", make_signal("noise", 3 * 16000, 16000),
                    16000)
    (root / "noise" / "broken.wav").write_bytes(b"not audio at all")
    (root / "noise" / "empty.ogg").write_bytes(b"")
    with_nan = make_signal("noise", 22050, 22050)
    with_nan[100] = np.nan
    soundfile.write(root / "noise" / "nan.wav", with_nan, 22050, subtype="FLOAT")
    (root / "noise" / "notes.txt").write_text("not audio, not listed")
    return root


def run(*args):
    result = CliRunner().invoke(main, ["--device", backend.get_device(), "features",
                                       *map(str, args)])
    return result


def test_folder_to_npz_with_skips(music_folder, tmp_path):
    out = tmp_path / "mel.npz"
    result = run(music_folder, "--kind", "mel", "--out", out)
    assert result.exit_code == 0, result.output
    assert "skipped 3 files" in result.output
    assert "nan.wav: contains NaN or infinite samples" in result.output
    assert "broken.wav: unreadable or corrupt" in result.output
    assert "empty.ogg: empty" in result.output
    data = np.load(out)
    assert list(data["paths"]) == ["noise/deeper/n.flac", "tones/t0.wav", "tones/t1.wav",
                                   "tones/t2.wav"]
    assert list(data["labels"]) == ["deeper", "tones", "tones", "tones"]
    assert json.loads(str(data["params"]))["n_fft"] == 1024
    assert str(data["key"]) == F.FeatureParams(kind="mel").key()
    # 3 s resampled to 22050 Hz -> 130 frames; 2 s -> 87 frames; concatenated along frames
    assert list(data["n_frames"]) == [130, 87, 87, 87]
    assert data["features"].shape == (128, 130 + 3 * 87)
    clip, _ = soundfile.read(music_folder / "tones" / "t1.wav", dtype="float32")   # 16-bit PCM
    expected = backend.to_host(F.extract(backend.to_device(clip), 22050, "mel"))
    np.testing.assert_allclose(data["features"][:, 130 + 87:130 + 2 * 87], expected, atol=2e-3)


def test_single_file_track_features(music_folder, tmp_path):
    out = tmp_path / "track.npz"
    result = run(music_folder / "tones" / "t2.wav", "--kind", "track", "--out", out,
                 "--n-mfcc", "13")
    assert result.exit_code == 0, result.output
    data = np.load(out)
    assert data["features"].shape == (1, len(F.feature_names(13)))
    assert list(data["names"]) == list(F.feature_names(13))
    assert list(data["paths"]) == ["t2.wav"] and list(data["labels"]) == ["tones"]


def test_plot_writes_one_png_per_file(music_folder, tmp_path):
    pytest.importorskip("matplotlib", reason="--plot draws with matplotlib")
    result = run(music_folder / "tones", "--kind", "chroma", "--out", tmp_path / "c.npz",
                 "--plot", tmp_path / "pictures")
    assert result.exit_code == 0, result.output
    pictures = sorted(p.name for p in (tmp_path / "pictures").iterdir())
    assert pictures == ["t0.chroma.png", "t1.chroma.png", "t2.chroma.png"]
    assert (tmp_path / "pictures" / "t0.chroma.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("args,message", [
    (["--n-fft", "0"], "n_fft must be a positive integer"),
    (["--kind", "track", "--plot", "pics"], "--kind track gives one row"),
])
def test_bad_options_give_one_clear_line(music_folder, tmp_path, args, message):
    result = run(music_folder, "--out", tmp_path / "x.npz", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_plot_without_matplotlib_says_so(music_folder, tmp_path, monkeypatch):
    import importlib.util
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "matplotlib" else real_find_spec(name, *a))
    result = run(music_folder, "--out", tmp_path / "x.npz", "--plot", tmp_path / "pics")
    assert result.exit_code == 0, result.output          # the features, without pictures
    assert result.output.count("pictures skipped: matplotlib is not installed; "
                               "pip install matplotlib") == 1
    assert (tmp_path / "x.npz").is_file() and not list(tmp_path.glob("pics/*.png"))


def test_folder_without_audio(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run(tmp_path / "empty", "--out", tmp_path / "x.npz")
    assert result.exit_code != 0 and "no audio files" in result.output


def test_all_files_broken(tmp_path):
    (tmp_path / "bad.wav").write_bytes(b"junk")
    result = run(tmp_path, "--out", tmp_path / "x.npz")
    assert result.exit_code != 0
    assert "none of the 1 audio files could be read" in result.output


def test_one_file_equals_the_batched_path(music_folder):
    from tinymir.features.files import batch_features, file_features, find_audio_files, load_clip
    params = F.FeatureParams(kind="mfcc")
    files, _ = find_audio_files(music_folder / "tones")
    assert [f.name for f in files] == ["t0.wav", "t1.wav", "t2.wav"]
    batched = batch_features([load_clip(f, params) for f in files], params)
    for file, row in zip(files, batched):
        assert_float32_close(file_features(file, params), row)
    with pytest.raises(ValueError, match="clips of one length"):
        batch_features([np.zeros(100, np.float32), np.zeros(200, np.float32)], params)
