"""The modern blocks in the palette: tooltips with their idea, and squeeze-and-excitation added in one step
by a real double-click (under the selected block) or a drop (under the block above the drop point)."""

from __future__ import annotations

from gestures import click_node, drop_from_palette, key, palette_item
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from netbuilder.core.document import to_dict
from netbuilder.core.graph import Edge
from netbuilder.ui.canvas.items import NODE_H
from netbuilder.ui.canvas.palette import all_entries
from netbuilder.ui.canvas.templates import squeezed

SE = "Squeeze-and-excitation"


def double_click_entry(window, label):
    tree = window.palette.tree
    rect = tree.visualItemRect(palette_item(window, label))
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())
    QTest.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())


def test_every_new_block_is_in_the_palette_with_its_idea(make_window):
    window = make_window()
    labels = {e.label: e for e in all_entries()}
    for label in ("ReLU6", "Hardswish", "Hardsigmoid", "Mish", "Multiply", "LayerNorm2d", "LayerScale"):
        assert label in labels
    for label in ("StochasticDepth", "ChannelShuffle", "Narrow", SE):
        assert label in labels
        assert "Idea: " in labels[label].tooltip() and "https://arxiv.org/abs/" in labels[label].tooltip()
    assert "squeeze-and-excitation" in labels[SE].tooltip()
    assert palette_item(window, "Hardswish").toolTip(0) == labels["Hardswish"].tooltip()


def _check_se(window, above, consumer):
    graph = window.editor.graph
    result = window.editor.result
    assert result.valid, result.errors
    mul = next(n for n in graph.nodes.values() if n.type == "Multiply")
    gate = next(n for n in graph.nodes.values() if n.params.get("function") == "hardsigmoid")
    assert Edge(above, mul.id, 0) in graph.edges and Edge(gate.id, mul.id, 1) in graph.edges
    assert Edge(mul.id, consumer, 0) in graph.edges and Edge(above, consumer, 0) not in graph.edges
    channels = result.nodes[above].output_shape[0]
    assert result.nodes[mul.id].output_shape == result.nodes[above].output_shape
    reduce = next(n for n in graph.nodes.values() if n.id.startswith("se_reduce"))
    assert reduce.params["out_channels"] == squeezed(channels)
    (group,) = [g for g in graph.groups.values() if g.name == "SqueezeExcite"]
    assert mul.id in group.members and len(group.members) == 6
    return mul


def test_double_click_adds_squeeze_excitation_under_the_selected_block_in_one_undo_step(make_window):
    window = make_window()
    before = to_dict(window.editor.document)
    click_node(window, "relu1")
    double_click_entry(window, SE)
    _check_se(window, "relu1", "pool1")
    key(window, "Ctrl+Z")
    assert to_dict(window.editor.document) == before


def test_dropping_it_under_a_block_gates_that_block(make_window):
    window = make_window()
    conv = window.editor.graph.nodes["conv1"].position
    window.scene.clearSelection()
    drop_from_palette(window, SE, QPointF(conv[0] + 20, conv[1] + NODE_H + 30))
    _check_se(window, "conv1", "relu1")


def test_without_a_volume_above_it_says_what_to_do(make_window):
    window = make_window()
    before = to_dict(window.editor.document)
    click_node(window, "fc1")
    double_click_entry(window, SE)
    assert to_dict(window.editor.document) == before
    assert "gives a vector of 10 features" in window.statusBar().currentMessage()


def test_squeezed_channels_follow_mobilenet():
    assert [squeezed(c) for c in (8, 16, 64, 96, 240, 960)] == [8, 8, 16, 24, 64, 240]


def test_the_inspector_links_the_idea_and_shows_the_window_rule_only_for_windows(make_window):
    window = make_window()
    click_node(window, "relu1")
    double_click_entry(window, SE)
    mul = next(n for n in window.editor.graph.nodes.values() if n.type == "Multiply").id
    click_node(window, mul)
    text = window.inspector.help.text()
    assert 'Idea: <a href="https://arxiv.org/abs/1709.01507">squeeze-and-excitation' in text
    assert window.inspector.help.openExternalLinks()
    assert "is broadcast to 12×32×32" in window.inspector.arithmetic.text()
    assert "⌊" not in window.inspector.arithmetic.text()
    click_node(window, "conv1")
    assert window.inspector.arithmetic.text().startswith("out = ⌊(n + 2p − k) / s⌋ + 1")
    assert "Idea" not in window.inspector.help.text()


def test_a_description_from_a_file_is_shown_as_text_not_markup(make_window):
    window = make_window()
    window.editor.document.description = '<img src="/etc/passwd"><b>bold</b>'
    window.scene.clearSelection()
    window.inspector.show_node(None)
    assert "&lt;img" in window.inspector.help.text() and "<b>" not in window.inspector.help.text()


def test_inside_a_group_the_unit_joins_that_group_and_the_file_reads_back():
    from netbuilder.core.check.shapes import check
    from netbuilder.core.document import dumps, parse
    from netbuilder.core.groups import parents
    from netbuilder.core.presets import load_preset
    from netbuilder.ui.app.app import application
    from netbuilder.ui.canvas.editor import Editor
    from netbuilder.ui.canvas.templates import apply_template

    application()
    editor = Editor(load_preset("vgg_cifar"))
    added = apply_template(editor, "squeeze_excite", "relu1_1")  # in group "stage 1"
    graph = editor.graph
    (se,) = [g for g in graph.groups.values() if g.name == "SqueezeExcite"]
    assert parents(graph)[se.id] == "stage1" and added[-1] in se.members
    assert check(graph).valid
    assert dumps(parse(dumps(editor.document), "se.json")) == dumps(editor.document)
    editor.undo_stack.undo()
    assert not any(g.name == "SqueezeExcite" for g in graph.groups.values())
    assert graph.groups["stage1"].members == load_preset("vgg_cifar").graph.groups["stage1"].members
