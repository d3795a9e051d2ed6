"""Load a track, keep its middle, cut it into overlapping segments, and print the shapes.

Run from the repository root::

    python examples/audio_segments.py [some_song.mp3]

Without an argument it renders a 30 s synthetic rock clip to a temporary wav first.
"""
import sys
import tempfile
from pathlib import Path

from tinymir import audio
from tinymir.audio import synth


def main(path):
    meta = audio.info(path)
    print(f"{path}: {meta.duration:.2f} s, {meta.channels} channel(s) at {meta.samplerate} Hz")

    y, sr = audio.load(path, sr=22050)                   # mono float32, resampled
    print(f"load      -> {y.shape} at {sr} Hz")

    centre = audio.middle(y, sr, 20.0)                   # 20 s from the centre
    print(f"middle    -> {centre.shape}")

    segments = audio.cut_segments(centre, sr, 3.0, overlap=0.5)  # 3 s segments, 50 % overlap
    print(f"segments  -> {segments.shape}  (n_segments, samples)")
    count = audio.segment_count(30 * sr, sr, 3.0)
    print(f"a 30 s track gives {count} segments of 3 s at 50 % overlap")

    # 1 + (n - L) // H whole segments, L = 3 s, H = 1.5 s: 12 in 20 s, 19 in 30 s
    n, length, hop = len(centre), 3 * sr, int(1.5 * sr)
    assert segments.shape == (1 + (n - length) // hop, length) and count == 19
    assert (segments[1, :hop] == centre[hop:2 * hop]).all()    # the overlap is shared samples


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "rock.wav"
            audio.write(path, synth.render_clip("rock", seed_or_rng=0, seconds=30.0), 22050)
            main(path)
