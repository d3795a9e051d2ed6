"""Features of audio files: find them, and compute one file or a batch of equal-length clips.

:func:`file_features` is the unit of work a cache or a worker pool calls per file;
:func:`batch_features` is the fast path when several clips share one length (one batched call
on the device instead of one per clip). Both return host NumPy arrays.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tinymir import backend
from tinymir.audio import READ_EXTENSIONS, AudioError, load
from tinymir.features.extract import FeatureParams, compute


def find_audio_files(path) -> list[Path]:
    """``[path]`` for a file; for a folder, every audio file below it (recursive, sorted).

    Raises ``FileNotFoundError`` / ``ValueError`` naming the path when there is nothing to read.
    """
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such file or folder")
    files = sorted(p for p in path.rglob("*")
                   if p.is_file() and p.suffix.lower().lstrip(".") in READ_EXTENSIONS)
    if not files:
        raise ValueError(f"{path}: no audio files in this folder or below "
                         f"(looked for .{', .'.join(sorted(READ_EXTENSIONS))})")
    return files


def load_clip(path, params: FeatureParams) -> np.ndarray:
    """Mono samples of ``path`` at ``params.sr`` (raises ``AudioError`` naming the file,
    also for NaN or infinite samples, which a float WAV can hold)."""
    y, _ = load(path, sr=params.sr, mono=True)
    if not np.isfinite(y).all():
        raise AudioError(path, "contains NaN or infinite samples")
    return y


def file_features(path, params: FeatureParams) -> np.ndarray:
    """Features of one file (see :func:`tinymir.features.extract.compute`), on the host."""
    return backend.to_host(compute(backend.to_device(load_clip(path, params)), params))


def batch_features(clips: list[np.ndarray], params: FeatureParams) -> list[np.ndarray]:
    """Features of clips that all have the same length, computed in one batched call."""
    lengths = {clip.shape[-1] for clip in clips}
    if len(lengths) != 1:
        raise ValueError(f"batch_features needs clips of one length, got lengths {sorted(lengths)}")
    features = backend.to_host(compute(backend.to_device(np.stack(clips)), params))
    return list(features)
