"""The ``tinymir`` command group: global options and the list of sub-commands.

Each sub-command lives in its own module of this folder; this file only wires them up.
"""
import click

import tinymir
from tinymir import backend


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


def _register_commands():
    from . import baselines, dataset, experiment, explain, export, gradcheck, synth, train
    for module in (synth, explain, dataset, gradcheck, baselines, train, experiment, export):
        for command in module.COMMANDS:
            main.add_command(command)


_register_commands()

if __name__ == "__main__":
    main()
