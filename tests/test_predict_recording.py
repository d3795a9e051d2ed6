"""A recording in blocks (tinymir.predict.recording): the features of blocks put together are
the features of the whole recording, however the samples arrive; the segments cut from them
are the segments of the whole, with the same starts."""
import numpy as np
import pytest

from _rounding import assert_float32_close
from tinymir.data.segments import make_segments
from tinymir.models import FrontEnd
from tinymir.predict.recording import (
    FeatureBlocks,
    FrameProfile,
    SegmentCutter,
    features_of,
    recording_segments,
)
from tinymir.train.calibrate import track_profile

ARRIVALS = {"at once": [10 ** 9], "in 1000s": [1000], "ragged": [17, 4096, 3]}


def arriving(y, sizes):
    i = 0
    while i < len(y):
        for size in sizes:
            yield y[i:i + size]
            i += size
            if i >= len(y):
                return


def blocked_features(y, front, block_seconds, sizes):
    blocks = FeatureBlocks(front, block_seconds)
    done = [part for piece in arriving(y, sizes) for part in blocks.push(piece)]
    done += blocks.close()
    firsts = [first for first, _ in done]
    assert firsts == sorted(firsts) and firsts[0] == 0
    return np.concatenate([block for _, block in done], axis=1), len(done)


@pytest.mark.parametrize("arrival", sorted(ARRIVALS))
@pytest.mark.parametrize("kind", ["mel", "mfcc+chroma"])
def test_one_block_is_the_whole_recording_bit_for_bit(kind, arrival):
    front = FrontEnd(kind=kind)
    y = (0.1 * np.random.default_rng(0).standard_normal(3 * 22050)).astype(np.float32)
    got, count = blocked_features(y, front, 60.0, ARRIVALS[arrival])
    assert count == 1
    np.testing.assert_array_equal(got, features_of(y, front))


@pytest.mark.parametrize("arrival", sorted(ARRIVALS))
@pytest.mark.parametrize("kind", ["mel", "stft", "mfcc+chroma+contrast+centroid"])
def test_many_blocks_give_the_frames_of_the_whole_recording(kind, arrival):
    """Without the dB floor (taken per block) every frame is the whole recording's frame."""
    front = FrontEnd(kind=kind, log=False)
    y = (0.1 * np.random.default_rng(1).standard_normal(7 * 22050 + 123)).astype(np.float32)
    got, count = blocked_features(y, front, 1.3, ARRIVALS[arrival])
    assert count >= 5
    assert_float32_close(got, features_of(y, front))


@pytest.mark.parametrize("frames, length, hop", [(300, 130, 130), (300, 130, 65), (130, 130, 7),
                                                 (50, 130, 130)])
def test_segments_cut_from_blocks_are_the_whole_recordings_segments(frames, length, hop):
    feats = np.random.default_rng(2).standard_normal((4, frames)).astype(np.float32)
    cutter = SegmentCutter(length, hop)
    got = []
    for first in range(0, frames, 37):
        got += cutter.push(first, feats[:, first:first + 37])
    got += cutter.close()
    whole = np.pad(feats, ((0, 0), (0, max(0, length - frames))), mode="wrap")   # frame_view
    expected = make_segments([whole.shape[1]], length, hop=hop)
    assert [start for start, _ in got] == expected.start.tolist()
    for (start, segment) in got:
        np.testing.assert_array_equal(segment, whole[:, start:start + length])


def test_blocks_out_of_order_are_refused():
    cutter = SegmentCutter(10, 5)
    cutter.push(0, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="in order"):
        cutter.push(9, np.zeros((2, 4)))


def test_a_recording_from_an_iterable_of_blocks_gives_every_segment():
    front = FrontEnd(kind="mel", segment=1.0, overlap=0.5)
    y = (0.1 * np.random.default_rng(3).standard_normal(5 * 22050)).astype(np.float32)
    got = list(recording_segments(arriving(y, [5000]), front, block_seconds=2.0))
    expected = make_segments([1 + len(y) // 512], front.segment_frames, hop=front.hop_frames)
    assert [start for start, _ in got] == expected.start.tolist()
    assert all(segment.shape == (128, front.segment_frames) for _, segment in got)


@pytest.mark.parametrize("start, stop", [(0, None), (40, 250), (100, 120)])
def test_the_profile_of_blocks_is_the_profile_of_the_kept_frames(start, stop):
    feats = np.random.default_rng(4).normal(-30, 12, (6, 300)).astype(np.float32)
    profile = FrameProfile(start, stop)
    for first in range(0, 300, 37):
        profile.push(first, feats[:, first:first + 37])
    np.testing.assert_allclose(profile.profile(), track_profile(feats[:, start:stop]),
                               rtol=1e-9, atol=1e-9)
