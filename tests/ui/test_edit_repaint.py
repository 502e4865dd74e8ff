"""An edit touches only what it changed: wires whose volume keeps its width keep their geometry, blocks whose
check did not change are not described again, and the Volumes picture is painted once per edit, with the next
frame (the costs behind bench_canvas.py's edit → repaint figures)."""

from __future__ import annotations

from gestures import click_node
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QGuiApplication, QStyleHints
from PySide6.QtWidgets import QApplication
from test_canvas import set_spin
from test_volumes_view import open_volumes

from netbuilder.core.graph import Edge
from netbuilder.ui import theme
from netbuilder.ui.canvas import scene as scene_module
from netbuilder.ui.canvas.edge_item import EdgeItem
from netbuilder.ui.canvas.undo import set_params


def test_a_volume_of_the_same_width_changes_no_wire_geometry_and_a_wider_one_fits(make_window, monkeypatch):
    window = make_window()
    wire = window.scene.edge_items[Edge("conv1", "relu1")]
    assert wire.label == "12×32×32"
    bounds = wire.boundingRect()
    changed: list[EdgeItem] = []
    original = EdgeItem.prepareGeometryChange
    monkeypatch.setattr(EdgeItem, "prepareGeometryChange", lambda self: (changed.append(self), original(self))[1])
    click_node(window, "conv1")
    set_spin(window.inspector.fields["out_channels"].widget, 16)
    assert wire.label == "16×32×32" and window.scene.edge_items[Edge("relu1", "pool1")].label == "16×32×32"
    assert changed == [] and wire.boundingRect() == bounds  # the scene's index is left alone

    set_spin(window.inspector.fields["out_channels"].widget, 128)
    assert wire.label == "128×32×32"
    assert wire.boundingRect().contains(wire._label_rect)  # the wider label lies inside what is repainted
    assert wire._label_rect.width() > 0


def test_an_edit_describes_again_only_the_blocks_whose_check_changed(make_window, monkeypatch):
    window = make_window()
    described: list[str] = []
    node_view = scene_module.node_view
    monkeypatch.setattr(
        scene_module, "node_view", lambda graph, result, nid: (described.append(nid), node_view(graph, result, nid))[1]
    )
    click_node(window, "fc1")
    set_spin(window.inspector.fields["out_features"].widget, 20)
    QApplication.processEvents()
    window.view.viewport().repaint()
    assert window.scene.node_items["fc1"].view.volume == "20"
    assert window.scene.node_items["conv1"].view.volume == "12×32×32"
    assert described == ["fc1"]  # made once, when first painted or asked for; the others keep theirs


class _Paints(QObject):
    """Counts the paint events a widget gets."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        self.count += event.type() == QEvent.Type.Paint
        return False


def test_an_edit_paints_the_volumes_picture_once_with_the_next_frame(make_window, qtbot):
    """Painted inside the edit, the picture would flush the whole window there (every widget the edit changed),
    and the window would be painted again with the next frame."""
    window = make_window()
    volumes = open_volumes(window, qtbot)
    paints = _Paints()
    volumes.canvas.installEventFilter(paints)
    graph = window.editor.graph
    window.editor.push(set_params(graph, "conv1", dict(graph.nodes["conv1"].params, out_channels=16)))
    assert volumes.picture.cuboid("conv1").label == "32×32×16" and paints.count == 0
    QApplication.processEvents()
    assert paints.count == 1
    assert volumes.last_ms > 0  # the redraw's time: building the picture and painting it


def test_following_the_system_a_change_of_its_colour_scheme_still_shows(make_window, monkeypatch):
    """Items ask for the palette as they paint; the system's answer is kept until the system changes it."""
    make_window()
    theme.set_mode("system")
    hints = QGuiApplication.styleHints()
    monkeypatch.setattr(QStyleHints, "colorScheme", lambda self: Qt.ColorScheme.Light)
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert theme.current() is theme.LIGHT
    monkeypatch.setattr(QStyleHints, "colorScheme", lambda self: Qt.ColorScheme.Dark)
    assert theme.current() is theme.LIGHT  # asked once, not as each item paints
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert theme.current() is theme.DARK
    monkeypatch.undo()
    hints.colorSchemeChanged.emit(hints.colorScheme())  # the next test asks the system itself again
    assert theme.current() is (theme.DARK if hints.colorScheme() == Qt.ColorScheme.Dark else theme.LIGHT)
