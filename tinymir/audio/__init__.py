"""Audio in and out: reading, resampling, trimming, slicing, and a synthetic music set.

::

    from tinymir import audio
    y, sr = audio.load("song.mp3", sr=22050)          # mono float32 numpy, resampled
    y = audio.middle(y, sr, 40.0)                      # 40 s from the centre (seed 003)
    slices = audio.slice_fixed(y, sr, 3.0, overlap=0.5)   # (n_slices, 3 * sr)
"""
from .checks import content_problem
from .errors import AudioError, skipped_line
from .files import find_audio, is_audio_name
from .io import (READ_EXTENSIONS, WRITE_EXTENSIONS, AudioInfo, info, load, not_a_file_reason,
                 write)
from .resample import resample, resample_ratio
from .slicing import slice_count, slice_fixed, slice_geometry, slice_starts
from .trim import discard_ends, is_silent, middle, pad_to

__all__ = [
    "AudioError", "AudioInfo", "READ_EXTENSIONS", "WRITE_EXTENSIONS", "content_problem",
    "discard_ends", "find_audio", "info", "is_audio_name", "is_silent", "load", "middle",
    "not_a_file_reason", "pad_to", "resample", "resample_ratio", "skipped_line", "slice_count",
    "slice_fixed", "slice_geometry", "slice_starts", "write",
]
