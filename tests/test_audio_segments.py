"""Resampling, trimming, silence and fixed-length segmenting, on the device under test."""
import numpy as np
import pytest

from tinymir import audio, backend

SR = 22050


def host(x):
    return backend.to_host(x)


@pytest.mark.parametrize("orig, target, ratio", [
    (44100, 22050, (1, 2)), (44100, 12000, (40, 147)), (22050, 16000, (320, 441)),
    (48000, 22050, (147, 320)), (8000, 8000, (1, 1)), (16000, 44100, (441, 160)),
])
def test_resample_ratio_is_reduced_by_the_gcd(orig, target, ratio):
    assert audio.resample_ratio(orig, target) == ratio


@pytest.mark.parametrize("orig, target", [(44100, 22050), (48000, 22050), (22050, 16000),
                                          (16000, 44100)])
def test_resample_length_dtype_and_batching(xp, orig, target):
    up, down = audio.resample_ratio(orig, target)
    batch = xp.asarray(np.random.default_rng(1).standard_normal((2, 3, 4001)), dtype=np.float32)
    out = audio.resample(batch, orig, target)
    assert out.shape == (2, 3, -(-4001 * up // down)) and out.dtype == np.float32
    np.testing.assert_allclose(host(out[1, 2]), host(audio.resample(batch[1, 2], orig, target)),
                               atol=1e-6)


def test_resample_keeps_the_pitch_of_a_sine():
    t = np.arange(44100) / 44100
    y = audio.resample(np.sin(2 * np.pi * 1000 * t), 44100, 22050)
    spectrum = np.abs(np.fft.rfft(y))
    assert np.fft.rfftfreq(y.size, 1 / 22050)[np.argmax(spectrum)] == pytest.approx(1000, abs=1)


def test_resample_same_rate_is_identity_and_bad_rates_are_refused():
    y = np.ones(10, np.float32)
    assert audio.resample(y, 8000, 8000) is y
    with pytest.raises(ValueError, match="target_sr"):
        audio.resample(y, 8000, 0)
    with pytest.raises(ValueError, match="orig_sr"):
        audio.resample(y, 44100.5, 8000)


@pytest.mark.parametrize("seconds, kwargs, count", [
    (30.0, {}, 19), (30.0, {"overlap": 0.0}, 10), (30.0, {"hop_seconds": 1.0}, 28),
    (29.9, {}, 18), (3.0, {}, 1), (1.0, {}, 1), (1.0, {"short": "drop"}, 0), (0.0, {}, 0),
])
def test_segment_count(seconds, kwargs, count):
    n = int(round(seconds * SR))
    assert audio.segment_count(n, SR, 3.0, **kwargs) == count
    assert audio.cut_segments(np.zeros(n, np.float32), SR, 3.0, **kwargs).shape == \
        (count, 3 * SR)


def test_segments_are_the_windows_of_the_track(xp):
    y = xp.arange(30 * SR, dtype=xp.float32)
    segments = audio.cut_segments(y, SR, 3.0, overlap=0.5)
    starts = audio.segment_starts(y.shape[-1], SR, 3.0)
    assert segments.shape == (19, 3 * SR)
    np.testing.assert_array_equal(starts, np.arange(19) * int(1.5 * SR))
    for i in (0, 7, 18):
        np.testing.assert_array_equal(host(segments[i]), host(y[starts[i]:starts[i] + 3 * SR]))


def test_a_short_clip_is_zero_padded_or_dropped(xp):
    y = xp.ones((2, SR), dtype=xp.float32)
    padded = audio.cut_segments(y, SR, 3.0, short="pad")
    assert padded.shape == (2, 1, 3 * SR)
    assert float(padded[..., :SR].min()) == 1.0 and not bool(padded[..., SR:].any())
    assert audio.cut_segments(y, SR, 3.0, short="drop").shape == (2, 0, 3 * SR)


def test_segmenting_is_batched_over_leading_axes(xp):
    y = xp.asarray(np.random.default_rng(0).standard_normal((3, 2, 10 * SR)), dtype=xp.float32)
    segments = audio.cut_segments(y, SR, 2.0, hop_seconds=1.0)
    assert segments.shape == (3, 2, 9, 2 * SR)
    np.testing.assert_array_equal(host(segments[2, 1]), host(audio.cut_segments(y[2, 1], SR, 2.0,
                                                                             hop_seconds=1.0)))


@pytest.mark.parametrize("kwargs, message", [
    ({"overlap": 1.0}, "overlap"), ({"overlap": -0.1}, "overlap"),
    ({"hop_seconds": 0.0}, "hop"), ({"short": "wrap"}, "short"),
])
def test_bad_segmenting_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        audio.cut_segments(np.zeros(SR), SR, 3.0, **kwargs)


def test_middle_takes_the_centre(xp):
    y = xp.arange(60 * 100, dtype=xp.float32)
    centre = audio.middle(y, 100, 40.0)
    assert centre.shape == (4000,) and float(centre[0]) == 1000.0
    batch = xp.stack([y, -y])
    np.testing.assert_array_equal(host(audio.middle(batch, 100, 40.0)[1]), -host(centre))


def test_middle_of_a_short_track_is_kept_or_padded(xp):
    y = xp.ones(300, dtype=xp.float32)
    assert audio.middle(y, 100, 40.0).shape == (300,)
    padded = audio.middle(y, 100, 40.0, short="pad")
    assert padded.shape == (4000,) and float(padded.sum()) == 300.0
    with pytest.raises(ValueError, match="short"):
        audio.middle(y, 100, 40.0, short="loop")


def test_discard_ends(xp):
    y = xp.arange(100 * 100, dtype=xp.float32)
    kept = audio.discard_ends(y, 100, 20.0)
    assert kept.shape == (6000,) and float(kept[0]) == 2000.0 and float(kept[-1]) == 7999.0
    assert audio.discard_ends(y[:3000], 100, 20.0).shape == (0,)
    with pytest.raises(ValueError, match=">= 0"):
        audio.discard_ends(y, 100, -1.0)


def test_is_silent_uses_the_peak_in_dbfs(xp):
    t = xp.arange(SR, dtype=xp.float32) / SR
    sine = xp.sin(2 * np.pi * 440 * t)
    assert bool(audio.is_silent(xp.zeros(SR, dtype=xp.float32)))
    assert bool(audio.is_silent(10 ** (-70 / 20) * sine))
    assert not bool(audio.is_silent(10 ** (-50 / 20) * sine))
    assert bool(audio.is_silent(10 ** (-50 / 20) * sine, threshold_db=-40))
    batch = xp.stack([sine, 0 * sine, 1e-4 * sine])
    np.testing.assert_array_equal(host(audio.is_silent(batch)), [False, True, True])
    assert bool(audio.is_silent(xp.zeros(0)))


def test_the_old_slice_names_still_work_with_a_deprecation_warning():
    from tinymir import audio
    with pytest.warns(DeprecationWarning, match="slice_count moved to tinymir.audio.segment_count"):
        assert audio.slice_count is audio.segment_count
    with pytest.raises(AttributeError):
        audio.no_such_function
