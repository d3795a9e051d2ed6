"""`tinymir listen`: label a live stream as it plays (raw PCM on stdin, or an input device)."""
import os
import sys

import click

from tinymir.audio.stream import PCM_FORMATS, read_pcm
from tinymir.predict import Predictor
from tinymir.predict.listen import device_blocks, listen

from .options import USER_ERRORS


@click.command("listen")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--format", "sample_format", type=click.Choice(tuple(PCM_FORMATS)), default=None,
              help="Read raw PCM of this format from stdin (what ffmpeg writes with -f), e.g. "
                   "ffmpeg -i radio.m3u8 -f f32le -ac 1 -ar 22050 - | tinymir listen MODEL "
                   "--format f32le --sr 22050. Without it: the default input device (needs "
                   "sounddevice).")
@click.option("--sr", type=click.IntRange(min=1), default=22050, show_default=True,
              help="The sample rate of the stream in Hz.")
@click.option("--channels", type=click.IntRange(min=1, max=32), default=1, show_default=True,
              help="--format: channels interleaved in the stream (averaged to mono).")
@click.option("--block-seconds", type=click.FloatRange(min=0.05), default=None,
              help="Audio computed at once, in seconds (default: one segment hop); smaller "
                   "is sooner, the labels are the same as `predict --timeline` with the same "
                   "blocks.")
def listen_command(model, sample_format, sr, channels, block_seconds):
    """Label a live stream as it plays (raw PCM on stdin, or an input device).

    One line per segment of MODEL as soon as it is complete: its start and end in seconds of
    the stream, the top label and its probability, and the latency (from the arrival of its
    last samples to its label). Ends at the end of the stream, or with Ctrl-C."""
    try:
        predictor = Predictor.load(model)
        blocks = (read_pcm(sys.stdin.buffer, sample_format, channels) if sample_format
                  else device_blocks(sr))
        for heard in listen(predictor, blocks, sr, block_seconds):
            click.echo(heard.line())
    except ImportError as exc:
        raise click.ClickException(str(exc))
    except BrokenPipeError:             # the reader went away (| head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except USER_ERRORS as exc:
        raise click.ClickException(str(exc))
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
