"""The folder order audio -> features -> data -> (nn -> models | classic) -> train -> predict ->
(explain | export) -> cli: no module imports from a folder later in that chain (imports inside
functions included), and the top-level modules (backend, metrics, ...) import from no folder at
all."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tinymir"

# A folder may import from the folders listed for it (and from itself and the top level).
ALLOWED = {
    "audio": set(),
    "features": {"audio"},
    "data": {"audio", "features"},
    "nn": {"audio", "features", "data"},
    "models": {"audio", "features", "data", "nn"},
    "classic": {"audio", "features", "data"},
    "train": {"audio", "features", "data", "nn", "models", "classic"},
    "predict": {"audio", "features", "data", "nn", "models", "classic", "train"},
    "explain": {"audio", "features", "data", "nn", "models", "classic", "train", "predict"},
    "export": {"audio", "features", "data", "nn", "models", "classic", "train", "predict"},
    "cli": {"audio", "features", "data", "nn", "models", "classic", "train", "predict",
            "explain", "export"},
}
#: The package's two doors reach the top: ``tinymir.load_model`` (a Predictor, imported when
#: called) and ``python -m tinymir`` (the command line).
DOORS = {PACKAGE / "__init__.py": {"predict"}, PACKAGE / "__main__.py": {"cli"}}
FOLDERS = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()}


def _module_name(path: Path) -> list[str]:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def imported_modules(path: Path):
    """Absolute dotted names of every module ``path`` imports, with line numbers."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module[:-1]
    yield from _imports(path.read_text(), package)


def _imports(source: str, package: list[str]):
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            yield node.lineno, target
            for alias in node.names:        # "from tinymir import train" names a folder
                yield node.lineno, f"{target}.{alias.name}"


def _folder(dotted: str) -> str | None:
    parts = dotted.split(".")
    if parts[0] != "tinymir" or len(parts) < 2 or parts[1] not in FOLDERS | set(ALLOWED):
        return None
    return parts[1]


def test_every_folder_has_a_place_in_the_order():
    missing = FOLDERS - set(ALLOWED)
    assert not missing, f"folders without a place in the order: {missing}"


def test_the_resolver_sees_relative_nested_and_folder_imports():
    source = ("from ..train import loop\nfrom . import trees\nfrom tinymir import nn\n"
              "def f():\n    import tinymir.explain.saliency\n")
    folders = {_folder(name) for _, name in _imports(source, ["tinymir", "classic"])}
    assert folders == {"train", "classic", "nn", "explain", None}


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_import_against_the_folder_order(path):
    here = _folder(".".join(_module_name(path)))
    allowed = ALLOWED.get(here, set()) | ({here} if here else set()) | DOORS.get(path, set())
    wrong = [f"line {line}: {name}" for line, name in imported_modules(path)
             if _folder(name) is not None and _folder(name) not in allowed]
    assert not wrong, f"{path.relative_to(PACKAGE)} imports against the folder order: {wrong}"
