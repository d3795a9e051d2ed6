"""Helpers shared by the command-line tests: run `tinymir` in-process, check a one-line
refusal, and fingerprint a folder to prove a command left it as it was."""
import hashlib
from pathlib import Path

from click.testing import CliRunner

from tinymir.cli.main import main


def invoke(*args):
    """``tinymir ARGS...`` in this process (arguments turned into text); click's Result."""
    return CliRunner().invoke(main, [*map(str, args)])


def refused(result, *texts):
    """One clear line: exit status 1, click's error (not a crash), no traceback, and each of
    ``texts`` in stderr."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for text in texts:
        assert text in result.stderr, result.stderr
    return result


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
