"""Every picture of ``tinymir explain`` and ``tinymir dataset profile``, drawn on
``matplotlib.figure.Figure`` objects (no pyplot, no backend switch: importing or calling this
changes nothing in the user's matplotlib). Axes carry real units: time in seconds, frequency in
Hz (mel bands are labelled with their centre frequency), MFCC coefficient numbers.

Callers check :func:`available` first; without matplotlib they write numbers only.
"""
from __future__ import annotations

import numpy as np

from tinymir.features.mel import mel_frequencies
from tinymir.train.report import matplotlib_available


def available() -> bool:
    return matplotlib_available()


def _figure(width: float, height: float, columns: int = 1, rows: int = 1):
    from matplotlib.figure import Figure
    figure = Figure(figsize=(width, height))
    axes = figure.subplots(rows, columns, squeeze=False)
    return figure, axes


def _save(figure, path) -> None:
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def feature_image(axes, values, params, title: str = "", cmap: str = "magma", **imshow):
    """``values`` ``(bins, frames)`` as an image with time (s) across and frequency up."""
    seconds = values.shape[-1] * params.hop_length / params.sr
    if params.kind == "stft":
        extent, ylabel = (0, seconds, 0, params.sr / 2), "frequency (Hz)"
    else:
        extent, ylabel = (0, seconds, -0.5, values.shape[0] - 0.5), (
            "MFCC coefficient" if params.kind == "mfcc" else "mel band centre (Hz)")
    image = axes.imshow(values, origin="lower", aspect="auto", interpolation="nearest",
                        extent=extent, cmap=cmap, **imshow)
    if params.kind == "mel":
        centres = mel_frequencies(values.shape[0] + 2, params.fmin,
                                  params.fmax or params.sr / 2)[1:-1]
        ticks = np.linspace(0, values.shape[0] - 1, 6).round().astype(int)
        axes.set_yticks(ticks, [f"{centres[t]:.0f}" for t in ticks])
    axes.set(xlabel="time (s)", ylabel=ylabel, title=title)
    return image


def representative(path, values, params, trajectory, class_name: str, score: float,
                   best=None, unit: str = "dB") -> None:
    """The optimised input of one class and its score over the steps; ``best`` is the
    ``(track name, score)`` of the highest-scoring real track, drawn as a line."""
    figure, axes = _figure(11, 3.8, columns=2)
    image = feature_image(axes[0, 0], values, params,
                          f"most representative input: {class_name} (score {score:.2f})")
    figure.colorbar(image, ax=axes[0, 0], label=unit)
    steps = np.arange(1, len(trajectory) + 1)
    axes[0, 1].plot(steps, trajectory, label="optimised input")
    if best is not None:
        axes[0, 1].axhline(best[1], color="C1", linestyle="--",
                           label=f"best real track: {best[0]}")
    axes[0, 1].set(xlabel="step", ylabel="class score", title="score trajectory")
    axes[0, 1].legend(fontsize=8)
    _save(figure, path)


def score_bars(path, names, achievable, best, title: str, ylabel: str) -> None:
    """Seed 001's Figure 12: per class, the maximum achievable score, the best real track's
    score and their difference, as grouped bars."""
    figure, axes = _figure(max(6.0, 0.9 * len(names) + 2), 4)
    ax = axes[0, 0]
    where = np.arange(len(names))
    achievable, best = np.asarray(achievable, float), np.asarray(best, float)
    ax.bar(where - 0.27, achievable, 0.27, label="max achievable (optimised input)")
    ax.bar(where, best, 0.27, label="best real track")
    ax.bar(where + 0.27, achievable - best, 0.27, label="difference")
    ax.set_xticks(where, names, rotation=45, ha="right")
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set(ylabel=ylabel, title=title)
    ax.legend(fontsize=8)
    _save(figure, path)


def period_lines(path, classes, periods, differences, ylabel: str) -> None:
    """Per class, the difference (max achievable - best real track) in each period."""
    figure, axes = _figure(7, 4)
    ax = axes[0, 0]
    for name, row in zip(classes, differences):
        ax.plot(range(len(periods)), row, marker="o", label=name)
    ax.set_xticks(range(len(periods)), periods)
    ax.set(xlabel="period", ylabel=ylabel, title="distance of the best real track from the "
                                                  "most representative input")
    ax.legend(fontsize=8, ncol=2)
    _save(figure, path)


def saliency(path, background, maps: dict, params, title: str) -> None:
    """The track's features with each saliency map laid over them (one row per map)."""
    figure, axes = _figure(10, 2.8 * len(maps), rows=len(maps))
    for ax, (name, values) in zip(axes[:, 0], maps.items()):
        feature_image(ax, background, params, f"{title}: {name}", cmap="gray")
        feature_image(ax, values, params, f"{title}: {name}", cmap="inferno", alpha=0.6)
    _save(figure, path)


def image_grid(path, images: dict, params, title: str, unit: str = "dB", cmap: str = "magma",
               symmetric: bool = False) -> None:
    """One feature image per entry (class averages, differences), in a grid."""
    names = list(images)
    columns = min(3, len(names))
    rows = -(-len(names) // columns)
    figure, axes = _figure(4.5 * columns, 3.2 * rows, columns=columns, rows=rows)
    for ax in axes.ravel()[len(names):]:
        ax.set_axis_off()
    for ax, name in zip(axes.ravel(), names):
        options = {}
        if symmetric:
            limit = float(np.abs(images[name]).max()) or 1.0
            options = dict(vmin=-limit, vmax=limit)
        image = feature_image(ax, images[name], params, name, cmap=cmap, **options)
        figure.colorbar(image, ax=ax, label=unit)
    figure.suptitle(title)
    _save(figure, path)


def matrix(path, values, labels, title: str, label: str) -> None:
    """A labelled square matrix (label co-occurrence)."""
    size = max(5.0, 0.35 * len(labels) + 2)
    figure, axes = _figure(size, size)
    ax = axes[0, 0]
    image = ax.imshow(values, cmap="viridis")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    figure.colorbar(image, ax=ax, label=label)
    ax.set_title(title)
    _save(figure, path)


def bars(path, names, values, title: str, xlabel: str, ylabel: str) -> None:
    """Plain bars (class counts, labels-per-track histogram, durations)."""
    figure, axes = _figure(max(5.0, 0.5 * len(names) + 2), 3.8)
    ax = axes[0, 0]
    ax.bar(range(len(names)), values)
    ax.set_xticks(range(len(names)), [str(n) for n in names], rotation=45, ha="right")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    _save(figure, path)


def histogram(path, values, title: str, xlabel: str, bins: int = 20) -> None:
    figure, axes = _figure(5, 3.5)
    ax = axes[0, 0]
    ax.hist(values, bins=bins)
    ax.set(title=title, xlabel=xlabel, ylabel="tracks")
    _save(figure, path)
