"""The package's modules import each other without circles, and no module takes another's private names.

Every import counts, top-level, inside functions and under TYPE_CHECKING alike: an import moved into a function
or behind TYPE_CHECKING to dodge a circle still ties the two modules together, so the walk reads each module's
whole syntax tree.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "netbuilder"
ROOT = PACKAGE.name


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module in the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _base(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute name `from <base> import ...` refers to."""
    if not node.level:
        return node.module or ""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def _owner(name: str) -> str | None:
    """The package module that defines `name` (the longest module prefix)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str, path: Path) -> list[tuple[str, str | None, int]]:
    """(imported module, name taken from it or None, line) for every import in the module, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (target := _owner(alias.name)) is not None:
                    found.append((target, None, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            base = _base(module, path, node)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in MODULES:  # `from . import x` names a module
                    found.append((submodule, None, node.lineno))
                elif (target := _owner(base)) is not None:
                    found.append((target, alias.name, node.lineno))
    return found


def _names_taken(module: str, path: Path) -> list[tuple[str, str, int]]:
    """(module, name, line) for every name this module takes from another: `from m import name`, and
    `m.name` where m is a package module it imported under that name."""
    taken = [(target, name, line) for target, name, line in _imports(module, path) if name is not None]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            bound.update({alias.asname: alias.name for alias in node.names if alias.asname and alias.name in MODULES})
        elif isinstance(node, ast.ImportFrom):
            base = _base(module, path, node)
            for alias in node.names:
                if f"{base}.{alias.name}" in MODULES:
                    bound[alias.asname or alias.name] = f"{base}.{alias.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound:
            taken.append((bound[node.value.id], node.attr, node.lineno))
    return taken


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for module, path in MODULES.items():
        for target, _, _ in _imports(module, path):
            if target != module and not module.startswith(target + "."):  # a package's own parent is no edge
                graph[module].add(target)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One concrete loop through the component's first module, for the failure message."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                return paths[node] + [start]
            if nxt not in paths:
                paths[nxt] = paths[node] + [nxt]
                queue.append(nxt)
    return component


def test_walker_sees_function_level_and_relative_imports(tmp_path):
    """The walk resolves `from . import x`, `from .m import y` and imports inside functions."""
    module = f"{ROOT}.core.graph"
    source = "from . import document\ndef f():\n    from .groups import Group\n    import netbuilder.core.plan\n"
    path = tmp_path / "graph.py"
    path.write_text(source, encoding="utf-8")
    found = {(target, name) for target, name, _ in _imports(module, path)}
    assert found == {
        (f"{ROOT}.core.document", None),
        (f"{ROOT}.core.groups", "Group"),
        (f"{ROOT}.core.plan", None),
    }


def test_private_names_are_seen_imported_and_through_a_module(tmp_path):
    module = f"{ROOT}.core.graph"
    source = "from . import document\nfrom .groups import _rank_in\ndocument._memo\n"
    path = tmp_path / "graph.py"
    path.write_text(source, encoding="utf-8")
    found = {(target, name) for target, name, _ in _names_taken(module, path)}
    assert found == {(f"{ROOT}.core.groups", "_rank_in"), (f"{ROOT}.core.document", "_memo")}


def test_circle_finder_reports_a_loop():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == [["a", "b", "c"]]
    assert _cycle(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]


def test_no_import_circles():
    graph = _graph()
    loops = [" -> ".join(_cycle(graph, component)) for component in _circles(graph)]
    assert not loops, "modules import each other in a circle:\n" + "\n".join(loops)


def test_no_private_names_across_modules():
    taken = [
        f"{path.relative_to(PACKAGE.parent)}:{line} takes {name} from {target}"
        for module, path in MODULES.items()
        for target, name, line in _names_taken(module, path)
        if target != module and name.startswith("_") and not name.startswith("__")
    ]
    assert not taken, "private names used outside their module:\n" + "\n".join(taken)


def test_function_level_imports_say_why():
    """An import inside a function is there for start-up time (torch, Optuna, Qt before a check) or a platform;
    its line says which, so one moved there to dodge a circle stands out."""
    silent = []
    for path in MODULES.values():
        lines = path.read_text(encoding="utf-8").splitlines()
        for function in ast.walk(ast.parse("\n".join(lines), str(path))):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    span = lines[node.lineno - 1 : (node.end_lineno or node.lineno)]
                    if not any("#" in line for line in span):
                        silent.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {span[0].strip()}")
    assert not silent, "imports inside functions that do not say why:\n" + "\n".join(sorted(set(silent)))


ROOM_MOST = 16  # modules in one folder of the package: past this, a newcomer cannot take a folder in at a glance


def test_no_folder_of_the_package_holds_more_modules_than_a_room_should():
    crowded = {}
    for folder in [PACKAGE, *(p for p in PACKAGE.rglob("*") if p.is_dir() and p.name != "__pycache__")]:
        modules = [p for p in folder.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
        if len(modules) > ROOM_MOST:
            crowded[str(folder.relative_to(PACKAGE.parent))] = len(modules)
    assert crowded == {}
