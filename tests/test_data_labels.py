"""Tag processing, class weights and multi-label resampling."""
import numpy as np
import pytest

from tinymir.data import DatasetError, Track, TrackTable
from tinymir.data.balance import (
    class_weights,
    downsample_multilabel,
    tag_count_report,
    upsample_multilabel,
)
from tinymir.data.tags import (
    drop_rare,
    keep_top,
    merge_synonyms,
    process_tags,
    read_synonyms,
    select_prefix,
)


def _table(label_lists):
    tracks = [Track(f"t{i}", f"/a/t{i}.wav", tuple(labels)) for i, labels in enumerate(label_lists)]
    return TrackTable(tracks, "tags", multilabel_hint=True)


def test_prefix_selection_strips_and_drops_tracks_left_without_tags():
    table = _table([["mood/theme---happy", "genre---pop"], ["genre---rock"]])
    out = select_prefix(table, "mood/theme---")
    assert out.ids == ["t0"] and out.tracks[0].labels == ("happy",)
    assert out.skipped == [("/a/t1.wav", "no label left after tag processing (prefix "
                                         "'mood/theme---')")]


def test_synonyms_merge_from_a_file_and_duplicates_collapse(tmp_path):
    mapping = tmp_path / "synonyms.tsv"
    mapping.write_text("# tag -> canonical\njoyful\thappy\nglad, happy\n")
    assert read_synonyms(mapping) == {"joyful": "happy", "glad": "happy"}
    out = merge_synonyms(_table([["joyful", "happy"], ["glad", "sad"]]), mapping)
    assert [t.labels for t in out] == [("happy",), ("happy", "sad")]
    mapping.write_text("only-one-column\n")
    with pytest.raises(DatasetError, match=r"synonyms.tsv:1: expected"):
        read_synonyms(mapping)


def test_min_count_and_top_n_with_others():
    table = _table([["a", "b"], ["a"], ["a", "c"], ["b", "d"]])
    assert drop_rare(table, 2).class_counts() == {"a": 3, "b": 2}
    assert drop_rare(table, 2).ids == ["t0", "t1", "t2", "t3"]
    top = keep_top(table, 1)
    assert [t.labels for t in top] == [("a", "Others"), ("a",), ("a", "Others"), ("Others",)]
    assert keep_top(table, 1, others=None).ids == ["t0", "t1", "t2"]
    both = process_tags(table, synonyms={"d": "c"}, min_count=2, top_n=1, others="Rest")
    assert both.class_counts() == {"Rest": 3, "a": 3}


def test_class_weights_equalise_frequencies():
    weights = class_weights(np.array([0, 0, 0, 1]))
    assert weights.dtype == np.float32
    np.testing.assert_allclose(weights, [4 / (2 * 3), 4 / (2 * 1)])
    counts = np.array([3, 1])
    np.testing.assert_allclose(weights * counts, [2, 2])       # every class weighs the same
    matrix = np.array([[1, 0, 0], [1, 1, 0], [1, 0, 0]])
    np.testing.assert_allclose(class_weights(matrix), [3 / 9, 3 / 3, 0])


def _imbalanced(rng):
    """Class 0 on 60 tracks, class 1 on 20, class 2 on 8; some tracks carry two labels."""
    rows = [[1, 0, 0]] * 50 + [[1, 1, 0]] * 8 + [[1, 0, 1]] * 2 + [[0, 1, 0]] * 12 + [[0, 0, 1]] * 6
    return np.array(rows, dtype=np.float32)[rng.permutation(len(rows))]


def test_upsampling_lifts_every_class_to_the_goal_using_single_label_copies(rng):
    targets = _imbalanced(rng)
    counts = targets.sum(axis=0)
    indices = upsample_multilabel(targets, 0.5, seed=1)
    assert np.array_equal(indices[: len(targets)], np.arange(len(targets)))
    copies = indices[len(targets):]
    assert np.all(targets[copies].sum(axis=1) == 1)               # only single-label copies
    after = targets[indices].sum(axis=0)
    assert after[0] == counts[0] and np.all(after[1:] == round(0.5 * counts.max()))
    assert np.array_equal(indices, upsample_multilabel(targets, 0.5, seed=1))


def test_downsampling_removes_the_seeds_share_and_keeps_the_minority(rng):
    targets = _imbalanced(rng)
    counts = targets.sum(axis=0)                                  # 60, 20, 8
    kept = downsample_multilabel(targets, 0.5, seed=0)
    after = targets[kept].sum(axis=0)
    assert after.tolist() == [60 - round((60 - 8) * 0.5), 20 - round((20 - 8) * 0.5), 8]
    full = targets[downsample_multilabel(targets, 1.0, seed=0)].sum(axis=0)
    assert full.min() == counts.min() and full.max() <= counts.min() + 10   # multi-label spill
    report = tag_count_report(targets, ["x", "y", "z"], kept)
    assert report.splitlines()[0] == (f"{len(kept)} samples; most frequent tag x (34), "
                                      "least frequent z (8)")
    with pytest.raises(ValueError, match="downsampling_size"):
        downsample_multilabel(targets, 1.5)
