"""Issue 20, section 3 on the canvas, driven with a real mouse and keys: the frame's name band folds, looking at a
network (fold, unfold, auto-arrange) asks nobody to save it, and the dock's separator resizes and never undocks."""

from gestures import key, view_point
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDockWidget, QMessageBox

from netbuilder.core.graph import Node
from netbuilder.ui.app.main_window import SEPARATOR
from netbuilder.ui.canvas.undo import add_node


def click(window, point: QPoint, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, modifier, point)


def card_center(window, gid: str) -> QPoint:
    card = window.scene.group_cards[gid]
    return view_point(window, card.mapToScene(card.shape().boundingRect().center()))


def band_name(window, gid: str) -> QPoint:
    """The middle of the frame's name, right of its chevron: where a user clicks 'the name band'."""
    frame = window.scene.group_frames[gid]
    band = frame.title_rect()
    return view_point(window, frame.mapToScene(QPointF((band.left() + 26 + band.right()) / 2, band.center().y())))


def test_clicking_an_expanded_groups_name_band_folds_it(make_window):
    window = make_window("vgg_cifar")
    graph, scene = window.editor.graph, window.scene
    gid = next(iter(graph.groups))
    QTest.mouseDClick(
        window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, card_center(window, gid)
    )
    assert not graph.groups[gid].folded
    click(window, band_name(window, gid))
    assert graph.groups[gid].folded
    assert scene.group_cards[gid].isSelected()  # the folded card is selected: rename or ungroup it at once
    key(window, "Ctrl+Z")
    assert not graph.groups[gid].folded
    # Ctrl+click on the band selects the frame without folding (to ungroup an expanded group).
    click(window, band_name(window, gid), Qt.KeyboardModifier.ControlModifier)
    assert not graph.groups[gid].folded and scene.group_frames[gid].isSelected()
    # A double-click on the band folds once: its second click does not unfold the group again.
    QTest.mouseDClick(
        window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, band_name(window, gid)
    )
    assert graph.groups[gid].folded


def test_looking_at_a_network_asks_nobody_to_save_it(make_window):
    window = make_window("resnet_cifar")  # L moves its blocks
    asked = []
    window.questions.ask_save = lambda: asked.append(True) or QMessageBox.StandardButton.Cancel
    graph = window.editor.graph
    gid = next(iter(graph.groups))
    QTest.mouseDClick(
        window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, card_center(window, gid)
    )
    click(window, band_name(window, gid))
    key(window, "L")
    assert graph.groups[gid].folded and window.editor.undo_stack.count() == 3  # each undoable all the same
    assert not window.isWindowModified()
    key(window, "Ctrl+Z")  # undoing a view change is no change either
    assert not window.isWindowModified()
    key(window, "Ctrl+N")
    assert asked == [] and list(graph.nodes) != list(window.editor.graph.nodes)  # a new document, no question
    # A real edit is still unsaved work: File → New asks about it.
    window.editor.push(add_node(window.editor.graph, Node("relu_x", "Activation", {}, (0.0, 300.0))))
    key(window, "L")
    assert window.isWindowModified()
    key(window, "Ctrl+N")
    assert asked == [True] and "relu_x" in window.editor.graph.nodes


def test_dragging_the_dock_separator_resizes_the_dock_and_never_undocks_it(make_window):
    window = make_window("seed_cnn")
    window.resize(1500, 950)
    QTest.qWait(50)
    dock = window.training_dock
    assert not dock.features() & QDockWidget.DockWidgetFeature.DockWidgetFloatable
    handle = window.windowHandle()
    for above in range(1, SEPARATOR + 1):  # anywhere on the handle, up to SEPARATOR px above the title bar
        window.resizeDocks([dock], [220], Qt.Orientation.Vertical)
        QTest.qWait(10)
        before = dock.height()
        top = dock.geometry().top()
        x = dock.geometry().center().x()
        start = QPoint(x, top - above)
        QTest.mousePress(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
        for step in range(1, 6):
            QTest.mouseMove(handle, QPoint(x, start.y() - 10 * step))
        QTest.mouseRelease(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start - QPoint(0, 50))
        QTest.qWait(10)
        assert not dock.isFloating(), f"{above} px above the title bar"
        assert dock.height() == before + 50, f"{above} px above the title bar"
