"""Every picture the commands draw, read back through matplotlib's objects (axis labels, tick
labels, colour bars, limits, lines), not pixels: train (curves, confusion), features --plot
for each kind, dataset profile, explain represent and saliency, experiment. Each command runs
as a user types it, on small synthetic data, with the Agg backend; ``Figure.savefig`` is
wrapped to keep each figure under its file name. Without matplotlib, every command that
would draw says so once."""
import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

from tinymir import pictures
from tinymir.audio import synth
from tinymir.cli.main import main
from tinymir.explain import pictures as explain_pictures

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

CLASSES = ("electronic", "classical", "metal")
KIND_AXES = {"mel": "frequency (Hz, mel scale)", "stft": "frequency (Hz)",
             "mfcc": "MFCC coefficient", "chroma": "pitch class",
             "contrast": "octave band (Hz)", "centroid": "spectral centroid (Hz)"}
KIND_UNITS = {"mel": "dB", "stft": "dB", "mfcc": "MFCC value",
              "chroma": "chroma energy (frame maximum = 1)",
              "contrast": "spectral contrast (dB)"}


def invoke(*args):
    return CliRunner().invoke(main, ["--device", "cpu", *map(str, args)])


class Drawn(dict):
    """File name -> the Figure saved under it (atomic writes' temporary prefixes removed)."""

    def __call__(self, name: str) -> Figure:
        assert name in self, f"{name} was not drawn; drawn: {sorted(self)}"
        return self[name]


@pytest.fixture(scope="module")
def drawn():
    figures = Drawn()
    real = Figure.savefig

    def keeping(self, fname, *args, **kwargs):
        name = Path(str(getattr(fname, "name", fname))).name
        figures[re.sub(r"^\.tmp-\d+-", "", name)] = self
        return real(self, fname, *args, **kwargs)

    Figure.savefig = keeping
    yield figures
    Figure.savefig = real


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    synth.make_dataset(out, CLASSES, per_class=10, seconds=2.0, seed=1)
    return out


@pytest.fixture(scope="module")
def trained(demo, drawn, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    result = invoke("train", demo, "--arch", "cnn3", "--segment", "1", "--epochs", "3",
                    "--batch-size", "8", "--out", out, "--cache", out / "cache", "--quiet")
    assert result.exit_code == 0, result.output
    return out


def _colorbar_label(image) -> str:
    assert image.colorbar is not None, "the image has no colour bar"
    return image.colorbar.ax.get_ylabel()


def _visible_ticks(ax, axis="x"):
    low, high = sorted(ax.get_xlim() if axis == "x" else ax.get_ylim())
    ticks = ax.get_xticks() if axis == "x" else ax.get_yticks()
    return [t for t in ticks if low <= t <= high]


def _legend(ax) -> list[str]:
    return [text.get_text() for text in ax.get_legend().get_texts()]


def test_training_curves_have_labels_names_integer_epochs_and_the_best_epoch(trained, drawn):
    figure = drawn("curves.png")
    loss, score = figure.axes[:2]
    for ax in (loss, score):
        assert ax.get_xlabel() == "epoch" and ax.get_title()
        assert all(float(t).is_integer() for t in _visible_ticks(ax))
    assert loss.get_ylabel() == "loss" and score.get_ylabel() == "accuracy"
    assert {"training loss", "validation loss"} <= set(_legend(loss))
    assert {"training accuracy", "validation accuracy"} <= set(_legend(score))
    assert not {"acc", "val_acc", "loss", "val_loss"} & set(_legend(score) + _legend(loss))
    best = json.loads((trained / "report.json").read_text())["best_epoch"]
    assert f"best epoch ({best})" in _legend(score)
    styles = {line.get_linestyle() for line in score.get_lines() if line.get_marker() != "None"}
    assert len(styles) >= 2                        # equal curves stay distinguishable
    assert score.get_ylim()[0] >= -0.05 and score.get_ylim()[1] <= 1.05


def test_confusion_has_colour_bars_a_normalised_view_and_readable_text(trained, drawn):
    figure = drawn("confusion.png")
    counts, shares = (ax for ax in figure.axes if ax.images and ax.get_xlabel())
    for ax, unit in ((counts, "tracks"), (shares, "share of the true class's tracks")):
        image = ax.images[0]
        assert _colorbar_label(image) == unit
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted class", "true class")
        assert [t.get_text() for t in ax.get_yticklabels()] == sorted(CLASSES)
        values = {"white": [], "black": []}           # Blues: the higher, the darker
        for text in ax.texts:
            column, row = (round(v) for v in text.get_position())
            values[text.get_color()].append(image.get_array()[row, column])
        assert values["white"], "no white text on the dark (diagonal) cells"
        assert not values["black"] or max(values["black"]) < min(values["white"])
    rows = np.asarray(shares.images[0].get_array())
    assert np.allclose(rows.sum(axis=1)[rows.sum(axis=1) > 0], 1.0)


@pytest.mark.parametrize("kind", sorted(KIND_AXES))
def test_features_plot_has_real_units_and_the_kind_in_the_file_name(kind, demo, drawn,
                                                                    tmp_path):
    folder = tmp_path / "pictures"
    result = invoke("features", demo / "metal", "--kind", kind, "--out", tmp_path / "f.npz",
                    "--plot", folder)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"metal.{k:05d}.{kind}.png" for k in range(10)]
    ax = drawn(names[0]).axes[0]
    assert ax.get_xlabel() == "time (s)" and ax.get_ylabel() == KIND_AXES[kind]
    assert ax.get_xlim()[0] == 0 and ax.get_xlim()[1] == pytest.approx(2.0, abs=0.05)
    if kind == "centroid":                           # one row: a line over time
        assert not ax.images and isinstance(ax.get_lines()[0], Line2D)
        return
    assert _colorbar_label(ax.images[0]) == KIND_UNITS[kind]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    if kind == "chroma":
        assert labels == ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
    elif kind == "mfcc":
        assert all(float(t).is_integer() for t in _visible_ticks(ax, "y"))
    elif kind == "mel":
        hertz = [float(label) for label in labels]
        assert hertz == sorted(hertz) and 1000 in hertz and hertz[-1] >= 4000
    elif kind == "stft":
        assert ax.get_ylim()[1] == pytest.approx(11025, rel=0.01)
    elif kind == "contrast":
        assert labels[0] == "0-200" and labels[-1].endswith("-11025")


def test_dataset_profile_pictures_are_in_hz_with_labelled_colour_bars(demo, drawn, tmp_path):
    result = invoke("dataset", "profile", demo, "--plot", tmp_path)
    assert result.exit_code == 0, result.output
    for name, unit in (("class_means.png", "dB"), ("differences.png", "dB difference")):
        axes = [ax for ax in drawn(name).axes if ax.images]
        assert axes
        for ax in axes:
            assert ax.get_ylabel() == "frequency (Hz, mel scale)"
            assert ax.get_xlabel() == "time (s)"
            assert _colorbar_label(ax.images[0]) == unit
    for name in ("class_counts.png", "durations.png"):
        ax = drawn(name).axes[0]
        assert ax.get_xlabel() and ax.get_ylabel() == "tracks" and ax.get_title()


def test_represent_shows_each_class_beside_its_difference_from_the_average(trained, demo,
                                                                          drawn, tmp_path):
    result = invoke("explain", "represent", trained / "model.npz", "--data", demo,
                    "--steps", "5", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    for name in CLASSES:
        axes = drawn(f"{name}.png").axes
        image, difference = (ax for ax in axes if ax.images)
        assert _colorbar_label(image.images[0]) == "dB"
        assert _colorbar_label(difference.images[0]) == "difference (dB)"
        assert "minus the average" in difference.get_title()
        low, high = difference.images[0].get_clim()
        assert low == pytest.approx(-high)                 # centred on no difference
        trajectory = [ax for ax in axes if ax.get_xlabel() == "optimisation step"]
        assert trajectory and trajectory[0].get_ylabel() == "class score"
    bars = drawn("scores.png").axes[0]
    assert bars.get_xlabel() == "class" and bars.get_ylabel().startswith("class score")


def test_saliency_uses_the_tracks_time_a_colour_bar_and_names_the_dropped_tail(
        trained, demo, drawn, tmp_path):
    clip, sr = soundfile.read(sorted((demo / "metal").glob("*.wav"))[0])
    longer = tmp_path / "longer.wav"                # 2.3 s: 0.3 s beyond the last segment
    soundfile.write(longer, np.concatenate([clip, clip[: int(0.3 * sr)]]), sr)
    result = invoke("explain", "saliency", trained / "model.npz", longer, "--out",
                    tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "are not analysed (shorter than a segment)" in result.output
    track = [ax for ax in drawn("track.png").axes if ax.images]
    assert track and all("not analysed" in ax.get_title() for ax in track)
    for ax in track:
        assert _colorbar_label(ax.images[-1]) == explain_pictures.SALIENCY_UNIT
        assert ax.get_xlabel() == "time (s)" and ax.get_xlim()[1] == pytest.approx(2.3, abs=0.05)
    first = [ax for ax in drawn("segment_000.png").axes if ax.images][0]
    second = [ax for ax in drawn("segment_001.png").axes if ax.images][0]
    assert first.get_xlim()[0] == 0
    assert second.get_xlim()[0] > 0.4                      # the track's time, not 0 again
    assert _colorbar_label(second.images[-1]) == explain_pictures.SALIENCY_UNIT


def test_experiment_results_stay_in_zero_one_with_a_chance_line(demo, drawn, tmp_path):
    grid = tmp_path / "grid.toml"
    grid.write_text(f"name = 'pictures'\ndata = '{demo}'\nseeds = [0]\n[fixed]\n"
                    "features = 'mfcc'\nsegment = 1.0\nepochs = 1\nbatch_size = 8\n"
                    "[grid]\narch = ['cnn3']\nlr = [0.001, 0.01]\n")
    result = invoke("experiment", grid, "--out", tmp_path / "out", "--quiet", "--no-cache")
    assert result.exit_code == 0, result.output
    axes = drawn("results.png").axes
    assert [ax.get_xlabel() for ax in axes] == ["accuracy", "macro F1", "ROC-AUC"]
    for ax in axes:
        assert ax.get_xlim() == (0.0, 1.0)
        chance = [line for line in ax.get_lines() if line.get_label().startswith("chance")]
        assert chance, ax.get_xlabel()
    expected = {"accuracy": 1 / 3, "macro F1": 1 / 3, "ROC-AUC": 0.5}
    for ax in axes:
        chance = [line for line in ax.get_lines() if line.get_label().startswith("chance")][0]
        assert chance.get_xdata()[0] == pytest.approx(expected[ax.get_xlabel()])


def test_without_matplotlib_each_command_says_so_once(trained, demo, tmp_path, monkeypatch):
    monkeypatch.setattr(pictures, "available", lambda: False)
    model = trained / "model.npz"
    clip = sorted((demo / "metal").glob("*.wav"))[0]
    grid = tmp_path / "grid.toml"
    grid.write_text(f"data = '{demo}'\nseeds = [0]\n[fixed]\nsegment = 1.0\nepochs = 1\n"
                    "[grid]\narch = ['cnn3']\n")
    commands = {
        "train": ("train", demo, "--arch", "cnn3", "--segment", "1", "--epochs", "1",
                  "--out", tmp_path / "run", "--no-cache", "--quiet"),
        "features": ("features", clip, "--out", tmp_path / "f.npz", "--plot", tmp_path / "f"),
        "profile": ("dataset", "profile", demo, "--plot", tmp_path / "profile"),
        "represent": ("explain", "represent", model, "--steps", "2", "--out", tmp_path / "r"),
        "saliency": ("explain", "saliency", model, clip, "--out", tmp_path / "s"),
        "experiment": ("experiment", grid, "--out", tmp_path / "grid", "--quiet", "--no-cache"),
    }
    for name, args in commands.items():
        result = invoke(*args)
        assert result.exit_code == 0, (name, result.output)
        assert result.output.count(pictures.SKIPPED) == 1, (name, result.output)
    assert not list(tmp_path.rglob("*.png"))
