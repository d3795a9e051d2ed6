"""`tinymir archs`: the architectures of the zoo with their inputs, sizes and recipes."""
import click

from tinymir import models


@click.command("archs", short_help="List the architectures: input, parameters, training recipe.")
@click.option("--classes", type=click.IntRange(min=1), default=10, show_default=True,
              help="Output units used for the parameter count.")
def archs_command(classes):
    """List the architectures with their input shape, parameter count and training recipe
    (what `tinymir train` uses unless --epochs, --batch-size, --optimizer or --lr say otherwise)."""
    rows = models.describe_archs(classes)
    click.echo(f"{'name':<9} {'seed':<5} {'features':<9} {'input':<12} {'params':>8}  "
               f"{'epochs':>6} {'batch':>5} {'optimizer':<9} {'lr':>7}  summary")
    for row in rows:
        shape = "x".join(str(d) for d in row["input"])
        click.echo(f"{row['name']:<9} {row['seed']:<5} {row['features']:<9} {shape:<12} "
                   f"{row['params']:>8,}  {row['epochs']:>6} {row['batch_size']:>5} "
                   f"{row['optimizer']:<9} {row['lr']:>7g}  {row['summary']}")
