"""From audio files to the segments a model reads: features per track, segments per track, batches.

For each track (``FrontEnd`` says how)::

    F      = features of the whole file          (bins, n frames), front_end_features
             (a feature stack: its kinds' rows one under the other, same frames)
    F      = F[:, central C frames]              C = 1 + floor(center * sr / hop) (crnn)
    F      = F[:, d : n - d]                     d = min(discard frames, (n - L) // 2)
    F      = F repeated (wrapped) to L frames    when the track is shorter than one segment
    segments = F[:, s : s + L]  for s = 0, h, 2h, ... while s + L <= frames

with ``L = front.segment_frames`` and ``h = front.hop_frames``. Each segment keeps the index of its
track, so segment predictions can be brought back to the track. Segmenting happens after the split,
so no track has segments on two sides.

Training reads the features from the on-disk cache (:class:`tinymir.data.cache.FeatureCache`,
memory-mapped, computed once per audio file and feature parameters); without a cache folder
they are computed in memory. ``predict`` computes one file's features the same way.

The features are standardised per frequency bin with the mean and standard deviation of the
TRAINING tracks only (:class:`tinymir.data.standardize.Standardizer`); the statistics travel in
the model file. Segments are :func:`tinymir.data.segments.make_segments` windows.
"""
from __future__ import annotations

import numpy as np

from tinymir import audio, backend
from tinymir.data.batches import BatchIterator
from tinymir.data.cache import FeatureCache
from tinymir.data.segments import Segments, make_segments
from tinymir.data.standardize import Standardizer
from tinymir.features.cepstral import dct_matrix
from tinymir.features.files import file_features
from tinymir.models import FrontEnd
from tinymir.progress import Progress


def part_params(front: FrontEnd) -> list:
    """The feature parameters (cache keys) of the front end's features: the front end itself,
    or one per kind of a feature stack."""
    return [front.part_params(kind) for kind in front.parts] if front.is_stack else [front]


def stack(parts: list) -> np.ndarray:
    """The parts of a feature stack, ``(rows_k, frames)`` each on the same frame grid, as one
    ``(sum rows_k, frames)`` float32 array (None when any part is missing)."""
    if any(part is None for part in parts):
        return None
    return np.concatenate([np.asarray(part, np.float32) for part in parts], axis=0)


def db_response(front: FrontEnd) -> np.ndarray:
    """``d_f``: how much feature row f changes when the clip is played 1 dB louder (the
    ``gain`` augmentation): 1 for dB mel and STFT rows, ``sum_m D[q, m]`` for MFCC q (D the
    orthonormal DCT-II, so only c0 moves, by ``sqrt(n_mels)``), 0 for chroma (normalised per
    frame), spectral contrast (a difference of dB values) and centroid (a ratio of spectra)."""
    rows = []
    for kind in front.parts:
        if kind in ("mel", "stft"):
            rows.append(np.ones(front.part_rows(kind)))
        elif kind == "mfcc":
            rows.append(backend.to_host(dct_matrix(front.n_mfcc, front.n_mels, xp=np,
                                                   dtype=np.float64)).sum(axis=1))
        else:
            rows.append(np.zeros(front.part_rows(kind)))
    return np.concatenate(rows)


def kept_frames(n: int, front: FrontEnd) -> tuple[int, int]:
    """``(start, stop)``: the frames of a track of ``n`` frames that the front end keeps: the
    middle ``center`` seconds, then without ``discard`` seconds at each end (never below one
    segment)."""
    start, stop, frames = 0, n, front.segment_frames
    if front.center:
        keep = front.clip_frames(front.center)
        if n > keep:
            start = (n - keep) // 2
            stop = start + keep
    if front.discard:
        d = min(front.seconds_to_frames(front.discard), max(0, (stop - start - frames) // 2))
        start, stop = start + d, stop - d
    return start, stop


def trimmed_view(feats, front: FrontEnd):
    """The frames of a whole track that the front end keeps (:func:`kept_frames`), as a view
    of ``feats`` (memory maps stay lazy)."""
    start, stop = kept_frames(feats.shape[1], front)
    return feats[:, start:stop]


def frame_view(feats, front: FrontEnd):
    """The frames the front end cuts into segments: :func:`trimmed_view`, repeated (wrapped) to
    one segment when shorter (a copy only then)."""
    feats, frames = trimmed_view(feats, front), front.segment_frames
    if feats.shape[1] < frames:
        feats = np.pad(np.asarray(feats), ((0, 0), (0, frames - feats.shape[1])), mode="wrap")
    return feats


def front_end_features(path, front: FrontEnd) -> np.ndarray:
    """``(bins, frames)`` float32 host features of a whole file for the front end: the dB mel
    or STFT power, the MFCCs of the dB mel (``tinymir.features.extract``), or a feature stack
    (each kind computed from the file), checked for usable content and finite values
    (:func:`tinymir.features.files.file_features`); :func:`frame_view` then frames them for
    the front end."""
    return stack([file_features(path, params) for params in part_params(front)])


def extract_tracks(tracks, front: FrontEnd, cache_root=None, jobs: int = 1,
                   progress: bool = True, lengths: list | None = None):
    """Features of every track (``Track`` objects), in order, through the cache at
    ``cache_root`` (or in memory when it is None). Unreadable files come back as ``None`` in
    the list and as ``(path, reason)`` in the second list. A ``lengths`` list is filled with
    each readable track's frames before a short one is repeated (:func:`trimmed_view`).

    Parameters
    ----------
    tracks : list of Track
        The tracks, in order.
    front : FrontEnd
        The features to compute.
    cache_root : str or Path, optional
        The feature cache folder; None computes in memory.
    jobs : int, default 1
        Processes computing features for the cache.
    progress : bool, default True
        Show a progress line.
    lengths : list, optional
        Filled with each readable track's frames.
    """
    lengths = [] if lengths is None else lengths

    def framed(feats):
        lengths.append(trimmed_view(feats, front).shape[1])
        return frame_view(feats, front)

    if cache_root is not None:
        caches = [FeatureCache(cache_root, params) for params in part_params(front)]
        skipped = {}
        for cache in caches:
            skipped.update(dict(cache.build(tracks, jobs=jobs, progress=progress).skipped))
        if len(caches) == 1:          # a single kind stays memory-mapped
            feats = [caches[0].load(t.id) if t.id in caches[0] else None for t in tracks]
        else:
            feats = [stack([c.load(t.id) if t.id in c else None for c in caches])
                     for t in tracks]
        return [None if f is None else framed(f) for f in feats], list(skipped.items())
    out, skipped = [], []
    with Progress(len(tracks), unit="tracks", label="features", enabled=progress) as bar:
        for track in tracks:
            try:
                out.append(framed(front_end_features(track.path, front)))
            except audio.AudioError as exc:
                out.append(None)
                skipped.append((str(track.path), exc.reason))
            bar.advance()
    return out, skipped


def segment_tracks(feats: list, front: FrontEnd, tracks=None) -> Segments:
    """Segments of the given tracks (default: all); tracks without features have none."""
    tracks = range(len(feats)) if tracks is None else tracks
    readable = [int(t) for t in tracks if feats[int(t)] is not None]
    counts = [0 if f is None else f.shape[1] for f in feats]
    return make_segments(counts, front.segment_frames, hop=front.hop_frames, tracks=readable)


def segment_batches(feats: list, segments: Segments, targets, standardize: Standardizer,
                    batch_size: int = 128, seed: int = 0, shuffle: bool = True) -> BatchIterator:
    """Mini-batches ``(x, y, track)`` of segments, ``x`` standardised and of shape
    ``(B, 1, bins, frames)``; epoch ``e`` is shuffled by ``(seed, e)``, so it has the same batches
    whether or not the run was interrupted before it. ``targets[t]`` is track t's label index or
    tag row; every segment inherits its track's target.

    Parameters
    ----------
    feats : list of ndarray
        Each track's features ``(bins, frames)`` (None for an unreadable track).
    segments : Segments
        The segments to batch (track and start frame of each).
    targets : ndarray
        Per track, the label index (one label) or the tag row (tags).
    standardize : Standardizer
        Training-set statistics applied to each batch.
    batch_size : int, default 128
        Segments per batch.
    seed : int, default 0
        Seed of the shuffle (with the epoch).
    shuffle : bool, default True
        Shuffle the segments each epoch (False: in order).
    """
    return BatchIterator(feats, segments, targets, batch_size, seed=seed, shuffle=shuffle,
                         transform=lambda x: standardize.transform(x)[:, None])
