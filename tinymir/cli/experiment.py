"""`tinymir experiment GRID.toml`: a grid of training runs, several seeds each, and the table of
results (see tinymir.train.grid)."""
import sys

import click

from tinymir.train import grid as grids

from .engines import scheduler_option
from .options import USER_ERRORS, cache_folder_options


@click.command("experiment", short_help="Train a grid of runs (cells x seeds); resumable.")
@click.argument("grid_file", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder of the runs and results (default: experiments/<grid file name>).")
@click.option("--data", default=None, help="The dataset, instead of the grid file's data.")
@click.option("--seeds", default=None, help="Comma-separated seeds, instead of the file's.")
@click.option("--epochs", type=click.IntRange(min=1), default=None,
              help="At most this many epochs per run, instead of the file's (a bounded run).")
@click.option("--dry-run", is_flag=True, help="List the runs and stop.")
@click.option("--quiet", is_flag=True, help="No per-epoch lines.")
@scheduler_option
@cache_folder_options
def experiment_command(grid_file, out, data, seeds, epochs, dry_run, quiet, scheduler, jobs,
                       cache, no_cache):
    """Train every cell of GRID_FILE (TOML or JSON) with every seed on one split (or on the
    same repeated folds, with cv in the file); finished runs are kept, so a killed grid
    continues. --jobs N trains N runs at a time (one core each; --scheduler dask or an address:
    on Dask workers). Writes results.md / .csv / .json / .png to OUT."""
    try:
        grid = grids.override(grids.read_grid(grid_file, data=data), seeds=seeds,
                              epochs=epochs, cache=None if no_cache else cache)
        out = out or f"experiments/{grid.path.stem}"
        runs = grids.configs(grid, out)
        if dry_run:
            click.echo(f"{len(runs)} runs")
            for cell in grid.cells():
                click.echo(f"{grids.cell_label(cell)}: seeds {grid.seeds} -> "
                           f"{out}/{grids.cell_name(cell)}/seed-*")
            return
        results = grids.run_grid(grid, out, stream=sys.stderr, epochs_shown=not quiet,
                                 scheduler=scheduler, jobs=jobs)
    except (grids.GridError, *USER_ERRORS) as exc:
        raise click.ClickException(str(exc))
    click.echo(grids.markdown(results))
    from tinymir import pictures
    drawn = ", results.png" if pictures.available() else ""
    click.echo(f"results in {out}/ (results.md, results.csv, results.json{drawn})")
    if not drawn:
        click.echo(pictures.SKIPPED, err=True)
