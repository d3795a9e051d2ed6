"""Wrong usage of `tinymir train / experiment / synth`, `--augment` and `--resume`: every case
gets one clear line naming the option or file (click's usage error, exit 2, where click itself
checks the option; exit 1 otherwise), no traceback, and the user's folders (data, an earlier
run, an earlier experiment, copies of runs made wrong on purpose) are byte for byte as they
were (``tree_digest`` before and after)."""
import json
import shutil

import pytest

from _cli_helpers import invoke, refused, tree_digest, usage_error
from tinymir.audio import synth
from tinymir.train.checkpoint import load_state, save_state

FAST = ("--segment", "0.5", "--overlap", "0.5", "--batch-size", "4", "--no-early-stopping",
        "--no-cache", "--quiet")
GRID = """data = "{data}"
seeds = [0]
[fixed]
segment = 0.5
overlap = 0.5
batch_size = 4
epochs = 1
early_stopping = false
[grid]
arch = ["cnn3"]
"""


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    """A user's workspace: a data set, a finished cnn3 run, a finished one-cell experiment,
    a folder of their own files, a plain file, a one-class set, and run folders broken on
    purpose for --resume."""
    root = tmp_path_factory.mktemp("ws")
    synth.make_dataset(root / "data", ("electronic", "classical"), per_class=8, seconds=1.0,
                       seed=5)
    result = invoke("train", root / "data", "--arch", "cnn3", *FAST, "--epochs", "2",
                    "--seed", "1", "--out", root / "run")
    assert result.exit_code == 0, result.output
    (root / "grid.toml").write_text(GRID.format(data=root / "data"))
    result = invoke("experiment", root / "grid.toml", "--out", root / "exp", "--no-cache",
                    "--quiet")
    assert result.exit_code == 0, result.output
    (root / "mine").mkdir()
    (root / "mine" / "notes.txt").write_text("my notes")
    (root / "afile.txt").write_text("a file")
    shutil.copytree(root / "data" / "classical", root / "one" / "classical")
    broken = root / "broken"
    for name in ("alien", "truncated", "garbage", "nostate", "config_list", "config_text",
                 "config_epochs", "config_arch", "config_field", "nothing", "nobest"):
        (broken / name).mkdir(parents=True)
        if name != "nothing":
            for file in ("config.json", "state.npz"):
                shutil.copy(root / "run" / file, broken / name / file)
    state = load_state(broken / "alien" / "state.npz")
    state["model"] = {"dense_9.kernel": state["model"]["conv2d_1.kernel"]}
    save_state(broken / "alien" / "state.npz", state)
    whole = (broken / "truncated" / "state.npz").read_bytes()
    (broken / "truncated" / "state.npz").write_bytes(whole[:len(whole) // 2])
    (broken / "garbage" / "state.npz").write_text("not a state")
    (broken / "nostate" / "state.npz").unlink()
    config = json.loads((root / "run" / "config.json").read_text())
    shutil.copy(root / "run" / "history.csv", broken / "nobest" / "history.csv")
    (broken / "config_list" / "config.json").write_text("[]")
    (broken / "config_text" / "config.json").write_text("{not json")
    (broken / "config_epochs" / "config.json").write_text(json.dumps({**config, "epochs": 0}))
    (broken / "config_arch" / "config.json").write_text(json.dumps({**config, "arch": "cnn9"}))
    (broken / "config_field" / "config.json").write_text(json.dumps({**config, "colour": 1}))
    return root


def places(ws):
    return {"data": ws / "data", "run": ws / "run", "exp": ws / "exp", "mine": ws / "mine",
            "afile": ws / "afile.txt", "one": ws / "one", "broken": ws / "broken",
            "grid": ws / "grid.toml", "ws": ws}


def check(ws, args, code, *texts):
    """Run ``tinymir ARGS`` (``{name}`` filled from :func:`places`), check the refusal and
    that nothing in the workspace changed."""
    where = places(ws)
    args = [str(a).format(**where) for a in args]
    before = tree_digest(ws)
    result = invoke(*args)
    texts = [t.format(**where) for t in texts]
    (refused if code == 1 else usage_error)(result, *texts)
    assert result.stderr.count("Error:") == 1, result.stderr
    assert tree_digest(ws) == before
    return result


# -- train: options and data refused before anything is written ----------------------------
TRAIN = [
    (("--lr", "0"), 1, "--lr must be a positive number, got 0.0"),
    (("--lr", "-1"), 1, "--lr must be a positive number, got -1.0"),
    (("--lr", "nan"), 1, "--lr must be a number, got nan"),
    (("--lr", "inf"), 1, "--lr must be a number, got inf"),
    (("--lr", "fast"), 2, "'fast' is not a valid float"),
    (("--seed", "-5"), 1, "--seed must be 0 or more, got -5"),
    (("--split-seed", "-1"), 1, "--split-seed must be 0 or more, got -1"),
    (("--rnn", "gru"), 1, "--rnn does not apply to cnn3 (only crnn takes it)"),
    (("--arch", "cnn9"), 1, "unknown architecture 'cnn9'"),
    (("--features", "nope"), 1, "unknown feature kind 'nope'"),
    (("--features", "mel+mel"), 1, "unknown feature kind 'mel+mel'"),
    (("--segment", "0"), 1, "segment must be positive, got 0.0 s"),
    (("--segment", "-1"), 1, "segment must be positive, got -1.0 s"),
    (("--segment", "nan"), 1, "--segment must be a number, got nan"),
    (("--overlap", "1"), 1, "overlap must be in [0, 1), got 1.0"),
    (("--overlap", "-0.5"), 1, "overlap must be in [0, 1), got -0.5"),
    (("--n-mels", "2000"), 1, "n_mels=2000 is more mel bands than the 513 frequency bins"),
    (("--n-fft", "3"), 1, "n_fft must be at least 16 samples, got 3"),
    (("--hop-length", "100000"), 1, "cnn3 cannot read 128x1 inputs"),
    (("--epochs", "0"), 2, "Invalid value for '--epochs': 0 is not in the range x>=1"),
    (("--batch-size", "0"), 2, "Invalid value for '--batch-size': 0 is not in the range"),
    (("--patience", "0"), 2, "Invalid value for '--patience': 0 is not in the range"),
    (("--jobs", "0"), 2, "Invalid value for '--jobs': 0 is not in the range"),
    (("--n-mels", "0"), 2, "Invalid value for '--n-mels': 0 is not in the range"),
    (("--optimizer", "rmsprop"), 2, "Invalid value for '--optimizer': 'rmsprop' is not one"),
    (("--split", "nope"), 2, "Invalid value for '--split': 'nope' is not one of"),
    (("--dataset", "nope"), 1, "--dataset must be one of auto, gtzan, folders, fma"),
    (("--top-n", "0"), 2, "Invalid value for '--top-n': 0 is not in the range x>=1"),
    (("--min-count", "0"), 2, "Invalid value for '--min-count': 0 is not in the range"),
    (("--label-column", "x"), 1, "the gtzan reader has no option label_columns"),
    (("--split", "official"), 1, "has no official split"),
    (("--split", "kfold", "--fold", "7"), 1, "fold 7 does not exist: choose 0..4"),
    (("--segment", "100"), 1, "--segment 100 s is longer than every track"),
    (("--arch", "ffnn"), 1, "{run} holds a cnn3 run and this one is ffnn: choose another --out"),
    (("--out", "{mine}"), 1, "{mine} holds files that are not a tinymir run (notes.txt)"),
    (("--out", "{afile}"), 2, "{afile}' is a file"),
    (("--out", "{exp}"), 1, "{exp} holds files that are not a tinymir run"),
]


@pytest.mark.parametrize("extra, code, message", TRAIN,
                         ids=lambda v: " ".join(v) if isinstance(v, tuple) else None)
def test_train_refuses_before_writing(ws, extra, code, message):
    check(ws, ("train", "{data}", "--arch", "cnn3", *FAST, "--out", "{run}", *extra), code,
          message)


@pytest.mark.parametrize("data, message", [
    ("{ws}/typo_dir", "{ws}/typo_dir: no such file or folder"),
    ("{mine}", "{mine}: no audio files inside class folders"),
    ("{one}", "only one class (classical) in the dataset"),
    ("{afile}", "{afile}: a dataset is a folder or a metadata file (.csv / .tsv)"),
], ids=["typo", "no-audio", "one-class", "a-file"])
def test_train_onto_an_earlier_run_with_bad_data_keeps_it(ws, data, message):
    check(ws, ("train", data, "--arch", "cnn3", *FAST, "--out", "{run}"), 1, message)


def test_train_without_data_or_arch_is_a_usage_error(ws):
    check(ws, ("train", "--arch", "cnn3", "--out", "{run}"), 2, "give DATA and --arch")


# -- --augment -----------------------------------------------------------------------------
AUGMENT = [
    ("bogus", "unknown augmentation 'bogus'"),
    ("crop+", "unknown augmentation ''"),
    ("all+crop", "all and none stand alone"),
    ("crop+crop", "crop is given twice"),
    ("shift:max=3+shift:max=5", "shift is given twice"),
    ("shift:max=2.5", "shift max must be a whole number, got 2.5"),
    ("shift:max=1e7", "shift max must be at most 1000000, got 1e7"),
    ("shift:max=-1", "shift max must be at least 0, got -1"),
    ("shift:max=abc", "shift max must be a number, got 'abc'"),
    ("shift:max", "shift takes max=, got 'max'"),
    ("shift:width=3", "shift takes max=, got 'width=3'"),
    ("crop:x=1", "crop takes no parameters, got 'x=1'"),
    ("gain:db=-1", "gain db must be at least 0, got -1"),
    ("gain:db=1000", "gain db must be at most 100, got 1000"),
    ("gain:db=inf", "gain db must be at least 0, got inf"),
    ("mixup:alpha=0", "mixup alpha must be positive, got 0"),
    ("mixup:alpha=nan", "mixup alpha must be positive, got nan"),
    ("specaugment:masks=1000", "specaugment masks must be at most 100, got 1000"),
    ("specaugment:time=1.5", "specaugment time must be a whole number, got 1.5"),
]


@pytest.mark.parametrize("spec, message", AUGMENT, ids=[a for a, _ in AUGMENT])
def test_augment_is_refused_with_the_spec_named(ws, spec, message):
    check(ws, ("train", "{data}", "--arch", "cnn3", *FAST, "--out", "{run}", "--augment", spec),
          1, message)


# -- --resume ------------------------------------------------------------------------------
RESUME = [
    (("--augment", "mixup"), "was trained with augment=none; this run asks for mixup"),
    (("--n-mels", "64"), "was trained with n_mels=128; this run asks for 64"),
    (("--n-fft", "2048"), "was trained with n_fft=1024; this run asks for 2048"),
    (("--hop-length", "256"), "was trained with hop_length=512; this run asks for 256"),
    (("--n-mfcc", "13"), "was trained with n_mfcc=20; this run asks for 13"),
    (("--features", "mfcc"), "was trained with features=mel; this run asks for mfcc"),
    (("--segment", "1"), "was trained with segment=0.5; this run asks for 1.0"),
    (("--overlap", "0"), "was trained with overlap=0.5; this run asks for 0.0"),
    (("--lr", "0.5"), "was trained with lr=0.001; this run asks for 0.5"),
    (("--batch-size", "8"), "was trained with batch_size=4; this run asks for 8"),
    (("--optimizer", "sgd"), "was trained with optimizer=adam; this run asks for sgd"),
    (("--seed", "2"), "was trained with seed=1; this run asks for 2"),
    (("--split-seed", "3"), "was trained with split_seed=1; this run asks for 3"),
    (("--split", "group"), "was trained with split=random; this run asks for group"),
    (("--aggregate", "vote"), "was trained with aggregate=mean; this run asks for vote"),
    (("--resample", "oversample"), "was trained with resample=none"),
    (("--early-stopping",), "was trained with early_stopping=False; this run asks for True"),
    (("--dataset", "folders"), "was trained with dataset=auto; this run asks for folders"),
    (("--label-column", "x"), "was trained with label_column=None; this run asks for x"),
    (("--arch", "ffnn"), "was trained with arch=cnn3; this run asks for ffnn"),
    (("{one}",), "was trained with data={data}; this run asks for {one}"),
    (("--out", "{ws}/elsewhere"), "--out does not apply with --resume"),
    (("--overwrite",), "--overwrite does not apply with --resume"),
    (("--epochs", "1"), "has already run 2 epochs; --epochs 1 asks for fewer"),
    (("--augment", "bogus"), "unknown augmentation 'bogus'"),
]


@pytest.mark.parametrize("extra, message", RESUME,
                         ids=lambda v: " ".join(v) if isinstance(v, tuple) else None)
def test_resume_refuses_every_option_that_would_not_apply(ws, extra, message):
    check(ws, ("train", "--resume", "{run}", *extra), 1, message)


BROKEN = [
    ("alien", "holds the weights of another network (dense_9.kernel ... does not fit cnn3)"),
    ("truncated", "state.npz: truncated or corrupt tinymir run state"),
    ("garbage", "state.npz: not a tinymir run state"),
    ("nostate", "nothing to resume (no state.npz there)"),
    ("nothing", "nothing to resume (no config.json there)"),
    ("config_list", "config.json: not a tinymir run configuration"),
    ("config_text", "config.json: not a tinymir run configuration"),
    ("config_epochs", "--epochs must be 1 or more, got 0"),
    ("config_arch", "unknown architecture 'cnn9'"),
    ("config_field", "config.json: not a tinymir run configuration"),
    ("missing", "nothing to resume (no config.json there)"),
    ("nobest", "nobest/best.npz is missing (the best epoch's weights): the run cannot be"),
]


@pytest.mark.parametrize("name, message", BROKEN, ids=[n for n, _ in BROKEN])
def test_resume_of_a_folder_that_is_not_a_whole_run(ws, name, message):
    check(ws, ("train", "--resume", f"{{broken}}/{name}"), 1, message)


def test_resume_epochs_zero_is_a_usage_error(ws):
    check(ws, ("train", "--resume", "{run}", "--epochs", "0"), 2, "0 is not in the range")


# -- experiment ----------------------------------------------------------------------------
FIXED = {"segment": "0.5", "overlap": "0.5", "batch_size": "4", "epochs": "1",
         "early_stopping": "false"}


def toml(data, top=None, fixed=None, grid=None, raw=None) -> str:
    """The fast grid as TOML with some keys changed: ``top`` (top-level keys; ``fixed`` or
    ``grid`` there replaces that table), ``fixed`` (keys added or changed), ``grid`` (the
    whole table), or ``raw`` text after the data line. A value of None drops the key."""
    if raw is not None:
        return f"data = {json.dumps(str(data))}\n{raw}"
    top = {"data": json.dumps(str(data)), "seeds": "[0]", **(top or {})}
    tables = {"fixed": {**FIXED, **(fixed or {})}, "grid": grid or {"arch": '["cnn3"]'}}
    lines = [f"{k} = {v}" for k, v in top.items() if v is not None]
    for name, table in tables.items():
        if name not in top:
            lines += [f"[{name}]"] + [f"{k} = {v}" for k, v in table.items() if v is not None]
    return "\n".join(lines) + "\n"


GRIDS = [
    ("toml", {"top": {"fixed": "3"}}, "fixed must be a table of options ([fixed] with one"),
    ("json", {"fixed": 3}, "fixed must be a table of options"),
    ("toml", {"top": {"grid": "'arch'"}}, "grid must be a table of options ([grid] with one"),
    ("json", {"grid": "arch"}, "grid must be a table of options"),
    ("json", [1, 2], "the grid must be a table of keys"),
    ("toml", {"top": {"cells": "3"}}, "cells must be a list of tables"),
    ("json", {"cells": [1]}, "cells must be a list of tables"),
    ("toml", {"top": {"seeds": "'0'"}}, "seeds must be a non-empty list of integers, 0 or"),
    ("toml", {"top": {"seeds": "[true]"}}, "seeds must be a non-empty list of integers"),
    ("toml", {"top": {"seeds": "[-1]"}}, "seeds must be a non-empty list of integers, 0 or"),
    ("toml", {"top": {"seeds": "[1, 1]"}}, "seeds lists a seed twice"),
    ("toml", {"top": {"data": "5"}}, "data must be a path in quotes, got 5"),
    ("json", {"name": [1]}, "name must be text, got [1]"),
    ("toml", {"top": {"colour": "2"}}, "unknown key(s) colour"),
    ("toml", {"fixed": {"width": "3"}}, "[fixed] sets width, which is not a training option"),
    ("toml", {"fixed": {"seed": "3"}}, "[fixed] sets seed, which is not a training option"),
    ("toml", {"grid": {"arch": "[]"}}, "[grid] arch must be a non-empty list"),
    ("toml", {"grid": {"arch": "'cnn3'"}}, "[grid] arch must be a non-empty list"),
    ("toml", {"grid": {"features": "[['mel']]"}}, "[grid] features must list numbers, text"),
    ("toml", {"grid": {"arch": "['cnn3', 'cnn3']"}}, "[grid] arch lists a value twice"),
    ("toml", {"grid": {"arch": "['cnn3']", "augment": "['crop+gain', 'crop,gain']"}},
     "would share the folder arch-cnn3_augment-crop.gain"),
    ("toml", {"fixed": {"arch": "'cnn3'"}, "grid": {"arch": "['ffnn']"}},
     "arch is both fixed and varied"),
    ("toml", {"fixed": {"batch_size": "0"}}, "--batch-size must be 1 or more, got 0"),
    ("toml", {"fixed": {"batch_size": "-1"}}, "--batch-size must be 1 or more, got -1"),
    ("toml", {"fixed": {"batch_size": "'4'"}}, "--batch-size must be a whole number, got '4'"),
    ("toml", {"fixed": {"batch_size": "2.5"}}, "--batch-size must be a whole number, got 2.5"),
    ("toml", {"fixed": {"epochs": "0"}}, "--epochs must be 1 or more, got 0"),
    ("toml", {"fixed": {"epochs": "true"}}, "--epochs must be a whole number, got True"),
    ("toml", {"fixed": {"lr": "0"}}, "--lr must be a positive number, got 0.0"),
    ("toml", {"fixed": {"lr": "'fast'"}}, "--lr must be a number, got 'fast'"),
    ("toml", {"fixed": {"lr": "nan"}}, "--lr must be a number, got nan"),
    ("toml", {"fixed": {"segment": "-1"}}, "segment must be positive"),
    ("toml", {"fixed": {"overlap": "1.5"}}, "overlap must be in [0, 1), got 1.5"),
    ("toml", {"fixed": {"features": "'nope'"}}, "unknown feature kind 'nope'"),
    ("toml", {"grid": {"arch": "['cnn9']"}}, "cell arch cnn9: unknown architecture 'cnn9'"),
    ("toml", {"fixed": {"augment": "'shift:max=2.5'"}}, "shift max must be a whole number"),
    ("toml", {"fixed": {"augment": "3"}}, "--augment must be text, got 3"),
    ("toml", {"fixed": {"optimizer": "'rmsprop'"}}, "--optimizer must be one of adam, sgd"),
    ("toml", {"fixed": {"split": "'nope'"}}, "--split must be one of random, group"),
    ("toml", {"fixed": {"rnn": "'gru'"}}, "--rnn does not apply to cnn3"),
    ("toml", {"fixed": {"early_stopping": "'no'"}}, "--early-stopping must be true or false"),
    ("toml", {"fixed": {"class_weights": "1"}}, "--class-weights must be true or false, got 1"),
    ("toml", {"fixed": {"dataset": "'nope'"}}, "--dataset must be one of auto, gtzan"),
    ("toml", {"fixed": {"reader_options": "'x'"}}, "reader_options must be a table"),
    ("toml", {"fixed": {"cache": "5"}}, "--cache must be text, got 5"),
    ("toml", {"fixed": {"jobs": "0"}}, "--jobs must be 1 or more, got 0"),
    ("toml", {"raw": "[fixed\n"}, "not valid TOML"),
    ("toml", {"raw": "[grid]\narch = ['cnn3', 'ffnn']\n[[cells]]\narch = 'cnn3'\n"},
     "arch is both in [grid] and in [[cells]]"),
    ("toml", {"raw": "[[cells]]\narch = 'cnn3'\nbatch_size = 0\n"},
     "cell arch cnn3, batch_size 0: --batch-size must be 1 or more, got 0"),
    ("toml", {"raw": "[fixed]\nepochs = 1\n"}, "no architecture: give arch in [fixed], [grid]"),
    ("json", "{not json", "not valid JSON"),
    ("json", "\udcff\udcfe{}", "not a text file (not UTF-8); a grid file is TOML or JSON"),
]


def write_grid(ws, tmp_path, kind, content):
    """A grid file: TOML from :func:`toml`, or JSON: the fast grid's keys replaced by
    ``content`` (a dict), ``content`` itself (a list), or ``content`` as text."""
    path = tmp_path / f"grid.{kind}"
    if kind == "toml":
        path.write_text(toml(ws / "data", **content))
    elif isinstance(content, str):
        path.write_bytes(content.encode(errors="surrogateescape"))
    else:
        base = {"data": str(ws / "data"), "seeds": [0], "grid": {"arch": ["cnn3"]},
                "fixed": {"segment": 0.5, "epochs": 1}}
        path.write_text(json.dumps({**base, **content} if isinstance(content, dict)
                                   else content))
    return path


@pytest.mark.parametrize("kind, content, message", GRIDS,
                         ids=[f"{k}:{json.dumps(c)[:40]}" for k, c, _ in GRIDS])
def test_a_bad_grid_is_refused_before_any_run(ws, tmp_path, kind, content, message):
    path = write_grid(ws, tmp_path, kind, content)
    check(ws, ("experiment", path, "--out", "{exp}", "--no-cache", "--quiet"), 1, message)


EXPERIMENT = [
    (("--seeds", "a,b"), "--seeds 'a,b' is not a comma-separated list of whole numbers"),
    (("--seeds", "1,1"), "--seeds '1,1': give each seed once, 0 or more"),
    (("--seeds", "-1"), "--seeds '-1': give each seed once, 0 or more"),
    (("--out", "{mine}"), "{mine} holds files that are not this experiment's (notes.txt)"),
    (("--out", "{ws}"), "holds files that are not this experiment's"),
    (("--epochs", "2"), "holds a run with epochs=1 and this grid asks for epochs=2"),
    (("--data", "{one}"), "holds a run with data="),
    (("--data", "{ws}/typo"), "its data '{ws}/typo' is not there"),
]


@pytest.mark.parametrize("extra, message", EXPERIMENT,
                         ids=lambda v: " ".join(v) if isinstance(v, tuple) else None)
def test_experiment_refuses_options_and_outs_before_any_run(ws, extra, message):
    check(ws, ("experiment", "{grid}", "--out", "{exp}", "--no-cache", "--quiet", *extra), 1,
          message)


def test_experiment_with_changed_fixed_options_refuses_the_old_numbers(ws, tmp_path):
    changed = tmp_path / "grid.toml"
    changed.write_text(GRID.format(data=ws / "data").replace("overlap = 0.5", "overlap = 0.25"))
    check(ws, ("experiment", changed, "--out", "{exp}", "--no-cache", "--quiet"), 1,
          "holds a run with overlap=0.5 and this grid asks for overlap=0.25",
          "choose another --out")


def test_experiment_epochs_over_a_varied_epochs_is_refused(ws, tmp_path):
    varied = tmp_path / "grid.toml"
    varied.write_text(GRID.format(data=ws / "data").replace("epochs = 1\n", "")
                      + "epochs = [1, 2]\n")
    check(ws, ("experiment", varied, "--out", "{exp}", "--epochs", "3"), 1,
          "the grid varies epochs; --epochs would replace them all")


@pytest.mark.parametrize("args, code, message", [
    (("{ws}/missing.toml", "--out", "{exp}"), 1, "cannot read the grid file"),
    (("{grid}", "--out", "{exp}", "--epochs", "0"), 2, "Invalid value for '--epochs'"),
    (("{grid}", "--out", "{afile}"), 2, "{afile}' is a file"),
    (("{grid}", "--out", "{ws}/new", "--data", "{ws}/typo"), 1,
     "its data '{ws}/typo' is not there"),
], ids=["missing-file", "epochs-0", "out-a-file", "typo-data-new-out"])
def test_experiment_file_and_click_errors(ws, args, code, message):
    check(ws, ("experiment", *args, "--no-cache", "--quiet"), code, message)


# -- synth ---------------------------------------------------------------------------------
SYNTH = [
    (("--classes", "rock,rock"), 1, "rock given more than once"),
    (("--classes", "0"), 1, "classes must be between 1 and 8, got 0"),
    (("--classes", "9"), 1, "classes must be between 1 and 8, got 9"),
    (("--classes", "nope"), 1, "unknown genre(s) ['nope']"),
    (("--classes", " , "), 2, "names no class"),
    (("--seconds", "0"), 2, "Invalid value for '--seconds'"),
    (("--seconds", "1000"), 2, "Invalid value for '--seconds'"),
    (("--seconds", "nan"), 1, "seconds must be a number above 0 and at most 600 (a clip"),
    (("--sr", "100"), 2, "Invalid value for '--sr'"),
    (("--sr", "10000000"), 2, "Invalid value for '--sr'"),
    (("--seed", "-1"), 2, "Invalid value for '--seed'"),
    (("--per-class", "0"), 2, "Invalid value for '--per-class'"),
    (("--per-class", "1000000000"), 2, "Invalid value for '--per-class'"),
    (("--seconds", "600", "--sr", "192000"), 1, "600 s at 192000 Hz is 1.15e+08 samples a clip"),
    (("--seed", "6"), 1, "electronic.00000.wav already exists with other content"),
    (("--seconds", "2"), 1, "electronic.00000.wav already exists with other content"),
    (("--sr", "16000"), 1, "electronic.00000.wav already exists with other content"),
]


@pytest.mark.parametrize("extra, code, message", SYNTH,
                         ids=lambda v: " ".join(v) if isinstance(v, tuple) else None)
def test_synth_into_an_existing_dataset_refuses_before_writing(ws, extra, code, message):
    check(ws, ("synth", "{data}", "--classes", "electronic,classical", "--per-class", "8",
               "--seconds", "1", "--seed", "5", *extra), code, message)


def test_synth_onto_a_file_or_over_a_file_of_yours(ws, tmp_path):
    check(ws, ("synth", "{afile}"), 2, "is a file")
    own = ws / "mine" / "rock"
    own.mkdir()
    try:
        (own / "rock.00000.wav").write_bytes(b"my recording")
        check(ws, ("synth", "{mine}", "--classes", "rock", "--per-class", "2"), 1,
              "rock.00000.wav already exists with other content", "a file of yours")
    finally:
        shutil.rmtree(own)


# -- handled as the user meant -------------------------------------------------------------
def test_a_large_shift_trains_and_is_recorded_without_an_exponent(ws, tmp_path):
    """`shift:max=1000000` was written as `1e+06` and read back as two augmentations."""
    out = tmp_path / "run"
    result = invoke("train", ws / "data", "--arch", "cnn3", *FAST, "--epochs", "1", "--out", out,
                    "--augment", "shift:max=1000000+mixup:alpha=1e-7")
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["augment"] == "shift:max=1000000+mixup:alpha=0.0000001"
