"""Every pane fits the space it is given, at the default window size and at 1280×800: no visible widget smaller
than it needs, no label whose text runs past its edge, no plot axis outside the visible area, and no scroll
bar where a pane has room to fit."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QProgressBar,
    QScrollArea,
    QSizePolicy,
    QTabBar,
    QToolButton,
    QWidget,
)

SIZES = [(1500, 950), (1280, 800), (1264, 752)]  # the last: the default window on a 1280×800 screen


def _ignored(policy: QSizePolicy.Policy) -> bool:
    return policy == QSizePolicy.Policy.Ignored


def _inner(w: QWidget) -> bool:
    """A part of a composite widget (a spin box's line edit, a tab bar's scroll arrows), which sizes it itself."""
    parent = w.parentWidget()
    return w.objectName().startswith("qt_") or isinstance(
        parent, (QAbstractScrollArea, QTabBar, QAbstractSpinBox, QComboBox)
    )


def tabs_cut(bar: QTabBar) -> list[str]:
    """Every tab's whole name in view: no scroll arrows, no tab outside the bar, none elided."""
    problems = []
    if any(b.isVisible() for b in bar.findChildren(QToolButton)):
        problems.append(f"tab bar {bar.tabText(0)!r}… shows its scroll arrows")
    for i in range(bar.count()):
        text, rect = bar.tabText(i), bar.tabRect(i)
        if not bar.rect().contains(rect):
            problems.append(f"tab {text!r} at {rect.getRect()} outside its bar {bar.rect().getRect()}")
        if rect.width() < bar.fontMetrics().horizontalAdvance(text) + 8:
            problems.append(f"tab {text!r} elided in {rect.width()} px")
    return problems


def clipped(root: QWidget) -> list[str]:
    """What is cut off among root's visible descendants, one line each."""
    problems = []
    for w in root.findChildren(QWidget):
        if not w.isVisibleTo(root) or w.isWindow():
            continue
        if isinstance(w, QTabBar):  # a tab widget's own bar (named qt_tabwidget_tabbar) too
            problems += tabs_cut(w)
        if _inner(w):
            continue
        name = f"{type(w).__name__}({w.objectName() or getattr(w, 'text', lambda: '')()!r:.40})"
        need, policy = w.minimumSizeHint(), w.sizePolicy()
        fixed_w, fixed_h = w.minimumWidth() == w.maximumWidth(), w.minimumHeight() == w.maximumHeight()
        floor_w = w.minimumWidth() if fixed_w or _ignored(policy.horizontalPolicy()) else need.width()
        floor_h = w.minimumHeight() if fixed_h or _ignored(policy.verticalPolicy()) else need.height()
        if isinstance(w, QLabel) and w.wordWrap():
            floor_w = w.minimumWidth()  # a wrapping label's width is free; its height is checked below
        if w.width() < floor_w or w.height() < floor_h:
            problems.append(f"{name} is {w.width()}×{w.height()}, needs {floor_w}×{floor_h}")
        if isinstance(w, QLabel) and w.text() and w.textFormat() != Qt.TextFormat.RichText and w.pixmap().isNull():
            room = w.contentsRect().adjusted(w.margin(), w.margin(), -w.margin(), -w.margin())
            if w.wordWrap():
                if w.heightForWidth(w.width()) > w.height():
                    problems.append(f"{name} wraps to {w.heightForWidth(w.width())} px in {w.height()}")
            else:
                widest = max(w.fontMetrics().horizontalAdvance(line) for line in w.text().splitlines() or [""])
                if widest > room.width() + 1:
                    problems.append(f"{name} text is {widest} px wide in {room.width()}")
        if isinstance(w, QProgressBar) and w.isTextVisible() and w.text():
            if w.fontMetrics().horizontalAdvance(w.text()) > w.width() - 8:
                problems.append(f"progress text {w.text()!r} overflows its {w.width()} px bar")
    return problems


def no_scrollbars(area: QAbstractScrollArea) -> list[str]:
    shown = [
        s
        for s, bar in (("horizontal", area.horizontalScrollBar()), ("vertical", area.verticalScrollBar()))
        if bar.isVisible() and bar.maximum() > 0
    ]
    return [f"{type(area).__name__} shows its {s} scroll bar" for s in shown]


def seen_part(widget: QWidget) -> QRect:
    """The part of widget (in its coordinates) not cut off by any widget it lies in."""
    rect, w = widget.rect(), widget
    while w.parentWidget() is not None and not w.isWindow():
        rect = rect.translated(w.pos()).intersected(w.parentWidget().rect())
        w = w.parentWidget()
    return rect.translated(-widget.mapTo(w, widget.rect().topLeft()))


def axes_outside(plot) -> list[str]:
    """A plot's bottom and left axes (their ticks and label) lie inside the part of the plot a person sees."""
    seen = seen_part(plot)
    out = []
    for side in ("bottom", "left"):
        axis = plot.getAxis(side)
        rect = plot.mapFromScene(axis.parentItem().mapRectToScene(axis.geometry())).boundingRect()
        if not seen.contains(rect.adjusted(1, 1, -1, -1)):
            out.append(f"{plot.getAxis('left').labelText}: {side} axis at {rect} outside {seen}")
    return out


@pytest.fixture(params=SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def window(request, make_window, qtbot):
    window = make_window("seed_cnn")
    window.resize(*request.param)
    qtbot.waitUntil(lambda: window.size().toTuple() == request.param)
    qtbot.wait(50)
    return window


def _settle(qtbot):
    qtbot.wait(60)


def test_every_training_tab_fits(window, qtbot):
    tabs = window.training.tabs
    problems = []
    for i in range(tabs.count()):
        tabs.setCurrentIndex(i)
        _settle(qtbot)
        problems += [f"{tabs.tabText(i)}: {p}" for p in clipped(window.training_dock)]
        page = tabs.widget(i)
        if isinstance(page, QScrollArea):
            problems += [f"{tabs.tabText(i)}: {p}" for p in no_scrollbars(page) if "horizontal" in p]
    tabs.setCurrentWidget(window.training.curves)
    _settle(qtbot)
    curves = window.training.curves
    problems += [f"Curves: {p}" for p in no_scrollbars(tabs.widget(0))]
    for plot in (curves.loss, curves.accuracy, curves.lr):
        problems += axes_outside(plot)
    assert not problems, "\n".join(problems)


def test_the_progress_text_never_overflows_its_bar(window, qtbot, monkeypatch):
    from netbuilder.records.events import BatchMetrics
    from netbuilder.records.lr_results import LRProgress

    dock = window.training
    monkeypatch.setattr(dock, "running", lambda: True)  # as while a run trains: the poll shows its newest batch
    dock.epochs, dock.latest_elapsed = 30, 95.0
    dock.latest = BatchMetrics(3, 120, 196, 2.31, 0.42, 0.1, 24_000.0)
    dock._show_progress()
    assert dock.progress.text().startswith("epoch 3/30 · ") and "ETA " in dock.progress.text()
    assert not [p for p in clipped(dock) if "progress" in p]
    monkeypatch.undo()  # before the window closes (it would ask whether to stop the run)
    dock.controller.lr_progress.emit(LRProgress(40, 100, 1.2e-3, 2.301))
    assert "step 40/100" in dock.progress.text()
    assert not [p for p in clipped(dock) if "progress" in p]


def test_the_runs_header_is_one_line_and_its_buttons_whole(window, qtbot):
    runs = window.training.runs
    window.training.tabs.setCurrentWidget(runs)
    _settle(qtbot)
    assert runs.note.height() < 2 * runs.note.fontMetrics().height()
    assert runs.note.text() == "Tick runs to overlay their curves." and str(runs.root) in runs.note.toolTip()
    assert not clipped(runs)


def _menu_action(window, key):
    action = window.installed.actions[key]
    action.trigger()


def test_volumes_opens_readable_and_f_and_the_wheel_work(window, qtbot):
    from netbuilder.ui.inside.volumes_view import MIN_ZOOM, OPEN_WIDTH

    _menu_action(window, "view.dock.volumes")
    volumes = window.volumes
    canvas, scroll = volumes.canvas, volumes.scroll
    # As wide as it asks, or as the other panes' least widths leave; the whole of seed_cnn readable in it.
    room = window.width() - sum(
        d.minimumSizeHint().width() for d in (window.palette_dock, window.inspector_dock, window.training_dock)
    )
    qtbot.waitUntil(lambda: window.volumes_dock.width() >= min(OPEN_WIDTH, room) - 40)
    qtbot.waitUntil(lambda: volumes.picture is not None)
    _settle(qtbot)
    assert not clipped(window.volumes_dock)
    # Fitted when it fits at a readable zoom; else readable (MIN_ZOOM), scrolled, and F shows it all.
    assert canvas.zoom() > MIN_ZOOM and not no_scrollbars(scroll) or canvas.zoom() == MIN_ZOOM
    QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(3, 3))
    before = canvas.zoom()
    centre = QPointF(scroll.viewport().rect().center())
    wheel = QWheelEvent(
        centre,
        QPointF(scroll.viewport().mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 240),  # two notches towards the screen: zoom in
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(scroll.viewport(), wheel)
    assert canvas.zoom() > before * 1.3
    qtbot.waitUntil(lambda: bool(no_scrollbars(scroll)))  # zoomed in: the picture is larger than the view
    canvas.setFocus()
    QTest.keyClick(canvas, Qt.Key.Key_F)
    assert canvas.zoom() == pytest.approx(canvas.fitted())
    qtbot.waitUntil(lambda: not no_scrollbars(scroll))  # the whole network in view again


def test_look_inside_opens_tall_enough_for_its_stats_line(window, qtbot):
    from netbuilder.records.features import Maps, Result

    window.scene.select_only("conv1")
    _menu_action(window, "view.dock.look inside")
    look = window.look_inside
    qtbot.waitUntil(lambda: window.look_inside_dock.isVisible() and look.block == "conv1")
    _settle(qtbot)
    tiles = np.zeros((12, 32, 32), dtype=np.uint8)
    stats = {"mean": 0.1234, "std": 0.98, "zeros": 0.5, "min": -1.5, "max": 3.25}
    maps = Maps(
        "conv1", "Conv2d", (12, 32, 32), tiles, np.zeros((12, 2), np.float32), np.zeros(12, np.float32), stats, 12
    )
    look.result = Result("resized", np.zeros((3, 32, 32), np.uint8), {"conv1": maps}, None, ["conv1"], "random", 0.1)
    look.show_block()
    _settle(qtbot)
    assert look.stats.text().startswith("mean 0.1234")
    seen = seen_part(look.stats)
    assert seen.height() == look.stats.height() and seen.width() == look.stats.width(), (seen, look.stats.size())
    assert not clipped(window.look_inside_dock)


@pytest.mark.parametrize("count", [2, 6])
def test_overlaid_runs_still_fit_the_curves_tab(window, qtbot, count):
    """Each run adds a legend entry: the legend keeps to its rows (scrolling inside itself), the page never
    scrolls and the plots' axes stay in view."""
    from netbuilder.ui.training.curves import LEGEND_ROWS
    from netbuilder.ui.training.series import RunSeries

    runs = []
    for i in range(count):
        diverge = 400 if i == 1 else None
        run = RunSeries(f"seed_cnn-20261207-10101{i}", f"#0083C{i}", dataset="cifar10")
        for t in range(1, 601):
            loss = 1e33 if diverge and t >= diverge else 2.3 * np.exp(-t / 150) + 0.3
            run.add_batch((t - 1) // 200 + 1, (t - 1) % 200 + 1, 200, loss, 1 - np.exp(-t / 200), 1e-3, t * 0.01)
        runs.append(run)
    curves = window.training.curves
    curves.set_runs(runs)
    _settle(qtbot)
    problems = no_scrollbars(window.training.tabs.widget(0)) + clipped(curves)
    for plot in (curves.loss, curves.accuracy, curves.lr):
        problems += axes_outside(plot)
    assert not problems, "\n".join(problems)
    legend = curves.legend
    area = legend.parentWidget().parentWidget()  # the legend's scroll area (through its viewport)
    assert area.height() <= LEGEND_ROWS * (legend.fontMetrics().height() + 4) + 4
    assert legend.height() == legend.heightForWidth(legend.width())  # every entry there, scrolled to if need be
    if count == 6:
        assert area.verticalScrollBar().maximum() > 0  # more rows than room: they scroll inside the legend


SMALL = """
import json, sys
sys.path.insert(0, sys.argv[1])
from test_panes_fit import axes_outside, clipped, no_scrollbars, seen_part
from netbuilder.core.presets import load_preset
from netbuilder.ui.app.app import application
from netbuilder.ui.app.main_window import MainWindow

app = application()
window = MainWindow(load_preset("seed_cnn"))
window.show()
window.scene.select_only("conv1")
for _ in range(10):
    app.processEvents()
problems = []
canvas = seen_part(window.view.viewport())
if canvas.width() < 200 or canvas.height() < 100:
    problems.append(f"the canvas shows only {canvas.width()}×{canvas.height()} px")
inspector = window.inspector
problems += [f"Inspector: {p}" for p in clipped(inspector.widget())]
viewport = inspector.viewport()
for name, field in inspector.fields.items():  # none cut at the side (below the fold, they scroll into view)
    left = field.widget.mapTo(viewport, field.widget.rect().topLeft()).x()
    if left < 0 or left + field.widget.width() > viewport.width():
        right = left + field.widget.width()
        problems.append(f"Inspector: the {name} field spans x {left}..{right} of {viewport.width()}")
tabs = window.training.tabs
for i in range(tabs.count()):
    tabs.setCurrentIndex(i)
    for _ in range(5):
        app.processEvents()
    problems += [f"{tabs.tabText(i)}: {p}" for p in clipped(window.training_dock)]
tabs.setCurrentIndex(0)
for _ in range(5):
    app.processEvents()
curves = window.training.curves
problems += [f"Curves: {p}" for p in no_scrollbars(tabs.widget(0))]
for plot in (curves.loss, curves.accuracy, curves.lr):
    problems += axes_outside(plot)
screen = window.screen().availableGeometry().size().toTuple()
print(json.dumps({"screen": screen, "fields": len(inspector.fields), "problems": problems}))
window.editor.undo_stack.setClean()
window.close()
"""


def test_on_an_800x500_screen_the_canvas_shows_and_no_pane_is_cut():
    """QT_SCALE_FACTOR=2 on the 1600×1000 screen: 800×500 logical pixels, where the window lays out its docks
    to fit (training under them all) and each stays usable: the canvas, the selected block's fields, the tabs."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = os.environ | {"QT_SCALE_FACTOR": "2"}
    here = str(Path(__file__).parent)
    proc = subprocess.run([sys.executable, "-c", SMALL, here], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout.splitlines()[-1])
    assert shown["screen"] == [800, 500] and shown["fields"] >= 4  # conv1's fields are there to check
    assert not shown["problems"], "\n".join(shown["problems"])
