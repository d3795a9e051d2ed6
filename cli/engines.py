"""``--scheduler`` and ``--jobs``: where the per-track work of a command runs (tinymir.data.engines)."""
from contextlib import contextmanager

import click

from tinymir.data.engines import EngineError, SCHEDULERS, open_engine


def scheduler_option(command):
    """``--scheduler processes|dask|tcp://host:port`` and ``--jobs N``."""
    for option in reversed((
            click.option("--scheduler", default="processes", show_default=True,
                         metavar="processes|dask|ADDRESS",
                         help="Where the per-track work runs: the built-in process pool, a "
                              "local Dask cluster of --jobs workers, or a running Dask "
                              "scheduler (tcp://host:8786; its workers must see the audio "
                              "at the same paths)."),
            click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
                         help="Worker processes (processes, dask)."))):
        command = option(command)
    return command


@contextmanager
def engine_for(scheduler: str, jobs: int):
    """The engine of ``--scheduler``/``--jobs``, named on stderr; one line when it cannot start."""
    if scheduler not in SCHEDULERS and "://" not in scheduler:
        raise click.BadParameter(f"{scheduler!r}: processes, dask or an address like "
                                 "tcp://host:8786", param_hint="--scheduler")
    try:
        with open_engine(scheduler, jobs) as engine:
            if scheduler != "processes":
                click.echo(f"engine: {engine.name}", err=True)
            yield engine
    except EngineError as exc:
        raise click.ClickException(str(exc))
