"""What defines a training run: :class:`TrainConfig`, its checks, config.json, and the resume rule.

A run is its options. They are checked before any data is read (:func:`check_config` builds the
network once on its input), filled with the architecture's recipe (:func:`with_defaults`),
written to RUN_DIR/config.json (:func:`write_config`) and read back by ``--resume`` and
``experiment`` (:func:`read_config`). A resumed run is the run it continues: every option given
with ``--resume`` must match the saved one (:func:`check_resumed_options`), except the settings
in :data:`RESUME_SETTINGS`, which change where features come from, never the numbers.
"""
from __future__ import annotations

import dataclasses
import inspect
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from tinymir import models
from tinymir.atomic import write_text
from tinymir.data.readers import DATASETS
from tinymir.data.splits import DEFAULT_FOLDS, SPLITS

from .augment import AugmentError
from .augment import describe as describe_augment
from .augment import parse as parse_augment

OPTIMIZERS = ("adam", "sgd")
RESAMPLING = ("none", "oversample", "undersample")
CONFIG_FILE = "config.json"
PLATEAU_PATIENCE = 5     # epochs without a better validation score before lr /= 10 (default)
DEFAULT_PATIENCE = 3     # epochs without a better validation score before stopping


class RunError(ValueError):
    """A run that cannot go ahead as asked; the message says what is wrong and with what."""


#: Options that set a field of the front end, by their name on the command line and in a grid
#: -> the :class:`~tinymir.models.FrontEnd` field they set (the config holds FrontEnd's names).
FRONT_END_OPTIONS = {"features": "kind", "segment": "segment", "overlap": "overlap",
                     "n_fft": "n_fft", "hop_length": "hop_length", "n_mels": "n_mels",
                     "n_mfcc": "n_mfcc"}


@dataclass
class TrainConfig:
    """Everything that defines a run; ``None`` means the architecture's (or seed's) default.

    ``front_end`` is the features and segments the network sees (None: the architecture's,
    filled in by :func:`with_defaults`). The constructor also takes the front-end options by
    their command-line names (:data:`FRONT_END_OPTIONS`: ``features``, ``segment``, ...,
    None for unset); they are set on the architecture's front end once, here
    (:func:`front_end_of`), and the config keeps only ``front_end``.
    """
    arch: str
    data: str
    out: str
    front_end: models.FrontEnd | None = None
    split: str = "random"
    split_seed: int | None = None
    fold: int = 0
    folds: int = DEFAULT_FOLDS
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    optimizer: str | None = None
    seed: int = 0
    class_weights: bool | None = None
    patience: int | None = None
    lr_patience: int = PLATEAU_PATIENCE
    early_stopping: bool = True
    aggregate: str = "mean"
    rnn: str | None = None
    dataset: str = "auto"
    reader_options: dict = field(default_factory=dict)
    cache: str | None = None
    jobs: int = 1
    augment: str | None = None
    resample: str = "none"

    def split_seed_or_seed(self) -> int:
        """The split's seed: ``split_seed``, or the run's seed when that is not given (an
        experiment grid fixes the split and varies the seed)."""
        return self.seed if self.split_seed is None else self.split_seed

    def arch_options(self) -> dict:
        return {"rnn": self.rnn} if self.rnn else {}


_fields_init = TrainConfig.__init__


def _init(self, *args, **options):
    front = {name: options.pop(name) for name in FRONT_END_OPTIONS if name in options}
    _fields_init(self, *args, **options)
    if any(value is not None for value in front.values()):
        self.front_end = front_end_of(self.arch, front, self.front_end)


_init.__doc__ = _fields_init.__doc__
TrainConfig.__init__ = _init
#: The options of a run by their command-line (and grid) names.
OPTIONS = tuple(f.name for f in dataclasses.fields(TrainConfig) if f.name != "front_end") \
    + tuple(FRONT_END_OPTIONS)

#: Whole-number options and their smallest value (None: may be unset).
WHOLE = {"epochs": 1, "batch_size": 1, "patience": 1, "lr_patience": 0, "jobs": 1, "fold": 0,
         "folds": 2, "seed": 0, "split_seed": 0, "n_fft": 1, "hop_length": 1, "n_mels": 1,
         "n_mfcc": 1}
NUMBERS = ("segment", "overlap", "lr")
#: Options that are one of a few words (None: may be unset).
CHOICES = {"split": SPLITS, "optimizer": OPTIMIZERS, "aggregate": ("mean", "vote"),
           "rnn": ("gru", "lstm"), "resample": RESAMPLING,
           "dataset": ("auto",) + DATASETS}
TEXT = ("arch", "data", "features", "augment", "cache")
FLAGS = ("class_weights", "early_stopping")


def option_name(field_name: str) -> str:
    """The command-line spelling of a :class:`TrainConfig` field: ``batch_size`` ->
    ``--batch-size``."""
    return "--" + field_name.replace("_", "-")


def check_option(name: str, value) -> None:
    """Refuse a value of the wrong kind or range for the option ``name`` (a grid file or a
    config.json can hold anything), one line naming the option."""
    if name in WHOLE:
        if value is None and name not in ("jobs", "fold", "seed"):
            return
        if isinstance(value, bool) or not isinstance(value, int):
            raise RunError(f"{option_name(name)} must be a whole number, got {value!r}")
        if value < WHOLE[name]:
            raise RunError(f"{option_name(name)} must be {WHOLE[name]} or more, got {value}")
    elif name in NUMBERS:
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not math.isfinite(value)):
            raise RunError(f"{option_name(name)} must be a number, got {value!r}")
    elif name in CHOICES:
        if value is not None and value not in CHOICES[name]:
            raise RunError(f"{option_name(name)} must be one of {', '.join(CHOICES[name])}, "
                           f"got {value!r}")
    elif name in TEXT:
        paths = (str, os.PathLike) if name in ("data", "cache") else str
        if not (value is None and name != "arch" and name != "data") \
                and not isinstance(value, paths):
            raise RunError(f"{option_name(name)} must be text, got {value!r}")
    elif name in FLAGS:
        if not isinstance(value, bool) and not (value is None and name == "class_weights"):
            raise RunError(f"{option_name(name)} must be true or false, got {value!r}")


def _in_check_order(names) -> list:
    """``names`` in the order :func:`check_types` checks them: whole numbers, numbers,
    choices, text, flags."""
    order = [*WHOLE, *NUMBERS, *CHOICES, *TEXT, *FLAGS]
    return [name for name in order if name in names]


def front_end_of(arch: str, options: dict, front: models.FrontEnd | None = None):
    """The architecture's front end (or ``front``) with the front-end ``options``
    (:data:`FRONT_END_OPTIONS`, by their command-line names; None: unset) set on it."""
    for name in _in_check_order(options):
        check_option(name, options[name])
    check_option("arch", arch)
    front = front if front is not None else models.default_front(arch)
    return front.replace(**{FRONT_END_OPTIONS[name]: value for name, value in options.items()})


def check_types(config: TrainConfig) -> None:
    """Refuse a value of the wrong kind or range in any field (a grid file or a config.json
    can hold anything), one line naming the option."""
    for name in _in_check_order(set(OPTIONS) - set(FRONT_END_OPTIONS)):
        check_option(name, getattr(config, name))
    if not (config.front_end is None or isinstance(config.front_end, models.FrontEnd)):
        raise RunError(f"front_end must be a FrontEnd, got {config.front_end!r}")
    if not isinstance(config.reader_options, dict):
        raise RunError(f"reader_options must be a table of reader options, got "
                       f"{config.reader_options!r}")


def check_config(config: TrainConfig) -> TrainConfig:
    """Refuse options that cannot work, before any data is read; returns ``config`` with its
    augmentation spelled canonically."""
    check_types(config)
    if config.lr is not None and not config.lr > 0:
        raise RunError(f"--lr must be a positive number, got {float(config.lr)}")
    arch = models.get_arch(config.arch)
    accepted = set(inspect.signature(arch.layers).parameters)
    for option in config.arch_options():
        if option not in accepted:
            takers = [a.name for a in models.ARCHS.values()
                      if option in inspect.signature(a.layers).parameters]
            raise RunError(f"--{option} does not apply to {config.arch} (only "
                           f"{', '.join(takers) or 'no architecture'} takes it)")
    # the network built once on its input: refuses bad front-end options, a feature stack for a
    # 2-D net, and an input too small for the net's pooling, before any data is read
    front = config.front_end or models.default_front(config.arch)
    models.build(config.arch, 2, front=front, **config.arch_options())
    try:
        augment = describe_augment(parse_augment(config.augment))
    except AugmentError as exc:
        raise RunError(str(exc)) from None
    return dataclasses.replace(config, augment=augment, data=os.fspath(config.data),
                               cache=None if config.cache is None else os.fspath(config.cache))


def with_defaults(config: TrainConfig) -> TrainConfig:
    """``config`` with the architecture's front end, epochs, batch size, optimiser and
    learning rate where it leaves them unset."""
    arch = models.get_arch(config.arch)
    return dataclasses.replace(
        config, front_end=config.front_end or arch.front,
        epochs=config.epochs if config.epochs is not None else arch.epochs,
        batch_size=config.batch_size if config.batch_size is not None else arch.batch_size,
        optimizer=config.optimizer or arch.optimizer["name"],
        lr=config.lr if config.lr is not None else arch.optimizer["lr"])


def write_config(out: Path, config: TrainConfig) -> None:
    """RUN_DIR/config.json, written atomically (resume reads it)."""
    write_text(Path(out) / CONFIG_FILE, json.dumps(dataclasses.asdict(config), indent=2))


def read_config(out: Path) -> TrainConfig:
    """The TrainConfig saved in RUN_DIR (``out`` replaced by where the run is now)."""
    saved = out / CONFIG_FILE
    if not saved.is_file():
        raise RunError(f"{out}: nothing to resume (no {CONFIG_FILE} there)")
    try:
        fields = json.loads(saved.read_text())
        if isinstance(fields.get("front_end"), dict):
            fields["front_end"] = models.FrontEnd.from_dict(fields["front_end"])
        return TrainConfig(**{**fields, "out": str(out)})      # the run is where it is now
    except (RunError, models.FrontEndError):
        raise
    except (ValueError, TypeError, AttributeError) as exc:
        raise RunError(f"{saved}: not a tinymir run configuration ({exc})") from None


def comparable(fields: dict) -> dict:
    """A saved config.json's fields, in either form (``front_end`` nested, or the front-end
    options flat as runs before the nesting wrote them), as one flat dict: every front-end
    field by its option name (``features``, not ``kind``), so two runs compare option by
    option (:func:`tinymir.train.grid.check_out`). Raises ValueError (or KeyError for an
    unknown architecture) for fields that are not a run's."""
    fields = dict(fields)
    front = fields.pop("front_end", None)
    flat = {name: fields.pop(name) for name in FRONT_END_OPTIONS if name in fields}
    if isinstance(front, dict):
        front = models.FrontEnd.from_dict(front)
    front = front_end_of(fields.get("arch"), flat, front)
    names = {field: name for name, field in FRONT_END_OPTIONS.items()}
    return {**fields, **{names.get(k, k): v for k, v in dataclasses.asdict(front).items()}}


# -- the resume rule -----------------------------------------------------------------------
#: Options of ``train`` that apply to a resumed run as given: they change where features come
#: from or how they are computed, never the run's numbers.
RESUME_SETTINGS = ("cache", "jobs")
#: Options of ``train`` that are no part of the run (how it is shown) or that --resume itself
#: sets: never compared with the run's.
NOT_RUN_OPTIONS = ("resume", "epochs", "quiet", "cache", "no_cache", "jobs")
#: Reader options on the command line -> their key in ``TrainConfig.reader_options``.
READER_OPTIONS = {"label_column": "label_columns", "tags_column": "tags_column",
                  "min_count": "min_count", "top_n": "top_n"}


def resume_request(typed: dict) -> tuple[dict, dict]:
    """The options typed beside ``--resume`` (by parameter name; defaults are not the user's
    request) as ``(given, settings)``: those that must agree with the run
    (:func:`check_resumed_options`), and the :data:`RESUME_SETTINGS` that apply to it
    (``no_cache`` typed sets ``cache`` to None)."""
    settings = {}
    if "cache" in typed or "no_cache" in typed:
        settings["cache"] = None if typed.get("no_cache") else typed.get("cache")
    if "jobs" in typed:
        settings["jobs"] = typed["jobs"]
    return {k: v for k, v in typed.items() if k not in NOT_RUN_OPTIONS}, settings


def check_resumed_options(out: Path, config: TrainConfig, given: dict) -> None:
    """Refuse every option in ``given`` (the options typed with ``--resume``, by their
    parameter names) that differs from the run's: a resumed run is the run it continues."""
    front = config.front_end or models.default_front(config.arch)
    for key, value in given.items():
        if key in ("out", "overwrite"):
            if key == "out" and Path(value).resolve() == out.resolve():
                continue
            raise RunError(f"--{key} does not apply with --resume (the run continues in "
                           f"{out}); start a new run with --out instead")
        if key == "data":
            same, was = Path(value).resolve() == Path(config.data).resolve(), config.data
        elif key == "augment":
            was = config.augment or "none"
            try:
                same = describe_augment(parse_augment(value)) == \
                    describe_augment(parse_augment(was))
            except AugmentError as exc:
                raise RunError(str(exc)) from None
        elif key == "split_seed":
            was = config.split_seed_or_seed()
            same = was == value
        elif key in READER_OPTIONS:
            was = config.reader_options.get(READER_OPTIONS[key])
            same = str(was) == str(value)
        else:
            field = {"features": "kind"}.get(key, key)         # the option's name in the front end
            if not (hasattr(front, field) or hasattr(config, key)):
                raise RunError(f"--{key.replace('_', '-')} does not apply with --resume")
            was = getattr(front, field) if hasattr(front, field) else getattr(config, key)
            same = str(was) == str(value)
        if not same:
            raise RunError(f"{out} was trained with {key}={was}; this run asks for {value}: "
                           "start a new run with --out instead")
