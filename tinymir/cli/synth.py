"""`tinymir synth`: write the synthetic music set in the GTZAN folder layout."""
import click

from tinymir.audio import AudioError, synth


def parse_classes(text: str):
    """``"6"`` -> 6 (the first six genres); ``"rock,jazz"`` -> ``("rock", "jazz")``."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names:
        raise click.BadParameter(f"{text!r} names no class: give a count or names such as "
                                 "rock,jazz", param_hint="--classes")
    return names


@click.command("synth")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--classes", default="6", show_default=True,
              help=f"How many classes (the first N of: {', '.join(synth.GENRES)}) "
                   "or a comma-separated list of them.")
@click.option("--per-class", default=20, show_default=True,
              type=click.IntRange(min=1, max=synth.MAX_PER_CLASS),
              help="Clips per class.")
@click.option("--seconds", default=6.0, show_default=True,
              type=click.FloatRange(min=0.1, max=synth.MAX_SECONDS),
              help="Length of every clip.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="Same seed, same files.")
@click.option("--sr", default=22050, show_default=True,
              type=click.IntRange(min=synth.MIN_SR, max=synth.MAX_SR),
              help="Sample rate in Hz.")
def synth_command(out, classes, per_class, seconds, seed, sr):
    """Write labelled synthetic clips to OUT/<class>/<class>.00000.wav (16-bit wav).

    Classes differ like genres do (tempo, drum pattern, timbre, harmony); see
    tinymir.audio.synth for each recipe. Files already in OUT are never changed: clips there
    with the same samples are kept (a rerun adds what is missing), and a clip file there with
    other content stops the command before it writes anything.
    """
    try:
        names = synth.resolve_classes(parse_classes(classes))
        done = synth.write_dataset(out, names, per_class, seconds, seed, sr, progress=True)
    except (ValueError, AudioError, OSError) as exc:
        raise click.ClickException(str(exc))
    kept = f", {done.kept} already there" if done.kept else ""
    click.echo(f"wrote {done.written} clips{kept} ({len(names)} classes x {per_class}, "
               f"{seconds:g} s at {sr} Hz, seed {seed}) to {out}: {', '.join(names)}")
    if done.others:
        click.echo(f"warning: {out} also holds {len(done.others)} other files (e.g. "
                   f"{done.others[0]}), kept; a reader of {out} sees them too", err=True)
