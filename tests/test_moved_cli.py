"""Names that left the command line for the library keep working with a warning that says
where they went (tinymir.moved)."""
import importlib

import pytest

#: (old module, old name, new module, new name)
MOVED = [
    ("tinymir.cli.features", "BATCH_SIZE", "tinymir.features.files", "BATCH_SIZE"),
]


@pytest.mark.parametrize("old_module, old_name, new_module, new_name", MOVED)
def test_an_old_name_warns_and_gives_the_new_object(old_module, old_name, new_module, new_name):
    old = importlib.import_module(old_module)
    with pytest.warns(DeprecationWarning, match=f"{old_name} moved to {new_module}.{new_name}"):
        found = getattr(old, old_name)
    assert found is getattr(importlib.import_module(new_module), new_name)


def test_the_feature_file_written_is_the_one_read_back(tmp_path):
    import numpy as np

    from tinymir.features import FeatureParams
    from tinymir.features.npz import load_features, save_features

    params = FeatureParams(kind="mel", n_mels=8)
    clips = [np.ones((8, 3), np.float32), np.zeros((8, 5), np.float32)]
    path = save_features(tmp_path / "f", ["a/x.wav", "b/y.wav"], ["a", "b"], clips, params)
    assert path.name == "f.npz"
    stored, read = load_features(path)
    assert stored == params
    assert [c.shape for c in read] == [(8, 3), (8, 5)]
