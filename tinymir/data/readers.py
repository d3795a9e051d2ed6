"""Dataset readers: collections as they are shipped -> :class:`~tinymir.data.table.TrackTable`.

=============  ==============================================================================
``gtzan``      ``genres/<genre>/<genre>.NNNNN.{wav,au}`` (or ``genres_original/``, or the genre
               folders themselves); label = genre, group = artist id from the shipped Sturm
               annotations (``gtzan_filtered/artists.tsv``) when the folders are GTZAN's ten
               genres (a synthetic set in this layout gets no groups).
``folders``    ``<class>/**/<audio>`` at any depth; label = first folder, group = second folder
               when there is one (artist20 ``artist/album/track``: label artist, group album).
``fma``        ``fma_metadata/tracks.csv`` (3-row header) + ``fma_<subset>/NNN/NNNNNN.mp3``;
               label ``genre_top`` or ``genres_all`` (multi-label), group = artist id, official
               split ``set/split``, year of ``album/date_released``; short or undecodable files
               are skipped (``min_duration``, default 29 s).
``mtg-jamendo`` ``autotagging*.tsv`` (tags after the ``TAGS`` column) + ``splits/split-N/*.tsv``;
               audio under ``audio_dir`` (default ``audios/`` beside the TSV) at the ``PATH``
               column; group = artist (or album); multi-label.
``tags``       a CSV with a path (or track name) column and either one or more label columns or
               one ``;``-separated tag column (seed 003, 4Q MER ``metadata.csv``).
=============  ==============================================================================

:func:`read_dataset` picks the reader (``dataset="auto"`` looks at the layout), then applies the
common options: ``check_audio`` (read every header, skip undecodable files), ``min_duration``,
and the tag processing of :mod:`tinymir.data.tags` (``prefix``, ``synonyms``, ``min_count``,
``top_n``, ``others``). Files that cannot be used are kept in ``table.skipped`` with the reason,
and so are entries with an audio name that are not files (a folder ``x.wav``, a broken or
looping symbolic link). Two files of one name in one folder (``song.mp3`` beside ``song.wav``)
are one track in two encodings: the folder and GTZAN readers keep one, the lossless one first
(order of :data:`PREFERRED_SUFFIXES`), and skip the other naming the one kept, so a track never
sits on both sides of a split. The choice is by extension alone, before any file is opened: if
the kept file turns out unreadable, the track is skipped rather than replaced by the other.
"""
from __future__ import annotations

import ast
import csv
import inspect
import re
from dataclasses import replace
from pathlib import Path

from tinymir import audio

from .splits import filtered_list_dir
from .table import DatasetError, Track, TrackTable
from .tags import process_tags

DATASETS = ("gtzan", "folders", "fma", "mtg-jamendo", "tags")
#: Which of two files with one name is kept: lossless encodings first, then by this order.
PREFERRED_SUFFIXES = (".wav", ".wave", ".flac", ".aiff", ".aif", ".aifc", ".w64", ".rf64",
                      ".caf", ".au", ".snd", ".ogg", ".oga", ".opus", ".mp3")
GTZAN_GENRES = frozenset({"blues", "classical", "country", "disco", "hiphop", "jazz", "metal",
                          "pop", "reggae", "rock"})
GTZAN_CLIP = re.compile(r"^(?P<genre>[a-z]+)\.(?P<number>\d{5})\.(wav|au)$")
FMA_SUBSETS = ("small", "medium", "large")
FMA_MIN_DURATION = 29.0
PATH_COLUMNS = ("path", "file", "filename", "filepath", "audio", "song", "track", "track_id", "id")
GROUP_COLUMNS = ("artist", "artist_id", "group", "album")
LABEL_COLUMNS = ("label", "labels", "genre", "class", "tags")
TAG_OPTIONS = ("prefix", "synonyms", "min_count", "top_n", "others")


def read_dataset(path, dataset: str = "auto", check_audio: bool = False,
                 min_duration: float | None = None, **options) -> TrackTable:
    """Read the dataset at ``path`` into a :class:`TrackTable`.

    Parameters
    ----------
    path : str or os.PathLike
        The dataset's folder or file.
    dataset : str, default "auto"
        One of ``auto, gtzan, folders, fma, mtg-jamendo, tags``.
    check_audio : bool, default False
        Read every file's header (always on for FMA): undecodable files are skipped and durations
        filled in.
    min_duration : float or None, default None
        Skip files shorter than this, in seconds (implies ``check_audio``).
    **options
        Keyword arguments of that reader (see each ``read_<name>``) or of
        :func:`~tinymir.data.tags.process_tags`.
    """
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file or folder")
    check_audio = check_audio or min_duration is not None
    name = detect_dataset(path) if dataset == "auto" else dataset
    readers = {"gtzan": read_gtzan, "folders": read_folders, "fma": read_fma,
               "mtg-jamendo": read_mtg_jamendo, "tags": read_tag_csv}
    if name not in readers:
        raise DatasetError(f"unknown dataset {dataset!r}: choose one of auto, "
                           f"{', '.join(DATASETS)}")
    tag_options = {key: options.pop(key) for key in TAG_OPTIONS if key in options}
    if name == "fma":
        check_audio = True
        min_duration = FMA_MIN_DURATION if min_duration is None else min_duration
    accepted = list(inspect.signature(readers[name]).parameters)[1:]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise DatasetError(f"the {name} reader has no option {', '.join(unknown)} (it takes: "
                           f"{', '.join(accepted + list(TAG_OPTIONS))})")
    table = readers[name](path, **options)
    if check_audio:
        table = check_audio_files(table, min_duration)
    if tag_options:
        table = process_tags(table, **tag_options)
    if not table.tracks:
        reasons = (f"; {len(table.skipped)} files skipped, e.g. {table.skipped[0]}"
                   if table.skipped else "")
        hint = (" (metadata only? pass require_audio=False)"
                if name == "mtg-jamendo" and table.skipped else "")
        raise DatasetError(f"{path}: no usable track found as a {name} dataset{reasons}{hint}")
    return table


def detect_dataset(path) -> str:
    """Guess the reader from the layout (see the table in the module docstring)."""
    path = Path(path)
    if path.is_file():
        if path.name == "tracks.csv":
            return "fma"
        if path.suffix == ".tsv" and _first_line(path).startswith("TRACK_ID\t"):
            return "mtg-jamendo"
        if path.suffix in (".csv", ".tsv"):
            return "tags"
        raise DatasetError(f"{path}: a dataset is a folder or a metadata file (.csv / .tsv)")
    if (path / "fma_metadata" / "tracks.csv").is_file() or (path / "tracks.csv").is_file():
        return "fma"
    if any(path.glob("autotagging*.tsv")):
        return "mtg-jamendo"
    if _gtzan_root(path) is not None:
        return "gtzan"
    csvs = list(path.glob("*.csv"))
    if len(csvs) == 1:
        return "tags"
    return "folders"


def _first_line(path: Path) -> str:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.readline()


def _one_per_name(tracks: list[Track]) -> tuple[list[Track], list[tuple[str, str]]]:
    """Keep one track per id (see the module docstring); ``(kept, skipped)``."""
    by_id = {}
    for track in tracks:
        by_id.setdefault(track.id, []).append(track)
    kept, skipped = [], []
    for same in by_id.values():
        same.sort(key=lambda t: _preference(Path(t.path).suffix.lower()))
        kept.append(same[0])
        skipped += [(t.path, f"another encoding of {same[0].path} (kept that one)")
                    for t in same[1:]]
    return kept, skipped


def _preference(suffix: str) -> tuple:
    return (PREFERRED_SUFFIXES.index(suffix) if suffix in PREFERRED_SUFFIXES
            else len(PREFERRED_SUFFIXES), suffix)


def check_audio_files(table: TrackTable, min_duration: float | None = None) -> TrackTable:
    """Read every track's header; skip undecodable or too short files, fill in durations."""
    kept, skipped = [], list(table.skipped)
    for track in table.tracks:
        try:
            duration = audio.info(track.path).duration
        except audio.AudioError as exc:
            skipped.append((track.path, exc.reason))
            continue
        if duration <= 0:
            skipped.append((track.path, "empty (0 frames)"))
        elif min_duration is not None and duration < min_duration:
            skipped.append((track.path, f"shorter than {min_duration:g} s ({duration:.2f} s)"))
        else:
            kept.append(replace(track, duration=duration))
    return TrackTable(kept, table.name, skipped, table.multilabel_hint)


# ----------------------------------------------------------------------------------- GTZAN --

def _gtzan_root(path: Path) -> Path | None:
    """The folder holding the genre folders, if ``path`` looks like GTZAN."""
    for candidate in (path / "genres", path / "genres_original", path):
        if candidate.is_dir() and any(GTZAN_CLIP.match(f.name) and f.name.startswith(d.name + ".")
                                      for d in candidate.iterdir() if d.is_dir()
                                      for f in d.iterdir()):
            return candidate
    return None


def read_gtzan_artists(path=None) -> dict[str, str]:
    """Artist id of each GTZAN clip name (``blues.00000`` -> ``'0'``), shipped by default."""
    path = Path(path) if path is not None else filtered_list_dir() / "artists.tsv"
    rows = _read_rows(path, delimiter="\t")
    return {row["clip"].rsplit(".", 1)[0]: row["artist_id"] for row in rows}


def read_gtzan(path, artists="shipped") -> TrackTable:
    """GTZAN: ``<genre>/<genre>.NNNNN.{wav,au}``; groups from the artist annotations.

    ``artists``: ``"shipped"`` (Sturm's ids for 948 clips, used only when the genre folders are
    GTZAN's ten, so a synthetic set in the same layout gets no false artists), a path to a
    ``clip<TAB>artist_id`` file, or ``None`` for no groups.
    """
    path = Path(path)
    root = _gtzan_root(path)
    if root is None:
        raise DatasetError(f"{path}: not a GTZAN layout "
                           "(expected genres/<genre>/<genre>.NNNNN.wav)")
    is_gtzan = {d.name for d in root.iterdir() if d.is_dir()} == GTZAN_GENRES
    if artists == "shipped":
        artist_of = read_gtzan_artists() if is_gtzan else {}
    else:
        artist_of = {} if artists is None else read_gtzan_artists(artists)
    files, skipped = audio.find_audio(root)
    tracks = []
    for file in files:
        match = GTZAN_CLIP.match(file.name)
        if match is None or match["genre"] != file.parent.name:
            skipped.append((str(file), "not a GTZAN clip name (<genre>/<genre>.NNNNN.wav)"))
            continue
        clip = f"{match['genre']}.{match['number']}"
        tracks.append(Track(clip, str(file), (match["genre"],), artist_of.get(clip)))
    tracks, twins = _one_per_name(tracks)
    name = "GTZAN" if is_gtzan else "GTZAN layout"
    return TrackTable(tracks, f"{name} ({root})", skipped + twins)


# --------------------------------------------------------------------------------- folders --

def read_folders(path) -> TrackTable:
    """One folder per class at any depth: label = first folder, group = second folder if any."""
    root = Path(path)
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder")
    files, skipped = audio.find_audio(root)
    tracks = []
    for file in files:
        parts = file.relative_to(root).parts
        if len(parts) < 2:
            skipped.append((str(file), "not inside a class folder"))
            continue
        group = parts[1] if len(parts) >= 3 else None
        track_id = file.relative_to(root).with_suffix("").as_posix()
        tracks.append(Track(track_id, str(file), (parts[0],), group))
    if not tracks:
        raise DatasetError(f"{root}: no audio files inside class folders (<class>/<file>)")
    tracks, twins = _one_per_name(tracks)
    return TrackTable(tracks, f"folders ({root})", skipped + twins)


# ------------------------------------------------------------------------------------- FMA --

def read_fma_tracks_csv(path: Path) -> list[dict]:
    """Rows of FMA's ``tracks.csv`` as dicts keyed ``"track_id"`` and ``("top", "sub")``.

    The file has three header rows: top-level names (``track``, ``album``, ``set`` ...), sub
    names (``genre_top``, ``split`` ...) and ``track_id`` alone.
    """
    if not path.is_file():
        raise DatasetError(f"{path}: not found; an FMA dataset is a folder holding "
                           "fma_metadata/tracks.csv (or tracks.csv itself)")
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        try:
            top, sub, third = next(reader), next(reader), next(reader)
        except StopIteration:
            raise DatasetError(f"{path}: FMA tracks.csv needs 3 header rows") from None
        if third[:1] != ["track_id"]:
            raise DatasetError(f"{path}: not FMA's tracks.csv (third header row should start "
                               f"with 'track_id', got {third[:1]})")
        columns, current = [], ""
        for t, s in zip(top, sub):
            current = t or current
            columns.append((current, s))
        rows = []
        for record in reader:
            row = {columns[i]: value for i, value in enumerate(record[1:], 1) if i < len(columns)}
            row["track_id"] = record[0]
            rows.append(row)
    for needed in (("track", "genre_top"), ("set", "subset")):
        if needed not in columns:
            raise DatasetError(f"{path}: FMA tracks.csv lacks the column {needed}")
    return rows


def _fma_genre_names(metadata: Path) -> dict[str, str]:
    genres = metadata / "genres.csv"
    if not genres.is_file():
        return {}
    return {row["genre_id"]: row["title"] for row in _read_rows(genres)}


def _genre_ids(text: str | None) -> list:
    """``"[21, 76]"`` -> ``[21, 76]``; anything unreadable -> ``[]`` (the track has no label)."""
    try:
        ids = ast.literal_eval(text or "[]")
    except (ValueError, SyntaxError):
        return []
    return list(ids) if isinstance(ids, (list, tuple)) else []


def read_fma(path, subset: str = "small", labels: str = "genre_top",
             audio_dir=None) -> TrackTable:
    """FMA: tracks of ``subset`` (and the smaller subsets it contains) with their audio.

    Tracks without a label or without an audio file are skipped.

    Parameters
    ----------
    path : str or os.PathLike
        The FMA folder (holding ``fma_metadata/``), the folder of ``tracks.csv``, or
        ``tracks.csv`` itself.
    subset : {"small", "medium", "large"}, default "small"
        The FMA subset (with the smaller subsets it contains).
    labels : {"genre_top", "genres_all"}, default "genre_top"
        ``"genre_top"`` (single label) or ``"genres_all"`` (multi-label, names from
        ``genres.csv`` when present).
    audio_dir : str, os.PathLike or None, default None
        Folder of the mp3 files (``None``: ``fma_<subset>/`` beside ``fma_metadata/``).
    """
    path = Path(path)
    if path.is_file():
        csv_path = path
    elif (path / "fma_metadata").is_dir():
        csv_path = path / "fma_metadata" / "tracks.csv"
    else:
        csv_path = path / "tracks.csv"
    if subset not in FMA_SUBSETS:
        raise DatasetError(f"unknown FMA subset {subset!r}: choose one of {', '.join(FMA_SUBSETS)}")
    if labels not in ("genre_top", "genres_all"):
        raise DatasetError(f"FMA labels must be 'genre_top' or 'genres_all', not {labels!r}")
    root = csv_path.parent.parent if csv_path.parent.name == "fma_metadata" else csv_path.parent
    audio_root = Path(audio_dir) if audio_dir is not None else root / f"fma_{subset}"
    genre_names = _fma_genre_names(csv_path.parent)
    wanted = set(FMA_SUBSETS[: FMA_SUBSETS.index(subset) + 1])
    tracks, skipped = [], []
    for row in read_fma_tracks_csv(csv_path):
        if row.get(("set", "subset")) not in wanted:
            continue
        number = f"{int(row['track_id']):06d}"
        file = audio_root / number[:3] / f"{number}.mp3"
        if labels == "genre_top":
            names = (row[("track", "genre_top")],) if row[("track", "genre_top")] else ()
        else:
            names = tuple(genre_names.get(str(i), str(i))
                          for i in _genre_ids(row.get(("track", "genres_all"))))
        if not names:
            skipped.append((str(file), f"no {labels} label"))
        elif not file.is_file():
            skipped.append((str(file), "audio file missing"))
        else:
            year = (row.get(("album", "date_released")) or "")[:4]
            tracks.append(Track(number, str(file), names, row.get(("artist", "id")) or None,
                                row.get(("set", "split")) or None, None,
                                int(year) if year.isdigit() else None))
    return TrackTable(tracks, f"FMA {subset} ({labels})", skipped,
                      multilabel_hint=labels == "genres_all")


# ----------------------------------------------------------------------------- MTG-Jamendo --

def read_mtg_tsv(path: Path) -> list[dict]:
    """Rows of an MTG-Jamendo TSV; ``row["TAGS"]`` is the list of every tag on the line.

    Lines end at ``\\n`` / ``\\r\\n`` only (not at U+2028 and the other breaks
    ``str.splitlines`` knows), so a tag holding such a character stays whole."""
    with open(path, newline="", encoding="utf-8") as handle:
        lines = [line.rstrip("\r\n") for line in handle]
    header = lines[0].split("\t") if lines else []
    if header[:6] != ["TRACK_ID", "ARTIST_ID", "ALBUM_ID", "PATH", "DURATION", "TAGS"]:
        raise DatasetError(f"{path}: not an MTG-Jamendo TSV (header should be TRACK_ID, "
                           f"ARTIST_ID, ALBUM_ID, PATH, DURATION, TAGS; got {header[:6]})")
    rows = []
    for number, line in enumerate(lines[1:], 2):
        fields = line.split("\t")
        if len(fields) < 6:
            raise DatasetError(f"{path}:{number}: expected at least 6 tab-separated fields")
        row = dict(zip(header[:5], fields[:5]))
        row["TAGS"] = [tag for tag in fields[5:] if tag]
        rows.append(row)
    return rows


def read_mtg_jamendo(path, audio_dir=None, split: int | None = 0, group: str = "artist",
                     require_audio: bool = True) -> TrackTable:
    """MTG-Jamendo: an ``autotagging*.tsv`` and its official ``splits/split-<split>/``.

    Parameters
    ----------
    path : str or os.PathLike
        The ``autotagging*.tsv`` or its folder (which must hold exactly one).
    audio_dir : str, os.PathLike or None, default None
        Audio is at ``audio_dir / PATH`` (``None``: ``audios/`` beside the TSV, else the TSV's
        folder).
    split : int or None, default 0
        Number of the official split (``splits/split-<split>/``); ``None``: no official split.
    group : {"artist", "album"}, default "artist"
        What groups tracks for splitting.
    require_audio : bool, default True
        Skip tracks whose audio file is absent (``False``: keep them, for metadata-only
        analysis).
    """
    path = Path(path)
    if path.is_dir():
        found = sorted(path.glob("autotagging*.tsv"))
        if len(found) != 1:
            raise DatasetError(f"{path}: expected one autotagging*.tsv, found "
                               f"{[p.name for p in found] or 'none'}; pass the TSV itself")
        path = found[0]
    if group not in ("artist", "album"):
        raise DatasetError(f"MTG-Jamendo group must be 'artist' or 'album', not {group!r}")
    if audio_dir is None:
        audio_dir = path.parent / "audios" if (path.parent / "audios").is_dir() else path.parent
    audio_dir = Path(audio_dir)
    split_of = _mtg_official_split(path, split) if split is not None else {}
    tracks, skipped = [], []
    for row in read_mtg_tsv(path):
        file = audio_dir / row["PATH"]
        if require_audio and not file.is_file():
            skipped.append((str(file), "audio file missing"))
            continue
        tracks.append(Track(row["TRACK_ID"], str(file), tuple(row["TAGS"]),
                            row["ARTIST_ID" if group == "artist" else "ALBUM_ID"],
                            split_of.get(row["TRACK_ID"]), float(row["DURATION"])))
    return TrackTable(tracks, f"MTG-Jamendo {path.stem}", skipped, multilabel_hint=True)


def _mtg_official_split(tsv: Path, split: int) -> dict[str, str]:
    folder = tsv.parent / "splits" / f"split-{split}"
    if not folder.is_dir():
        return {}
    split_of = {}
    for part in ("train", "validation", "test"):
        for file in folder.glob(f"{tsv.stem}-{part}.tsv"):
            split_of.update((row["TRACK_ID"], part) for row in read_mtg_tsv(file))
    return split_of


# -------------------------------------------------------------------------------- tag CSV --

def _read_rows(path: Path, delimiter: str | None = None) -> list[dict]:
    """Rows of a CSV/TSV as dicts; the csv module reads the file itself (``newline=""``), so a
    quoted field keeps its line breaks and U+2028 characters."""
    if delimiter is None:
        delimiter = "\t" if path.suffix == ".tsv" else ","
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return list(csv.DictReader(handle, delimiter=delimiter))
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror})") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: not a readable CSV ({exc})") from None


def _pick_column(columns, wanted, given, path, what):
    if given is not None:
        if given not in columns:
            raise DatasetError(f"{path}: no column {given!r} for the {what} (columns: "
                               f"{', '.join(columns)})")
        return given
    by_lower = {c.lower(): c for c in columns}
    return next((by_lower[w] for w in wanted if w in by_lower), None)


def read_tag_csv(path, path_column: str | None = None, label_columns=None,
                 tags_column: str | None = None, sep: str = ";", group_column: str | None = None,
                 audio_dir=None, year_column: str | None = None) -> TrackTable:
    """A CSV (or TSV) of tracks and labels (seed 003; 4Q MER ``metadata.csv``).

    Parameters
    ----------
    path : str or os.PathLike
        The CSV or TSV file.
    path_column : str or None, default None
        Column of a path relative to ``audio_dir``, or of a bare track name, found as
        ``<name>.<ext>`` anywhere under ``audio_dir`` (``None``: the first of path, file,
        filename, song, track, id ...).
    label_columns : str, list of str or None, default None
        One column name or a list (e.g. ``["genre1", "genre2"]``), one label per column, empty
        cells ignored. A list of several columns makes the table multi-label.
    tags_column : str or None, default None
        Instead of ``label_columns``: one column of ``sep``-separated tags (multi-label).
    sep : str, default ";"
        Separator of the tags in ``tags_column``.
    group_column : str or None, default None
        Column that groups tracks for splitting (``None``: artist if present).
    audio_dir : str, os.PathLike or None, default None
        Folder the paths are relative to (``None``: the CSV's folder).
    year_column : str or None, default None
        A column whose cells start with a year (``1994``, ``1994-05-01``), for the per-period
        tables of :mod:`tinymir.explain`; other cells give no year.
    """
    path = Path(path)
    if path.is_dir():
        found = sorted(path.glob("*.csv"))
        if len(found) != 1:
            raise DatasetError(f"{path}: expected one .csv file, found {len(found)}; pass it")
        path = found[0]
    rows = _read_rows(path)
    if not rows:
        raise DatasetError(f"{path}: no rows")
    columns = list(rows[0])
    path_column = _pick_column(columns, PATH_COLUMNS, path_column, path, "audio path")
    if path_column is None:
        raise DatasetError(f"{path}: no path column found; pass path_column= (columns: "
                           f"{', '.join(columns)})")
    if isinstance(label_columns, str):
        label_columns = [label_columns]
    if label_columns is None and tags_column is None:
        label_columns = [_pick_column(columns, LABEL_COLUMNS, None, path, "labels")]
        if label_columns == [None]:
            raise DatasetError(f"{path}: which column holds the labels? pass label_columns= or "
                               f"tags_column= (columns: {', '.join(columns)})")
    for column in (label_columns or []) + ([tags_column] if tags_column else []):
        _pick_column(columns, (), column, path, "labels")
    group_column = _pick_column(columns, GROUP_COLUMNS, group_column, path, "group")
    if year_column is not None:
        _pick_column(columns, (), year_column, path, "year")
    audio_root = Path(audio_dir) if audio_dir is not None else path.parent
    by_stem = None
    tracks, skipped = [], []
    for number, row in enumerate(rows, 2):
        name = (row[path_column] or "").strip()
        file = audio_root / name
        if not file.is_file():
            if by_stem is None:
                by_stem = {f.stem: f for f in audio.find_audio(audio_root)[0]}
            file = by_stem.get(Path(name).stem, file)
        if tags_column:
            labels = [tag.strip() for tag in (row[tags_column] or "").split(sep)]
        else:
            labels = [(row[column] or "").strip() for column in label_columns]
        labels = tuple(dict.fromkeys(label for label in labels if label))
        if not name:
            skipped.append((f"{path}:{number}", f"empty {path_column!r}"))
        elif not labels:
            skipped.append((str(file), "no label"))
        elif not file.is_file():
            skipped.append((str(file), "audio file missing"))
        else:
            year = (row[year_column] or "").strip()[:4] if year_column else ""
            tracks.append(Track(name, str(file), labels,
                                (row[group_column] or None) if group_column else None,
                                year=int(year) if year.isdigit() else None))
    multilabel = bool(tags_column) or len(label_columns or []) > 1
    return TrackTable(tracks, f"tag CSV {path.name}", skipped, multilabel_hint=multilabel)
