"""`tinymir dataset info` and `tinymir features --cache DIR --jobs N` as a user types them."""
import numpy as np
from click.testing import CliRunner

from _data_helpers import make_fma, make_gtzan
from tinymir.cli.main import main


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


def _features_cli(*args):
    return CliRunner().invoke(main, ["features", *map(str, args)])


def test_features_cache_jobs_then_rerun_reuses_and_npz_matches(tmp_path):
    make_gtzan(tmp_path / "music", ("blues", "rock"), per_genre=2)
    (tmp_path / "music" / "genres" / "rock" / "broken.wav").write_bytes(b"junk")
    cache = tmp_path / "cache"
    first = _features_cli(tmp_path / "music", "--cache", cache, "--jobs", "2", "--sr", "8000",
                          "--n-fft", "256", "--hop", "128", "--n-mels", "16", "--n-mfcc", "13")
    assert first.exit_code == 0, first.output
    assert "cache: 4 computed, 0 reused, 1 skipped" in first.output
    assert "broken.wav: unreadable or corrupt" in first.output
    assert f"cached mel features of 4 files in {cache}" in first.output
    out = tmp_path / "mel.npz"
    again = _features_cli(tmp_path / "music", "--cache", cache, "--out", out, "--sr", "8000",
                          "--n-fft", "256", "--hop", "128", "--n-mels", "16", "--n-mfcc", "13")
    assert again.exit_code == 0, again.output
    assert "cache: 0 computed, 4 reused, 1 skipped" in again.output
    plain = tmp_path / "plain.npz"
    direct = _features_cli(tmp_path / "music", "--out", plain, "--sr", "8000", "--n-fft", "256",
                           "--hop", "128", "--n-mels", "16", "--n-mfcc", "13")
    assert direct.exit_code == 0, direct.output
    cached, computed = np.load(out), np.load(plain)
    assert list(cached["paths"]) == list(computed["paths"])
    assert list(cached["labels"]) == ["blues", "blues", "rock", "rock"]
    np.testing.assert_allclose(cached["features"], computed["features"], atol=1e-3)


def test_features_cache_options_need_a_destination(tmp_path):
    make_gtzan(tmp_path / "music", ("blues",), per_genre=1)
    none = _features_cli(tmp_path / "music")
    assert none.exit_code == 1 and "--out FILE.npz, --cache DIR, or both" in none.output
    jobs = _features_cli(tmp_path / "music", "--out", tmp_path / "x.npz", "--jobs", "2")
    assert jobs.exit_code == 1 and "--jobs and --scheduler need --cache DIR" in jobs.output
