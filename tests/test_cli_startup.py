"""The command line's shape: `tinymir --help` imports no command, each command's one-line help
is its own, an option shared by commands has one spelling, and `features --help` shows the
options of `features PATH`. (How long `--help` takes is measured in bench/bench_cli_startup.py,
not here.)"""
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tinymir.cli.main import COMMANDS, main

#: Options whose Python names agree but whose meanings differ, so their spellings may too.
MEANINGS_DIFFER = {"classes": "archs/synth --classes is a count or list of classes; "
                              "explain --class picks the class to explain"}


def test_help_imports_no_command_and_not_the_library():
    code = ("import sys\nfrom tinymir.cli.main import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "loaded = [m for m in sys.modules if m.startswith(('scipy', 'tinymir.train', "
            "'tinymir.features', 'tinymir.predict', 'tinymir.cli.train', 'tinymir.cli.options',"
            " 'matplotlib'))]\n"
            "print('LOADED', loaded)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "LOADED []" in done.stdout, done.stdout[-2000:]
    for name in COMMANDS:
        assert f"\n  {name} " in done.stdout


def test_python_dash_m_runs_the_same_command_line_from_a_plain_checkout(tmp_path):
    """``python -m tinymir`` works from the checkout's root without an install of the package."""
    repo = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-m", "tinymir", "--version"], cwd=repo,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("tinymir, version ")
    refused = subprocess.run([sys.executable, "-m", "tinymir", "no-such-command"], cwd=repo,
                             capture_output=True, text=True)
    assert refused.returncode == 2 and "Usage: tinymir" in refused.stderr


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_commands_line_in_the_list_is_its_own(name):
    command = main.get_command(click.Context(main), name)
    assert command.name == name
    assert command.get_short_help_str(limit=1000) == COMMANDS[name][2]


def _options(command, path, found):
    if isinstance(command, click.Group):
        for name in command.list_commands(click.Context(command)):
            _options(command.get_command(click.Context(command), name), path + [name], found)
        return
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            found.setdefault(param.name, set()).add(tuple(param.opts))


def test_an_option_shared_by_commands_has_one_spelling():
    found = {}
    _options(main, [], found)
    differing = {name: spellings for name, spellings in found.items()
                 if len(spellings) > 1 and name not in MEANINGS_DIFFER}
    assert not differing, differing


def test_features_help_shows_the_options_of_features_path_and_hop_keeps_its_old_spelling(
        tmp_path):
    shown = CliRunner().invoke(main, ["features", "--help"])
    assert shown.exit_code == 0
    for option in ("--kind", "--out", "--hop-length", "--plot", "invert"):
        assert option in shown.output
    assert "--hop " not in shown.output                        # the alias stays hidden
    from tinymir.audio import synth
    synth.make_dataset(tmp_path / "set", ("rock",), per_class=1, seconds=1.0)
    outputs = []
    for spelling in ("--hop-length", "--hop"):
        out = tmp_path / f"{spelling.strip('-')}.npz"
        done = CliRunner().invoke(main, ["features", str(tmp_path / "set"), spelling, "256",
                                         "--out", str(out)])
        assert done.exit_code == 0, done.output
        outputs.append(out.read_bytes())
    import io

    import numpy as np
    first, second = (np.load(io.BytesIO(data)) for data in outputs)
    assert first["features"].shape == second["features"].shape
    assert first["features"].shape[-1] == 1 + 22050 // 256
