"""Every picture of ``tinymir explain``, ``tinymir dataset profile`` and ``tinymir features
--plot``, drawn on ``matplotlib.figure.Figure`` objects (see :mod:`tinymir.pictures`: no
pyplot, no backend switch).

One helper, :func:`specshow` (after librosa's), draws every spectrogram-like picture with real
units: time in seconds across (a segment keeps its place in the track), and up the side Hz on
a mel scale for mel bands, Hz for STFT bins, note names C .. B for chroma, whole coefficient
numbers for MFCC, octave bands in Hz for spectral contrast; its colour bar names the unit (dB,
MFCC value, ...). A feature of one row (the spectral centroid) is a line over time instead
(:func:`feature_line`).

Callers check :func:`available` first; without matplotlib they write numbers only and say
:data:`tinymir.pictures.SKIPPED` once.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tinymir import pictures
from tinymir.features.mel import mel_frequencies
from tinymir.pictures import SKIPPED  # noqa: F401  (what a command says without matplotlib)

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
ROUND_HZ = (0, 64, 128, 256, 512, 1000, 2000, 4000, 8000, 16000)
CONTRAST_FMIN = 200.0       # the first octave band edge of spectral contrast (librosa's)


def available() -> bool:
    return pictures.available()


def _figure(width: float, height: float, columns: int = 1, rows: int = 1):
    return pictures.new_figure(width, height, rows=rows, columns=columns)


def _save(figure, path) -> None:
    pictures.save(figure, path)


def value_unit(params) -> str:
    """The unit of a feature's values, for colour bars and y axes."""
    if params.kind in ("mel", "stft"):
        return "dB" if params.log else "power"
    return {"mfcc": "MFCC value", "chroma": "chroma energy (frame maximum = 1)",
            "contrast": "spectral contrast (dB)", "centroid": "Hz"}.get(params.kind, "value")


def frame_seconds(params) -> float:
    return params.hop_length / params.sr


def specshow(ax, values, params, title: str = "", cmap: str = "magma", start: float = 0.0,
             colorbar: str | None = None, **imshow):
    """``values`` ``(rows, frames)`` as an image on ``ax`` in real units (module docstring).

    Frame ``t`` covers ``start + [t, t + 1) * hop_length / sr`` seconds. Returns the
    ``AxesImage``.

    Parameters
    ----------
    ax : matplotlib Axes
        Where to draw.
    values : ndarray
        ``(rows, frames)`` features.
    params : FeatureParams
        Their parameters (kind, sr, hop_length, n_fft, fmin, fmax: the axes' units).
    title : str, default ""
        The axes' title.
    cmap : str, default "magma"
        The colour map.
    start : float, default 0.0
        Seconds of the first frame (a segment at its place in the track).
    colorbar : str or None, default None
        The colour bar's label; None draws no colour bar.
    **imshow
        Passed to ``ax.imshow`` (``vmin``, ``vmax``, ``alpha``).
    """
    values = np.asarray(values)
    rows, frames = values.shape
    seconds = frame_seconds(params)
    x = (start, start + frames * seconds)
    if params.kind == "stft":
        step = params.sr / params.n_fft               # Hz between bins; bin k at k * step
        extent, ylabel = (*x, -step / 2, (rows - 0.5) * step), "frequency (Hz)"
    else:
        extent = (*x, -0.5, rows - 0.5)
        ylabel = {"mel": "frequency (Hz, mel scale)", "mfcc": "MFCC coefficient",
                  "chroma": "pitch class", "contrast": "octave band (Hz)"}.get(params.kind,
                                                                               "row")
    image = ax.imshow(values, origin="lower", aspect="auto", interpolation="nearest",
                      extent=extent, cmap=cmap, **imshow)
    if params.kind == "mel":
        centres = mel_frequencies(rows + 2, params.fmin, params.fmax or params.sr / 2)[1:-1]
        ticks, labels = [], []
        for f in ROUND_HZ:                        # round frequencies, at least rows/12 apart
            where = float(np.interp(f, centres, np.arange(rows)))
            if centres[0] <= f <= centres[-1] and (not ticks or where - ticks[-1] >= rows / 12):
                ticks.append(where)
                labels.append(f"{f:g}")
        ax.set_yticks(ticks, labels)
    elif params.kind == "mfcc":
        pictures.integer_ticks(ax.yaxis)
    elif params.kind == "chroma" and rows == len(NOTE_NAMES):
        ax.set_yticks(range(rows), NOTE_NAMES)
    elif params.kind == "contrast":
        ax.set_yticks(range(rows), contrast_band_names(params, rows), fontsize=7)
    ax.set(xlabel="time (s)", ylabel=ylabel, title=title)
    if colorbar is not None:
        ax.figure.colorbar(image, ax=ax, label=colorbar)
    return image


def contrast_band_names(params, rows: int) -> list[str]:
    """``'0-200'``, ``'200-400'``, ..., ``'12800-11025'``: the octave bands of spectral
    contrast in Hz (the last one up to Nyquist)."""
    edges = [0.0] + [CONTRAST_FMIN * 2.0 ** b for b in range(rows - 1)] + [params.sr / 2]
    return [f"{low:g}-{high:g}" for low, high in zip(edges[:-1], edges[1:])]


def feature_line(ax, values, params, title: str = "", start: float = 0.0):
    """A one-row feature (``(frames,)`` or ``(1, frames)``) as a line over time, its unit
    on the y axis; frame ``t`` at ``start + t * hop_length / sr`` seconds (frame centres).

    Parameters
    ----------
    ax : matplotlib Axes
        Where to draw.
    values : ndarray
        ``(frames,)`` or ``(1, frames)``.
    params : FeatureParams
        Their parameters (kind, sr, hop_length).
    title : str, default ""
        The axes' title.
    start : float, default 0.0
        Seconds of the first frame.
    """
    values = np.asarray(values).reshape(-1)
    times = start + np.arange(values.size) * frame_seconds(params)
    name = {"centroid": "spectral centroid"}.get(params.kind, params.kind)
    ax.plot(times, values, linewidth=1)
    ax.set_xlim(start, start + values.size * frame_seconds(params))   # as specshow's frames
    ax.set(xlabel="time (s)", ylabel=f"{name} ({value_unit(params)})", title=title)
    ax.grid(alpha=0.3)


def feature_picture_name(relative_path: str, kind: str) -> str:
    """``'blues/a.wav'`` and ``'mfcc'`` -> ``'blues__a.mfcc.png'``: the audio's path (folders
    joined by ``__``) and the feature kind, so pictures of several kinds share a folder."""
    stem = Path(relative_path).with_suffix("").as_posix().replace("/", "__")
    return f"{stem}.{kind}.png"


def feature_pictures(folder, relative_paths, features, params) -> list[Path]:
    """One picture per file in ``folder`` (:func:`feature_picture_name`): the spectrogram-like
    kinds through :func:`specshow`, a one-row kind as a line. Returns the paths written.

    Parameters
    ----------
    folder : path
        Where the pictures go (made when missing).
    relative_paths : list of str
        Each audio file's path relative to the folder read (names the picture).
    features : list of ndarray
        Each file's ``(rows, frames)`` features.
    params : FeatureParams
        Their parameters.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, values in zip(relative_paths, features):
        values = np.asarray(values)
        figure, axes = _figure(8, 3.5)
        title = f"{name} ({params.kind})"
        if values.shape[0] == 1:
            feature_line(axes[0, 0], values, params, title)
        elif params.kind == "mfcc":              # signed values: colours centred on 0
            limit = float(np.abs(values).max()) or 1.0
            specshow(axes[0, 0], values, params, title, colorbar=value_unit(params),
                     cmap="coolwarm", vmin=-limit, vmax=limit)
        else:
            specshow(axes[0, 0], values, params, title, colorbar=value_unit(params))
        path = folder / feature_picture_name(name, params.kind)
        _save(figure, path)
        written.append(path)
    return written


def representative(path, values, params, trajectory, class_name: str, score: float,
                   best=None, unit: str = "dB", average=None) -> None:
    """The optimised input of one class, beside it its difference from ``average`` (the mean
    of all classes' optimised inputs: what makes this class's input its own), and its score
    over the steps; the best real track's score is drawn as a line.

    Parameters
    ----------
    path : path
        The picture to write.
    values : ndarray
        The input as features ``(rows, frames)`` (not standardised).
    params : FeatureParams
        Their parameters.
    trajectory : ndarray
        The class score after each optimisation step.
    class_name : str
        The class, for the titles.
    score : float
        The final score.
    best : tuple of (str, float) or None, default None
        ``(track name, score)`` of the highest-scoring real track; None draws no line.
    unit : str, default "dB"
        The colour bar's unit.
    average : ndarray or None, default None
        The mean of all classes' inputs; None leaves out the difference panel.
    """
    panels = 3 if average is not None else 2
    figure, axes = _figure(5.5 * panels, 3.8, columns=panels)
    specshow(axes[0, 0], values, params,
             f"most representative input: {class_name} (score {score:.2f})", colorbar=unit)
    if average is not None:
        difference = np.asarray(values) - np.asarray(average)
        limit = float(np.abs(difference).max()) or 1.0
        specshow(axes[0, 1], difference, params, f"{class_name} minus the average of all "
                 "classes' inputs", cmap="RdBu_r", vmin=-limit, vmax=limit,
                 colorbar=f"difference ({unit})")
    steps = np.arange(1, len(trajectory) + 1)
    ax = axes[0, -1]
    ax.plot(steps, trajectory, label="optimised input")
    if best is not None:
        ax.axhline(best[1], color="C1", linestyle="--", label=f"best real track: {best[0]}")
    ax.set(xlabel="optimisation step", ylabel="class score", title="score trajectory")
    pictures.integer_ticks(ax.xaxis)
    ax.legend(fontsize=8)
    _save(figure, path)


def score_bars(path, names, achievable, best, title: str, ylabel: str) -> None:
    """Seed 001's Figure 12: per class, the maximum achievable score, the best real track's
    score and their difference ``achievable - best``, as grouped bars.

    Parameters
    ----------
    path : path
        The picture to write.
    names : list of str
        The classes.
    achievable : sequence of float
        Each class's maximum achievable score.
    best : sequence of float
        Each class's best real track's score.
    title : str
        The picture's title.
    ylabel : str
        The score's name (logit or log-probability).
    """
    figure, axes = _figure(max(6.0, 0.9 * len(names) + 2), 4)
    ax = axes[0, 0]
    where = np.arange(len(names))
    achievable, best = np.asarray(achievable, float), np.asarray(best, float)
    ax.bar(where - 0.27, achievable, 0.27, label="max achievable (optimised input)")
    ax.bar(where, best, 0.27, label="best real track")
    ax.bar(where + 0.27, achievable - best, 0.27, label="difference")
    ax.set_xticks(where, names, rotation=45, ha="right")
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set(xlabel="class", ylabel=ylabel, title=title)
    ax.legend(fontsize=8)
    _save(figure, path)


def period_lines(path, classes, periods, differences, ylabel: str) -> None:
    """Per class, the difference (max achievable - best real track) in each period.

    Parameters
    ----------
    path : path
        The picture to write.
    classes : list of str
        One line per class.
    periods : list of str
        The periods' names (x axis).
    differences : list of list of float
        ``differences[c][p]``, NaN where the period has no track of the class.
    ylabel : str
        The y axis' label.
    """
    figure, axes = _figure(7, 4)
    ax = axes[0, 0]
    for name, row in zip(classes, differences):
        ax.plot(range(len(periods)), row, marker="o", label=name)
    ax.set_xticks(range(len(periods)), periods)
    ax.set(xlabel="period", ylabel=ylabel, title="distance of the best real track from the "
                                                  "most representative input")
    ax.legend(fontsize=8, ncol=2)
    _save(figure, path)


SALIENCY_UNIT = "saliency (1 = the segment's largest)"


def saliency(path, background, maps: dict, params, title: str, start: float = 0.0,
             covered: int | None = None) -> None:
    """The features (grey) with each saliency map laid over them, one row per map, time in
    the track's seconds from ``start``. Frames from ``covered`` on (after the last whole
    segment, which no segment analyses) are hatched and the titles say how long they last.

    Parameters
    ----------
    path : path
        The picture to write.
    background : ndarray
        The features ``(rows, frames)``, drawn in grey.
    maps : dict of str to ndarray
        Each method's map, ``(rows, frames)`` scaled to [0, 1].
    params : FeatureParams
        The features' parameters.
    title : str
        The start of each row's title.
    start : float, default 0.0
        Seconds of the first frame.
    covered : int or None, default None
        Frames covered by whole segments; None: all.
    """
    figure, axes = _figure(11, 3.0 * len(maps), rows=len(maps))
    frames = np.asarray(background).shape[1]
    seconds = frame_seconds(params)
    note = ""
    if covered is not None and covered < frames:
        note = (f"\nthe last {(frames - covered) * seconds:.1f} s are not analysed (shorter "
                "than a segment)")
    for ax, (name, values) in zip(axes[:, 0], maps.items()):
        specshow(ax, background, params, cmap="gray", start=start)
        specshow(ax, values, params, f"{title}: {name}{note}", cmap="inferno", start=start,
                 alpha=0.6, vmin=0.0, vmax=1.0, colorbar=SALIENCY_UNIT)
        if note:
            ax.axvspan(start + covered * seconds, start + frames * seconds, facecolor="none",
                       edgecolor="white", hatch="//", linewidth=0)
    _save(figure, path)


def uncovered_seconds(result, segment_frames: int, params) -> float:
    """Seconds at the end of a track that no whole segment of a
    :class:`~tinymir.explain.saliency.Saliency` ``result`` covers (0.0 when none)."""
    frames = result.features.shape[1]
    covered = min(int(np.max(result.starts)) + segment_frames, frames)
    return (frames - covered) * frame_seconds(params)


def saliency_pictures(out, result, params, segment_frames: int, name: str, class_name: str,
                      max_segments: int) -> None:
    """``track.png`` (the whole track) and ``segment_000.png`` ... (the first
    ``max_segments`` segments, each at its place in the track's time) for a
    :class:`~tinymir.explain.saliency.Saliency` ``result``.

    Parameters
    ----------
    out : path
        The folder to write into.
    result : Saliency
        The maps of the track and of each segment.
    params : FeatureParams
        The features' parameters.
    segment_frames : int
        Frames per segment.
    name : str
        The audio file's name, for the titles.
    class_name : str
        The class explained, for the titles.
    max_segments : int
        Pictures of at most this many segments.
    """
    out = Path(out)
    starts = np.asarray(result.starts)
    covered = min(int(starts.max()) + segment_frames, result.features.shape[1])
    seconds = frame_seconds(params)
    saliency(out / "track.png", result.features, result.track, params,
             f"{name}, {class_name}", covered=covered)
    for k, begin in enumerate(starts[:max_segments]):
        saliency(out / f"segment_{k:03d}.png",
                 result.features[:, begin:begin + segment_frames],
                 {m: v[k] for m, v in result.per_segment.items()}, params,
                 f"{name} segment {k}, {class_name}", start=float(begin * seconds))


def image_grid(path, images: dict, params, title: str, unit: str = "dB", cmap: str = "magma",
               symmetric: bool = False) -> None:
    """One feature image per entry (class averages, differences), in a grid, each with its
    colour bar, in a grid of at most three columns.

    Parameters
    ----------
    path : path
        The picture to write.
    images : dict of str to ndarray
        Each panel's title and ``(rows, frames)`` image.
    params : FeatureParams
        The images' feature parameters.
    title : str
        The picture's title.
    unit : str, default "dB"
        The colour bars' label.
    cmap : str, default "magma"
        The colour map.
    symmetric : bool, default False
        Centre the colours on 0 (differences).
    """
    names = list(images)
    columns = min(3, len(names))
    rows = -(-len(names) // columns)
    figure, axes = _figure(4.8 * columns, 3.3 * rows, columns=columns, rows=rows)
    for ax in axes.ravel()[len(names):]:
        ax.set_axis_off()
    for ax, name in zip(axes.ravel(), names):
        options = {}
        if symmetric:
            limit = float(np.abs(images[name]).max()) or 1.0
            options = dict(vmin=-limit, vmax=limit)
        specshow(ax, images[name], params, name, cmap=cmap, colorbar=unit, **options)
    figure.suptitle(title)
    _save(figure, path)


def matrix(path, values, labels, title: str, label: str) -> None:
    """A labelled square matrix (label co-occurrence).

    Parameters
    ----------
    path : path
        The picture to write.
    values : ndarray
        ``(n, n)`` values.
    labels : list of str
        The rows' and columns' names.
    title : str
        The picture's title.
    label : str
        The colour bar's label.
    """
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
    """Plain bars (class counts, labels-per-track histogram, durations).

    Parameters
    ----------
    path : path
        The picture to write.
    names : list
        One bar per name (x axis).
    values : sequence of float
        The bars' heights.
    title, xlabel, ylabel : str
        The picture's title and axis labels.
    """
    figure, axes = _figure(max(5.0, 0.5 * len(names) + 2), 3.8)
    ax = axes[0, 0]
    ax.bar(range(len(names)), values)
    ax.set_xticks(range(len(names)), [str(n) for n in names], rotation=45, ha="right")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    _save(figure, path)


def histogram(path, values, title: str, xlabel: str, bins: int = 20) -> None:
    """A histogram of ``values`` (track durations), counted in tracks.

    Parameters
    ----------
    path : path
        The picture to write.
    values : sequence of float
        The values counted.
    title, xlabel : str
        The picture's title and x axis label.
    bins : int, default 20
        Number of bins.
    """
    figure, axes = _figure(5, 3.5)
    ax = axes[0, 0]
    ax.hist(values, bins=bins)
    ax.set(title=title, xlabel=xlabel, ylabel="tracks")
    _save(figure, path)
