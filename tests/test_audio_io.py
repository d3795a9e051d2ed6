"""Reading and writing audio: round trips, resampling on load, windows, and every AudioError."""
import os
import sys

import numpy as np
import pytest
import soundfile
from scipy import signal

from tinymir import audio
from tinymir.audio import AudioError


def tone(seconds=1.0, sr=22050, hz=440.0, channels=1, amplitude=0.5):
    t = np.arange(int(seconds * sr)) / sr
    rows = [amplitude * np.sin(2 * np.pi * hz * (c + 1) * t) for c in range(channels)]
    return np.array(rows[0] if channels == 1 else rows, dtype=np.float32)


def test_pcm16_round_trip_is_within_one_quantisation_step(tmp_path):
    path = tmp_path / "a.wav"
    y = tone()
    audio.write(path, y, 22050)
    back, sr = audio.load(path, sr=None)
    assert sr == 22050 and back.dtype == np.float32 and back.shape == y.shape
    assert np.max(np.abs(back - y)) <= 1 / 32768 + 1e-7
    assert audio.info(path).subtype == "PCM_16"


@pytest.mark.parametrize("name", ["a.wav", "a.flac"])
def test_float_and_flac_round_trips(tmp_path, name):
    path = tmp_path / name
    y = tone(channels=2)
    subtype = "FLOAT" if name.endswith(".wav") else "PCM_24"
    audio.write(path, y, 16000, subtype=subtype)
    back, sr = audio.load(path, sr=None, mono=False, dtype=np.float64)
    assert sr == 16000 and back.shape == (2, y.shape[1]) and back.dtype == np.float64
    np.testing.assert_allclose(back, y, atol=2 ** -23 if subtype == "PCM_24" else 0)


def test_pcm_write_clips_instead_of_wrapping(tmp_path):
    path = tmp_path / "loud.wav"
    audio.write(path, np.array([2.0, -3.0, 0.5], dtype=np.float32), 8000)
    back, _ = audio.load(path, sr=None)
    assert back[0] > 0.99 and back[1] < -0.99


def test_mono_mixdown_averages_channels(tmp_path):
    path = tmp_path / "stereo.wav"
    y = tone(channels=2)
    audio.write(path, y, 22050, subtype="FLOAT")
    mono, _ = audio.load(path, sr=None)
    np.testing.assert_allclose(mono, y.mean(axis=0), atol=1e-7)


def test_load_resamples_with_a_polyphase_filter_at_the_rational_ratio(tmp_path):
    path = tmp_path / "hi.wav"
    audio.write(path, tone(0.5, 44100, channels=2), 44100, subtype="FLOAT")
    native, _ = audio.load(path, sr=None, dtype=np.float64)
    y, sr = audio.load(path, sr=12000, dtype=np.float64)
    assert sr == 12000 and y.shape == (6000,)     # ceil(22050 * 40 / 147)
    np.testing.assert_allclose(y, signal.resample_poly(native, 40, 147), atol=1e-12)


def test_offset_and_duration_select_exact_frames(tmp_path):
    path = tmp_path / "ramp.wav"
    ramp = np.linspace(-1, 1, 8000, dtype=np.float32)
    audio.write(path, ramp, 8000, subtype="FLOAT")
    y, _ = audio.load(path, sr=None, offset=0.25, duration=0.5)
    np.testing.assert_array_equal(y, ramp[2000:6000])
    rest, _ = audio.load(path, sr=None, offset=0.75)
    np.testing.assert_array_equal(rest, ramp[6000:])


def test_only_the_requested_window_is_decoded(tmp_path, monkeypatch):
    path = tmp_path / "long.wav"
    audio.write(path, np.zeros(10 * 8000, np.float32) + 0.1, 8000)
    asked = []
    read = soundfile.SoundFile.read

    def spy(self, frames=-1, *args, **kwargs):
        asked.append(frames)
        return read(self, frames, *args, **kwargs)

    monkeypatch.setattr(soundfile.SoundFile, "read", spy)
    y, _ = audio.load(path, sr=None, offset=4.0, duration=1.0)
    assert asked == [8000] and y.shape == (8000,)


def test_allow_short_returns_what_is_there(tmp_path):
    path = tmp_path / "short.wav"
    audio.write(path, tone(1.0, 8000), 8000)
    y, _ = audio.load(path, sr=None, offset=0.5, duration=2.0, allow_short=True)
    assert y.shape == (4000,)


def test_info_reads_the_header(tmp_path):
    path = tmp_path / "i.wav"
    audio.write(path, tone(1.5, 16000, channels=2), 16000)
    meta = audio.info(path)
    assert (meta.samplerate, meta.channels, meta.frames, meta.format) == (16000, 2, 24000, "WAV")
    assert meta.duration == pytest.approx(1.5)


def _bad_file(tmp_path, kind):
    """Write one kind of broken input; returns (path, load kwargs, words the reason must hold)."""
    good = tmp_path / "good.wav"
    audio.write(good, tone(1.0, 8000), 8000)
    if kind == "missing":
        return tmp_path / "nowhere.wav", {}, "not found"
    if kind == "empty":
        path = tmp_path / "empty.wav"
        path.write_bytes(b"")
        return path, {}, "empty file"
    if kind == "zero_frames":
        path = tmp_path / "zero.wav"
        soundfile.write(path, np.zeros((0,), np.float32), 8000)
        return path, {}, "0 frames"
    if kind == "truncated_header":
        path = tmp_path / "truncated.wav"
        path.write_bytes(good.read_bytes()[:30])
        return path, {}, "corrupt"
    if kind == "random_bytes":
        path = tmp_path / "noise.wav"
        path.write_bytes(np.random.default_rng(0).bytes(4000))
        return path, {}, "corrupt"
    if kind == "text_as_mp3":
        path = tmp_path / "notes.mp3"
        path.write_text("this is not audio\n" * 200)
        return path, {}, "corrupt"
    if kind == "unsupported_extension":
        path = tmp_path / "song.xyz"
        path.write_bytes(good.read_bytes())
        return path, {}, "unsupported format '.xyz'"
    if kind == "too_short":
        return good, {"offset": 0.5, "duration": 2.0}, "shorter than asked"
    if kind == "offset_past_end":
        return good, {"offset": 5.0}, "shorter than asked"
    if kind == "corrupt_mp3":
        path = tmp_path / "corrupt.mp3"
        path.write_bytes(_mp3_bytes(tmp_path)[:200] + np.random.default_rng(1).bytes(5000))
        return path, {}, "corrupt or undecodable mp3"
    if kind == "truncated_mp3":
        path = tmp_path / "cut.mp3"
        data = _mp3_bytes(tmp_path)
        path.write_bytes(data[:len(data) * 3 // 10])
        return path, {}, "truncated or corrupt: decoded"
    if kind == "directory":
        path = tmp_path / "folder.wav"
        path.mkdir()
        return path, {}, "a directory, not an audio file"
    if kind == "dangling_link":
        path = tmp_path / "dangling.wav"
        path.symlink_to(tmp_path / "gone.wav")
        return path, {}, "broken symbolic link"
    if kind == "link_loop":
        path = tmp_path / "loop.wav"
        path.symlink_to(path)
        return path, {}, "symbolic link loop"
    if kind == "silence":
        path = tmp_path / "silent.wav"
        audio.write(path, np.zeros(8000, np.float32), 8000)
        return path, {"check_silence": True}, "all silence"
    raise AssertionError(kind)


BAD_KINDS = ["missing", "empty", "zero_frames", "truncated_header", "random_bytes",
             "text_as_mp3", "unsupported_extension", "too_short", "offset_past_end", "silence",
             "corrupt_mp3", "truncated_mp3", "directory", "dangling_link", "link_loop"]


def _mp3_bytes(tmp_path) -> bytes:
    """A 2 s mp3 written by libsndfile (libmpg123 / LAME inside)."""
    path = tmp_path / "whole.mp3"
    soundfile.write(path, tone(2.0, 22050), 22050)
    return path.read_bytes()


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_input_raises_one_audio_error_naming_file_and_reason(tmp_path, kind):
    path, kwargs, reason = _bad_file(tmp_path, kind)
    with pytest.raises(AudioError) as caught:
        audio.load(path, sr=None, **kwargs)
    err = caught.value
    assert err.path == os.fspath(path)
    assert reason in err.reason
    assert str(err) == f"{path}: {err.reason}"


@pytest.mark.parametrize("kind", ["corrupt_mp3", "truncated_mp3", "text_as_mp3"])
def test_the_mp3_decoder_says_nothing_on_the_terminal(tmp_path, capfd, kind):
    path, _, reason = _bad_file(tmp_path, kind)
    with pytest.raises(AudioError, match=reason):
        audio.load(path)
    print("after", file=sys.stderr)             # fd 2 is restored
    out, err = capfd.readouterr()
    assert out == "" and err == "after\n"       # no "Note: Illegal Audio-MPEG-Header ..."


def test_silence_is_allowed_unless_checked(tmp_path):
    path, _, _ = _bad_file(tmp_path, "silence")
    y, _ = audio.load(path, sr=None)
    assert not np.any(y)


@pytest.mark.parametrize("kind", ["missing", "empty", "truncated_header", "unsupported_extension"])
def test_info_raises_the_same_errors(tmp_path, kind):
    path, _, reason = _bad_file(tmp_path, kind)
    with pytest.raises(AudioError, match=reason):
        audio.info(path)


def test_write_refuses_unknown_format_and_bad_shapes(tmp_path):
    with pytest.raises(AudioError, match="unsupported format '.mp4'"):
        audio.write(tmp_path / "a.mp4", tone(), 22050)
    with pytest.raises(AudioError, match="cannot write FLOAT samples in a .flac file"):
        audio.write(tmp_path / "a.flac", tone(), 22050, subtype="FLOAT")
    for shape in [(2, 3, 4), (8000, 2), (1, 0)]:
        with pytest.raises(AudioError, match=rf"shape \({shape[0]}, {shape[1]}"):
            audio.write(tmp_path / "a.wav", np.zeros(shape), 22050)


def test_bad_window_arguments_are_value_errors(tmp_path):
    path, _, _ = _bad_file(tmp_path, "too_short")
    with pytest.raises(ValueError, match="offset"):
        audio.load(path, offset=-1)


@pytest.mark.shared_data
def test_real_mp3s_decode(shared_data):
    fma = shared_data / "fixtures" / "fma_clip" / "000" / "000010.mp3"
    y, sr = audio.load(fma, sr=22050)
    meta = audio.info(fma)
    assert sr == 22050 and y.ndim == 1 and not audio.is_silent(y)
    assert y.shape[0] == int(np.ceil(meta.frames * 22050 / meta.samplerate))
    for path in sorted((shared_data / "mer4q_dev" / "Q1").glob("*.mp3"))[:2]:
        y, sr = audio.load(path, sr=None, offset=10.0, duration=3.0)
        whole, _ = soundfile.read(path, dtype="float32")
        start = int(round(10.0 * sr))
        assert y.shape == (int(round(3.0 * sr)),)
        np.testing.assert_allclose(y, whole[start:start + y.size].mean(axis=1), atol=1e-6)
