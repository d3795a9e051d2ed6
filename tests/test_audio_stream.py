"""Audio in blocks (tinymir.audio.stream): the resampler fed in pieces gives what resample()
gives on the whole signal, whatever the pieces; files and raw PCM come back in blocks."""
import io

import numpy as np
import pytest
import soundfile

from _rounding import assert_float32_close
from tinymir import audio
from tinymir.audio.stream import Resampler, read_blocks, read_pcm

RATES = [(44100, 22050), (48000, 22050), (22050, 16000), (8000, 22050), (22050, 22050)]
PIECES = {"whole": [10 ** 9], "even": [777], "ragged": [3, 5000, 17, 1]}


def fed_in_pieces(resampler, x, sizes):
    out, i = [], 0
    while i < len(x):
        for size in sizes:
            out.append(resampler.push(x[i:i + size]))
            i += size
            if i >= len(x):
                break
    out.append(resampler.close())
    return np.concatenate(out)


@pytest.mark.parametrize("rates", RATES, ids=lambda r: f"{r[0]}-{r[1]}")
@pytest.mark.parametrize("pieces", sorted(PIECES))
def test_resampling_in_pieces_equals_resampling_the_whole(rates, pieces):
    x = np.random.default_rng(0).standard_normal(20000).astype(np.float32)
    whole = audio.resample(x, *rates)
    got = fed_in_pieces(Resampler(*rates), x, PIECES[pieces])
    assert got.shape == whole.shape
    assert_float32_close(got, whole)


def test_a_closed_resampler_takes_no_more():
    resampler = Resampler(44100, 22050)
    resampler.push(np.ones(100, np.float32))
    resampler.close()
    assert resampler.close().size == 0
    with pytest.raises(ValueError, match="closed"):
        resampler.push(np.ones(3))


def test_a_file_read_in_blocks_equals_the_file_loaded_whole(tmp_path):
    rng = np.random.default_rng(1)
    stereo = (0.2 * rng.standard_normal((3 * 44100 + 11, 2))).astype(np.float32)
    path = tmp_path / "long.wav"
    soundfile.write(path, stereo, 44100, subtype="FLOAT")
    whole, _ = audio.load(path, sr=22050)
    sr, blocks = read_blocks(path, block_seconds=0.25, sr=22050)
    pieces = list(blocks)
    assert sr == 22050 and len(pieces) > 4
    assert_float32_close(np.concatenate(pieces), whole)


def test_an_unreadable_file_is_one_audio_error(tmp_path):
    path = tmp_path / "noise.wav"
    path.write_bytes(b"not audio at all" * 10)
    with pytest.raises(audio.AudioError, match="noise.wav"):
        read_blocks(path)


@pytest.mark.parametrize("sample_format, scale", [("f32le", 1.0), ("s16le", 2.0 ** 15),
                                                  ("s32le", 2.0 ** 31)])
def test_raw_pcm_from_a_pipe_is_mixed_to_mono_and_scaled(sample_format, scale):
    frames = np.array([[0.5, -0.25], [0.25, 0.25], [-1.0, 0.5]])
    dtype = {"f32le": "<f4", "s16le": "<i2", "s32le": "<i4"}[sample_format]
    raw = (frames * (scale if scale > 1 else 1)).astype(dtype).tobytes()
    got = np.concatenate(list(read_pcm(io.BytesIO(raw + b"\x01"), sample_format, channels=2,
                                       block_frames=2)))
    np.testing.assert_allclose(got, frames.mean(axis=1), atol=1e-6)


@pytest.mark.parametrize("options, message", [({"sample_format": "mp3"}, "unknown raw format"),
                                              ({"channels": 0}, "at least 1")])
def test_nonsensical_pcm_options_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        next(read_pcm(io.BytesIO(b""), **{"sample_format": "f32le", **options}))
