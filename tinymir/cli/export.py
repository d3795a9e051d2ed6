"""`tinymir export`: a trained model as one ONNX file, audio in and probabilities out."""
import click
import numpy as np

from tinymir.export import OPSET, ExportError, to_onnx


@click.command("export")
@click.argument("model", type=click.Path(dir_okay=False))
@click.argument("out", type=click.Path())
@click.option("--dft", type=click.Choice(["float32", "float64"]), default="float32",
              show_default=True,
              help="Precision of the front end up to the dB: float32 runs on every runtime; "
                   "float64 follows tinymir's FFT more closely (about 0.002 dB instead of "
                   "0.01 dB) but doubles the DFT's size and needs double-precision support.")
def export_command(model, out, dft):
    """Export MODEL as one ONNX graph: audio in, probabilities out.

    Writes MODEL (a file of `tinymir train`) as the ONNX graph OUT: float32 audio (batch,
    samples) at the model's sample rate in, `segment_scores` (batch, segments, classes) and
    `scores` (batch, classes) out, the class names in the metadata. Needs the onnx package
    (pip install "tinymir[onnx]"). An existing OUT is replaced only when the export succeeded.
    """
    try:
        path = to_onnx(model, out, dft_dtype=np.dtype(dft))
    except ExportError as exc:
        raise click.ClickException(str(exc))
    size = path.stat().st_size / 1e6
    click.echo(f"wrote {path} ({size:.1f} MB, ONNX opset {OPSET})")
