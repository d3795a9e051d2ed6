"""Features of audio files: find them, and compute one file or a batch of equal-length clips.

:func:`file_features` is the unit of work a cache or a worker pool calls per file;
:func:`batch_features` is the fast path when several clips share one length (one batched call
on the device instead of one per clip). Both return host NumPy arrays. :func:`compute_files`
drives a whole list of files through :func:`batch_features`, grouping clips by length.

A clip is refused, with an :class:`~tinymir.audio.AudioError` naming the file, when it has no
usable content (:func:`check_content`) or when its features are not finite
(:func:`check_finite`): a feature array that leaves this module is always finite.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from tinymir import backend
from tinymir.audio import READ_EXTENSIONS, AudioError, content_problem, find_audio, load
from tinymir.audio.checks import content_warning
from tinymir.features.extract import FeatureParams, compute
from tinymir.progress import Progress

BATCH_SIZE = 16     # clips of one length computed together


def find_audio_files(path) -> tuple[list[Path], list[tuple[str, str]]]:
    """``([path], [])`` for a file; for a folder, every audio file below it (recursive, sorted)
    and ``(path, reason)`` for the audio-named entries that are not files (see
    :func:`tinymir.audio.find_audio`).

    Raises ``FileNotFoundError`` / ``ValueError`` naming the path when there is nothing to read.
    """
    path = Path(path)
    if path.is_file():
        return [path], []
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such file or folder")
    files, skipped = find_audio(path)
    if not files:
        raise ValueError(f"{path}: no audio files in this folder or below "
                         f"(looked for .{', .'.join(sorted(READ_EXTENSIONS))})"
                         + (f"; {len(skipped)} entries skipped, e.g. {skipped[0][0]}: "
                            f"{skipped[0][1]}" if skipped else ""))
    return files, skipped


def check_content(path, y, params: FeatureParams) -> None:
    """Raise ``AudioError`` naming ``path`` when the mono clip ``y`` (at ``params.sr``) cannot
    give meaningful features: NaN or infinite samples, or no usable content (fewer samples than
    one analysis frame, ``n_fft``, or silent: :func:`tinymir.audio.content_problem`)."""
    if not np.isfinite(y).all():
        raise AudioError(path, "contains NaN or infinite samples")
    problem = content_problem(y, params.sr, params.n_fft)
    if problem is not None:
        raise AudioError(path, problem)


def check_finite(path, y, features) -> None:
    """Raise ``AudioError`` naming ``path`` when ``features`` (of the clip ``y``) hold NaN or
    infinity; for samples far outside [-1, 1] the reason says that the power spectrum
    overflowed (``|X|^2`` of samples near 1e19 or more exceeds float32's 3.4e38)."""
    if np.isfinite(features).all():
        return
    peak = float(np.max(np.abs(y)))
    if peak > 1.0:
        raise AudioError(path, f"samples up to {peak:.0e}".replace("e+", "e")
                               + ": overflow in the power spectrum")
    raise AudioError(path, "features hold NaN or infinite values")


def load_clip(path, params: FeatureParams) -> np.ndarray:
    """Mono samples of ``path`` at ``params.sr``, checked by :func:`check_content` (raises
    ``AudioError`` naming the file)."""
    y, _ = load(path, sr=params.sr, mono=True)
    check_content(path, y, params)
    return y


def file_features(path, params: FeatureParams, warnings: list | None = None) -> np.ndarray:
    """Finite features of one file (see :func:`tinymir.features.extract.compute`), on the host.
    With a ``warnings`` list, why the clip's labels would say little (a constant or white-noise
    clip, :func:`tinymir.audio.checks.content_warning`) is appended to it."""
    y, _ = load(path, sr=params.sr, mono=True)
    return clip_features(y, params, path, warnings)


def clip_features(y, params: FeatureParams, name="array",
                  warnings: list | None = None) -> np.ndarray:
    """:func:`file_features` of mono samples already in memory (at ``params.sr``): checked by
    :func:`check_content` and :func:`check_finite` the same way, each problem an
    ``AudioError`` naming ``name``.

    Parameters
    ----------
    y : array (n,)
        Mono samples at ``params.sr`` Hz, floats in [-1, 1].
    params : FeatureParams
        What the features are (kind, sample rate, FFT size, hop, ...).
    name : str
        The name given in an ``AudioError`` (default "array").
    warnings : list of str, optional
        When given, why the clip's labels would say little (a constant or white-noise clip,
        :func:`tinymir.audio.checks.content_warning`) is appended to it, once. Default None.
    """
    check_content(name, y, params)
    if warnings is not None:
        warning = content_warning(y)
        if warning is not None and warning not in warnings:
            warnings.append(warning)
    features = _compute(y, params)
    check_finite(name, y, features)
    return features


def batch_features(clips: list[np.ndarray], params: FeatureParams) -> list[np.ndarray]:
    """Features of clips that all have the same length, computed in one batched call (the
    caller checks each with :func:`check_finite`)."""
    lengths = {clip.shape[-1] for clip in clips}
    if len(lengths) != 1:
        raise ValueError(f"batch_features needs clips of one length, got lengths "
                         f"{sorted(lengths)}")
    return list(_compute(np.stack(clips), params))


def _compute(y, params: FeatureParams) -> np.ndarray:
    """``compute`` on the device, back on the host; overflow is not warned about here because
    :func:`check_finite` turns it into one line naming the file."""
    with np.errstate(over="ignore", invalid="ignore"):
        return backend.to_host(compute(backend.to_device(y), params))


def compute_files(files: list, params: FeatureParams, on_skip=None) -> tuple[dict, list]:
    """``({file index: features}, [(path, reason), ...])``: the features of ``files`` and
    each skipped file with its reason.

    Clips are loaded one by one and grouped by length; once ``BATCH_SIZE`` clips are waiting,
    each group is computed in one batched call (:func:`batch_features`), so at most
    ``BATCH_SIZE`` decoded clips are held however many different lengths the files have. A
    group that fails is skipped, each file named; each clip is checked by
    :func:`check_finite`. A progress bar counts the files on stderr; ``on_skip(path,
    reason)``, when given, is called as each file is skipped.
    """
    results, pending, skipped = {}, defaultdict(list), []

    def skip(path, reason):
        skipped.append((path, reason))
        if on_skip is not None:
            on_skip(path, reason)

    def flush_all():
        for length in list(pending):
            indices, clips = zip(*pending.pop(length))
            try:
                features = batch_features(list(clips), params)
            except ValueError as exc:
                for index in indices:
                    skip(files[index], f"feature extraction failed ({exc})")
                continue
            for index, clip, values in zip(indices, clips, features):
                try:
                    check_finite(files[index], clip, values)
                    results[index] = values
                except AudioError as exc:
                    skip(exc.path, exc.reason)

    with Progress(total=len(files), unit="tracks", label=f"features {params.kind}") as bar:
        for index, file in enumerate(files):
            try:
                clip = load_clip(file, params)
            except AudioError as exc:
                skip(exc.path, exc.reason)
            else:
                pending[clip.shape[-1]].append((index, clip))
                if sum(map(len, pending.values())) >= BATCH_SIZE:
                    flush_all()
            bar.advance()
        flush_all()
    return results, skipped
