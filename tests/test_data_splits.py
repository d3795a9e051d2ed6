"""Splits over tracks and groups, and the leak guard."""
from collections import Counter

import numpy as np
import pytest

from tinymir.data import Track, TrackTable
from tinymir.data.splits import (
    Split,
    SplitError,
    SplitLeakError,
    check_no_leak,
    filtered_split,
    group_split,
    official_split,
    stratified_kfold,
    stratified_split,
)


def _labels(per_class=(50, 30, 20)):
    return [f"c{k}" for k, n in enumerate(per_class) for _ in range(n)]


def test_stratified_split_partitions_all_tracks_with_class_proportions():
    labels = _labels()
    split = stratified_split(labels, (0.8, 0.1, 0.1), seed=3)
    assert isinstance(split, Split) and set(split) == {"train", "val", "test"}
    together = np.concatenate(list(split.values()))
    assert sorted(together.tolist()) == list(range(len(labels)))
    for part, fraction in zip(("train", "val", "test"), (0.8, 0.1, 0.1)):
        counts = Counter(labels[i] for i in split[part])
        assert counts == {"c0": round(50 * fraction), "c1": round(30 * fraction),
                          "c2": round(20 * fraction)}
    assert "80/10/10" in split.name and "seed 3" in split.name


def test_stratified_split_is_seeded():
    labels = _labels()
    a, b, c = (stratified_split(labels, seed=s) for s in (1, 1, 2))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["train"], c["train"])


def test_two_fractions_give_train_and_test():
    split = stratified_split(["x", "y"] * 10, (0.5, 0.5))
    assert set(split) == {"train", "test"} and split.sizes() == {"train": 10, "test": 10}


def test_bad_fractions_are_refused():
    with pytest.raises(SplitError, match="add up to 1"):
        stratified_split(["a", "b"], (0.8, 0.3))


def test_kfold_test_folds_partition_and_stratify():
    labels = _labels((20, 10, 5))
    folds = stratified_kfold(labels, k=5, seed=0)
    assert len(folds) == 5 and "5-fold" in folds.name
    tests = np.concatenate([test for _, test in folds])
    assert sorted(tests.tolist()) == list(range(len(labels)))
    for train, test in folds:
        assert not set(train) & set(test)
        assert len(train) + len(test) == len(labels)
        assert Counter(labels[i] for i in test) == {"c0": 4, "c1": 2, "c2": 1}


def test_group_split_keeps_groups_on_one_side_and_roughly_stratifies():
    rng = np.random.default_rng(0)
    labels, groups = [], []
    for artist in range(60):
        genre = f"g{artist % 4}"
        for _ in range(int(rng.integers(1, 6))):
            labels.append(genre)
            groups.append(f"artist{artist}")
    split = group_split(labels, groups, (0.6, 0.2, 0.2), seed=1)
    check_no_leak(split, list(range(len(labels))), groups)
    assert sorted(np.concatenate(list(split.values())).tolist()) == list(range(len(labels)))
    for part, fraction in zip(("train", "val", "test"), (0.6, 0.2, 0.2)):
        assert abs(len(split[part]) / len(labels) - fraction) < 0.08
        assert {labels[i] for i in split[part]} == {"g0", "g1", "g2", "g3"}


def test_leak_guard_names_the_track_and_both_sides():
    split = Split("hand-made", {"train": [0, 1, 2], "test": [2, 3]})
    with pytest.raises(SplitLeakError, match=r"track 'c'.*'hand-made'.*'train' and 'test'"):
        check_no_leak(split, ["a", "b", "c", "d"])


def test_leak_guard_catches_the_same_file_under_two_indices():
    split = Split("dup", {"train": [0], "test": [1]})
    with pytest.raises(SplitLeakError, match="track 'same.wav'"):
        check_no_leak(split, ["same.wav", "same.wav"])


def test_leak_guard_names_the_group():
    split = stratified_split(["a"] * 10, (0.5, 0.5), seed=0)
    with pytest.raises(SplitLeakError, match="group 'artist'"):
        check_no_leak(split, list(range(10)), ["artist"] * 10)
    check_no_leak(split, list(range(10)), [None] * 10)     # unknown groups are not checked


def _table(ids, splits=None):
    splits = splits or [None] * len(ids)
    tracks = [Track(id=i, path=f"/x/{i}.wav", labels=(i.split(".")[0],), split=s)
              for i, s in zip(ids, splits)]
    return TrackTable(tracks, "toy")


def test_official_split_maps_names_and_requires_one():
    table = _table(["a.1", "a.2", "b.1", "b.2"], ["training", "validation", "test", None])
    split = official_split(table)
    assert {k: v.tolist() for k, v in split.items()} == {"train": [0], "val": [1], "test": [2]}
    with pytest.raises(SplitError, match="toy has no official split"):
        official_split(_table(["a.1"]))


def test_filtered_split_matches_gtzan_clip_names():
    table = _table(["blues.00029", "blues.00000", "blues.00012", "rock.00090", "blues.00005"])
    split = filtered_split(table)
    assert split["train"].tolist() == [0]
    assert sorted(split["val"].tolist()) == [1, 4]
    assert sorted(split["test"].tolist()) == [2, 3]
    with pytest.raises(SplitError, match="GTZAN filtered lists"):
        filtered_split(_table(["x.1"]))


def test_shipped_filtered_lists_have_published_sizes_and_one_known_artist_crossing():
    """The lists are artist-filtered by their authors' annotations; the artist ids shipped
    beside them (Sturm's, via julianofoleiss) put one disco artist on train and test."""
    from tinymir.data.splits import FILTERED_LISTS, filtered_list_dir
    folder = filtered_list_dir()
    names = {part: (folder / f).read_text().split() for part, f in FILTERED_LISTS.items()}
    assert {p: len(v) for p, v in names.items()} == {"train": 443, "val": 197, "test": 290}
    artist = dict(line.split("\t") for line in
                  (folder / "artists.tsv").read_text().splitlines()[1:])
    ids = [n.split("/")[-1] for part in names.values() for n in part]
    groups = [artist.get(i) for i in ids]
    offsets = np.cumsum([0] + [len(v) for v in names.values()])
    split = Split("filtered", {p: np.arange(offsets[k], offsets[k + 1])
                               for k, p in enumerate(names)})
    check_no_leak(split, ids)
    with pytest.raises(SplitLeakError, match="group '138'.*'train' and 'test'"):
        check_no_leak(split, ids, groups)
    groups = [None if g == "138" else g for g in groups]
    check_no_leak(split, ids, groups)
