"""Why published accuracies go wrong: splitting segments instead of tracks, and artists.

Run from the repository root (no audio needed, runs in a second)::

    python examples/data_leaks.py

A toy collection of 40 tracks by 12 artists, cut into 10 segments each. Splitting the
SEGMENTS at random puts segments of the same track on both sides, so a model is tested on
tracks it was trained on; the leak guard refuses it. Splitting tracks is right for tracks but
still lets an artist be on both sides (the "artist effect"); a group-aware split fixes that.
"""
import numpy as np

from tinymir.data.splits import Split, SplitLeakError, check_no_leak, group_split, stratified_split

rng = np.random.default_rng(0)
artists = [f"artist{a}" for a in rng.integers(0, 12, size=40)]
genres = [f"genre{int(a[6:]) % 3}" for a in artists]          # each artist plays one genre
track_ids = [f"track{t:02d}" for t in range(40)]

# 1. The mistake: segments first, then a random 80/20 split of the segments.
segment_track = np.repeat(np.arange(40), 10)
order = rng.permutation(len(segment_track))
by_segment = Split("random 80/20 over segments", {"train": order[:320], "test": order[320:]})
segment_ids = [track_ids[t] for t in segment_track]
try:
    check_no_leak(by_segment, segment_ids)
    raise AssertionError("a split of segments must leak tracks")
except SplitLeakError as exc:
    print(f"refused: {exc}")

# 2. Split tracks (stratified by genre): no track leaks, but artists still do.
by_track = stratified_split(genres, (0.8, 0.2), seed=0)
check_no_leak(by_track, track_ids)
print(f"accepted for tracks: {by_track!r}")
try:
    check_no_leak(by_track, track_ids, artists)
    raise AssertionError("this track split puts an artist on both sides")
except SplitLeakError as exc:
    print(f"refused with artists as groups: {exc}")

# 3. Group-aware: whole artists go to one side, genres balanced as far as artists allow.
by_artist = group_split(genres, artists, (0.8, 0.2), seed=0)
check_no_leak(by_artist, track_ids, artists)
print(f"accepted: {by_artist!r}")
for part, idx in by_artist.items():
    counts = {g: sum(genres[i] == g for i in idx) for g in sorted(set(genres))}
    print(f"  {part:<5} genres {counts}, artists {len({artists[i] for i in idx})}")
train_artists = {artists[i] for i in by_artist["train"]}
assert not train_artists & {artists[i] for i in by_artist["test"]}
assert len(by_artist["train"]) + len(by_artist["test"]) == 40
