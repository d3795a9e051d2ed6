"""Tiny datasets in the exact layouts the readers expect, built from short synthetic tones."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import soundfile

from tinymir import backend

SR = 8000


def each_clip_alone() -> bool:
    """Whether the feature cache computes each clip alone, as ``file_features`` does (the same
    path, the same bits): on the CPU. A device computes equal-length clips as one stack, whose
    numbers depend on the stack's size to float32 rounding."""
    return backend.get_device() == "cpu"


def tone(path, seconds: float = 0.5, freq: float = 440.0, sr: int = SR) -> Path:
    """Write a sine of ``freq`` Hz (with a little noise) to ``path``; format from the suffix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * sr)) / sr
    noise = np.random.default_rng(int(freq)).standard_normal(t.size)
    y = 0.5 * np.sin(2 * np.pi * freq * t) + 0.01 * noise
    soundfile.write(path, y.astype(np.float32), sr, format=path.suffix[1:].upper())
    return path


def make_gtzan(root, genres=("blues", "rock"), per_genre: int = 3, folder: str = "genres",
               suffix: str = ".wav") -> Path:
    """``root/<folder>/<genre>/<genre>.0000N<suffix>``; returns ``root``."""
    root = Path(root)
    for g, genre in enumerate(genres):
        for n in range(per_genre):
            tone(root / folder / genre / f"{genre}.{n:05d}{suffix}", 0.3, 200 + 100 * g + 10 * n)
    return root


FMA_COLUMNS = [("album", "date_released"), ("album", "id"), ("artist", "id"), ("artist", "name"),
               ("set", "split"), ("set", "subset"), ("track", "genre_top"),
               ("track", "genres_all"), ("track", "title")]


def make_fma(root, rows, seconds=None) -> Path:
    """FMA layout: ``fma_metadata/tracks.csv`` (3-row header), ``genres.csv``, and
    ``fma_<subset>/NNN/NNNNNN.mp3`` for each row that has ``seconds`` (None: no audio file).

    ``rows``: dicts with keys track_id, date, artist, split, subset, genre_top, genres_all
    (list of genre ids) and seconds.
    """
    root = Path(root)
    meta = root / "fma_metadata"
    meta.mkdir(parents=True)
    with open(meta / "tracks.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([""] + [top for top, _ in FMA_COLUMNS])
        writer.writerow([""] + [sub for _, sub in FMA_COLUMNS])
        writer.writerow(["track_id"] + [""] * len(FMA_COLUMNS))
        for row in rows:
            writer.writerow([row["track_id"], row.get("date", ""), 1, row["artist"],
                             f"Artist {row['artist']}", row["split"], row["subset"],
                             row["genre_top"], str(row["genres_all"]), "title, with comma"])
    with open(meta / "genres.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["genre_id", "#tracks", "parent", "title", "top_level"])
        writer.writerows([[2, 5, 0, "International", 2], [10, 5, 0, "Pop", 10],
                          [12, 5, 0, "Rock", 12], [76, 3, 10, "Experimental Pop", 10]])
    for row in rows:
        if row.get("seconds") is not None:
            number = f"{row['track_id']:06d}"
            tone(root / "fma_small" / number[:3] / f"{number}.mp3", row["seconds"],
                 300 + row["track_id"])
    return root


MTG_HEADER = "TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS"


def make_mtg_jamendo(root, rows, split_of) -> Path:
    """``root/autotagging_moodtheme.tsv`` + ``root/splits/split-0/*.tsv`` + ``root/audios/``.

    ``rows``: (track number, artist, album, tags, has_audio); ``split_of``: number -> part.
    """
    root = Path(root)
    lines = {"all": [], "train": [], "validation": [], "test": []}
    for number, artist, album, tags, has_audio in rows:
        rel = f"{number % 100:02d}/{number}.mp3"
        line = (f"track_{number:07d}\tartist_{artist:06d}\talbum_{album:06d}\t{rel}\t"
                f"212.7\t" + "\t".join(tags))
        lines["all"].append(line)
        if number in split_of:
            lines[split_of[number]].append(line)
        if has_audio:
            tone(root / "audios" / rel, 0.3, 200 + number % 500)
    (root / "splits" / "split-0").mkdir(parents=True)
    (root / "autotagging_moodtheme.tsv").write_text("\n".join([MTG_HEADER] + lines["all"]) + "\n")
    for part in ("train", "validation", "test"):
        (root / "splits" / "split-0" / f"autotagging_moodtheme-{part}.tsv").write_text(
            "\n".join([MTG_HEADER] + lines[part]) + "\n")
    return root


def artist_folders(root, labels=("electronic", "classical"), artists: int = 4,
                   per_artist: int = 2, seconds: float = 1.0) -> Path:
    """artist20's layout, ``root/<label>/<label>_artist<a>/<k>.wav``, of synthetic clips: the
    ``folders`` reader takes the second folder as each track's group."""
    from tinymir.audio import synth, write
    root = Path(root)
    for label in labels:
        for artist in range(artists):
            folder = root / label / f"{label}_artist{artist}"
            folder.mkdir(parents=True)
            for k in range(per_artist):
                write(folder / f"{k}.wav", synth.render_clip(
                    label, seed_or_rng=10 * artist + k, seconds=seconds), 22050)
    return root
