"""Write the public names of CuPy's namespaces, read statically from CuPy's source, for the
CuPy stand-in (it refuses every name outside them).

Usage, with a clone (bare is fine) of https://github.com/cupy/cupy::

    python tests/cupy_standin/make_names.py CUPY_GIT_DIR 13 > tests/cupy_standin/names_cupy13.txt
    python tests/cupy_standin/make_names.py CUPY_GIT_DIR 14 > tests/cupy_standin/names_cupy14.txt

For a major version (13, 14) it reads every release tag of that series (``vMAJOR.x.y``, no
alpha, beta or rc) and writes the names that *every* one of them has, one ``module name`` pair a
line, e.g. ``cupyx.scipy.signal savgol_filter``. Nothing is imported or built: the
``__init__.py`` of each module is parsed with :mod:`ast` (``git show TAG:path``) and a name is
public when a module-level statement binds it (``def``, ``class``, assignment, ``import``,
``from ... import``, both branches of ``if``/``try``), it does not start with ``_``, and for
``from M import *`` the names M binds (its ``__all__`` when it has one). Names a module's
``__getattr__`` answers (string constants it compares its argument with, members of a
module-level list it tests ``in``) count too; subpackages a module imports from count as
attributes. ``cupy.ndarray`` and ``cupy.random.Generator`` live in Cython files that ``ast``
cannot read: their members are the ``def``/``cpdef``/``property`` lines indented once under the
class, and the ``readonly``/``public`` attributes of its ``.pxd`` declaration.
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys

#: (namespace, the file that defines it); a ``.pyx`` path with ``:Class`` lists a class's methods
NAMESPACES = [
    ("cupy", "cupy/__init__.py"),
    ("cupy.ndarray", "cupy/_core/core.pyx:_ndarray_base,ndarray"),
    ("cupy.fft", "cupy/fft/__init__.py"),
    ("cupy.linalg", "cupy/linalg/__init__.py"),
    ("cupy.random", "cupy/random/__init__.py"),
    ("cupy.random.Generator", "cupy/random/_generator_api.pyx:Generator"),
    ("cupyx.scipy.fft", "cupyx/scipy/fft/__init__.py"),
    ("cupyx.scipy.signal", "cupyx/scipy/signal/__init__.py"),
    ("cupyx.scipy.sparse", "cupyx/scipy/sparse/__init__.py"),
    ("cupyx.scipy.special", "cupyx/scipy/special/__init__.py"),
    ("cupyx.scipy.ndimage", "cupyx/scipy/ndimage/__init__.py"),
]
RELEASE = re.compile(r"^v(\d+)\.\d+\.\d+$")


def git(git_dir: str, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", git_dir, *args], check=True,
                          capture_output=True, text=True).stdout


def releases(git_dir: str, major: int) -> list[str]:
    """The release tags of a major version, oldest first."""
    tags = [t for t in git(git_dir, "tag").split() if (m := RELEASE.match(t))
            and int(m.group(1)) == major]
    return sorted(tags, key=lambda t: tuple(int(p) for p in t[1:].split(".")))


class Source:
    """The files of one tag."""

    def __init__(self, git_dir: str, tag: str):
        self.git_dir, self.tag = git_dir, tag
        self.files = set(git(git_dir, "ls-tree", "-r", "--name-only", tag).split())

    def read(self, path: str) -> str:
        return git(self.git_dir, "show", f"{self.tag}:{path}")

    def module_file(self, dotted: str) -> str | None:
        base = dotted.replace(".", "/")
        for path in (f"{base}/__init__.py", f"{base}.py"):
            if path in self.files:
                return path
        return None


def _bound(stmts, package: str, source: Source, names: set, getattr_defs: list) -> None:
    """Add the names that module-level ``stmts`` bind."""
    for node in stmts:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            if node.name == "__getattr__":
                getattr_defs.append(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            origin = _absolute(node, package)
            _subpackage(origin, package, names)
            for alias in node.names:
                if alias.name == "*":
                    names.update(_star(origin, source))
                else:
                    names.add(alias.asname or alias.name)
        elif isinstance(node, ast.If):
            _bound(node.body, package, source, names, getattr_defs)
            _bound(node.orelse, package, source, names, getattr_defs)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody,
                          *(h.body for h in node.handlers)):
                _bound(block, package, source, names, getattr_defs)
        elif isinstance(node, ast.With):
            _bound(node.body, package, source, names, getattr_defs)


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join(parts + ([node.module] if node.module else []))


def _subpackage(origin: str, package: str, names: set) -> None:
    """``from cupy.lib._x import y`` inside ``cupy`` makes ``cupy.lib`` an attribute."""
    if origin.startswith(package + "."):
        names.add(origin[len(package) + 1:].split(".")[0])


def _star(origin: str, source: Source) -> set:
    path = source.module_file(origin)
    if path is None:
        raise SystemExit(f"{source.tag}: cannot find {origin} for 'import *'")
    tree = ast.parse(source.read(path))
    for node in tree.body:                      # a literal __all__ decides
        if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__"
                                                 for t in node.targets)):
            return set(ast.literal_eval(node.value))
    names: set = set()
    _bound(tree.body, origin, source, names, [])
    return {n for n in names if not n.startswith("_")}


def _from_getattr(func: ast.FunctionDef, tree: ast.Module) -> set:
    """Names a module ``__getattr__`` answers: ``if key == 'Name'`` and ``if name in LIST``."""
    lists = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.List, ast.Tuple, ast.Set)):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    lists[target.id] = {e.value for e in node.value.elts
                                        if isinstance(e, ast.Constant)}
    arg = func.args.args[0].arg
    found = set()
    for node in ast.walk(func):
        if not (isinstance(node, ast.Compare) and isinstance(node.left, ast.Name)
                and node.left.id == arg):
            continue
        for op, right in zip(node.ops, node.comparators):
            if isinstance(op, ast.Eq) and isinstance(right, ast.Constant):
                found.add(right.value)
            elif isinstance(op, ast.In) and isinstance(right, ast.Name):
                found |= lists.get(right.id, set())
    return found


def module_names(source: Source, dotted: str, path: str) -> set:
    if ".pyx:" in path:
        return _pyx_members(source, path)
    tree = ast.parse(source.read(path))
    names: set = set()
    getattr_defs: list = []
    _bound(tree.body, dotted, source, names, getattr_defs)
    for func in getattr_defs:
        names |= _from_getattr(func, tree)
    return {n for n in names if not n.startswith("_")}


def _pyx_members(source: Source, path: str) -> set:
    """The public members of the classes ``path`` names (``file.pyx:ClassA,ClassB``) in a
    Cython file: ``def``/``cpdef`` methods and ``property`` blocks indented once, and the
    ``readonly``/``public`` attributes the class declares in the ``.pxd`` beside it."""
    pyx, classes = path.split(":")
    pxd = pyx[:-4] + ".pxd"
    texts = [source.read(pyx)] + ([source.read(pxd)] if pxd in source.files else [])
    members: set = set()
    for cls in classes.split(","):
        bodies = [m.group(1) for text in texts for m in re.finditer(
            rf"^(?:cdef )?class {cls}\b.*?:\n(.*?)(?=^\S|\Z)", text, re.MULTILINE | re.DOTALL)]
        if not bodies:
            raise SystemExit(f"{source.tag}: class {cls} not found in {pyx}")
        for body in bodies:
            members.update(re.findall(r"^    c?p?def\s+(?:[\w.]+\s+)?(\w+)\s*\(", body,
                                      re.MULTILINE))
            members.update(re.findall(r"^    property\s+(\w+)\s*:", body, re.MULTILINE))
            members.update(re.findall(r"^        (?:readonly|public)\s+[\w.]+\s+(\w+)\s*$",
                                      body, re.MULTILINE))
    return {m for m in members if not m.startswith("_")}


def series_names(git_dir: str, major: int) -> tuple[list[str], dict[str, set]]:
    tags = releases(git_dir, major)
    if not tags:
        raise SystemExit(f"no release tag v{major}.x.y in {git_dir}")
    common: dict[str, set] = {}
    for tag in tags:
        source = Source(git_dir, tag)
        for dotted, path in NAMESPACES:
            names = module_names(source, dotted, path)
            common[dotted] = names if dotted not in common else common[dotted] & names
    return tags, common


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[1].isdigit():
        print("usage: make_names.py CUPY_GIT_DIR MAJOR   (e.g. 13)", file=sys.stderr)
        return 2
    tags, common = series_names(argv[0], int(argv[1]))
    print(f"# Public names of CuPy {argv[1]}: those every release has ({', '.join(tags)}).")
    print("# Made by tests/cupy_standin/make_names.py from github.com/cupy/cupy; "
          "do not edit by hand.")
    for dotted, _ in NAMESPACES:
        for name in sorted(common[dotted]):
            print(dotted, name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
