"""The import graph of the ``bench`` package has no cycle, counting imports made inside functions.

Every ``import``/``from ... import`` statement of every module is an edge,
wherever it stands: at module level, inside a function (the lazy imports that
keep torch and matplotlib out of a light run), or under ``try``. Imports under
``if TYPE_CHECKING:`` are left out: they never run, so they cannot make
modules wait on each other, and annotations are the one place two modules may
legitimately name each other's types. A package's ``__init__`` is its own
node (``bench.report``), and ``from bench.x import y`` where ``y`` is a
submodule is an edge to ``bench.x.y`` (plus one to ``bench.x``, whose
``__init__`` runs first).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

import bench

PACKAGE = "bench"


def _modules(root: Path, package: str) -> dict[str, Path]:
    """Module name -> source file, for every ``.py`` file under ``root`` (the package folder)."""
    out: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join([package, *parts])] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in ``tree``, at any depth, except the body of ``if TYPE_CHECKING:``."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The module a ``from`` import names, with relative imports resolved against ``module``."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph(root: Path, package: str = PACKAGE) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (see the module docstring for what counts)."""
    modules = _modules(root, package)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                target = _absolute(node, name, is_package)
                targets = [target] + [f"{target}.{alias.name}" for alias in node.names]
            for t in targets:
                if t in modules and t != name:
                    graph[name].add(t)
    return graph


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, ..., a]``, or None when it has none (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for start in sorted(graph):
        if state.get(start):
            continue
        path = [start]
        children = [iter(sorted(graph[start]))]
        state[start] = 1
        while children:
            nxt = next(children[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                children.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                children.append(iter(sorted(graph.get(nxt, ()))))
    return None


def test_the_bench_package_has_no_import_cycle() -> None:
    graph = import_graph(Path(bench.__file__).parent)
    assert "bench.pipeline" in graph and "bench.report.build" in graph, "the walk found the package's modules"
    assert "bench.report" in graph["bench.report.build"], "a package __init__ is a node of its own"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_find_cycle_reports_a_planted_cycle_and_accepts_a_tree() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


def _package(tmp_path: Path, files: Mapping[str, str]) -> Path:
    root = tmp_path / "pkg"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_a_function_level_import_cycle_in_a_package_is_found(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "def f():\n    from pkg.sub import b\n    return b\n",
            "sub/__init__.py": "",
            "sub/b.py": "from .. import a\n",
        },
    )
    graph = import_graph(root, "pkg")
    assert graph["pkg.a"] == {"pkg.sub", "pkg.sub.b"}, "`from pkg.sub import b` names the submodule"
    assert graph["pkg.sub.b"] == {"pkg", "pkg.a"}, "a relative import is resolved"
    assert find_cycle(graph) == ["pkg.a", "pkg.sub.b", "pkg.a"]


@pytest.mark.parametrize("guard", ["TYPE_CHECKING", "typing.TYPE_CHECKING"])
def test_type_checking_imports_are_not_edges(tmp_path: Path, guard: str) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "import pkg.b\n",
            "b.py": f"import typing\nfrom typing import TYPE_CHECKING\nif {guard}:\n    from pkg import a\n",
        },
    )
    graph = import_graph(root, "pkg")
    assert graph["pkg.b"] == set() and find_cycle(graph) is None
