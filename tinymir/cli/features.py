"""`tinymir features`: features of one audio file or of every audio file in a folder, to .npz
and/or into a resumable feature cache (``--cache DIR --jobs N --scheduler ...``, see
tinymir.data.cache and tinymir.data.engines); `tinymir features invert`: features back to audio."""
from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import click

from tinymir import moved, pictures
from tinymir.audio import AudioError, skipped_line
from tinymir.data import DatasetError
from tinymir.data.cache import cache_files
from tinymir.explain import measure
from tinymir.features import KINDS, FeatureParams
from tinymir.features.extract import TRACK_KINDS
from tinymir.features.files import compute_files, find_audio_files
from tinymir.features.npz import npz_path, save_features
from tinymir.progress import counted
from tinymir.staged import staged_folder

from .engines import engine_for, scheduler_option

__getattr__ = moved.names(__name__, {"BATCH_SIZE": "tinymir.features.files"})


@click.command("features")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--kind", type=click.Choice(KINDS), default="mel", show_default=True,
              help="mel / stft (dB), mfcc, chroma, contrast, centroid: (bins, frames) per "
                   "file; track: one row of hand-crafted features per file (the GTZAN-table "
                   "set), track_rich: that plus per-bin chroma, per-band contrast, MFCC "
                   "deltas, tonnetz-like and onset statistics.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The .npz file to write (optional with --cache).")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None,
              help="Keep each file's features in this cache: computed once per (file, "
                   "parameters), resumable after an interruption, reused by later runs.")
@scheduler_option
@click.option("--sr", type=int, default=22050, show_default=True, help="Sample rate (Hz).")
@click.option("--n-fft", type=int, default=1024, show_default=True,
              help="FFT size (samples per frame).")
@click.option("--hop-length", "hop_length", type=int, default=512, show_default=True,
              help="Samples between frames (as in `tinymir train`).")
@click.option("--hop", "hop_alias", type=int, default=None, hidden=True,
              help="The older spelling of --hop-length.")
@click.option("--n-mels", type=int, default=128, show_default=True, help="Mel bands.")
@click.option("--n-mfcc", type=int, default=20, show_default=True, help="MFCC coefficients.")
@click.option("--plot", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write a PNG picture of each file's features to this folder, named "
                   "after the file and the kind, e.g. blues__a.mel.png (needs matplotlib).")
def features_command(path, kind, out, cache_dir, scheduler, jobs, sr, n_fft, hop_length,
                     hop_alias, n_mels, n_mfcc, plot):
    """Compute features of PATH (an audio file, or a folder searched recursively).

    The .npz holds `features` (stacked when every file gives the same shape, else concatenated
    along the frame axis with `n_frames` per file), `paths` (relative to PATH), `labels` (each
    file's parent folder name), `params` (JSON) and `key`; for --kind track also `names`.
    Unreadable files are skipped with one line each. An existing --out file, and pictures
    of the same names in --plot, are replaced only once every file's features are computed and
    written beside them. With --cache DIR each file's features
    are kept in DIR (see tinymir.data.cache): a rerun, after Ctrl-C or kill -9, computes only
    what is missing, and --jobs N extracts in N processes (--scheduler dask: N local Dask
    workers; --scheduler tcp://host:8786: a running Dask cluster).
    """
    if hop_alias is not None:
        hop_length = hop_alias
    if out is None and cache_dir is None:
        raise click.ClickException("say where the features go: --out FILE.npz, --cache DIR, "
                                   "or both")
    if (jobs > 1 or scheduler != "processes") and cache_dir is None:
        raise click.ClickException("--jobs and --scheduler need --cache DIR (the workers write "
                                   "into the cache)")
    try:
        params = FeatureParams(kind=kind, sr=sr, n_fft=n_fft, hop_length=hop_length,
                               n_mels=n_mels, n_mfcc=n_mfcc)
        files, not_files = find_audio_files(path)
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc))
    for entry, reason in not_files:
        click.echo(skipped_line(entry, reason), err=True)
    empty = params.empty_mel_filters()
    if empty:
        click.echo(f"warning: {empty} of the {n_mels} mel bands hold no frequency bin of "
                   f"n_fft={n_fft} at {sr} Hz and will be constant; use fewer mels or a "
                   "larger n_fft", err=True)
    if plot is not None:
        _check_plotting(kind)

    root = path if path.is_dir() else path.parent
    if cache_dir is None:
        results, skipped_files = compute_files(
            files, params,
            on_skip=lambda file, reason: click.echo(skipped_line(file, reason), err=True))
        skipped = len(skipped_files)
    else:
        results, skipped = _compute_cached(files, root, params, cache_dir, scheduler, jobs)
    done = sorted(results)
    skipped += len(not_files)
    if not done:
        raise click.ClickException(f"none of the {len(files)} audio files could be read")
    relative = [files[i].relative_to(root).as_posix() for i in done]
    if out is not None:
        out = npz_path(out)
    try:
        with staged_folder(plot) if plot is not None else nullcontext() as folder:
            if plot is not None and pictures.available():
                from tinymir.explain.pictures import feature_pictures
                feature_pictures(folder, relative, [results[i] for i in done], params)
            if out is not None:
                save_features(out, relative, [files[i].parent.name for i in done],
                              [results[i] for i in done], params)
    except OSError as exc:
        raise click.ClickException(f"cannot write {exc.filename or out}: {exc.strerror or exc}")
    skipped_part = f"; skipped {counted(skipped, 'file')}" if skipped else ""
    if out is not None:
        click.echo(f"wrote {params.kind} features of {counted(len(done), 'file')} to {out}"
                   + skipped_part)
    else:
        click.echo(f"cached {params.kind} features of {counted(len(done), 'file')} in "
                   f"{cache_dir / params.key()}" + skipped_part)
    if plot is not None and not pictures.available():
        click.echo(pictures.SKIPPED, err=True)


def _compute_cached(files, root, params, cache_dir, scheduler, jobs):
    """:func:`tinymir.data.cache.cache_files` on the chosen engine, its lines printed."""
    try:
        with engine_for(scheduler, jobs) as engine:
            results, report = cache_files(files, root, params, cache_dir, scheduler=engine)
    except (DatasetError, OSError) as exc:
        raise click.ClickException(str(exc))
    for file, reason in report.skipped:
        click.echo(skipped_line(file, reason), err=True)
    click.echo(f"cache: {report.done} computed, {report.reused} reused, "
               f"{len(report.skipped)} skipped"
               + (f", {len(report.repaired)} corrupt entries recomputed" if report.repaired
                  else ""))
    return results, len(report.skipped)


def _check_plotting(kind):
    if kind in TRACK_KINDS:
        raise click.ClickException(f"--plot draws spectrogram-like features; --kind {kind} gives "
                                   "one row of numbers per file, nothing to draw")


class FeaturesGroup(click.Group):
    """``tinymir features PATH ...`` computes (as before); ``tinymir features invert ...``
    inverts: a first argument that is not a sub-command goes to ``compute``."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["compute", *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx, formatter):
        formatter.write_usage(ctx.command_path, "PATH [OPTIONS]  |  invert FILE --out WAV ...")

    def format_options(self, ctx, formatter):
        """``features --help`` shows the options of ``features PATH`` (--kind, --out, ...),
        then the sub-commands."""
        compute = self.commands["compute"]
        compute.format_options(click.Context(compute, info_name="compute", parent=ctx),
                               formatter)
        self.format_commands(ctx, formatter)


@click.command("invert")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The wav to write (several clips: OUT_000.wav, OUT_001.wav, ...).")
@click.option("--iterations", type=click.IntRange(min=1), default=32, show_default=True,
              help="Griffin-Lim iterations.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of Griffin-Lim's initial phases.")
def invert_command(file, out, iterations, seed):
    """Turn the mel / STFT / MFCC features of FILE (an .npz from `tinymir features` or
    `tinymir explain represent`) back into audio. The wav files are written only once every
    clip has been turned back; files already at --out are replaced then, not before."""
    try:
        params, paths = measure.invert_file(file, out, iterations, seed)
    except (ValueError, OSError, AudioError) as exc:
        raise click.ClickException(str(exc))
    click.echo(f"wrote {len(paths)} wav file{'s' * (len(paths) > 1)} from {params.kind} "
               f"features ({params.sr} Hz): {paths[0]}" + (" ..." if len(paths) > 1 else ""))


features_group = FeaturesGroup("features", help=features_command.help,
                               short_help="Compute features (or invert them: features invert).")
features_group.add_command(features_command, "compute")
features_group.add_command(invert_command)
