"""Real input for the canvas: drops carrying the palette's own mime data, mouse drags, keys."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from netbuilder.ui.app.main_window import MainWindow


def palette_item(window: MainWindow, label: str):
    tree = window.palette.tree
    for i in range(tree.topLevelItemCount()):
        top = tree.topLevelItem(i)
        for j in range(top.childCount()):
            if top.child(j).text(0) == label:
                return top.child(j)
    raise LookupError(label)


def drop_from_palette(window: MainWindow, label: str, scene_point: QPointF) -> None:
    """A drag enter, move and drop on the canvas carrying exactly what the palette puts in a drag."""
    tree = window.palette.tree
    mime = tree.mimeData([palette_item(window, label)])
    viewport = window.view.viewport()
    pos = QPointF(window.view.mapFromScene(scene_point))
    for kind in (QDragEnterEvent, QDragMoveEvent):
        event = kind(
            pos.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
        )
        QApplication.sendEvent(viewport, event)
        assert event.isAccepted()
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, drop)


def view_point(window: MainWindow, scene_point: QPointF) -> QPoint:
    return window.view.mapFromScene(scene_point)


def mouse_drag(
    window: MainWindow, start: QPointF, end: QPointF, steps: int = 6, modifier=Qt.KeyboardModifier.NoModifier
) -> None:
    """Press at start, move in steps, release at end (scene coordinates)."""
    viewport = window.view.viewport()
    a, b = view_point(window, start), view_point(window, end)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, modifier, a)
    for i in range(1, steps + 1):
        p = QPoint(a.x() + (b.x() - a.x()) * i // steps, a.y() + (b.y() - a.y()) * i // steps)
        QTest.mouseMove(viewport, p)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, modifier, b)


def click_node(window: MainWindow, node_id: str, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    item = window.scene.node_items[node_id]
    center = item.mapToScene(item.shape().boundingRect().center())
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, modifier, view_point(window, center))


def key(window: MainWindow, sequence: str) -> None:
    """Type a shortcut on the canvas, e.g. 'Ctrl+Z'."""
    from PySide6.QtGui import QKeySequence

    if not window.isActiveWindow():
        window.activateWindow()
        for _ in range(100):
            if window.isActiveWindow():
                break
            QTest.qWait(10)
        assert window.isActiveWindow()
    window.view.setFocus()
    combo = QKeySequence(sequence)[0]
    QTest.keyClick(window.view, combo.key(), combo.keyboardModifiers())
