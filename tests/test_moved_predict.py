"""Inference left train for its own room, tinymir.predict: the old names warn and say where they
went (tinymir.moved), and give the same objects."""
import importlib
import pickle

import pytest

#: (old module, old name, new module, new name)
MOVED = [("tinymir.train.predict", name, "tinymir.predict.predictor", name)
         for name in ("Predictor", "audio_inputs", "predict_files", "BATCH_SIZE", "SHORT_SHARE")]
MOVED += [("tinymir.train.predict", name, "tinymir.predict.evaluation", name)
          for name in ("evaluate", "read_labels_map", "trained_on", "training_warning",
                       "describe")]

#: Public names of the catalogue module, which moved as a whole.
CATALOGUE = ["CatalogueReport", "LIST_SUFFIXES", "ERRORS_HEADER", "RowsFile", "catalogue_paths",
             "check_errors_file", "errors_path", "header", "model_id", "tag_batch",
             "tag_catalogue", "worker_predictor"]


def _same(found, expected):
    """The very object (a constant may be an equal one: a number is not unique)."""
    assert found is expected or (isinstance(expected, (int, float)) and found == expected)


@pytest.mark.parametrize("old_module, old_name, new_module, new_name", MOVED)
def test_an_old_predict_name_warns_and_gives_the_new_object(old_module, old_name, new_module,
                                                             new_name):
    old = importlib.import_module(old_module)
    with pytest.warns(DeprecationWarning, match=f"{old_name} moved to {new_module}.{new_name}"):
        found = getattr(old, old_name)
    _same(found, getattr(importlib.import_module(new_module), new_name))


@pytest.mark.parametrize("name", CATALOGUE)
def test_the_old_catalogue_module_warns_and_gives_the_new_object(name):
    old = importlib.import_module("tinymir.train.catalogue")
    new = importlib.import_module("tinymir.predict.catalogue")
    with pytest.warns(DeprecationWarning,
                      match=f"tinymir.train.catalogue moved to tinymir.predict.catalogue: "
                            f"use tinymir.predict.catalogue.{name}"):
        found = getattr(old, name)
    _same(found, getattr(new, name))


def test_from_import_of_an_old_name_still_works():
    with pytest.warns(DeprecationWarning, match="moved to tinymir.predict.predictor.Predictor"):
        from tinymir.train.predict import Predictor
    from tinymir.predict import Predictor as new
    assert Predictor is new


def test_a_name_the_old_module_never_had_is_an_attribute_error():
    old = importlib.import_module("tinymir.train.predict")
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        old.no_such_name


def test_workers_get_the_new_module():
    """An engine pickles its work function by module path: the worker imports the new room."""
    from tinymir.predict import catalogue
    assert catalogue.tag_batch.__module__ == "tinymir.predict.catalogue"
    assert b"tinymir.predict.catalogue" in pickle.dumps(catalogue.tag_batch)
    with pytest.warns(DeprecationWarning):
        old = importlib.import_module("tinymir.train.catalogue").tag_batch
    assert pickle.loads(pickle.dumps(old)) is catalogue.tag_batch


def test_the_room_exports_its_public_names():
    import tinymir.predict as predict
    for name in predict.__all__:
        assert getattr(predict, name).__module__.startswith("tinymir.predict.")


def test_train_does_not_import_predict():
    """Floor order: predict sits above train, and nothing in train imports it (the alias stubs
    import it only when an old name is used)."""
    import subprocess
    import sys
    code = ("import sys, pkgutil, importlib, tinymir.train\n"
            "for m in pkgutil.iter_modules(tinymir.train.__path__):\n"
            "    importlib.import_module('tinymir.train.' + m.name)\n"
            "print(sorted(m for m in sys.modules if m.startswith('tinymir.predict')))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
