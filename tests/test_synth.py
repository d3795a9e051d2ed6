"""The synthetic music set: determinism, layout, loudness, and classes that differ like genres."""
import numpy as np
import pytest
from click.testing import CliRunner

from tinymir import audio
from tinymir.audio import synth

SR = 22050


def test_eight_distinct_genres_each_with_a_recipe():
    assert len(set(synth.GENRES)) == len(synth.GENRES) == 8
    assert set(synth.RECIPES) == set(synth.GENRES)


@pytest.mark.parametrize("genre", synth.GENRES)
def test_same_seed_same_clip_different_seed_different_clip(genre):
    first = synth.render_clip(genre, 7, seconds=1.5)
    assert np.array_equal(first, synth.render_clip(genre, 7, seconds=1.5))
    assert np.array_equal(first, synth.render_clip(genre, np.random.default_rng(7), 1.5))
    assert not np.allclose(first, synth.render_clip(genre, 8, seconds=1.5), atol=1e-3)


@pytest.mark.parametrize("genre", synth.GENRES)
@pytest.mark.parametrize("sr", [synth.MIN_SR, 44100])
def test_clips_have_the_asked_length_and_are_loud_but_not_clipped(genre, sr):
    y = synth.render_clip(genre, 3, seconds=1.0, sr=sr)
    assert y.shape == (sr,) and y.dtype == np.float32 and np.all(np.isfinite(y))
    assert np.max(np.abs(y)) == pytest.approx(synth.PEAK, rel=1e-6)
    assert not audio.is_silent(y, threshold_db=-20)
    assert np.sqrt(np.mean(y ** 2)) > 0.03


def test_clip_generators_differ_by_seed_class_and_index():
    draws = {(seed, genre, index): synth.clip_rng(seed, genre, index).random()
             for seed in (0, 1) for genre in ("rock", "jazz") for index in (0, 1)}
    assert len(set(draws.values())) == len(draws)
    assert synth.clip_rng(0, "rock", 1).random() == draws[(0, "rock", 1)]


def test_unknown_genre_and_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="unknown genre 'polka'"):
        synth.render_clip("polka", 0)
    with pytest.raises(ValueError, match="seconds"):
        synth.render_clip("rock", 0, seconds=0)
    with pytest.raises(ValueError, match="at least 8000"):
        synth.render_clip("rock", 0, sr=4000)
    with pytest.raises(ValueError, match="between 1 and 8"):
        synth.resolve_classes(9)
    with pytest.raises(ValueError, match="polka"):
        synth.resolve_classes(["rock", "polka"])
    assert synth.resolve_classes(2) == ("rock", "electronic")


def test_make_dataset_writes_the_gtzan_layout(tmp_path):
    paths = synth.make_dataset(tmp_path, classes=3, per_class=2, seconds=1.0, seed=5)
    expected = [tmp_path / g / f"{g}.{i:05d}.wav" for g in synth.GENRES[:3] for i in range(2)]
    assert paths == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(synth.GENRES[:3])
    meta = audio.info(paths[-1])
    assert (meta.samplerate, meta.channels, meta.frames, meta.subtype) == (SR, 1, SR, "PCM_16")
    y, _ = audio.load(paths[3], sr=None)
    clip = synth.render_clip("electronic", synth.clip_rng(5, "electronic", 1), 1.0)
    assert np.max(np.abs(y - clip)) <= 1 / 32768 + 1e-6


def test_growing_the_dataset_keeps_the_clips_already_there(tmp_path):
    small = synth.make_dataset(tmp_path / "a", classes=["jazz"], per_class=1, seconds=0.5)
    large = synth.make_dataset(tmp_path / "b", classes=["rock", "jazz"], per_class=2,
                               seconds=0.5)
    assert small[0].read_bytes() == large[2].read_bytes()


@pytest.fixture(scope="module")
def labelled_clips():
    """Six clips of 1.5 s per genre, and their labels."""
    clips, labels = [], []
    for label, genre in enumerate(synth.GENRES):
        for index in range(6):
            clips.append(synth.render_clip(genre, synth.clip_rng(11, genre, index), 1.5))
            labels.append(label)
    return np.stack(clips), np.array(labels)


def nearest_centroid_accuracy(features, labels):
    """Standardise, fit class means on even-numbered clips, score on the odd ones."""
    features = features.reshape(len(labels), -1)
    train = np.arange(len(labels)) % 2 == 0
    mean, std = features[train].mean(0), features[train].std(0) + 1e-9
    z = (features - mean) / std
    centroids = np.stack([z[train & (labels == c)].mean(0) for c in np.unique(labels)])
    distances = ((z[~train, None, :] - centroids[None]) ** 2).sum(-1)
    return np.mean(np.argmin(distances, axis=1) == labels[~train])


def band_energies(clips, n_fft=1024, hop=512, bands=24):
    """Log energy in log-spaced bands for every STFT frame: ``(clips, frames, bands)``."""
    frames = np.lib.stride_tricks.sliding_window_view(clips, n_fft, axis=1)[:, ::hop]
    power = np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=-1)) ** 2
    freqs = np.fft.rfftfreq(n_fft, 1 / SR)
    edges = np.geomspace(40, SR / 2, bands + 1)
    energy = [power[..., (freqs >= lo) & (freqs < hi)].sum(-1) for lo, hi in zip(edges, edges[1:])]
    return np.log(np.stack(energy, axis=-1) + 1e-10)


def test_no_single_trivial_statistic_separates_the_classes(labelled_clips):
    clips, labels = labelled_clips
    spectrum = np.abs(np.fft.rfft(clips * np.hanning(clips.shape[1]), axis=1))
    freqs = np.fft.rfftfreq(clips.shape[1], 1 / SR)
    statistics = {
        "dominant frequency": np.log(freqs[1 + np.argmax(spectrum[:, 1:], axis=1)]),
        "rms": np.log(np.sqrt(np.mean(clips ** 2, axis=1))),
        "spectral centroid": (spectrum * freqs).sum(1) / spectrum.sum(1),
        "zero-crossing rate": np.mean(np.diff(np.sign(clips), axis=1) != 0, axis=1),
    }
    for name, values in statistics.items():
        assert nearest_centroid_accuracy(values, labels) < 0.75, name


def test_a_spectral_summary_separates_the_classes(labelled_clips):
    clips, labels = labelled_clips
    energies = band_energies(clips)
    summary = np.concatenate([energies.mean(axis=1), energies.std(axis=1)], axis=1)
    assert nearest_centroid_accuracy(summary, labels) > 0.8


def test_cli_writes_the_set_and_reports_bad_classes(tmp_path):
    from tinymir.cli.main import main

    runner = CliRunner()
    out = tmp_path / "demo"
    result = runner.invoke(main, ["synth", str(out), "--classes", "2", "--per-class", "2",
                                  "--seconds", "1", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "wrote 4 clips" in result.output
    assert sorted(p.name for p in (out / "rock").iterdir()) == ["rock.00000.wav", "rock.00001.wav"]
    assert (out / "electronic" / "electronic.00001.wav").is_file()
    again = runner.invoke(main, ["synth", str(tmp_path / "named"), "--classes", "jazz,metal",
                                 "--per-class", "1", "--seconds", "0.5"])
    assert again.exit_code == 0 and sorted(p.name for p in (tmp_path / "named").iterdir()) == \
        ["jazz", "metal"]
    bad = runner.invoke(main, ["synth", str(tmp_path / "bad"), "--classes", "rock,polka"])
    assert bad.exit_code != 0 and "unknown genre" in bad.output and "polka" in bad.output
