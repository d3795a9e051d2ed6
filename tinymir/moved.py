"""Names that moved keep working for a while: the old name warns and says where it went.

A module whose names moved sets ``__getattr__ = moved.names(__name__, {...})`` (Python calls a
module's ``__getattr__`` for a name it does not hold, PEP 562). Each use of an old name gives a
:class:`DeprecationWarning` naming the new place, and then the object itself, so scripts written
against the old layout keep running while they are updated.
"""
from __future__ import annotations

import importlib
import warnings


def names(old_module: str, new_places: dict[str, str]):
    """A module ``__getattr__`` for names that moved: ``new_places`` maps each old name to
    ``"package.module"`` (same name there) or ``"package.module:new_name"``."""

    def __getattr__(name: str):
        if name not in new_places:
            raise AttributeError(f"module {old_module!r} has no attribute {name!r}")
        module, _, new_name = new_places[name].partition(":")
        new_name = new_name or name
        warnings.warn(f"{old_module}.{name} moved to {module}.{new_name}",
                      DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(module), new_name)

    return __getattr__


def module(old_module: str, new_module: str):
    """A module ``__getattr__`` for a module that moved as a whole to ``new_module``: every name
    it had is looked up there, with a warning."""

    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        target = importlib.import_module(new_module)
        if not hasattr(target, name):
            raise AttributeError(f"module {old_module!r} has no attribute {name!r} "
                                 f"(it moved to {new_module})")
        warnings.warn(f"{old_module} moved to {new_module}: use {new_module}.{name}",
                      DeprecationWarning, stacklevel=2)
        return getattr(target, name)

    return __getattr__
