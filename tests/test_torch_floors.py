"""The two torch floors: train/ builds networks with pytorch/, so nothing under pytorch/ imports train/ (not
even inside a function, where an import hides from a check that only loads modules)."""

import ast
from pathlib import Path

import netbuilder

ROOT = Path(netbuilder.__file__).parent


def imported_names(source: str, package: str) -> set[str]:
    """Every module an import statement anywhere in source names (relative imports resolved from package;
    for `from package import name`, package.name too, since name may be a module)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(filter(None, [base, node.module]))
            names.add(module)
            names.update(f"{module}.{a.name}" for a in node.names)
    return names


def train_imports(path: Path) -> list[str]:
    package = ".".join(path.relative_to(ROOT.parent).parts[:-1])
    return sorted(
        n
        for n in imported_names(path.read_text(encoding="utf-8"), package)
        if n == "netbuilder.train" or n.startswith("netbuilder.train.")
    )


def test_nothing_under_pytorch_imports_train():
    modules = sorted((ROOT / "pytorch").rglob("*.py"))
    assert len(modules) >= 6
    assert {p.name: train_imports(p) for p in modules if train_imports(p)} == {}


def test_the_check_sees_imports_inside_functions():
    source = "def f():\n    from netbuilder.train.runs import Run\n    from .. import train\n"
    assert imported_names(source, "netbuilder.pytorch") >= {"netbuilder.train.runs", "netbuilder.train"}
