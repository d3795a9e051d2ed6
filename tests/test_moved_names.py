"""Names that moved keep working with a warning that says where they went (tinymir.moved)."""
import importlib

import pytest

from tinymir import moved

#: (old module, old name, new module, new name)
MOVED = [
    ("tinymir.backend", "cpu_runs", "tinymir.backend", "cpu_blocks"),
    ("tinymir.backend", "runs", "tinymir.backend", "blocks"),
    ("tinymir.audio", "slice_count", "tinymir.audio", "segment_count"),
]


def test_the_old_train_metrics_module_finds_the_metrics_with_a_warning():
    from tinymir import metrics
    from tinymir.train import metrics as old
    with pytest.warns(DeprecationWarning, match="tinymir.train.metrics moved to tinymir.metrics"):
        assert old.accuracy is metrics.accuracy


@pytest.mark.parametrize("old_module, old_name, new_module, new_name", MOVED)
def test_an_old_name_warns_and_gives_the_new_object(old_module, old_name, new_module, new_name):
    old = importlib.import_module(old_module)
    with pytest.warns(DeprecationWarning, match=f"{old_name} moved to {new_module}.{new_name}"):
        found = getattr(old, old_name)
    assert found is getattr(importlib.import_module(new_module), new_name)


def test_a_name_that_never_existed_is_still_an_attribute_error():
    getattr_ = moved.names("tinymir.example", {"old": "tinymir.backend:blocks"})
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        getattr_("nothing")


def test_a_moved_module_looks_every_name_up_in_its_new_home():
    getattr_ = moved.module("tinymir.example", "tinymir.backend")
    from tinymir import backend
    with pytest.warns(DeprecationWarning, match="tinymir.example moved to tinymir.backend"):
        assert getattr_("blocks") is backend.blocks
    with pytest.raises(AttributeError, match="moved to tinymir.backend"):
        getattr_("no_such_name")
    with pytest.raises(AttributeError):
        getattr_("__path__")
