"""Issue 14, the canvas and Help: what a new user tripped over in the first hour, driven with real input."""

import json
from pathlib import Path

from gestures import drop_from_palette, key, mouse_drag, view_point
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QContextMenuEvent, QImage, QPainter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QStyleOptionGraphicsItem

from netbuilder.core.document import save
from netbuilder.core.graph import Edge
from netbuilder.core.presets import load_preset
from netbuilder.ui import theme
from netbuilder.ui.app import help
from netbuilder.ui.canvas.items import HEADER_H, NODE_W
from netbuilder.ui.canvas.undo import overlaps


def center(window, node_id):
    return window.scene.node_items[node_id].sceneBoundingRect().center()


def no_overlaps(graph):
    return not any(overlaps(graph, n.position, {nid}) for nid, n in graph.nodes.items())


def right_click(window, scene_point):
    """A right-button press and the context-menu event the platform sends with it."""
    viewport, at = window.view.viewport(), view_point(window, scene_point)
    QTest.mousePress(viewport, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, at)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at, viewport.mapToGlobal(at))
    QApplication.sendEvent(viewport, event)
    QTest.mouseRelease(viewport, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, at)
    QTest.qWait(20)
    return window.canvas.context_menu


def texts(menu):
    return [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]


def choose(menu, text):
    action = next(a for a in menu.actions() if a.text().replace("&", "") == text)
    action.trigger()
    menu.close()


# 10 --------------------------------------------------------------------------------------------------------


def test_an_imported_network_is_unsaved_work(make_window, tmp_path):
    window = make_window()
    imported = tmp_path / "resnet.json"
    save(load_preset("vgg_cifar"), imported)
    window._open_imported(imported)
    assert len(window.editor.graph.nodes) == 49
    assert window.isWindowModified() and "[*]" in window.windowTitle()
    asked = []
    window.questions.ask_save = lambda: asked.append(True) or window.ask_save_answer
    from PySide6.QtWidgets import QMessageBox

    window.ask_save_answer = QMessageBox.StandardButton.Cancel
    assert not window.files.new()
    assert asked and len(window.editor.graph.nodes) == 49


# 12 --------------------------------------------------------------------------------------------------------


def test_right_click_on_a_block_selects_it_and_its_menu_acts_on_it(make_window):
    window = make_window()
    menu = right_click(window, center(window, "relu1"))
    assert window.canvas.selected_ids() == ["relu1"]
    assert texts(menu)[:2] == ["Duplicate", "Delete"]
    for wanted in ("Group", "Insert before…", "Insert after…", "Disconnect", "Properties"):
        assert wanted in texts(menu)
    assert "Paste" not in texts(menu) and "Auto-arrange" not in texts(menu)
    assert "Fold or expand group" not in texts(menu)  # no groups yet
    menu.grab().save("/tmp/nb14/block_context_menu.png")
    choose(menu, "Delete")
    assert "relu1" not in window.editor.graph.nodes
    assert Edge("conv1", "pool1") in window.editor.graph.edges  # the chain joined across the gap
    key(window, "Ctrl+Z")
    assert "relu1" in window.editor.graph.nodes


def test_context_menus_on_a_connection_and_on_empty_canvas(make_window):
    window = make_window()
    edge_point = window.scene.edge_items[Edge("conv1", "relu1")].path().pointAtPercent(0.5)
    menu = right_click(window, edge_point)
    assert texts(menu) == ["Insert block…", "Delete connection"]
    choose(menu, "Delete connection")
    assert Edge("conv1", "relu1") not in window.editor.graph.edges
    menu = right_click(window, QPointF(900, 150))
    assert texts(menu) == ["Paste", "Add block…", "Fit to view", "Auto-arrange"]
    assert window.scene.selectedItems() == []
    menu.close()


def test_insert_after_from_a_blocks_menu_adds_it_below_wired_in(make_window):
    window = make_window()
    menu = right_click(window, center(window, "conv1"))
    choose(menu, "Insert after…")
    assert window.canvas.quick_add.isVisible()
    QTest.keyClicks(window.canvas.quick_add.search, "BatchNorm")
    QTest.keyClick(window.canvas.quick_add.search, Qt.Key.Key_Return)
    graph = window.editor.graph
    bn = next(n.id for n in graph.nodes.values() if n.type == "BatchNorm")
    assert Edge("conv1", bn) in graph.edges and Edge(bn, "relu1") in graph.edges
    assert no_overlaps(graph) and window.canvas.selected_ids() == [bn]


# 13 --------------------------------------------------------------------------------------------------------


def test_a_dropped_block_is_selected_and_connected_to_the_block_just_above(make_window):
    window = make_window()
    before = set(window.editor.graph.nodes)
    below_fc1 = center(window, "fc1") + QPointF(10, 105)
    drop_from_palette(window, "Dropout", below_fc1)
    graph = window.editor.graph
    (new,) = set(graph.nodes) - before
    assert window.canvas.selected_ids() == [new]
    assert window.inspector.node_id == new
    assert Edge("fc1", new) in graph.edges
    assert "Connected" in window.statusBar().currentMessage()
    assert no_overlaps(graph)
    key(window, "Ctrl+Z")  # one step undoes both the block and its connection
    assert set(graph.nodes) == before and not graph.out_edges("fc1")


def test_a_block_dropped_far_from_any_block_is_not_connected(make_window):
    window = make_window()
    before = set(window.editor.graph.nodes)
    drop_from_palette(window, "Dropout", center(window, "fc1") + QPointF(600, 0))
    (new,) = set(window.editor.graph.nodes) - before
    assert not window.editor.graph.in_edges(new)
    assert window.canvas.selected_ids() == [new]


# 14 --------------------------------------------------------------------------------------------------------


def test_a_block_dropped_at_the_edge_is_scrolled_into_view(make_window):
    window = make_window("vgg_cifar")
    window.view.show_start()
    QTest.qWait(10)
    viewport = window.view.viewport().rect()
    edge_point = window.view.mapToScene(viewport.right() - 5, viewport.bottom() - 5)
    drop_from_palette(window, "Linear", edge_point)
    (new,) = window.canvas.selected_ids()
    shown = window.view.mapToScene(viewport).boundingRect()
    assert shown.contains(window.scene.node_items[new].sceneBoundingRect())
    assert no_overlaps(window.editor.graph)


def test_a_block_dropped_on_another_does_not_overlap_it(make_window):
    window = make_window()
    drop_from_palette(window, "Dropout", center(window, "pool1") + QPointF(40, 0))
    assert no_overlaps(window.editor.graph)


def test_tab_with_a_block_selected_adds_below_it_connected(make_window):
    window = make_window()
    window.scene.select_only("fc1")
    key(window, "Tab")
    assert window.canvas.quick_add.isVisible()
    QTest.keyClicks(window.canvas.quick_add.search, "Dropout")
    QTest.keyClick(window.canvas.quick_add.search, Qt.Key.Key_Return)
    graph = window.editor.graph
    dropout = next(n for n in graph.nodes.values() if n.type == "Dropout")
    assert Edge("fc1", dropout.id) in graph.edges
    assert dropout.position[1] > graph.nodes["fc1"].position[1]
    assert no_overlaps(graph)


# 15 --------------------------------------------------------------------------------------------------------


def test_a_block_dropped_on_a_connection_makes_room_in_one_undo_step(make_window):
    window = make_window()
    graph = window.editor.graph
    before = {nid: n.position for nid, n in graph.nodes.items()}
    drop_from_palette(window, "BatchNorm", window.scene.edge_items[Edge("conv1", "relu1")].path().pointAtPercent(0.5))
    bn = next(n for n in graph.nodes.values() if n.type == "BatchNorm")
    assert no_overlaps(graph)
    assert graph.nodes["conv1"].position[1] < bn.position[1] < graph.nodes["relu1"].position[1]
    assert window.canvas.selected_ids() == [bn.id]
    key(window, "Ctrl+Z")
    assert {nid: n.position for nid, n in graph.nodes.items()} == before


# 16 --------------------------------------------------------------------------------------------------------


def test_quick_add_from_a_dropped_wire_lists_only_blocks_that_take_it(make_window):
    window = make_window()
    start = window.scene.node_items["fc1"].output_pos()
    mouse_drag(window, start, start + QPointF(0, 160))
    assert window.canvas.quick_add.isVisible()
    labels = window.canvas.quick_add.labels()
    assert "Input" not in labels
    assert labels[:2] == ["ReLU", "Dropout"]  # after a Linear
    QTest.keyClick(window.canvas.quick_add.search, Qt.Key.Key_Return)
    relu = next(
        n.id for n in window.editor.graph.nodes.values() if n.params.get("function") == "relu" and n.id != "relu1"
    )
    assert Edge("fc1", relu) in window.editor.graph.edges
    window.canvas.quick_add.open_at(window.mapToGlobal(window.rect().center()))
    assert window.canvas.quick_add.labels()[0] == "Input"  # Tab on empty canvas: everything
    window.canvas.quick_add.hide()


# 17 --------------------------------------------------------------------------------------------------------


def test_the_inspector_fields_do_not_move_when_an_error_and_its_fix_appear(make_window):
    window = make_window()
    window.scene.select_only("pool1")
    inspector = window.inspector
    QTest.qWait(10)
    top = inspector.form_host.mapTo(inspector.widget(), inspector.form_host.rect().topLeft()).y()
    from netbuilder.ui.canvas.undo import set_params

    window.editor.push(set_params(window.editor.graph, "pool1", {"mode": "max", "kernel_size": 64}))
    QTest.qWait(10)
    assert window.editor.result.nodes["pool1"].error and inspector.fix_box.count() >= 1
    assert inspector.form_host.mapTo(inspector.widget(), inspector.form_host.rect().topLeft()).y() == top
    key(window, "Ctrl+Z")
    QTest.qWait(10)
    assert inspector.form_host.mapTo(inspector.widget(), inspector.form_host.rect().topLeft()).y() == top


def luminance(color: QColor) -> float:
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.red()) + 0.7152 * channel(color.green()) + 0.0722 * channel(color.blue())


def test_the_parameter_count_on_a_block_is_readable(make_window):
    window = make_window()
    item = window.scene.node_items["conv1"]
    assert item.view.cost.endswith("params")
    image = QImage(int(NODE_W) + 20, 120, QImage.Format.Format_ARGB32)
    image.fill(theme.current().background)
    painter = QPainter(image)
    item.paint(painter, QStyleOptionGraphicsItem(), None)
    painter.end()
    region = QRectF(NODE_W - 90, HEADER_H + 24, 80, 14)
    colors = [
        image.pixelColor(x, y)
        for x in range(int(region.left()), int(region.right()))
        for y in range(int(region.top()), int(region.bottom()))
    ]
    body, ink = max(colors, key=luminance), min(colors, key=luminance)
    ratio = (luminance(body) + 0.05) / (luminance(ink) + 0.05)
    assert ratio >= 4.5, ratio


# 18 --------------------------------------------------------------------------------------------------------


def test_the_help_menu(make_window):
    window = make_window()
    menu = window.installed.menus["&Help"]
    assert texts(menu) == [
        "Keyboard shortcuts…",
        "Getting started…",
        "The file format",
        "The command line",
        "About NetBuilder",
    ]


def test_getting_started_is_a_short_tour(make_window):
    window = make_window()
    tour = window.show_getting_started()
    assert tour.pages.count() == 4
    titles = [tour.pages.widget(i).findChildren(type(tour.position))[0].text() for i in range(4)]
    for word, title in zip(("palette", "canvas", "inspector", "training"), titles):
        assert word in title.lower()
    QTest.qWait(10)
    tour.grab().save("/tmp/nb14/getting_started.png")
    for _ in range(3):
        QTest.mouseClick(tour.next, Qt.MouseButton.LeftButton)
    assert tour.pages.currentIndex() == 3 and tour.next.text() == "Done"
    QTest.mouseClick(tour.next, Qt.MouseButton.LeftButton)
    assert not tour.isVisible()


def test_the_readme_sections_are_shown(make_window):
    window = make_window()
    dialog = help.open_readme(window, "file-format")
    assert '"format": "netbuilder"' in dialog.text.toPlainText()
    dialog.close()
    dialog = help.open_readme(window, "cli")
    assert "netbuilder check FILE" in dialog.text.toPlainText()
    assert "File format" not in dialog.text.toPlainText()
    dialog.close()


def test_about_says_the_versions_without_importing_torch(make_window):
    window = make_window()
    window.training.probe.info = json.loads('{"cuda": [{"name": "NVIDIA H200", "free": 1, "total": 2}], "mps": false}')
    about = window.show_about()
    rows = dict(about.rows)
    assert set(rows) >= {"NetBuilder", "PySide6", "torch", "CUDA"}
    assert rows["torch"][0].isdigit() and "NVIDIA H200" in rows["CUDA"]
    QTest.qWait(10)
    about.grab().save("/tmp/nb14/about.png")
    assert "import torch" not in Path(help.__file__).read_text()
