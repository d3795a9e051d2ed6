"""Audio in and out: reading, resampling, trimming, segmenting, and a synthetic music set.

::

    from tinymir import audio
    y, sr = audio.load("song.mp3", sr=22050)          # mono float32 numpy, resampled
    y, sr = audio.load("song.m4a")                     # m4a, wma, webm, videos: pip install av
    y = audio.middle(y, sr, 40.0)                      # 40 s from the centre (seed 003)
    segments = audio.cut_segments(y, sr, 3.0, overlap=0.5)  # (n_segments, 3 * sr)
"""
from tinymir import moved

from .checks import content_problem
from .errors import AudioError, skipped_line
from .files import find_audio, is_audio_name
from .io import (
    READ_EXTENSIONS,
    SOUNDFILE_EXTENSIONS,
    WRITE_EXTENSIONS,
    AudioInfo,
    info,
    load,
    not_a_file_reason,
    write,
)
from .resample import resample, resample_ratio
from .segments import cut_segments, segment_count, segment_geometry, segment_starts
from .trim import discard_ends, is_silent, middle, pad_to

__all__ = [
    "AudioError", "AudioInfo", "READ_EXTENSIONS", "SOUNDFILE_EXTENSIONS", "WRITE_EXTENSIONS",
    "content_problem", "cut_segments", "discard_ends", "find_audio", "info", "is_audio_name",
    "is_silent", "load", "middle", "not_a_file_reason", "pad_to", "resample", "resample_ratio",
    "segment_count", "segment_geometry", "segment_starts", "skipped_line", "write",
]

#: Names before "segment" became the one name for a piece of a track (tinymir 0.1).
__getattr__ = moved.names(__name__, {
    "slice_fixed": "tinymir.audio:cut_segments", "slice_count": "tinymir.audio:segment_count",
    "slice_geometry": "tinymir.audio:segment_geometry",
    "slice_starts": "tinymir.audio:segment_starts"})
