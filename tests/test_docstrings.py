"""Public functions document their parameters: every module-level function and method of the
library (commands aside: their options are their --help) with more than three parameters has a
numpydoc "Parameters" section, and every public module says what it is."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tinymir"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "cli" not in p.relative_to(PACKAGE).parts)


def public_functions(tree: ast.Module):
    """Module-level functions and methods of module-level classes (nested helpers aside)."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    yield f"{node.name}.{item.name}", item


def parameter_count(function: ast.FunctionDef) -> int:
    args = function.args
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    return len([name for name in names if name not in ("self", "cls")])


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_functions_with_many_parameters_document_each(path):
    tree = ast.parse(path.read_text())
    undocumented = [name for name, function in public_functions(tree)
                    if not name.split(".")[-1].startswith("_") and parameter_count(function) > 3
                    and "Parameters" not in (ast.get_docstring(function) or "")]
    assert not undocumented, f"{path.relative_to(PACKAGE)}: add a Parameters section to " \
                             f"{', '.join(undocumented)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_module_says_what_it_is(path):
    assert ast.get_docstring(ast.parse(path.read_text())), f"{path}: no module docstring"
