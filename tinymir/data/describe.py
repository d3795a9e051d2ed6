"""A plain-text overview of a track table, as printed by ``tinymir dataset info``."""
from __future__ import annotations

from collections import Counter

import numpy as np

from tinymir.progress import format_seconds

from .splits import SplitError, official_split
from .table import TrackTable


def describe(table: TrackTable, max_skipped: int = 20) -> str:
    """Classes and counts, durations, groups, official split and skipped files of ``table``."""
    kind = "multi-label" if table.multilabel else "single-label"
    lines = [f"dataset: {table.name}",
             f"tracks: {len(table)}, classes: {len(table.classes)} ({kind})"]
    if table.multilabel:
        per_track = np.array([len(t.labels) for t in table.tracks])
        lines.append(f"labels per track: mean {per_track.mean():.2f}, max {per_track.max()}")
    counts = table.class_counts()
    width = max(len(name) for name in counts)
    lines.append("class counts:")
    lines += [f"  {name:<{width}}  {n}" for name, n in sorted(counts.items(),
                                                               key=lambda kv: (-kv[1], kv[0]))]
    durations = np.array([t.duration for t in table.tracks if t.duration is not None])
    if len(durations):
        lines.append(f"durations: total {format_seconds(durations.sum())}, "
                     f"min {durations.min():.1f} s, "
                     f"median {np.median(durations):.1f} s, max {durations.max():.1f} s"
                     + (f" ({len(durations)} tracks known)" if len(durations) < len(table) else ""))
    else:
        lines.append("durations: unknown (read the audio headers with --check-audio)")
    groups = Counter(t.group for t in table.tracks if t.group is not None)
    if groups:
        biggest, size = groups.most_common(1)[0]
        missing = len(table) - sum(groups.values())
        lines.append(f"groups: {len(groups)} (largest {biggest!r}: {size} tracks)"
                     + (f", {missing} tracks without a group" if missing else ""))
    else:
        lines.append("groups: none known")
    try:
        split = official_split(table)
        outside = len(table) - sum(split.sizes().values())
        lines.append("official split: " + ", ".join(f"{k} {n}" for k, n in split.sizes().items())
                     + (f" ({outside} tracks in none)" if outside else ""))
    except SplitError:
        lines.append("official split: none")
    lines.append(f"skipped files: {len(table.skipped)}")
    for reason, n in Counter(reason for _, reason in table.skipped).most_common():
        lines.append(f"  {n} x {reason}")
    for path, reason in table.skipped[:max_skipped]:
        lines.append(f"  {path}: {reason}")
    if len(table.skipped) > max_skipped:
        lines.append(f"  ... and {len(table.skipped) - max_skipped} more")
    return "\n".join(lines)
