"""The window opens inside its screen: a saved geometry that does not fit the screen now (a smaller screen, a
larger QT_SCALE_FACTOR) is not restored, nor the dock layout saved with it; the default size is bounded by the
screen, and the docks then do not overlap."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QRect

from netbuilder.ui.app.window_place import DECORATION

SCREEN = Path(__file__).parents[1] / "offscreen_screen.json"  # 1600×1000
SHOW = """
import json
from netbuilder.core.presets import load_preset
from netbuilder.ui.app.app import application
from netbuilder.ui.app.main_window import MainWindow

app = application()
window = MainWindow(load_preset("vgg_cifar"))
window.show()
for _ in range(5):
    app.processEvents()
docks = [window.palette_dock, window.inspector_dock, window.training_dock]
print(json.dumps({
    "screen": window.screen().availableGeometry().getRect(),
    "window": window.frameGeometry().getRect(),
    "size": window.size().toTuple(),
    "minimum": window.minimumSizeHint().toTuple(),
    "docks": [d.geometry().getRect() for d in docks if d.isVisible()],
    "canvas": window.view.geometry().getRect(),
}))
window.editor.undo_stack.setClean()
window.close()
"""


def overlapping(rects: list[tuple[int, int, int, int]]) -> list[tuple]:
    return [(a, b) for i, a in enumerate(rects) for b in rects[i + 1 :] if QRect(*a).intersects(QRect(*b))]


def test_a_saved_window_larger_than_the_screen_opens_at_the_default_size(make_window):
    window = make_window()
    window.resize(3000, 1900)  # saved from a larger screen
    window.editor.undo_stack.setClean()
    window.close()
    again = make_window()
    available = again.screen().availableGeometry()
    assert available.contains(again.geometry()), (again.geometry(), available)
    assert again.size().toTuple() == (1500, 950)  # the default, which fits this 1600×1000 screen


def test_a_saved_window_that_fits_comes_back(make_window):
    window = make_window()
    window.setGeometry(40, 30, 1200, 800)
    window.editor.undo_stack.setClean()
    window.close()
    again = make_window()
    assert again.geometry().getRect() == (40, 30, 1200, 800)


def show_window(scale: str) -> dict:
    env = os.environ | {"QT_QPA_PLATFORM": f"offscreen:configfile={SCREEN}", "QT_SCALE_FACTOR": scale}
    proc = subprocess.run([sys.executable, "-c", SHOW], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_with_qt_scale_factor_2_the_window_fits_the_screen_and_its_docks_do_not_overlap():
    first = show_window("1")  # saves its 1500×950 geometry and dock layout on close
    assert first["size"] == [1500, 950]
    palette, inspector, training = (QRect(*r) for r in first["docks"])
    assert palette.right() < training.left() and training.right() < inspector.left()  # room: training between
    shown = show_window("2")  # the same 1600×1000 screen is 800×500 logical pixels
    screen = QRect(*shown["screen"])
    assert screen == QRect(0, 0, 800, 500)
    assert screen.contains(QRect(*shown["window"])), shown  # the whole frame on the screen, none of it off
    assert shown["minimum"][0] <= 800 - DECORATION.width() and shown["minimum"][1] <= 500 - DECORATION.height()
    # Too narrow for three docks side by side: training spans the window under the palette, canvas and inspector.
    palette, inspector, training = (QRect(*r) for r in shown["docks"])
    assert training.width() == shown["size"][0] and training.top() > max(palette.bottom(), inspector.bottom())
    canvas = QRect(*shown["canvas"])  # the central widget, in the same (window) coordinates as the docks
    assert overlapping([*shown["docks"], shown["canvas"]]) == []
    assert canvas.width() >= 200 and canvas.height() >= 120, shown  # a canvas to build on, not a sliver
    again = show_window("1")  # the 784×452 window saved there fits here: restored, with the side docks' corners
    palette, inspector, training = (QRect(*r) for r in again["docks"])
    assert palette.right() < training.left() and training.right() < inspector.left(), again
