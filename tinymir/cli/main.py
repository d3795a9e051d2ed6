"""The ``tinymir`` command group: global options and the list of sub-commands.

Each sub-command lives in its own module of this folder and is imported only when it runs (or
shows its own help), so ``tinymir --help`` costs the interpreter, NumPy and click, not SciPy and
the library (``python bench/bench_cli_startup.py``). :data:`COMMANDS` says where each one lives
and its one-line help; ``tests/test_cli_startup.py`` checks that line against the command's own.
"""
import importlib

import click

import tinymir
from tinymir import backend

#: name -> (module of this folder, attribute, one-line help shown by ``tinymir --help``)
COMMANDS = {
    "synth": ("synth", "synth_command",
              "Write labelled synthetic clips to OUT/<class>/<class>.00000.wav (16-bit wav)."),
    "dataset": ("dataset", "dataset_group",
                "Read datasets (GTZAN, class folders, FMA, MTG-Jamendo, tag CSVs)."),
    "features": ("features", "features_group",
                 "Compute features (or invert them: features invert)."),
    "train": ("train", "train_command",
              "Train ARCH on the dataset in DATA; writes model, history and reports to RUN_DIR."),
    "evaluate": ("evaluate", "evaluate_command",
                 "Score MODEL on the tracks of DATA: segment- and track-level metrics."),
    "predict": ("predict", "predict_command",
                "Label audio files with a trained model (or tag a catalogue)."),
    "listen": ("listen", "listen_command",
               "Label a live stream as it plays (raw PCM on stdin, or an input device)."),
    "archs": ("archs", "archs_command",
              "List the architectures: input, parameters, training recipe."),
    "experiment": ("experiment", "experiment_command",
                   "Train a grid of runs (cells x seeds); resumable."),
    "baselines": ("baselines", "baselines_command",
                  "Train and score LR, RF, XGB-style boosting, SVM and k-NN (seed 000's "
                  "settings)."),
    "explain": ("explain", "explain_group",
                "Explain a trained model: most representative inputs, saliency."),
    "export": ("export", "export_command",
               "Export MODEL as one ONNX graph: audio in, probabilities out."),
    "gradcheck": ("gradcheck", "gradcheck_command",
                  "Gradient check of layer/loss NAME (all of them without NAME), in float64."),
}


class LazyGroup(click.Group):
    """A group whose sub-commands (:data:`COMMANDS`) are imported when they are called."""

    def list_commands(self, ctx):
        return sorted([*super().list_commands(ctx), *COMMANDS])

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return super().get_command(ctx, name)
        module, attribute, _ = COMMANDS[name]
        return getattr(importlib.import_module(f"{__package__}.{module}"), attribute)

    def format_commands(self, ctx, formatter):
        rows = [(name, COMMANDS[name][2] if name in COMMANDS
                 else self.commands[name].get_short_help_str(limit=1000))
                for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(tinymir.__version__, prog_name="tinymir")
@click.option("--device", type=click.Choice(backend.DEVICES), default=None,
              help="cpu, gpu or auto (default: $TINYMIR_DEVICE, else auto).")
@click.pass_context
def main(ctx, device):
    """tinymir: music classification from scratch on NumPy / CuPy."""
    try:   # the device holds for this command only: the process's own comes back after it
        chosen = ctx.with_resource(backend.using_device(device))
    except backend.DeviceError as exc:
        raise click.ClickException(str(exc))
    if chosen == "cpu":
        backend.keep_freed_memory()         # a command owns its process (the library never does)


@main.command()
def info():
    """Print tinymir's version, the libraries' (optional ones '-' when not installed) and the
    device tinymir would use."""
    facts = backend.info()
    width = max(map(len, facts))
    for key, value in facts.items():
        click.echo(f"{key:<{width}} {value if value is not None else '-'}")


if __name__ == "__main__":
    main()
