"""The timeline of a long recording from segment scores (tinymir.predict.timeline): the Viterbi
path against every path by brute force, isolated flips smoothed away, spans in seconds."""
import itertools

import numpy as np
import pytest

from tinymir.predict import timeline


def brute_force_path(emissions, penalty):
    n, states = emissions.shape
    best, best_path = -np.inf, None
    for path in itertools.product(range(states), repeat=n):
        value = sum(emissions[i, c] for i, c in enumerate(path))
        value -= penalty * sum(a != b for a, b in zip(path, path[1:]))
        if value > best + 1e-12:
            best, best_path = value, path
    return best, np.array(best_path)


def path_value(emissions, penalty, path):
    return (emissions[np.arange(len(path)), path].sum()
            - penalty * np.count_nonzero(np.diff(path)))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("penalty", [0.0, 0.7, 3.0])
def test_viterbi_finds_the_best_path_of_all(seed, penalty):
    emissions = np.log(np.random.default_rng(seed).dirichlet(np.ones(3), size=6))
    best, _ = brute_force_path(emissions, penalty)
    found = timeline.viterbi(emissions, penalty)
    assert path_value(emissions, penalty, found) == pytest.approx(best, abs=1e-12)


def two_classes_with_flips():
    """20 segments: class 0 then class 1 from segment 10, one wrong segment in each half."""
    scores = np.full((20, 2), 0.1)
    scores[:10, 0] = scores[10:, 1] = 0.9
    scores[4] = (0.3, 0.7)
    scores[15] = (0.7, 0.3)
    return scores


@pytest.mark.parametrize("how", ["hmm", "median"])
def test_smoothing_removes_isolated_flips_and_keeps_the_change(how):
    path = timeline.label_path(two_classes_with_flips(), how, penalty=2.0, width=3)
    np.testing.assert_array_equal(path, [0] * 10 + [1] * 10)


def test_no_smoothing_and_a_zero_penalty_follow_every_segment():
    scores = two_classes_with_flips()
    expected = np.argmax(scores, axis=1)
    np.testing.assert_array_equal(timeline.label_path(scores, "none"), expected)
    np.testing.assert_array_equal(timeline.label_path(scores, "hmm", penalty=0.0), expected)


def test_spans_are_in_seconds_from_zero_to_the_end_of_the_file():
    starts = np.arange(20) * 1.5                      # 3 s segments, half overlapping
    found = timeline.spans(two_classes_with_flips(), starts, 3.0, 31.0, ["rock", "jazz"],
                           penalty=2.0)
    # segment i speaks from the midpoint with the previous centre (1.5 i + 1.5 s) to the next
    assert [(s.start, s.end, s.label) for s in found] == [(0.0, 15.75, "rock"),
                                                          (15.75, 31.0, "jazz")]
    # the score is the mean of the span's own unsmoothed segment probabilities
    assert found[0].score == pytest.approx((9 * 0.9 + 0.3) / 10)
    assert str(found[1]) == "0:15-0:31 jazz 0.84"


def test_tags_have_spans_of_their_own_above_their_thresholds():
    scores = np.zeros((8, 2)) + 0.05
    scores[2:6, 0] = 0.8                              # tag 'vocals' in segments 2..5
    scores[:, 1] = 0.6                                # tag 'guitar' everywhere, threshold 0.5
    found = timeline.spans(scores, np.arange(8) * 2.0, 2.0, 16.0, ["vocals", "guitar"],
                           multilabel=True, thresholds=[0.5, 0.5], how="none")
    assert [(s.start, s.end, s.label) for s in found] == [(0.0, 16.0, "guitar"),
                                                          (4.0, 12.0, "vocals")]


def test_a_zero_penalty_tag_path_is_the_threshold_rule():
    rng = np.random.default_rng(3)
    scores, thresholds = rng.uniform(size=(30, 4)), rng.uniform(0.2, 0.8, size=4)
    np.testing.assert_array_equal(timeline.tag_paths(scores, thresholds, "hmm", penalty=0.0),
                                  scores >= thresholds)


def test_clock_writes_minutes_and_hours():
    assert timeline.clock(0) == "0:00"
    assert timeline.clock(192.7) == "3:12"
    assert timeline.clock(3 * 3600 + 5) == "3:00:05"


@pytest.mark.parametrize("how, penalty, width, message", [
    ("viterbi", 1.0, 3, "unknown smoothing 'viterbi'"),
    ("hmm", -1.0, 3, "penalty must be a number >= 0"),
    ("hmm", float("nan"), 3, "penalty must be a number >= 0"),
    ("median", 1.0, 0, "width must be at least 1"),
])
def test_nonsensical_smoothing_options_are_refused(how, penalty, width, message):
    with pytest.raises(ValueError, match=message):
        timeline.label_path(np.full((3, 2), 0.5), how, penalty, width)
