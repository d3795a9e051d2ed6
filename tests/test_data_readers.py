"""Dataset readers on tiny fixtures in the real layouts, and on ../shared/data when present."""
import numpy as np
import pytest

from _data_helpers import make_fma, make_gtzan, make_mtg_jamendo, tone
from tinymir.data import DatasetError, detect_dataset, read_dataset
from tinymir.data.splits import check_no_leak, filtered_split, official_split


@pytest.mark.parametrize("folder", ["genres", "genres_original"])
def test_gtzan_layout_labels_and_shipped_artist_groups(tmp_path, folder):
    make_gtzan(tmp_path, ("blues", "rock"), per_genre=3, folder=folder)
    tone(tmp_path / folder / "rock" / "notes.wav")              # not a GTZAN clip name
    assert detect_dataset(tmp_path) == "gtzan"
    table = read_dataset(tmp_path)
    assert table.ids == ["blues.00000", "blues.00001", "blues.00002",
                         "rock.00000", "rock.00001", "rock.00002"]
    assert table.classes == ["blues", "rock"] and not table.multilabel
    assert table.label_indices().tolist() == [0, 0, 0, 1, 1, 1]
    assert table.name.startswith("GTZAN layout") and set(table.groups) == {None}
    assert [reason for _, reason in table.skipped] == [
        "not a GTZAN clip name (<genre>/<genre>.NNNNN.wav)"]


def test_the_ten_gtzan_genres_get_the_shipped_artist_groups(tmp_path):
    from tinymir.data.readers import GTZAN_GENRES
    make_gtzan(tmp_path, sorted(GTZAN_GENRES), per_genre=1)
    table = read_dataset(tmp_path)
    assert table.name.startswith("GTZAN (")
    assert table.groups[0] == "0"                                # Sturm: blues.00000 -> artist 0
    assert read_dataset(tmp_path, artists=None).groups[0] is None


def test_gtzan_corrupt_file_is_skipped_and_named_with_check_audio(tmp_path):
    make_gtzan(tmp_path, ("jazz",), per_genre=2)
    bad = tmp_path / "genres" / "jazz" / "jazz.00054.wav"
    bad.write_bytes(b"RIFF\x00\x00not really a wav")
    table = read_dataset(tmp_path, check_audio=True)
    assert table.ids == ["jazz.00000", "jazz.00001"]
    assert table.tracks[0].duration == pytest.approx(0.3)
    assert len(table.skipped) == 1 and table.skipped[0][0] == str(bad)


def test_folder_per_class_any_depth_takes_second_level_as_group(tmp_path):
    for artist in ("adele", "queen"):
        for album in ("a1", "a2"):
            tone(tmp_path / artist / album / f"{artist}_{album}.flac")
    table = read_dataset(tmp_path, dataset="folders")
    assert table.classes == ["adele", "queen"]
    assert table.tracks[0].id == "adele/a1/adele_a1" and table.tracks[0].group == "a1"
    flat = tmp_path / "flat"
    tone(flat / "jazz" / "x.wav")
    assert read_dataset(flat).tracks[0].group is None


def _fma_rows():
    return [
        dict(track_id=2, date="2009-01-05 00:00:00", artist=1, split="training", subset="small",
             genre_top="Pop", genres_all=[10, 76], seconds=1.0),
        dict(track_id=3, date="", artist=1, split="training", subset="small",
             genre_top="Pop", genres_all=[10], seconds=1.0),
        dict(track_id=5, date="2008-02-06 00:00:00", artist=2, split="validation", subset="small",
             genre_top="Rock", genres_all=[12], seconds=1.0),
        dict(track_id=1010, date="2010-03-01 00:00:00", artist=3, split="test", subset="small",
             genre_top="Rock", genres_all=[12, 2], seconds=1.0),
        dict(track_id=1011, artist=3, split="test", subset="small", genre_top="Rock",
             genres_all=[12], seconds=0.2),                        # too short
        dict(track_id=1012, artist=4, split="test", subset="small", genre_top="Pop",
             genres_all=[10], seconds=None),                       # no audio file
        dict(track_id=1013, artist=4, split="test", subset="small", genre_top="",
             genres_all=[10], seconds=1.0),                        # no genre_top
        dict(track_id=9000, artist=5, split="training", subset="medium", genre_top="Rock",
             genres_all=[12], seconds=1.0),                        # not in small
    ]


def test_fma_tracks_csv_genre_top_official_split_year_and_skips(tmp_path):
    make_fma(tmp_path, _fma_rows())
    corrupt = tmp_path / "fma_small" / "001" / "001014.mp3"
    corrupt.write_bytes(b"\xff\xfb" + bytes(100))
    with open(tmp_path / "fma_metadata" / "tracks.csv", "a") as handle:
        handle.write("1014,,1,6,Artist 6,test,small,Pop,[10],t\n")
    assert detect_dataset(tmp_path) == "fma"
    table = read_dataset(tmp_path, min_duration=0.5)
    assert table.ids == ["000002", "000003", "000005", "001010"]
    assert table.tracks[0].path.endswith("fma_small/000/000002.mp3")
    assert [t.labels for t in table] == [("Pop",), ("Pop",), ("Rock",), ("Rock",)]
    assert [t.year for t in table] == [2009, None, 2008, 2010]
    assert [t.group for t in table] == ["1", "1", "2", "3"]
    assert table.tracks[0].duration == pytest.approx(1.0, abs=0.1)
    reasons = {path.rsplit("/", 1)[-1]: reason for path, reason in table.skipped}
    assert set(reasons) == {"001011.mp3", "001012.mp3", "001013.mp3", "001014.mp3"}
    assert reasons["001011.mp3"].startswith("shorter than 0.5 s")
    assert reasons["001012.mp3"] == "audio file missing"
    assert reasons["001013.mp3"] == "no genre_top label"
    split = official_split(table)
    assert {k: v.tolist() for k, v in split.items()} == {"train": [0, 1], "val": [2], "test": [3]}


def test_fma_genres_all_is_multilabel_with_genre_names(tmp_path):
    rows = _fma_rows() + [dict(track_id=1020, artist=7, split="test", subset="small",
                               genre_top="Pop", genres_all="[10, oops", seconds=1.0)]
    make_fma(tmp_path, rows)
    table = read_dataset(tmp_path / "fma_metadata" / "tracks.csv", labels="genres_all",
                         min_duration=0.5)
    assert table.multilabel
    assert table.tracks[0].labels == ("Pop", "Experimental Pop")
    assert table.classes == ["Experimental Pop", "International", "Pop", "Rock"]
    # 1013 has no genre_top but Pop in genres_all
    assert table.label_matrix().sum(axis=0).tolist() == [1, 1, 3, 2]
    assert (str(tmp_path / "fma_small" / "001" / "001020.mp3"), "no genres_all label") \
        in table.skipped


def test_fma_default_min_duration_drops_short_clips(tmp_path):
    make_fma(tmp_path, _fma_rows()[:2])
    with pytest.raises(DatasetError, match=r"no usable track.*shorter than 29 s"):
        read_dataset(tmp_path)


def test_mtg_jamendo_tsv_tags_official_split_and_missing_audio(tmp_path):
    rows = [(948, 87, 149, ["mood/theme---background"], True),
            (950, 87, 149, ["mood/theme---background", "mood/theme---calm"], True),
            (3346, 517, 521, ["mood/theme---calm", "mood/theme---melodic"], True),
            (4882, 696, 751, ["mood/theme---meditative"], False)]
    make_mtg_jamendo(tmp_path, rows, {948: "train", 950: "train", 3346: "validation",
                                      4882: "test"})
    assert detect_dataset(tmp_path) == "mtg-jamendo"
    table = read_dataset(tmp_path, prefix="mood/theme---")
    assert table.ids == ["track_0000948", "track_0000950", "track_0003346"]
    assert table.tracks[1].labels == ("background", "calm")
    assert table.tracks[0].path.endswith("audios/48/948.mp3")
    assert table.groups == ["artist_000087", "artist_000087", "artist_000517"]
    assert table.tracks[0].duration == pytest.approx(212.7)
    assert [t.split for t in table] == ["train", "train", "validation"]
    assert table.skipped == [(str(tmp_path / "audios" / "82" / "4882.mp3"), "audio file missing")]
    assert read_dataset(tmp_path, group="album").groups[0] == "album_000149"
    assert len(read_dataset(tmp_path, require_audio=False)) == 4


def test_tag_csv_path_or_name_columns_single_and_multi_label(tmp_path):
    for name in ("a1", "b1", "c1"):
        tone(tmp_path / "audio" / f"{name}.wav")
    (tmp_path / "meta.csv").write_text(
        "Song,Artist,Quadrant,Moods\n"
        "a1,Ann,Q1,Happy; Lively\n"
        "b1,Bob,Q2,Angry\n"
        "c1,Ann,Q1,\n"
        "zz,Zed,Q3,Sad\n")
    single = read_dataset(tmp_path / "meta.csv", label_columns="Quadrant")
    assert single.ids == ["a1", "b1", "c1"] and single.classes == ["Q1", "Q2"]
    assert single.groups == ["Ann", "Bob", "Ann"] and not single.multilabel
    assert single.skipped[0][1] == "audio file missing"
    multi = read_dataset(tmp_path / "meta.csv", tags_column="Moods")
    assert multi.multilabel and multi.tracks[0].labels == ("Happy", "Lively")
    assert [reason for _, reason in multi.skipped] == ["no label", "audio file missing"]
    (tmp_path / "two.csv").write_text(
        "path,genre1,genre2\naudio/a1.wav,Rock,\naudio/b1.wav,Rock,Pop\n")
    two = read_dataset(tmp_path / "two.csv", label_columns=["genre1", "genre2"])
    assert two.multilabel and [t.labels for t in two] == [("Rock",), ("Rock", "Pop")]


def test_tag_csv_year_column_gives_each_track_its_year(tmp_path):
    for name in ("a1", "b1", "c1"):
        tone(tmp_path / f"{name}.wav")
    (tmp_path / "meta.csv").write_text(
        "Song,Quadrant,Released\na1,Q1,1994-05-01\nb1,Q2,2003\nc1,Q1,unknown\n")
    table = read_dataset(tmp_path / "meta.csv", label_columns="Quadrant",
                         year_column="Released")
    assert [t.year for t in table] == [1994, 2003, None]
    assert read_dataset(tmp_path / "meta.csv", label_columns="Quadrant").tracks[0].year is None
    with pytest.raises(DatasetError, match="no column 'Date' for the year"):
        read_dataset(tmp_path / "meta.csv", label_columns="Quadrant", year_column="Date")


def test_tag_csv_errors_name_the_file_and_the_columns(tmp_path):
    (tmp_path / "meta.csv").write_text("path,mood\nx.wav,happy\n")
    with pytest.raises(DatasetError,
                       match=r"meta.csv: which column holds the labels\?.*path, mood"):
        read_dataset(tmp_path / "meta.csv")
    with pytest.raises(DatasetError, match="no column 'genre'"):
        read_dataset(tmp_path / "meta.csv", label_columns="genre")
    with pytest.raises(DatasetError, match="has no option colour"):
        read_dataset(tmp_path / "meta.csv", colour="red")


def test_wrong_layouts_get_one_clear_message(tmp_path):
    with pytest.raises(DatasetError, match="no such file or folder"):
        read_dataset(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no audio files inside class folders"):
        read_dataset(tmp_path / "empty")
    with pytest.raises(DatasetError, match="unknown dataset 'mnist'"):
        read_dataset(tmp_path, dataset="mnist")
    (tmp_path / "tracks.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DatasetError, match="tracks.csv needs 3 header rows"):
        read_dataset(tmp_path / "tracks.csv")


def test_fma_without_tracks_csv_is_one_line(tmp_path):
    tone(tmp_path / "fma_small" / "000" / "000002.mp3")
    with pytest.raises(DatasetError, match=r"tracks.csv: not found; an FMA dataset is a folder"):
        read_dataset(tmp_path, dataset="fma")


@pytest.mark.parametrize("reader", ["folders", "gtzan"])
def test_entries_named_like_audio_that_are_not_files_are_listed_with_the_reason(tmp_path, reader):
    make_gtzan(tmp_path, ("blues", "rock"), per_genre=2)
    rock = tmp_path / "genres" / "rock"
    (rock / "rock.00007.wav").mkdir()
    (rock / "rock.00008.wav").symlink_to(rock / "gone.wav")
    (rock / "rock.00009.wav").symlink_to(rock / "rock.00009.wav")
    (rock / "rock.00010.wav").symlink_to(rock / "rock.00000.wav")      # a good link is read
    table = read_dataset(tmp_path / "genres" if reader == "folders" else tmp_path, reader)
    assert len(table) == 5
    reasons = {path.rsplit("/", 1)[1]: reason for path, reason in table.skipped}
    assert reasons == {"rock.00007.wav": "a directory, not an audio file",
                       "rock.00008.wav": f"broken symbolic link (its target "
                                         f"'{rock / 'gone.wav'}' does not exist)",
                       "rock.00009.wav": "symbolic link loop"}


def test_one_track_in_two_encodings_keeps_the_lossless_one_and_names_the_other(tmp_path):
    make_gtzan(tmp_path, ("blues", "rock"), per_genre=2)
    tone(tmp_path / "genres" / "rock" / "rock.00001.mp3")
    tone(tmp_path / "genres" / "rock" / "rock.00001.au")
    for reader, root in (("gtzan", tmp_path), ("folders", tmp_path / "genres")):
        table = read_dataset(root, reader)
        assert len(table) == 4
        kept = next(t for t in table if t.id.endswith("rock.00001"))
        assert kept.path.endswith("rock.00001.wav")
        twin = f"another encoding of {kept.path} (kept that one)"
        assert sorted((p.rsplit("/", 1)[1], r) for p, r in table.skipped) == [
            ("rock.00001.au", twin),
            ("rock.00001.mp3", twin if reader == "folders"
             else "not a GTZAN clip name (<genre>/<genre>.NNNNN.wav)")]


def test_tag_csv_quoted_fields_keep_line_breaks_and_u2028(tmp_path):
    tone(tmp_path / "a1.wav")
    tone(tmp_path / "b1.wav")
    (tmp_path / "meta.csv").write_text('path,label,note\na1.wav,Q1,"two\nlines"\n'
                                       'b1.wav,Q\u20282,x\n', encoding="utf-8")
    table = read_dataset(tmp_path / "meta.csv")
    assert [t.labels for t in table] == [("Q1",), ("Q\u20282",)]


def test_mtg_tsv_tags_keep_u2028(tmp_path):
    make_mtg_jamendo(tmp_path, [(1, 1, 1, ["mood/theme---calm\u2028x"], True)], {1: "train"})
    table = read_dataset(tmp_path)
    assert table.tracks[0].labels == ("mood/theme---calm\u2028x",)


@pytest.mark.shared_data
def test_real_gtzan_excerpts_and_filtered_split(shared_data):
    table = read_dataset(shared_data / "gtzan_excerpts")
    assert len(table) == 346 and len(table.classes) == 10
    assert table.class_counts()["hiphop"] == 22
    split = filtered_split(table)
    check_no_leak(split, table.ids)
    assert sum(split.sizes().values()) <= 346


@pytest.mark.shared_data
def test_real_mtg_jamendo_metadata_official_split_is_artist_clean(shared_data):
    table = read_dataset(shared_data / "mtg_jamendo_meta", require_audio=False,
                         prefix="mood/theme---")
    assert len(table) == 18486 and table.multilabel
    assert "happy" in table.classes
    split = official_split(table)
    assert split.sizes() == {"train": 9949, "val": 3802, "test": 4231}
    check_no_leak(split, table.ids, table.groups)


@pytest.mark.shared_data
def test_real_mer4q_metadata_quadrants_and_moods(shared_data):
    csv_path = shared_data / "mer4q_dev" / "metadata.csv"
    quadrants = read_dataset(csv_path, label_columns="Quadrant")
    assert len(quadrants) == 85 and quadrants.classes == ["Q1", "Q2", "Q3", "Q4"]
    assert all(t.path.endswith(f"{t.labels[0]}/{t.id}.mp3") for t in quadrants)
    moods = read_dataset(csv_path, tags_column="MoodsStrSplit", top_n=10)
    assert moods.multilabel and len(moods.classes) == 11 and "Others" in moods.classes
    assert np.all(moods.label_matrix().sum(axis=1) >= 1)


def test_min_duration_reads_headers_and_names_the_short_files(tmp_path):
    make_gtzan(tmp_path, ("blues",), per_genre=2)
    with pytest.raises(DatasetError, match=r"no usable track.*shorter than 0.5 s \(0.30 s\)"):
        read_dataset(tmp_path, min_duration=0.5)


def test_mtg_jamendo_without_audio_suggests_metadata_only(tmp_path):
    make_mtg_jamendo(tmp_path, [(948, 87, 149, ["mood/theme---calm"], False)], {})
    with pytest.raises(DatasetError, match=r"audio file missing.*require_audio=False"):
        read_dataset(tmp_path)
