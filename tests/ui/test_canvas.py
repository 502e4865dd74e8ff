"""The canvas, driven with real drops, mouse gestures and keys."""

import pytest
from gestures import click_node, drop_from_palette, key, mouse_drag, palette_item
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from netbuilder.core.document import to_dict
from netbuilder.core.graph import Edge
from netbuilder.core.presets import list_presets
from netbuilder.ui.canvas.items import NODE_H, NODE_W
from netbuilder.ui.canvas.palette import GROUPS


def snapshot(window):
    return to_dict(window.editor.document)


def test_opens_with_a_whole_valid_network(make_window):
    window = make_window("vgg_cifar")
    assert window.editor.result.valid
    assert len(window.scene.node_items) == 49
    assert "valid" in window.validity.text()
    assert window.scene.node_items["pool5"].view.volume == "512×1×1"
    assert window.scene.node_items["fc1"].view.settings == "512 · flattens 512×1×1 → 512"


def test_drop_from_the_palette_adds_the_block_where_dropped(make_window):
    window = make_window()
    before = set(window.editor.graph.nodes)
    target = QPointF(600, 100)
    drop_from_palette(window, "MaxPool2d", target)
    added = set(window.editor.graph.nodes) - before
    assert len(added) == 1
    node = window.editor.graph.nodes[added.pop()]
    assert node.type == "Pool2d" and node.params == {"mode": "max", "kernel_size": 2}
    x, y = node.position
    assert abs(x + NODE_W / 2 - 600) <= 2 and abs(y + NODE_H / 2 - 100) <= 2
    key(window, "Ctrl+Z")
    assert set(window.editor.graph.nodes) == before


def test_drop_on_a_connection_inserts_the_block_there(make_window):
    window = make_window()
    edge_item = window.scene.edge_items[Edge("conv1", "relu1")]
    drop_from_palette(window, "BatchNorm", edge_item.path().pointAtPercent(0.5))
    graph = window.editor.graph
    bn = next(n for n in graph.nodes.values() if n.type == "BatchNorm")
    assert Edge("conv1", bn.id) in graph.edges and Edge(bn.id, "relu1") in graph.edges
    assert Edge("conv1", "relu1") not in graph.edges
    assert window.editor.result.valid
    assert window.scene.node_items[bn.id].view.volume == "12×32×32"


def test_connecting_two_ports_with_the_mouse(make_window):
    window = make_window()
    graph = window.editor.graph
    window.scene.drop_block("Activation", QPointF(600, 600), {"function": "sigmoid"})
    new = next(nid for nid, n in graph.nodes.items() if n.params.get("function") == "sigmoid")
    src = window.scene.node_items["fc1"].output_pos()
    dst = window.scene.node_items[new].input_pos(0)
    mouse_drag(window, src, dst)
    assert Edge("fc1", new, 0) in graph.edges
    assert window.scene.node_items[new].view.volume == "10"
    assert window.scene.edge_items[Edge("fc1", new, 0)].label == "10"


def test_refused_connections_snap_back_with_a_message(make_window):
    window = make_window()
    graph = window.editor.graph
    edges = list(graph.edges)
    mouse_drag(window, window.scene.node_items["fc1"].output_pos(), window.scene.node_items["conv1"].input_pos(0))
    assert graph.edges == edges
    assert "would make a cycle" in window.statusBar().currentMessage()
    mouse_drag(window, window.scene.node_items["input"].output_pos(), window.scene.node_items["relu1"].input_pos(0))
    assert graph.edges == edges
    assert "Input 0 of 'relu1' is already fed by 'conv1'" in window.statusBar().currentMessage()
    mouse_drag(
        window, window.scene.node_items["pool1"].output_pos(), window.scene.node_items["input"].pos() + QPointF(100, 30)
    )
    assert graph.edges == edges
    assert "takes no input" in window.statusBar().currentMessage()
    assert not [i for i in window.scene.items() if type(i).__name__ == "QGraphicsPathItem"]  # the wire is gone


def set_spin(widget, value):
    """Type a value into a spin box as a person does: select all, type, Enter."""
    widget.setFocus()
    line = widget.lineEdit()
    line.selectAll()
    QTest.keyClicks(line, str(value))
    QTest.keyClick(line, Qt.Key.Key_Return)


def test_editing_a_param_updates_the_volume_downstream_and_errors_come_and_go(make_window):
    window = make_window()
    click_node(window, "conv1")
    assert window.inspector.node_id == "conv1"
    field = window.inspector.fields["out_channels"].widget
    set_spin(field, 16)
    assert window.editor.graph.nodes["conv1"].params["out_channels"] == 16
    assert window.scene.node_items["conv1"].view.volume == "16×32×32"
    assert window.scene.node_items["pool1"].view.volume == "16×16×16"
    assert window.scene.edge_items[Edge("relu1", "pool1")].label == "16×32×32"
    assert "⌊(32 + 2·1 − 3) / 1⌋ + 1 = 32" in window.inspector.arithmetic.text()

    kernel = window.inspector.fields["kernel_size"].widget.h
    set_spin(kernel, 40)
    conv = window.scene.node_items["conv1"].view
    assert conv.error.startswith("Conv2d 'conv1': its 40×40 kernel")
    assert window.scene.node_items["pool1"].view.volume == "?" and window.scene.node_items["pool1"].view.downstream
    assert window.inspector.error.text() == conv.error and window.inspector.error.isVisible()
    assert conv.error in conv.tooltip
    assert "1 error" in window.validity.text()

    key(window, "Ctrl+Z")
    assert window.scene.node_items["conv1"].view.error is None
    assert window.scene.node_items["pool1"].view.volume == "16×16×16"
    assert "valid" in window.validity.text()


def test_one_click_fix_applies_and_undoes(make_window):
    window = make_window()
    click_node(window, "conv1")
    set_spin(window.inspector.fields["padding"].widget.h, 0)
    assert window.scene.node_items["conv1"].view.volume == "12×30×30"
    buttons = [window.inspector.fix_box.itemAt(i).widget() for i in range(window.inspector.fix_box.count())]
    fix = next(b for b in buttons if b.text() == "Set padding to 1 (keeps 32×32)")
    QTest.mouseClick(fix, Qt.MouseButton.LeftButton)
    assert window.scene.node_items["conv1"].view.volume == "12×32×32"
    window.editor.undo_stack.undo()
    assert window.scene.node_items["conv1"].view.volume == "12×30×30"


def test_undo_redo_restore_the_exact_document(make_window):
    window = make_window()
    states = [snapshot(window)]
    drop_from_palette(window, "Dropout", QPointF(500, 50))
    states.append(snapshot(window))
    click_node(window, "conv1")
    set_spin(window.inspector.fields["out_channels"].widget, 20)
    states.append(snapshot(window))
    item = window.scene.node_items["fc1"]
    mouse_drag(window, item.mapToScene(QPointF(60, 50)), item.mapToScene(QPointF(160, 90)))
    states.append(snapshot(window))
    assert states[-1] != states[-2]  # the move is a change
    click_node(window, "relu1")
    click_node(window, "pool1", Qt.KeyboardModifier.ControlModifier)
    key(window, "Delete")
    states.append(snapshot(window))
    assert "relu1" not in window.editor.graph.nodes and Edge("conv1", "fc1") in window.editor.graph.edges
    for expected in reversed(states[:-1]):
        key(window, "Ctrl+Z")  # the bulk delete, the move, the edit, the drop: one step each
        assert snapshot(window) == expected
    for expected in states[1:]:
        key(window, "Ctrl+Shift+Z")
        assert snapshot(window) == expected
    key(window, "Ctrl+Z")
    key(window, "Ctrl+Y")
    assert snapshot(window) == states[-1]


def test_copy_paste_keeps_the_wires_among_pasted_blocks_and_undoes_as_one(make_window):
    window = make_window()
    graph = window.editor.graph
    for i, nid in enumerate(("conv1", "relu1", "pool1")):
        click_node(window, nid, Qt.KeyboardModifier.ControlModifier if i else Qt.KeyboardModifier.NoModifier)
    before = snapshot(window)
    key(window, "Ctrl+C")
    key(window, "Ctrl+V")
    new = [nid for nid in graph.nodes if nid not in before_ids(before)]
    assert len(new) == 3
    internal = [e for e in graph.edges if e.src in new and e.dst in new]
    assert len(internal) == 2
    assert sorted(graph.nodes[n].type for n in new) == ["Activation", "Conv2d", "Pool2d"]
    assert set(window.canvas.selected_ids()) == set(new)
    key(window, "Ctrl+Z")
    assert snapshot(window) == before


def before_ids(doc):
    return {n["id"] for n in doc["nodes"]}


def test_paste_between_two_windows(make_window):
    first, second = make_window(), make_window("mlp_2hidden")
    for i, nid in enumerate(("conv1", "relu1")):
        click_node(first, nid, Qt.KeyboardModifier.ControlModifier if i else Qt.KeyboardModifier.NoModifier)
    key(first, "Ctrl+C")
    ids = set(second.editor.graph.nodes)
    key(second, "Ctrl+V")
    new = set(second.editor.graph.nodes) - ids
    assert len(new) == 2 and len([e for e in second.editor.graph.edges if e.src in new and e.dst in new]) == 1


def test_cut_duplicate_select_all(make_window):
    window = make_window()
    graph = window.editor.graph
    click_node(window, "relu1")
    key(window, "Ctrl+D")
    assert len(graph.nodes) == 6
    key(window, "Ctrl+Z")
    key(window, "Ctrl+A")
    assert len(window.canvas.selected_ids()) == 5
    click_node(window, "pool1")
    key(window, "Ctrl+X")
    assert "pool1" not in graph.nodes and Edge("relu1", "fc1") in graph.edges
    key(window, "Ctrl+V")
    assert any(n.type == "Pool2d" for n in graph.nodes.values())


def test_rubber_band_selects_many_and_one_undo_restores_a_bulk_delete(make_window):
    window = make_window()
    graph = window.editor.graph
    rect = window.scene.itemsBoundingRect()
    before = snapshot(window)
    mouse_drag(window, rect.topLeft() + QPointF(-30, -30), rect.bottomRight() + QPointF(30, 30))
    assert len(window.canvas.selected_ids()) == 5
    key(window, "Delete")
    assert not graph.nodes
    key(window, "Ctrl+Z")
    assert snapshot(window) == before


def test_double_click_in_the_palette_adds_under_the_selected_block(make_window):
    window = make_window()
    graph = window.editor.graph
    click_node(window, "conv1")
    item = palette_item(window, "BatchNorm")
    tree = window.palette.tree
    rect = tree.visualItemRect(item)
    # A real double-click: press and release, then the double-click event and its release.
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())
    QTest.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())
    bn = next(n for n in graph.nodes.values() if n.type == "BatchNorm")
    assert Edge("conv1", bn.id) in graph.edges and Edge(bn.id, "relu1") in graph.edges
    assert graph.nodes["relu1"].position[1] > bn.position[1] > graph.nodes["conv1"].position[1]
    key(window, "Ctrl+Z")
    assert not any(n.type == "BatchNorm" for n in graph.nodes.values())


def test_tab_opens_quick_add_and_enter_adds(make_window, qtbot):
    window = make_window()
    key(window, "Tab")
    assert window.canvas.quick_add.isVisible()
    QTest.keyClicks(window.canvas.quick_add.search, "gelu")
    QTest.keyClick(window.canvas.quick_add.search, Qt.Key.Key_Return)
    assert any(n.params.get("function") == "gelu" for n in window.editor.graph.nodes.values())


def test_wire_dropped_on_empty_canvas_opens_quick_add_attached(make_window):
    window = make_window()
    graph = window.editor.graph
    start = window.scene.node_items["fc1"].output_pos()
    mouse_drag(window, start, start + QPointF(0, 200))
    assert window.canvas.quick_add.isVisible()
    QTest.keyClicks(window.canvas.quick_add.search, "softmax")
    QTest.keyClick(window.canvas.quick_add.search, Qt.Key.Key_Return)
    sm = next(n for n in graph.nodes.values() if n.params.get("function") == "softmax")
    assert Edge("fc1", sm.id) in graph.edges and window.editor.result.valid


def test_palette_search_filters(make_window):
    window = make_window()
    QTest.keyClicks(window.palette.search, "pool")
    assert window.palette.visible_labels() == [
        "MaxPool2d",
        "AvgPool2d",
        "AdaptiveAvgPool2d",
        "Upsample",
        "Squeeze-and-excitation",
    ]
    window.palette.search.clear()
    assert len(window.palette.visible_labels()) == sum(len(entries) for _, entries in GROUPS)  # every entry again


def test_zoom_fit_and_arrange(make_window):
    window = make_window()
    zoom = window.view.zoom()
    key(window, "Ctrl++")
    assert window.view.zoom() > zoom
    key(window, "F")
    rect = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    assert rect.contains(window.scene.itemsBoundingRect())
    graph = window.editor.graph
    window.editor.graph.move("relu1", (900.0, -300.0))
    key(window, "L")
    assert graph.nodes["relu1"].position == (0.0, 200.0)


def test_dark_and_light_themes_repaint_canvas_and_widgets(make_window, qtbot):
    window = make_window()
    dark = next(a for a in window.theme_actions.actions() if a.text() == "Dark")
    dark.trigger()
    image = window.view.viewport().grab().toImage()
    assert image.pixelColor(5, 5).lightness() < 80  # the canvas background
    qtbot.waitUntil(lambda: window.palette.tree.palette().base().color().lightness() < 80)
    assert window.settings.value("view/theme") == "dark"
    next(a for a in window.theme_actions.actions() if a.text() == "Light").trigger()
    assert window.view.viewport().grab().toImage().pixelColor(5, 5).lightness() > 200
    window.set_theme("system")


@pytest.mark.parametrize("key", [p.key for p in list_presets()])
def test_no_overlapping_blocks_or_labels_on_the_presets(make_window, key):
    window = make_window(key)
    shown = [i for i in (*window.scene.node_items.values(), *window.scene.group_cards.values()) if i.isVisible()]
    nodes = [item.mapRectToScene(item.shape().boundingRect()) for item in shown]
    labels = [item._label_rect for item in window.scene.edge_items.values() if item.isVisible()]
    for i, a in enumerate(nodes):
        assert not any(a.intersects(b) for b in nodes[i + 1 :]), key
        assert not any(a.intersects(label) for label in labels), key
    for i, a in enumerate(labels):
        assert not any(a.intersects(b) for b in labels[i + 1 :]), key
