"""Names that left tinymir.train.run (and the CLI of training) keep working with a warning that
says where they went (tinymir.moved)."""
import importlib

import pytest

#: (old module, old name, new module, new name)
MOVED = [("tinymir.train.run", name, "tinymir.train.config", name)
         for name in ("SPLITS", "DEFAULT_FOLDS", "RESAMPLING", "CONFIG_FILE", "PLATEAU_PATIENCE",
                      "WHOLE", "CHOICES", "TEXT", "FLAGS", "option_name", "check_types",
                      "READER_OPTIONS", "DEFAULT_PATIENCE", "OPTIMIZERS", "RESUME_SETTINGS",
                      "check_config", "check_resumed_options", "read_config", "with_defaults",
                      "write_config")]
MOVED += [("tinymir.train.run", name, "tinymir.train.prepare", name)
          for name in ("read_table", "UPSAMPLING_SIZE", "DOWNSAMPLING_SIZE", "resample_train",
                       "check_segment")]
MOVED += [("tinymir.train.run", name, "tinymir.train.rundir", name)
          for name in ("RUN_FILES", "STATE_FILE", "BEST_FILE", "MODEL_FILE", "STAGING",
                       "Interrupted", "interrupted", "claim", "replace_run", "check_state")]
MOVED += [
    ("tinymir.train.run", "make_split", "tinymir.data.splits", "make_split"),
    ("tinymir.train.run", "segment_logits", "tinymir.train.evaluate", "segment_logits"),
    ("tinymir.train.run", "scores", "tinymir.train.evaluate", "scores"),
    ("tinymir.train.run", "headline", "tinymir.train.report", "headline"),
    ("tinymir.train.run", "build_report", "tinymir.train.report", "build_report"),
    ("tinymir.train.run", "make_loss", "tinymir.train.objective", "make_loss"),
    ("tinymir.train.run", "make_optimizer", "tinymir.train.objective", "make_optimizer"),
    ("tinymir.cli.train", "NOT_RUN_OPTIONS", "tinymir.train.config", "NOT_RUN_OPTIONS"),
]

#: Names run.py still uses itself: they stay there, the same objects as in their new homes.
KEPT = [("tinymir.train.config", "RunError"), ("tinymir.train.config", "TrainConfig")]
KEPT += [("tinymir.train.prepare", name) for name in (
            "Prepared", "prepare", "make_augmenter", "report_skipped")]
KEPT += [("tinymir.train.evaluate", name) for name in ("evaluate_parts", "validator")]


@pytest.mark.parametrize("old_module, old_name, new_module, new_name", MOVED)
def test_an_old_name_warns_and_gives_the_new_object(old_module, old_name, new_module, new_name):
    old = importlib.import_module(old_module)
    with pytest.warns(DeprecationWarning, match=f"{old_name} moved to {new_module}.{new_name}"):
        found = getattr(old, old_name)
    assert found is getattr(importlib.import_module(new_module), new_name)


@pytest.mark.parametrize("new_module, name", KEPT)
def test_a_name_run_still_uses_is_the_new_object(new_module, name):
    from tinymir.train import run
    assert getattr(run, name) is getattr(importlib.import_module(new_module), name)


def test_the_agreed_homes_hold_their_names():
    from tinymir.data import splits
    from tinymir.train import config, evaluate, prepare
    assert issubclass(config.RunError, ValueError) and config.DEFAULT_FOLDS == 5
    assert prepare.make_split is splits.make_split
    assert callable(prepare.read_table) and callable(evaluate.segment_logits)
    assert callable(evaluate.evaluate_parts) and prepare.Prepared.__name__ == "Prepared"


def test_a_name_that_never_existed_in_run_is_still_an_attribute_error():
    from tinymir.train import run
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        run.nothing
