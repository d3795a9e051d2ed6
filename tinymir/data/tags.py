"""Multi-label tag processing on a track table: prefix selection, synonyms, rare tags, top N.

Applied in this order by :func:`process_tags` (each step is also a function of its own):

1. :func:`select_prefix` — keep tags starting with a prefix and strip it
   (MTG-Jamendo ``mood/theme---happy`` -> ``happy``);
2. :func:`merge_synonyms` — rename tags through a mapping (``{"joyful": "happy"}`` or a file
   of ``tag<TAB or ,>canonical`` lines), merging duplicates;
3. :func:`drop_rare` — remove tags carried by fewer than ``min_count`` tracks;
4. :func:`keep_top` — keep the ``n`` most frequent tags and rename the rest ``"Others"``
   (seed 003: 29 genres + Others).

Tracks left without any tag are dropped and listed in ``table.skipped``.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from .table import DatasetError, TrackTable

NO_TAG_LEFT = "no label left after tag processing"


def _relabel(table: TrackTable, new_labels, step: str) -> TrackTable:
    """Apply per-track label tuples (duplicates removed, order kept); drop tracks left empty."""
    new_labels = [tuple(dict.fromkeys(labels)) for labels in new_labels]
    result = table.with_labels(new_labels)
    result.skipped.extend((t.path, f"{NO_TAG_LEFT} ({step})")
                          for t, labels in zip(table.tracks, new_labels) if not labels)
    return result


def select_prefix(table: TrackTable, prefix: str, strip: bool = True) -> TrackTable:
    """Keep only tags that start with ``prefix`` (removing the prefix when ``strip``)."""
    cut = len(prefix) if strip else 0
    return _relabel(table, [[tag[cut:] for tag in t.labels if tag.startswith(prefix)]
                            for t in table.tracks], f"prefix {prefix!r}")


def read_synonyms(path) -> dict[str, str]:
    """Read a synonym file: one ``tag<TAB or comma>canonical`` pair a line, ``#`` comments."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read the synonym file ({exc.strerror})") from None
    mapping = {}
    for number, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = [p.strip() for p in (line.split("\t") if "\t" in line else line.split(","))]
        if len(parts) != 2 or not all(parts):
            raise DatasetError(f"{path}:{number}: expected 'tag<TAB or ,>canonical', got {line!r}")
        mapping[parts[0]] = parts[1]
    return mapping


def merge_synonyms(table: TrackTable, synonyms) -> TrackTable:
    """Rename tags through ``synonyms`` (a dict or a file for :func:`read_synonyms`)."""
    if not isinstance(synonyms, dict):
        synonyms = read_synonyms(synonyms)
    return _relabel(table, [[synonyms.get(tag, tag) for tag in t.labels] for t in table.tracks],
                    "synonyms")


def drop_rare(table: TrackTable, min_count: int) -> TrackTable:
    """Remove tags carried by fewer than ``min_count`` tracks."""
    counts = table.class_counts()
    return _relabel(table, [[tag for tag in t.labels if counts[tag] >= min_count]
                            for t in table.tracks], f"min count {min_count}")


def keep_top(table: TrackTable, n: int, others: str | None = "Others") -> TrackTable:
    """Keep the ``n`` most frequent tags (ties by name); the rest become ``others``.

    ``others=None`` drops the rest instead of renaming them.
    """
    counts = Counter(table.class_counts())
    top = {tag for tag, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]}
    return _relabel(table, [[tag if tag in top else others for tag in t.labels
                             if tag in top or others is not None] for t in table.tracks],
                    f"top {n}")


def process_tags(table: TrackTable, prefix: str | None = None, synonyms=None,
                 min_count: int | None = None, top_n: int | None = None,
                 others: str | None = "Others") -> TrackTable:
    """Apply the steps that are asked for, in the order prefix, synonyms, min count, top N.

    Parameters
    ----------
    table : TrackTable
        Tracks with their tags.
    prefix : str or None, default None
        Keep only tags starting with it, prefix removed (:func:`select_prefix`).
    synonyms : dict, str, os.PathLike or None, default None
        Renames, a dict or a file (:func:`merge_synonyms`).
    min_count : int or None, default None
        Drop tags carried by fewer tracks (:func:`drop_rare`).
    top_n : int or None, default None
        Keep the ``n`` most frequent tags (:func:`keep_top`).
    others : str or None, default "Others"
        Name the tags outside the top N become (``None``: they are dropped).
    """
    if prefix is not None:
        table = select_prefix(table, prefix)
    if synonyms is not None:
        table = merge_synonyms(table, synonyms)
    if min_count is not None:
        table = drop_rare(table, min_count)
    if top_n is not None:
        table = keep_top(table, top_n, others)
    return table
