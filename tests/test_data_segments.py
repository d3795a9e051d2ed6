"""Segments over track features, aggregation back to tracks, training-only standardisation."""
import numpy as np
import pytest

from tinymir import backend
from tinymir.data.segments import (
    aggregate_by_track,
    make_segments,
    seconds_to_frames,
    window_starts,
)
from tinymir.data.splits import Split, SplitError
from tinymir.data.standardize import Standardizer, column_statistics


def test_window_starts_hop_discard_and_cap():
    assert window_starts(100, 20, 20).tolist() == [0, 20, 40, 60, 80]
    assert window_starts(100, 20, 10, head=5, tail=5).tolist() == [5, 15, 25, 35, 45, 55, 65, 75]
    assert window_starts(100, 20, 10, head=5, tail=5, max_per_track=3).tolist() == [5, 45, 75]
    assert window_starts(10, 20, 10).tolist() == []
    assert window_starts(10, 20, 10, short="pad").tolist() == [0]


def test_seed000_multiframe_counts():
    """Seed 000: 30 s GTZAN clips, 3 s segments -> 10 without overlap, 19 with 50 % overlap."""
    frames = seconds_to_frames(3.0, 22050, 512)
    n = seconds_to_frames(30.0, 22050, 512)
    assert len(window_starts(n, frames, frames)) == 10
    assert len(make_segments([n], frames, overlap=0.5)) == 19


def test_segments_keep_their_track_and_follow_the_split():
    segments = make_segments([50, 30, 5, 40], frames=10, overlap=0.5, tracks=[0, 2, 3])
    assert set(segments.track.tolist()) == {0, 3}                    # 2 is too short
    assert np.all(np.diff(segments.track) >= 0)
    assert len(segments.select([3])) == 7 and set(segments.select([3]).track) == {3}
    with pytest.raises(ValueError, match="overlap"):
        make_segments([50], 10, overlap=1.0)


def test_aggregate_mean_and_vote(xp):
    scores = xp.asarray(np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.7, 0.3]], np.float32))
    tracks, mean = aggregate_by_track(scores, np.array([4, 4, 1, 4]))
    assert tracks.tolist() == [1, 4]
    np.testing.assert_allclose(backend.to_host(mean), [[0.2, 0.8], [2.0 / 3, 1.0 / 3]], rtol=1e-6)
    _, vote = aggregate_by_track(scores, np.array([4, 4, 1, 4]), how="vote")
    np.testing.assert_allclose(backend.to_host(vote), [[0, 1], [2 / 3, 1 / 3]], rtol=1e-6)


def test_a_nan_track_spoils_its_own_score_and_no_other():
    track = np.array([2, 0, 1, 0, 2, 1, 2])
    scores = np.full((7, 2), 0.5)
    scores[:, 0] = [0.2, 0.1, 0.3, 0.3, 0.4, 0.5, 0.6]
    scores[:, 1] = 1 - scores[:, 0]
    _, clean = aggregate_by_track(scores, track)
    scores[[1, 3], 0] = np.nan                                       # track 0 only
    tracks, mean = aggregate_by_track(scores, track)
    assert tracks.tolist() == [0, 1, 2] and np.isnan(mean[0, 0])
    np.testing.assert_array_equal(mean[1:], clean[1:])               # later tracks untouched
    np.testing.assert_allclose(mean[2], [0.4, 0.6])


def test_standardizer_uses_only_the_training_tracks(rng):
    features = [rng.normal(loc=k, scale=1 + k, size=(3, 50)).astype(np.float32) for k in range(4)]
    features[3][:] = 1000.0                                          # a test track, far away
    split = Split("toy", {"train": [0, 1, 2], "test": [3]})
    scaler = Standardizer.fit_split(split, features)
    train = np.concatenate(features[:3], axis=1)
    np.testing.assert_allclose(scaler.mean, train.mean(axis=1), rtol=1e-5)
    np.testing.assert_allclose(scaler.std, train.std(axis=1), rtol=1e-5)
    assert scaler.fitted_on == "train part of toy"
    out = scaler.transform(np.stack(features[:3]))                   # (N, bins, frames)
    np.testing.assert_allclose(out.transpose(1, 0, 2).reshape(3, -1).mean(axis=1), 0, atol=1e-5)
    again = Standardizer.from_dict(scaler.to_dict())
    np.testing.assert_array_equal(again.mean, scaler.mean)
    with pytest.raises(SplitError, match="no part 'val'"):
        Standardizer.fit_split(split, features, part="val")


def test_standardizer_on_tables_and_constant_columns(xp):
    table = np.array([[1.0, 5.0], [3.0, 5.0]], dtype=np.float32)
    scaler = Standardizer.fit([table], feature_axis=-1)
    assert scaler.std.tolist() == [1.0, 1.0]                         # constant column unscaled
    out = scaler.transform(xp.asarray(table))
    assert out.dtype == np.float32
    np.testing.assert_allclose(backend.to_host(out), [[-1, 0], [1, 0]])


def test_column_statistics_are_exact_over_many_tracks_with_a_large_mean(rng):
    # x^2 summed in float64 would lose the variance here (mean 1e6, std 0.01)
    tracks = [1e6 + 0.01 * rng.standard_normal((3, n)) for n in (40, 1, 77)]
    mean, std = column_statistics(tracks, feature_axis=-2)
    everything = np.concatenate(tracks, axis=1)
    np.testing.assert_allclose(mean, everything.mean(axis=1), rtol=1e-15)
    np.testing.assert_allclose(std, everything.std(axis=1), rtol=1e-6)
    _, std = column_statistics([np.full((2, 5), 3.3)])
    assert std.tolist() == [1.0, 1.0]                    # constant: only centred
