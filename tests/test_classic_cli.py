"""Feature-table reading, binning, and `tinymir baselines` as a user runs it."""
import json

import numpy as np
import pytest
from click.testing import CliRunner

from tinymir.classic import Binner, FeatureTableError, read_feature_table
from tinymir.cli.main import main


def _write_table(path, rng, n_per_class=12, classes=("blues", "jazz", "rock")):
    """A separable feature table with a text id column, like the GTZAN CSV."""
    lines = ["filename,f1,f2,f3,label"]
    for c, name in enumerate(classes):
        for i in range(n_per_class):
            f = rng.normal(3.0 * c, 0.5, 3)
            lines.append(f"{name}.{i:05d}.wav,{f[0]},{f[1]},{f[2]},{name}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_read_feature_table_skips_text_columns(tmp_path, rng):
    table = read_feature_table(_write_table(tmp_path / "t.csv", rng))
    assert table.feature_names == ["f1", "f2", "f3"]
    assert table.skipped == ["filename"]
    assert table.features.shape == (36, 3)
    assert table.classes == ["blues", "jazz", "rock"]
    np.testing.assert_array_equal(np.bincount(table.label_indices()), [12, 12, 12])


@pytest.mark.parametrize("content, message", [
    ("a,b\n1,2\n", "no label column 'label'"),
    ("a,label\n1,x\n2\n", "line 3: 1 fields"),
    ("a,label\n1,x\n2,\n", "line 3: empty label"),
    ("a,label\ninf,x\n", "not finite"),
    ("id,label\nq,x\n", "no numeric feature column"),
    ("a,label\n", "at least one data row"),
])
def test_bad_tables_get_one_clear_message(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(FeatureTableError, match=message) as info:
        read_feature_table(path)
    assert str(path) in str(info.value)


def test_binner_codes_are_monotone_and_exact_for_few_values(rng):
    x = np.c_[rng.normal(size=500), rng.integers(0, 3, 500)]
    binner = Binner(max_bins=16).fit(x)
    codes = binner.transform(x)
    order = np.argsort(x[:, 0])
    assert np.all(np.diff(codes[order, 0].astype(int)) >= 0)
    assert codes[:, 0].max() == 15 and codes[:, 0].min() == 0
    np.testing.assert_array_equal(codes[:, 1], x[:, 1])        # 3 values -> 3 exact bins
    with pytest.raises(ValueError, match="max_bins"):
        Binner(max_bins=300)


def test_baselines_command_on_a_table(tmp_path, rng):
    csv_path = _write_table(tmp_path / "features.csv", rng)
    out = tmp_path / "result.json"
    result = CliRunner().invoke(main, [
        "baselines", "--table", str(csv_path), "--kfold", "3",
        "--models", "lr,knn,svm,rf", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "stratified 3-fold by track" in result.output
    assert "non-numeric columns left out: filename" in result.output
    rows = json.loads(out.read_text())["results"]
    assert [row["model"] for row in rows] == ["LR", "KNN", "SVM", "RF"]
    for row in rows:                                     # well separated classes
        assert row["accuracy"] > 0.9 and row["folds"] == 3


def test_baselines_command_errors(tmp_path, rng):
    csv_path = _write_table(tmp_path / "features.csv", rng)
    runner = CliRunner()
    result = runner.invoke(main, ["baselines", "--table", str(csv_path), "--label-column", "genre"])
    assert result.exit_code != 0 and "no label column 'genre'" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(main, ["baselines", "--table", str(csv_path), "--models", "lr,cnn"])
    assert result.exit_code != 0 and "choose from" in result.output
    result = runner.invoke(main, ["baselines"])
    assert result.exit_code != 0 and "either DATA" in result.output


def test_baselines_command_on_audio(tmp_path):
    """Synthetic clips -> track features through the cache -> the table; a corrupt file is
    skipped with one line."""
    from tinymir.audio.synth import make_dataset
    data = tmp_path / "genres"
    make_dataset(data, classes=2, per_class=8, seconds=1.0, sr=11025)
    (data / "rock" / "rock.00099.wav").write_bytes(b"RIFF not really audio")
    result = CliRunner().invoke(main, [
        "baselines", str(data), "--models", "LR,KNN", "--kfold", "2",
        "--cache", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    assert "rock.00099.wav" in result.output and "1 skipped" in result.output
    assert "16 tracks" in result.output
    assert "LR" in result.output and "KNN" in result.output


def test_baselines_with_rich_features_and_folds_by_group(tmp_path):
    """artist20-style folders (class/artist/track): --group keeps each artist in one fold."""
    from _data_helpers import artist_folders
    data = artist_folders(tmp_path / "artists")
    result = CliRunner().invoke(main, [
        "--device", "cpu", "baselines", str(data), "--dataset", "folders", "--features", "rich",
        "--models", "SVM", "--kfold", "4", "--group", "--cache", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    assert "16 tracks, rich track features" in result.output
    assert "group-aware 4-fold" in result.output and "SVM" in result.output


def test_repeated_folds_give_mean_std_and_paired_intervals(tmp_path, rng):
    """3 folds x 2 repeats: every model on the same 6 folds, mean ± std per model, and each
    pair's accuracy difference with its corrected interval, marked when it excludes zero."""
    csv_path = _write_table(tmp_path / "features.csv", rng)
    out = tmp_path / "result.json"
    result = CliRunner().invoke(main, [
        "baselines", "--table", str(csv_path), "--kfold", "3", "--repeats", "2",
        "--models", "lr,knn", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "stratified 3-fold x 2 repeats by track, seeds 0..1" in result.output
    assert "±" in result.output and "paired differences in accuracy over 6 folds" in result.output
    record = json.loads(out.read_text())
    assert [row["folds"] for row in record["results"]] == [6, 6]
    assert all(row["accuracy_std"] is not None for row in record["results"])
    (pair,) = record["accuracy_differences"]
    assert (pair["a"], pair["b"]) == ("LR", "KNN") and pair["low"] <= pair["mean"] <= pair["high"]
    refused = CliRunner().invoke(main, ["baselines", "--table", str(csv_path), "--repeats", "3"])
    assert refused.exit_code == 2 and "--repeats needs --kfold" in refused.output
