"""A live stream labelled as it plays: samples arrive in blocks (raw PCM from a pipe, or an
input device), and each segment is labelled as soon as its last sample is in.

The samples go through the same machinery as a long file (:mod:`tinymir.audio.stream`'s
resampler, :mod:`tinymir.predict.recording`'s feature blocks and segments), so a stream
labels each segment exactly as :meth:`~tinymir.predict.Predictor.timeline` labels the same
samples with the same ``block_seconds``. For a short delay the blocks are small: by default one
segment hop (a block is computed once the samples reach ``n_fft / 2`` past its end).

The latency of a segment is the wall time from the arrival of its last sample (the arrival of
the block that held it) to its label: the wait for the context after it (``n_fft / 2`` samples
and the rest of its feature block) plus the computing.
"""
from __future__ import annotations

import bisect
import queue
import time
from dataclasses import dataclass

import numpy as np

from tinymir.audio.stream import Resampler

from .recording import FeatureBlocks, SegmentCutter

#: The shortest block a stream is computed in, in seconds.
MIN_BLOCK_SECONDS = 0.25


@dataclass(frozen=True)
class Heard:
    """The label of one segment of a stream: its start and end in seconds of the stream, the
    top class with its probability, every class's probability, the latency in seconds, and
    whether the top probability is below the model's ``unsure`` limit (a limit chosen for
    whole tracks, applied here to one segment)."""
    start: float
    end: float
    label: str
    score: float
    scores: np.ndarray
    latency: float
    unsure: bool = False

    def line(self) -> str:
        answer = (f"unsure (best guess: {self.label} {self.score:.2f})" if self.unsure
                  else f"{self.label} {self.score:.2f}")
        return f"{self.start:8.1f}-{self.end:.1f} s  {answer}  (latency {self.latency:.3f} s)"


def default_block_seconds(front) -> float:
    """One segment hop, at least :data:`MIN_BLOCK_SECONDS`."""
    return max(MIN_BLOCK_SECONDS, front.hop_frames * front.hop_length / front.sr)


def listen(predictor, blocks, sr: int, block_seconds: float | None = None):
    """:class:`Heard` for each segment of the stream whose mono float32 ``blocks`` (at ``sr``
    Hz) come from an iterable (a pipe or a device), as each completes; at the end of the
    stream, the rest (a stream shorter than one segment is repeated to fill it).

    Parameters
    ----------
    predictor : Predictor
        The model that labels the segments (its front end sets rate, segment and hop).
    blocks : iterable of array (n,)
        Mono float32 samples in [-1, 1] as they arrive, of any lengths.
    sr : int
        Sample rate of ``blocks``, in Hz (resampled to the model's rate).
    block_seconds : float, optional
        The seconds of audio whose features are computed at once. Default None: one segment
        hop, at least :data:`MIN_BLOCK_SECONDS` (0.25 s).
    """
    front = predictor.front
    block_seconds = default_block_seconds(front) if block_seconds is None else block_seconds
    resampler = Resampler(sr, front.sr)
    features = FeatureBlocks(front, block_seconds)
    cutter = SegmentCutter(front.segment_frames, front.hop_frames)

    received, arrivals = [], []          # samples in after each block, and when it came

    def heard(segments):
        if not segments:
            return []
        starts, probs = predictor.segment_scores(segments)
        now = time.perf_counter()
        found = []
        for start, row in zip(starts, probs):
            end = float(start) + front.segment
            holder = min(bisect.bisect_left(received, end * sr), len(arrivals) - 1)
            limit = predictor.confidence.unsure_below
            found.append(Heard(float(start), end, predictor.classes[int(np.argmax(row))],
                               float(np.max(row)), row, now - arrivals[holder],
                               limit is not None and float(np.max(row)) < limit))
        done = min(bisect.bisect_left(received, found[-1].end * sr), len(arrivals) - 1)
        del received[:done], arrivals[:done]      # later segments end later: memory stays flat
        return found

    total = 0
    for block in blocks:
        total += len(block)
        received.append(total)
        arrivals.append(time.perf_counter())
        samples = resampler.push(block)
        yield from heard([pair for first, feats in features.push(samples)
                          for pair in cutter.push(first, feats)])
    if not arrivals:
        return
    segments = [pair for first, feats in features.push(resampler.close())
                for pair in cutter.push(first, feats)]
    segments += [pair for first, feats in features.close() for pair in cutter.push(first, feats)]
    yield from heard(segments + cutter.close())


def device_blocks(sr: int, block_seconds: float = 0.1, device=None):
    """Mono float32 blocks from an input device (the default one unless ``device`` is given)
    through the optional ``sounddevice``; ends on Ctrl-C. Raises ``ImportError`` with the line
    to install it when it is missing."""
    try:
        import sounddevice
    except (ImportError, OSError) as exc:       # OSError: PortAudio itself is missing
        raise ImportError("listening to an input device needs sounddevice (and PortAudio): "
                          "pip install sounddevice; or pipe raw samples in with --format, e.g. "
                          "ffmpeg -i URL -f f32le -ac 1 -ar 22050 - | tinymir listen MODEL "
                          f"--format f32le --sr 22050 ({exc})") from None
    arrived = queue.Queue()

    def callback(indata, frames, time_info, status):
        arrived.put(np.asarray(indata, dtype=np.float32).mean(axis=1))

    with sounddevice.InputStream(samplerate=sr, channels=1, dtype="float32", device=device,
                                 blocksize=max(1, int(block_seconds * sr)), callback=callback):
        try:
            while True:
                yield arrived.get()
        except KeyboardInterrupt:
            return
