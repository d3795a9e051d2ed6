"""What every picture of tinymir shares: whether matplotlib is there (and the one line said
when it is not), a figure without pyplot, integer ticks, text readable on any cell colour.

No pyplot and no backend switch: the figures are ``matplotlib.figure.Figure`` objects saved
straight to their files, so importing or calling tinymir changes nothing in the user's
matplotlib. The pictures themselves live next to what they show: training curves and the
confusion matrix in :mod:`tinymir.train.report`, the grid's in :mod:`tinymir.train.grid`,
features, saliency and dataset profiles in :mod:`tinymir.explain.pictures` (its
:func:`~tinymir.explain.pictures.specshow` draws every spectrogram-like picture).
"""
from __future__ import annotations

import importlib.util

#: What a command that would draw says, once, when matplotlib is missing.
SKIPPED = "pictures skipped: matplotlib is not installed; pip install matplotlib"


def available() -> bool:
    """Whether matplotlib can be imported (the pictures are optional)."""
    return importlib.util.find_spec("matplotlib") is not None


def new_figure(width: float, height: float, rows: int = 1, columns: int = 1, **subplots):
    """``(figure, axes)`` with ``axes`` a 2-D array ``(rows, columns)`` (a matplotlib
    ``Figure`` not held by pyplot, so nothing is shown and nothing leaks between pictures).

    Parameters
    ----------
    width, height : float
        The figure's size in inches.
    rows, columns : int, default 1
        The grid of axes.
    **subplots
        Passed to ``Figure.subplots`` (``sharex``, ``sharey``).
    """
    from matplotlib.figure import Figure
    figure = Figure(figsize=(width, height))
    axes = figure.subplots(rows, columns, squeeze=False, **subplots)
    return figure, axes


def save(figure, path, dpi: int = 100) -> None:
    """Lay the figure out and write it (the format follows the file name, or PNG for a
    file object)."""
    figure.tight_layout()
    options = {} if isinstance(path, (str, bytes)) or hasattr(path, "suffix") else {
        "format": "png"}
    figure.savefig(path, dpi=dpi, **options)


def integer_ticks(axis) -> None:
    """Ticks at whole numbers only on ``axis`` (``ax.xaxis`` or ``ax.yaxis``): epochs,
    coefficient numbers."""
    from matplotlib.ticker import MaxNLocator
    axis.set_major_locator(MaxNLocator(integer=True))


def text_colour(image, value) -> str:
    """Black or white, whichever reads better on the colour ``image`` (an ``AxesImage``)
    gives ``value``: white on cells darker than mid-grey by luminance (scikit-learn's
    ``ConfusionMatrixDisplay`` switches the same way, at the middle of the colour range)."""
    red, green, blue, _ = image.cmap(image.norm(value))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return "white" if luminance < 0.5 else "black"
