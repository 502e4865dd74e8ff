"""Issue 21 §3: the main window assembles and does not edit. It stays under 400 lines, and the canvas controller that
edits stands apart from the application room: it imports nothing from netbuilder.ui.app."""

from __future__ import annotations

import ast
from pathlib import Path

import netbuilder.ui

UI = Path(netbuilder.ui.__file__).parent
MAX_LINES = 400


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top, inside functions or under TYPE_CHECKING (absolute names; a name
    taken `from` a package counts as its module too: `from netbuilder.ui import app`)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name} imports relatively"
            names.update([node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names])
    return names


def test_the_main_window_stays_under_400_lines():
    lines = len((UI / "app" / "main_window.py").read_text().splitlines())
    assert lines < MAX_LINES, f"main_window.py has {lines} lines: move what is not assembling into its own module"


def test_the_canvas_controller_does_not_import_the_application_room():
    imported = imported_modules(UI / "canvas" / "controller.py")
    assert "netbuilder.ui.canvas.undo" in imported  # the walk sees its imports
    reaching = sorted(m for m in imported if m == "netbuilder.ui.app" or m.startswith("netbuilder.ui.app."))
    assert reaching == [], f"canvas/controller.py imports {reaching}"
