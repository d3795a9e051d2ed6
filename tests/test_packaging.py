"""The installed package holds every subpackage: setup.cfg lists packages by name, and an
editable install (what the tests run on) would hide a missing one that ``pip install .`` drops."""
import configparser
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_setup_cfg_lists_every_subpackage():
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    listed = set(config["options"]["packages"].split())
    on_disk = {".".join(init.parent.relative_to(REPO).parts)
               for init in (REPO / "tinymir").rglob("__init__.py")}
    assert on_disk - listed == set(), "add these to setup.cfg [options] packages"
    assert listed - on_disk == set(), "these listed packages have no folder"
