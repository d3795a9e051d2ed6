"""Train / validation / test splits over tracks, and the guard that refuses leaky ones.

Splits are made over TRACKS (and over groups — artist or album — when they are known); cutting
a track into segments happens afterwards, so no track has segments on two sides. Every split is
a :class:`Split`: a dict ``{"train": idx, "val": idx, "test": idx}`` of sorted ``int64`` track
indices that also carries a human-readable ``name`` for reports.

* :func:`stratified_split` — each class is shuffled (seeded) and cut in the given fractions, so
  every side has the class proportions of the whole set.
* :func:`stratified_kfold` — each class is dealt round-robin into ``k`` folds.
* :func:`group_split` — whole groups are dealt to the side whose class targets they help most.
* :func:`group_kfold` — the same dealing into K folds.
* :func:`repeated_kfold` — K folds, several rounds of them with different seeds.
* :func:`official_split` — the split the dataset ships (FMA ``set/split``, MTG-Jamendo lists).
* :func:`filtered_split` — GTZAN's artist-filtered split (Kereliuk, Sturm & Larsen).
* :func:`make_split` — training's named split of a track table (one of :data:`SPLITS`).
* :func:`check_no_leak` — raises :class:`SplitLeakError` if a track or group is on two sides.
"""
from __future__ import annotations

from collections import defaultdict
from importlib import resources
from pathlib import Path

import numpy as np

from .table import DatasetError, TrackTable

PART_NAMES = ("train", "val", "test")
#: The named splits of :func:`make_split` (``tinymir train --split``).
SPLITS = ("random", "group", "filtered", "official", "kfold", "group-kfold")
DEFAULT_FOLDS = 5
OFFICIAL_PART_NAMES = {"training": "train", "train": "train", "validation": "val",
                       "valid": "val", "val": "val", "test": "test"}
FILTERED_LISTS = {"train": "train_filtered.txt", "val": "valid_filtered.txt",
                  "test": "test_filtered.txt"}


class SplitError(DatasetError):
    """A split cannot be made or used as asked."""


class SplitLeakError(SplitError):
    """A track or a group appears on two sides of a split."""


class Split(dict):
    """``{part name: sorted int64 track indices}`` with a ``name`` saying how it was made."""

    def __init__(self, name: str, parts: dict):
        super().__init__({key: np.sort(np.asarray(idx, dtype=np.int64))
                          for key, idx in parts.items()})
        self.name = name

    @property
    def parts(self) -> dict:
        return dict(self)

    def sizes(self) -> dict[str, int]:
        return {key: len(idx) for key, idx in self.items()}

    def __repr__(self) -> str:
        sizes = ", ".join(f"{key}={n}" for key, n in self.sizes().items())
        return f"Split({self.name!r}: {sizes})"


class Folds(list):
    """A list of ``(train_idx, test_idx)`` pairs with a ``name`` for reports."""

    def __init__(self, name: str, folds):
        super().__init__(folds)
        self.name = name


def _fractions(fractions) -> np.ndarray:
    fractions = np.asarray(fractions, dtype=np.float64)
    if fractions.ndim != 1 or not 2 <= len(fractions) <= 3 or (fractions < 0).any():
        raise SplitError(f"fractions must be 2 or 3 non-negative numbers, got {list(fractions)}")
    if not np.isclose(fractions.sum(), 1.0):
        raise SplitError(f"fractions must add up to 1, got {list(fractions)} "
                         f"(sum {fractions.sum():g})")
    return fractions


def _describe(fractions) -> str:
    return "/".join(f"{100 * f:g}" for f in fractions)


def _indices_by_class(labels) -> dict:
    by_class = defaultdict(list)
    for i, label in enumerate(labels):
        by_class[label].append(i)
    return by_class


def _largest_remainder(n: int, fractions: np.ndarray) -> np.ndarray:
    """Integer counts summing to ``n`` closest to ``n * fractions`` (Hamilton's method)."""
    exact = n * fractions
    counts = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts


def stratified_split(labels, fractions=(0.8, 0.1, 0.1), seed: int = 0) -> Split:
    """Split track indices so every side has the class proportions of the whole set.

    For each class c with n_c tracks (shuffled with ``seed``), side k receives
    ``round(n_c * fractions[k])`` of them (largest-remainder rounding, so the counts add up to
    n_c). Two fractions give ``train``/``test``; three give ``train``/``val``/``test``.
    ``labels`` is one hashable label per track (for multi-label data use
    ``TrackTable.strata()``).
    """
    fractions = _fractions(fractions)
    names = PART_NAMES if len(fractions) == 3 else ("train", "test")
    rng = np.random.default_rng(seed)
    parts = {name: [] for name in names}
    for label, members in sorted(_indices_by_class(labels).items(), key=lambda kv: str(kv[0])):
        members = rng.permutation(members)
        bounds = np.cumsum(_largest_remainder(len(members), fractions))[:-1]
        for name, chunk in zip(names, np.split(members, bounds)):
            parts[name].extend(chunk.tolist())
    return Split(f"stratified {_describe(fractions)} by track, seed {seed}", parts)


def stratified_kfold(labels, k: int = 5, seed: int = 0) -> Folds:
    """``k`` folds with the class proportions of the whole set: ``[(train_idx, test_idx), ...]``.

    The tracks of each class are shuffled with ``seed`` and dealt round-robin into the folds,
    continuing where the previous class stopped so the folds also have equal sizes (±1).
    """
    labels = list(labels)
    if not 2 <= k <= len(labels):
        raise SplitError(f"k-fold needs 2 <= k <= number of tracks ({len(labels)}), got k={k}")
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(labels), dtype=np.int64)
    dealt = 0
    for label, members in sorted(_indices_by_class(labels).items(), key=lambda kv: str(kv[0])):
        members = rng.permutation(members)
        fold_of[members] = (dealt + np.arange(len(members))) % k
        dealt += len(members)
    everything = np.arange(len(labels))
    folds = [(everything[fold_of != f], everything[fold_of == f]) for f in range(k)]
    return Folds(f"stratified {k}-fold by track, seed {seed}", folds)


def _deal_groups(labels, groups, fractions, seed: int) -> list[list[int]]:
    """Whole groups dealt to ``len(fractions)`` sides, stratified as groups allow (see
    :func:`group_split`); returns the track indices of each side."""
    labels, groups = list(labels), list(groups)
    if len(labels) != len(groups):
        raise SplitError(f"{len(labels)} labels but {len(groups)} groups")
    classes = sorted(set(labels), key=str)
    class_index = {c: i for i, c in enumerate(classes)}
    members = defaultdict(list)
    for i, group in enumerate(groups):
        members[("group", group) if group is not None else ("track", i)].append(i)

    keys = list(members)
    rng = np.random.default_rng(seed)
    keys = [keys[i] for i in rng.permutation(len(keys))]
    keys.sort(key=lambda key: -len(members[key]))        # stable: ties keep the shuffled order

    class_totals = np.bincount([class_index[c] for c in labels], minlength=len(classes))
    need = fractions[:, None] * class_totals[None, :]
    sides = [[] for _ in fractions]
    for key in keys:
        counts = np.bincount([class_index[labels[i]] for i in members[key]], minlength=len(classes))
        score = (need * counts[None, :] / np.maximum(class_totals, 1)[None, :]).sum(axis=1)
        side = int(np.argmax(score))
        need[side] -= counts
        sides[side].extend(members[key])
    return sides


def group_split(labels, groups, fractions=(0.8, 0.1, 0.1), seed: int = 0) -> Split:
    """Split so that no group (artist, album) has tracks on two sides, stratified as groups allow.

    Groups are shuffled with ``seed`` and then taken largest first; each goes to the side k
    that maximises ``sum_c g_c * need[k, c] / n_c``, where ``g_c`` is the group's number of
    tracks of class c, ``n_c`` the class total and ``need[k, c] = fractions[k] * n_c -
    have[k, c]`` what side k still lacks. A track without a group (``None``) is its own group.

    Parameters
    ----------
    labels : sequence (n_tracks,)
        One hashable class label per track.
    groups : sequence (n_tracks,)
        One group per track (artist, album), ``None`` for a track that is its own group.
    fractions : sequence of float
        Two (``train``/``test``) or three (``train``/``val``/``test``) non-negative fractions
        adding up to 1 (default (0.8, 0.1, 0.1)).
    seed : int
        Seed of the shuffling of the groups (default 0).
    """
    fractions = _fractions(fractions)
    names = PART_NAMES if len(fractions) == 3 else ("train", "test")
    parts = dict(zip(names, _deal_groups(labels, groups, fractions, seed)))
    return Split(f"group-aware {_describe(fractions)} (no group on two sides), seed {seed}", parts)


def group_kfold(labels, groups, k: int = 5, seed: int = 0) -> Folds:
    """``k`` folds with no group on two sides: groups dealt as in :func:`group_split` to ``k``
    sides of ``1/k`` each; fold f tests side f and trains on the rest.

    Parameters
    ----------
    labels : sequence (n_tracks,)
        One hashable class label per track.
    groups : sequence (n_tracks,)
        One group per track (artist, album), ``None`` for a track that is its own group.
    k : int
        Number of folds, from 2 to the number of groups (default 5).
    seed : int
        Seed of the shuffling of the groups (default 0).
    """
    n_groups = len({g if g is not None else ("track", i) for i, g in enumerate(groups)})
    if not 2 <= k <= n_groups:
        raise SplitError(f"group k-fold needs 2 <= k <= number of groups ({n_groups}), got k={k}")
    sides = _deal_groups(labels, groups, np.full(k, 1.0 / k), seed)
    everything = np.arange(len(labels))
    folds = []
    for side in sides:
        test = np.sort(np.asarray(side, dtype=np.int64))
        folds.append((np.setdiff1d(everything, test), test))
    return Folds(f"group-aware {k}-fold (no group on two sides), seed {seed}", folds)


def repeated_kfold(labels, k: int = 5, repeats: int = 3, groups=None, seed: int = 0) -> Folds:
    """``repeats`` rounds of ``k`` folds, ``k * repeats`` pairs ``(train_idx, test_idx)`` in
    order: round r is :func:`stratified_kfold` (or :func:`group_kfold` with ``groups``) with
    seed ``seed + r``. Every recipe compared on the same ``Folds`` is paired fold by fold
    (:mod:`tinymir.compare`).

    Parameters
    ----------
    labels : sequence (n_tracks,)
        One hashable class label per track.
    k : int
        Number of folds in each round (default 5).
    repeats : int
        Number of rounds, 1 or more (default 3); 1 gives the plain k folds.
    groups : sequence (n_tracks,), optional
        One group per track (``None``: its own group): no group on two sides of a fold.
        Default None: stratified folds by track.
    seed : int
        Seed of the first round (default 0); round r uses ``seed + r``.
    """
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise SplitError(f"repeats must be a whole number of 1 or more, got {repeats!r}")
    rounds = [group_kfold(labels, groups, k, seed + r) if groups is not None
              else stratified_kfold(labels, k, seed + r) for r in range(repeats)]
    if repeats == 1:
        return rounds[0]
    how = "group-aware" if groups is not None else "stratified"
    return Folds(f"{how} {k}-fold x {repeats} repeats"
                 + (" (no group on two sides)" if groups is not None else " by track")
                 + f", seeds {seed}..{seed + repeats - 1}",
                 [pair for folds in rounds for pair in folds])

def official_split(table: TrackTable) -> Split:
    """The split shipped with the dataset (``Track.split``), named train / val / test.

    Tracks without an official split are left out; a table with none raises
    :class:`SplitError`.
    """
    parts = defaultdict(list)
    for i, track in enumerate(table.tracks):
        if track.split is not None:
            parts[OFFICIAL_PART_NAMES.get(track.split, track.split)].append(i)
    if not parts:
        raise SplitError(f"{table.name} has no official split (no track carries one)")
    return Split(f"official split of {table.name}", parts)


def filtered_list_dir() -> Path:
    """The folder holding the shipped GTZAN artist-filtered lists and artist ids."""
    return Path(str(resources.files("tinymir.data") / "gtzan_filtered"))


def _clip_stem(name: str) -> str:
    """``'blues/blues.00012.wav'`` or ``'blues.00012.au'`` -> ``'blues.00012'``."""
    name = Path(name).name
    return name.rsplit(".", 1)[0] if name.endswith((".wav", ".au")) else name


def filtered_split(table: TrackTable) -> Split:
    """GTZAN's artist-filtered split of Kereliuk, Sturm & Larsen (443 / 197 / 290 tracks).

    Tracks are matched by clip name (``blues.00012``); GTZAN tracks absent from the lists
    (repeats, distortions, mislabelings) are left out, which is the point of the filter.
    The lists are artist-clean by their authors' annotations; the artist ids shipped beside
    them (``artists.tsv``) disagree for one disco artist (id 138: disco.00049 and disco.00073
    in train, disco.00069 in test), so ``check_no_leak`` with those groups refuses this split.
    """
    position = {_clip_stem(t.id): i for i, t in enumerate(table.tracks)}
    parts = {}
    for part, filename in FILTERED_LISTS.items():
        lines = (filtered_list_dir() / filename).read_text().split()
        parts[part] = [position[_clip_stem(line)] for line in lines if _clip_stem(line) in position]
    if not any(parts.values()):
        raise SplitError(f"{table.name}: none of its tracks is in the GTZAN filtered lists "
                         "(expects GTZAN clip names such as blues.00012)")
    sizes = "/".join(str(len(parts[p])) for p in FILTERED_LISTS)
    return Split(f"GTZAN artist-filtered split (Kereliuk, Sturm & Larsen), {sizes} tracks", parts)


def make_split(table, method: str, seed: int, fold: int = 0, folds: int = DEFAULT_FOLDS):
    """The named train / validation / test track split of ``table`` that training uses, for
    ``method`` in :data:`SPLITS`; ``fold`` of ``folds`` with ``kfold`` and ``group-kfold``.

    ``random``, ``group`` and ``kfold`` stratify on the label; for tags they are not
    stratified, because stratifying on each track's rarest tag leaves almost nothing for a
    small side when most tags are rare (85 4Q clips with 28 tags: 58 / 11 / 1 tracks at random;
    the 70 clips with the tags on at least 6 of them, by artist: 59 / 11 / 0, and in 5 folds a
    validation part of 0 or 1 track).

    Parameters
    ----------
    table : TrackTable
        The tracks (labels or tags, groups, official parts).
    method : str
        One of :data:`SPLITS`.
    seed : int
        Seed of the split.
    fold : int, default 0
        ``kfold`` and ``group-kfold``: the test fold.
    folds : int, default DEFAULT_FOLDS
        ``kfold`` and ``group-kfold``: how many folds.
    """
    strata = [""] * len(table) if table.multilabel else table.strata()
    if method == "random" and table.multilabel:
        parts = stratified_split(strata, (0.8, 0.1, 0.1), seed=seed)
        return Split(f"random 80/10/10 by track (not stratified), seed {seed}", parts)
    if method == "random":
        return stratified_split(strata, (0.8, 0.1, 0.1), seed=seed)
    if method == "group":
        return group_split(strata, table.groups, (0.8, 0.1, 0.1), seed=seed)
    if method == "filtered":
        return filtered_split(table)
    if method == "official":
        return official_split(table)
    if method in ("kfold", "group-kfold"):
        grouped = method == "group-kfold"
        k_folds = (group_kfold(strata, table.groups, k=folds, seed=seed) if grouped
                   else stratified_kfold(strata, k=folds, seed=seed))
        if not 0 <= fold < len(k_folds):
            raise SplitError(f"fold {fold} does not exist: choose 0..{len(k_folds) - 1}")
        rest, test = k_folds[fold]
        name = k_folds.name + (" (not stratified)" if table.multilabel else "")
        if grouped:         # the next fold validates: whole groups, however few there are
            val = k_folds[(fold + 1) % len(k_folds)][1]
            return Split(f"{name}, fold {fold} as test, fold "
                                   f"{(fold + 1) % len(k_folds)} as validation",
                                   {"train": np.setdiff1d(rest, val), "val": val, "test": test})
        inner = stratified_split([strata[i] for i in rest], (0.9, 0.1), seed=seed)
        return Split(f"{name}, fold {fold} as test; validation 10% of the rest",
                               {"train": rest[inner["train"]], "val": rest[inner["test"]],
                                "test": test})
    raise SplitError(f"unknown split {method!r}: choose one of {', '.join(SPLITS)}")


def check_no_leak(split, track_ids, groups=None) -> None:
    """Raise :class:`SplitLeakError` if a track id (or a known group) is on two sides.

    ``split`` is a :class:`Split` or any ``{part: indices}`` dict; ``track_ids[i]`` and
    ``groups[i]`` describe track ``i``. Groups that are ``None`` are unknown and not checked.
    """
    name = getattr(split, "name", "split")
    for kind, keys in (("track", track_ids), ("group", groups)):
        if keys is None:
            continue
        side_of = {}
        for part, indices in split.items():
            for i in np.asarray(indices, dtype=np.int64):
                key = keys[int(i)]
                if key is None:
                    continue
                seen = side_of.setdefault(key, part)
                if seen != part:
                    raise SplitLeakError(f"{kind} {key!r} is on two sides of {name!r}: "
                                         f"{seen!r} and {part!r}")
