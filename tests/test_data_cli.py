"""`tinymir dataset info` as a user types it."""
from click.testing import CliRunner

from tinymir.cli.main import main

from _data_helpers import make_fma, make_gtzan


def test_dataset_info_on_gtzan_names_classes_durations_groups_and_bad_files(tmp_path):
    make_gtzan(tmp_path, ("blues", "rock"), per_genre=2)
    (tmp_path / "genres" / "rock" / "rock.00054.wav").write_bytes(b"not audio")
    result = CliRunner().invoke(main, ["dataset", "info", str(tmp_path), "--check-audio"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "tracks: 4, classes: 2 (single-label)" in out
    assert "  blues  2\n  rock   2" in out
    assert "durations: total 0:01, min 0.3 s, median 0.3 s, max 0.3 s" in out
    assert "groups: none known" in out                        # not GTZAN's ten genres
    assert "official split: none" in out
    assert "skipped files: 1" in out and "rock.00054.wav: unreadable or corrupt" in out


def test_dataset_info_fma_shows_official_split_and_options(tmp_path):
    rows = [dict(track_id=i, artist=i % 2, split=s, subset="small", genre_top=g,
                 genres_all=[10], seconds=1.0)
            for i, (s, g) in enumerate([("training", "Pop"), ("training", "Rock"),
                                        ("validation", "Pop"), ("test", "Rock")], 1)]
    make_fma(tmp_path, rows)
    result = CliRunner().invoke(main, ["dataset", "info", str(tmp_path), "--min-duration", "0.5"])
    assert result.exit_code == 0, result.output
    assert "official split: train 2, val 1, test 1" in result.output
    multi = CliRunner().invoke(main, ["dataset", "info", str(tmp_path), "--min-duration", "0.5",
                                      "-o", "labels=genres_all"])
    assert "(multi-label)" in multi.output and "Pop  4" in multi.output


def test_dataset_info_errors_are_one_clear_line(tmp_path):
    make_gtzan(tmp_path, ("blues",), per_genre=1)
    result = CliRunner().invoke(main, ["dataset", "info", str(tmp_path), "-o", "colour=red"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: the gtzan reader has no option colour")
    assert "Traceback" not in result.output
    bad = CliRunner().invoke(main, ["dataset", "info", str(tmp_path), "-o", "nonsense"])
    assert bad.exit_code == 2 and "expected KEY=VALUE" in bad.output
