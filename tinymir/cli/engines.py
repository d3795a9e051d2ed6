"""``--scheduler`` and ``--jobs``: where the per-track work of a command runs
(tinymir.data.engines); a scheduler that names no engine or address is refused as the command
line is parsed, before anything starts."""
from contextlib import contextmanager

import click

from tinymir.data.engines import EngineError, check_scheduler, open_engine


def _checked_scheduler(ctx, param, value):
    """The ``--scheduler`` value, refused at parse time when it names no engine or address."""
    try:
        check_scheduler(value)
    except EngineError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return value


def scheduler_option(command):
    """``--scheduler processes|dask|tcp://host:port`` and ``--jobs N``."""
    for option in reversed((
            click.option("--scheduler", default="processes", show_default=True,
                         metavar="processes|dask|ADDRESS", callback=_checked_scheduler,
                         help="Where the per-track work runs: the built-in process pool, a "
                              "local Dask cluster of --jobs workers, or a running Dask "
                              "scheduler (tcp://host:8786; its workers must see the audio "
                              "at the same paths)."),
            click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
                         help="Worker processes (processes, dask)."))):
        command = option(command)
    return command


def announce(engine) -> None:
    """Name an engine other than this process or the pool on stderr."""
    if engine.name != "this process" and not engine.name.endswith(" processes"):
        click.echo(f"engine: {engine.name}", err=True)


@contextmanager
def engine_for(scheduler: str, jobs: int):
    """The engine of ``--scheduler``/``--jobs``, named on stderr; one line when it cannot start."""
    try:
        with open_engine(scheduler, jobs) as engine:
            announce(engine)
            yield engine
    except EngineError as exc:
        raise click.ClickException(str(exc))
