"""From a folder of music to shuffled mini-batches, without leaking a track between splits.

Run from the repository root::

    python examples/data_pipeline.py [DATASET_FOLDER]

Without an argument it writes a small synthetic set (6 genres x 8 clips of 6 s) to a temporary
folder first. The steps:

1. read the collection into a track table (the reader is chosen from the layout);
2. split BY TRACK, stratified by genre, and check that nothing leaks;
3. compute mel spectrograms once into a resumable cache (run it twice: the second run reuses);
4. cut 3 s segments (50 % overlap) AFTER the split, per side;
5. standardise with statistics of the training tracks only;
6. iterate over seeded, shuffled mini-batches read through memory maps.
"""
import sys
import tempfile
from pathlib import Path

from tinymir.audio import synth
from tinymir.data import read_dataset
from tinymir.data.batches import BatchIterator
from tinymir.data.cache import FeatureCache
from tinymir.data.segments import clip_frames, make_segments
from tinymir.data.splits import check_no_leak, stratified_split
from tinymir.data.standardize import Standardizer
from tinymir.features import FeatureParams


def main(folder: Path, cache_root: Path):
    table = read_dataset(folder)
    print(f"{table.name}: {len(table)} tracks, classes {table.classes}")

    split = stratified_split(table.strata(), (0.75, 0.125, 0.125), seed=0)
    check_no_leak(split, table.ids, table.groups)          # raises SplitLeakError otherwise
    print(f"split: {split.name} -> {split.sizes()}")

    params = FeatureParams(kind="mel", sr=22050, n_fft=1024, hop_length=512, n_mels=96)
    cache = FeatureCache(cache_root, params)
    report = cache.build(table, jobs=2, progress=False)
    print(report.summary())
    assert report.done + report.reused == len(table) and not report.skipped

    view = cache.tracks(table.ids)                         # view[i]: memmap (96, frames)
    frames = clip_frames(3.0, params.sr, params.hop_length)       # 130, as a 3 s clip gives
    segments = {part: make_segments(view.frame_counts(), frames, overlap=0.5, tracks=idx)
                for part, idx in split.items()}
    print("segments per side:", {part: len(s) for part, s in segments.items()})
    per_track = len(segments["train"]) // len(split["train"])   # 6 s clips: 2 segments each
    assert all(len(segments[part]) == per_track * len(idx) for part, idx in split.items())

    scaler = Standardizer.fit_split(split, view)           # training tracks only
    print(f"standardiser fitted on: {scaler.fitted_on}")

    batches = BatchIterator(view, segments["train"], table.label_indices(), batch_size=16, seed=0)
    for epoch in range(2):
        first = None
        for x, y, track in batches:
            x = scaler.transform(x)
            first = first if first is not None else track[:4].tolist()
        print(f"epoch {epoch}: {len(batches)} batches of x {tuple(x.shape[1:])}, "
              f"first tracks {first}")
        assert set(first) <= set(split["train"].tolist())       # training tracks only
    assert len(batches) == -(-len(segments["train"]) // 16) and tuple(x.shape[1:]) == (96, 130)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        if len(sys.argv) > 1:
            folder = Path(sys.argv[1])
        else:
            folder = work / "music"
            synth.make_dataset(folder, synth.resolve_classes(6), 8, 6.0, seed=0)
        main(folder, work / "cache")
