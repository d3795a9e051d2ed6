"""`tinymir evaluate`: score a trained model on the tracks of a dataset."""
import json

import click

from tinymir.predict import evaluation

from .options import USER_ERRORS, cache_options, dataset_options, reader_options


@click.command("evaluate")
@click.argument("model", type=click.Path(dir_okay=False))
@click.argument("data", type=click.Path())
@click.option("--part", type=click.Choice(("all", "train", "val", "test")), default="all",
              show_default=True,
              help="Which tracks of DATA: all, or one part of the split the model was "
                   "trained with (recomputed from its name and seed).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--labels-map", type=click.Path(dir_okay=False), default=None,
              help="Score another collection: a TOML [labels] table (or JSON) of "
                   "\"data label\" = \"model class\"; tracks of other labels are left out.")
@cache_options
@dataset_options
def evaluate_command(model, data, part, as_json, labels_map, cache, no_cache, jobs, dataset,
                     label_column, tags_column, min_count, top_n):
    """Score MODEL on the tracks of DATA: segment- and track-level metrics. The first line names
    the tracks scored; a warning says when they include the model's training tracks."""
    try:
        mapping = evaluation.read_labels_map(labels_map) if labels_map else None
        report = evaluation.evaluate(model, data, part=part, dataset=dataset,
                                     cache_root=None if no_cache else cache, jobs=jobs,
                                     reader_options=reader_options(label_column, tags_column,
                                                                   min_count, top_n),
                                     labels_map=mapping)
    except USER_ERRORS as exc:
        raise click.ClickException(str(exc))
    click.echo(json.dumps(report, indent=2) if as_json else evaluation.describe(report))
    warning = evaluation.training_warning(report)
    if warning:
        click.echo(warning, err=True)
