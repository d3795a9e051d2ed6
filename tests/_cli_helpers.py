"""Helpers shared by the command-line tests: run `tinymir` in-process, check a one-line
refusal, fingerprint a folder to prove a command left it as it was, and the small data set and
model the wrong-usage tests run on."""
import hashlib
from pathlib import Path

from click.testing import CliRunner

from tinymir.audio import synth
from tinymir.cli.main import main
from tinymir.train import run


def invoke(*args):
    """``tinymir ARGS...`` in this process (arguments turned into text); click's Result."""
    return CliRunner().invoke(main, [*map(str, args)])


def refused(result, *texts, exit_code: int = 1):
    """One clear line: exit status 1 (``exit_code``), click's error (not a crash), no
    traceback, and each of ``texts`` in stderr."""
    assert result.exit_code == exit_code, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for text in texts:
        assert text in result.stderr, result.stderr
    return result


def usage_error(result, *texts):
    """click's own refusal of an option: exit status 2, one Error line, no traceback."""
    return refused(result, *texts, exit_code=2)


def two_class_set(out, seed: int = 5):
    """Two classes, 8 synthetic clips of 1 s each, in ``out``."""
    synth.make_dataset(out, ("electronic", "classical"), per_class=8, seconds=1.0, seed=seed)
    return out


def tiny_model(data, out, seed: int = 1):
    """A cnn3 trained for one epoch on ``data`` (0.5 s segments) into ``out``: its model file."""
    run.train(run.TrainConfig(arch="cnn3", data=str(data), out=str(out), segment=0.5,
                              overlap=0.5, epochs=1, batch_size=4, seed=seed, cache=None),
              progress=False)
    return out / "model.npz"


def tree_digest(path) -> dict[str, str]:
    """Every file and folder under ``path`` (``path`` itself as ``.``) -> the SHA-256 of its
    bytes, or ``"<dir>"``: equal digests before and after mean nothing was added, removed or
    changed. A missing ``path`` gives ``{}``."""
    root = Path(path)
    if not root.exists():
        return {}
    if root.is_file():
        return {".": hashlib.sha256(root.read_bytes()).hexdigest()}
    digest = {".": "<dir>"}
    for item in sorted(root.rglob("*")):
        key = item.relative_to(root).as_posix()
        digest[key] = "<dir>" if item.is_dir() else hashlib.sha256(item.read_bytes()).hexdigest()
    return digest
