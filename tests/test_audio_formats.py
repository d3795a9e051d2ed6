"""Formats libsndfile does not read, decoded through PyAV (tinymir.audio.pyav): files made here
by PyAV's encoders from a known signal (AAC in m4a and in an mp4 video, Opus in webm, WMA)
come back through audio.load, audio.info and stream.read_blocks as that signal; broken ones
get one line naming the file; without av each gets one line naming the extra to install.

Lossy codecs do not give the samples back: they delay them (encoder priming that the container
may or may not cancel), pad the last frame and shape the noise. So what is compared is what
they keep: the rate, the length within two codec frames, the loudest frequency, and the
correlation with the source after aligning the two by cross-correlation, above 0.9 (AAC, Opus
and WMA at 128 kbit/s keep two tones and a chirp at a correlation above 0.99; 0.9 leaves room
for encoder versions while a wrong channel, rate or alignment falls far below it).
"""
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
import scipy.signal

from _cli_helpers import invoke, tiny_model, two_class_set
from tinymir import audio
from tinymir.audio.stream import read_blocks

SECONDS = 2.0
FRAME = 2048                    # the longest codec frame here (WMA), in samples


def source(sr: int) -> np.ndarray:
    """Two channels, ``(2, n)`` float32: a 440 Hz tone swelling and fading on the left, a chirp
    from 300 Hz to 3 kHz on the right (not periodic, so the alignment has one answer)."""
    t = np.arange(int(SECONDS * sr)) / sr
    left = 0.5 * np.sin(2 * np.pi * 440 * t) * np.sin(np.pi * t / SECONDS)
    right = 0.3 * scipy.signal.chirp(t, 300, SECONDS, 3000)
    return np.stack([left, right]).astype(np.float32)


def encode(av, path, codec: str, sr: int, x: np.ndarray, video: bool = False,
           container_format=None, options=None):
    """Write ``x`` ``(channels, n)`` to ``path`` with PyAV's ``codec`` (and a few 16x16 black
    video frames first when ``video``)."""
    with av.open(str(path), "w", format=container_format, options=options or {}) as out:
        if video:
            picture = out.add_stream("mpeg4", rate=5)
            picture.width = picture.height = 16
            picture.pix_fmt = "yuv420p"
        sound = out.add_stream(codec, rate=sr) if x is not None else None
        if sound is not None:
            sound.layout = "stereo" if x.shape[0] == 2 else "mono"
            sound.bit_rate = 128_000
            for start in range(0, x.shape[1], 1024):
                frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(x[:, start:start + 1024]),
                                                   format="fltp", layout=sound.layout.name)
                frame.sample_rate, frame.pts, frame.time_base = sr, start, Fraction(1, sr)
                for packet in sound.encode(frame):
                    out.mux(packet)
            for packet in sound.encode(None):
                out.mux(packet)
        if video:
            for i in range(int(SECONDS * 5)):
                image = av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")
                image.pts = i
                for packet in picture.encode(image):
                    out.mux(packet)
            for packet in picture.encode(None):
                out.mux(packet)
    return path


#: name -> (file name, codec, rate, with a video stream)
FORMATS = {
    "aac-m4a": ("song.m4a", "aac", 44100, False),
    "opus-webm": ("song.webm", "libopus", 48000, False),
    "wma": ("song.wma", "wmav2", 44100, False),
    "aac-mp4-video": ("clip.mp4", "aac", 44100, True),
}


@pytest.fixture(scope="module")
def av():
    return pytest.importorskip("av", reason="PyAV (av) is not installed: pip install "
                                            "'tinymir[av]' (the test extra has it)")


@pytest.fixture(scope="module")
def made(av, tmp_path_factory):
    """name -> the file of each of :data:`FORMATS`, encoded from :func:`source`."""
    folder = tmp_path_factory.mktemp("formats")
    return {name: encode(av, folder / file, codec, sr, source(sr), video=video)
            for name, (file, codec, sr, video) in FORMATS.items()}


def aligned_correlation(decoded: np.ndarray, reference: np.ndarray) -> float:
    """The correlation coefficient of the two signals at the lag where they agree best."""
    lags = scipy.signal.correlation_lags(decoded.size, reference.size)
    lag = lags[np.argmax(scipy.signal.correlate(decoded, reference, method="fft"))]
    a, b = (decoded[lag:], reference) if lag >= 0 else (decoded, reference[-lag:])
    n = min(a.size, b.size)
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


def peak_hz(y: np.ndarray, sr: int) -> float:
    return float(np.fft.rfftfreq(y.size, 1 / sr)[np.argmax(np.abs(np.fft.rfft(y)))])


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_decoded_samples_are_the_source(made, name):
    _, _, sr, _ = FORMATS[name]
    x = source(sr)
    y, got_sr = audio.load(made[name], sr=None, mono=False)
    assert got_sr == sr and y.dtype == np.float32 and y.shape[0] == 2
    assert abs(y.shape[1] - x.shape[1]) <= 2 * FRAME, (y.shape, x.shape)
    assert np.abs(y).max() <= 1.0
    for channel in range(2):
        assert aligned_correlation(y[channel], x[channel]) > 0.9
    assert abs(peak_hz(y[0], sr) - 440) < 5
    mono, _ = audio.load(made[name], sr=None)
    np.testing.assert_array_equal(mono, y.mean(axis=0))


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_resampling_and_windows_are_those_of_the_whole_file(made, name):
    """sr, offset and duration act on the decoded samples exactly as for soundfile's files."""
    path = made[name]
    whole, sr = audio.load(path, sr=None)
    resampled, _ = audio.load(path, sr=22050)
    np.testing.assert_array_equal(resampled, audio.resample(whole, sr, 22050).astype(np.float32))
    window, _ = audio.load(path, sr=None, offset=0.5, duration=0.75)
    start = int(round(0.5 * sr))
    np.testing.assert_array_equal(window, whole[start:start + int(round(0.75 * sr))])
    as64, _ = audio.load(path, sr=None, dtype=np.float64)
    assert as64.dtype == np.float64 and np.allclose(as64, whole, atol=1e-6)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_info_reads_the_container(made, name):
    _, codec, sr, _ = FORMATS[name]
    details = audio.info(made[name])
    assert (details.samplerate, details.channels) == (sr, 2)
    assert abs(details.duration - SECONDS) < 2 * FRAME / sr        # announced, maybe estimated
    assert details.subtype == {"libopus": "OPUS"}.get(codec, codec.upper())
    assert details.format == made[name].suffix.lstrip(".").upper()


def test_mp4_length_is_exact(made):
    """mp4 counts in samples: the decoder's padding of the last frame is dropped."""
    assert audio.info(made["aac-m4a"]).frames == int(SECONDS * 44100)
    assert audio.load(made["aac-m4a"], sr=None)[0].size == int(SECONDS * 44100)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_read_in_blocks_equals_load(made, name):
    for sr in (None, 22050):
        out_sr, blocks = read_blocks(made[name], block_seconds=0.3, sr=sr)
        blocks = list(blocks)
        whole, whole_sr = audio.load(made[name], sr=sr)
        assert out_sr == whole_sr and len(blocks) > 3
        np.testing.assert_allclose(np.concatenate(blocks), whole, atol=1e-6)


def test_asking_past_the_end(made):
    with pytest.raises(audio.AudioError, match="shorter than asked"):
        audio.load(made["aac-m4a"], offset=1.5, duration=1.0)
    with pytest.raises(audio.AudioError, match="shorter than asked"):
        audio.load(made["opus-webm"], offset=5.0)
    y, _ = audio.load(made["aac-m4a"], sr=None, offset=1.5, duration=1.0, allow_short=True)
    assert y.size == int(0.5 * 44100)


def test_broken_files_get_one_line(av, made, tmp_path):
    good = made["aac-m4a"].read_bytes()
    cases = {
        "random.m4a": (np.random.default_rng(0).bytes(50_000),
                       "unreadable or corrupt (FFmpeg: Invalid data"),
        "empty.m4a": (b"", "empty file (0 bytes)"),
        # ffmpeg writes the index (moov) last: the first half of the file has none
        "cut.m4a": (good[:len(good) // 2], "unreadable or corrupt (FFmpeg: Invalid data"),
    }
    for file, (data, reason) in cases.items():
        (tmp_path / file).write_bytes(data)
    # with the index first (faststart), a cut file announces 2 s and decodes far less
    fast = encode(av, tmp_path / "fast.m4a", "aac", 44100, source(44100),
                  options={"movflags": "faststart"})
    (tmp_path / "cut_fast.m4a").write_bytes(fast.read_bytes()[:fast.stat().st_size * 2 // 5])
    cases["cut_fast.m4a"] = (None, "truncated or corrupt: decoded")
    encode(av, tmp_path / "video_only.mp4", None, 44100, None, video=True)
    cases["video_only.mp4"] = (None, "no audio stream found: video only")
    for file, (_, reason) in cases.items():
        path = tmp_path / file
        reads = [audio.load] if file == "cut_fast.m4a" else [audio.load, audio.info]
        for read in reads:                         # (the header of a cut file is whole)
            with pytest.raises(audio.AudioError) as err:
                read(path)
            assert str(err.value).startswith(f"{path}: ") and reason in err.value.reason, \
                err.value
            assert "\n" not in str(err.value)


def test_a_damaged_packet_is_skipped(made, tmp_path):
    """300 bytes of noise in the middle of an m4a cost a packet or two, not the rest."""
    data = bytearray(made["aac-m4a"].read_bytes())
    middle = len(data) // 2
    data[middle:middle + 300] = np.random.default_rng(1).bytes(300)
    (tmp_path / "damaged.m4a").write_bytes(bytes(data))
    y, sr = audio.load(tmp_path / "damaged.m4a", sr=None)
    assert SECONDS * sr - 3 * 1024 <= y.size <= SECONDS * sr


def test_without_av_each_file_names_the_extra(tmp_path, monkeypatch):
    """Runs without PyAV too: the file's bytes are never looked at."""
    monkeypatch.setitem(sys.modules, "av", None)            # import av raises ImportError
    song = tmp_path / "music" / "song.m4a"
    song.parent.mkdir()
    song.write_bytes(b"not looked at")
    (tmp_path / "music" / "talk.wma").write_bytes(b"not looked at")
    found, skipped = audio.find_audio(tmp_path / "music")
    assert [p.name for p in found] == ["song.m4a", "talk.wma"] and not skipped
    line = f"{song}: reading .m4a needs PyAV: pip install 'tinymir[av]'"
    for read in (audio.load, audio.info, lambda p: read_blocks(p)):
        with pytest.raises(audio.AudioError) as err:
            read(song)
        assert str(err.value) == line


def test_predict_labels_an_m4a(made, tmp_path):
    """The whole way through the command: predict reads the m4a like any wav."""
    data = two_class_set(tmp_path / "data", seed=5)
    model = tiny_model(data, tmp_path / "run", seed=1)
    result = invoke("predict", model, made["aac-m4a"])
    assert result.exit_code == 0, result.output
    assert "song.m4a" in result.output and "Traceback" not in result.output
    assert any(label in result.output for label in ("electronic", "classical")), result.output


def test_importing_tinymir_audio_leaves_av_alone():
    code = "import sys, tinymir, tinymir.audio, tinymir.audio.stream; print('av' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "False", done.stderr


def test_av_is_not_needed_for_soundfile_formats(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "av", None)
    path = tmp_path / "a.wav"
    audio.write(path, source(22050)[0], 22050)
    y, sr = audio.load(path)
    assert sr == 22050 and y.size == int(SECONDS * 22050)
