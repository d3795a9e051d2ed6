"""The names CuPy has, for the stand-in to refuse the others.

``tests/cupy_standin/names_cupy13.txt`` and ``names_cupy14.txt`` list, per namespace, the
public names every release of CuPy 13 and of CuPy 14 has, read from CuPy's source by
``tests/cupy_standin/make_names.py`` (its docstring says how to regenerate them). tinymir
supports both majors, so the stand-in offers their intersection: a name one of them lacks is an
AttributeError here, as it would be on a machine with that CuPy.
"""
from __future__ import annotations

from pathlib import Path

LISTS = Path(__file__).resolve().parents[1]
EMULATED = (13, 14)


def _read(major: int) -> dict[str, set]:
    names: dict[str, set] = {}
    for line in (LISTS / f"names_cupy{major}.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            namespace, name = line.split()
            names.setdefault(namespace, set()).add(name)
    return names


def _common() -> dict[str, frozenset]:
    per_major = [_read(major) for major in EMULATED]
    return {namespace: frozenset(set.intersection(*(m.get(namespace, set()) for m in per_major)))
            for namespace in per_major[0]}


NAMES = _common()


def has(namespace: str, name: str) -> bool:
    return name in NAMES[namespace]


def check(namespace: str, name: str) -> None:
    """Raise AttributeError unless both CuPy 13 and CuPy 14 have ``namespace.name``."""
    if not has(namespace, name):
        raise AttributeError(
            f"{namespace!r} has no attribute {name!r} in CuPy 13 or 14 (the CuPy stand-in "
            f"offers only the names both have: tests/cupy_standin/names_cupy13.txt, _14.txt)")
