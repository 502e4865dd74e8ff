"""Expanded groups at normal zoom (issue 20, section 3): every group's name band is in full view — no block lies on
it and no other band meets it, nested bands (layer1 over layer1.0) stacked one above the other — and the frames of
sibling groups do not overlap; for every preset with groups and for imported resnet18 and densenet121, every group
expanded."""

from __future__ import annotations

import pytest
from canvas_geometry import band, hidden_bands
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter

from netbuilder.core.document import Document
from netbuilder.core.drawing.layout import BLOCK_H, COLUMN, FRAME_BOTTOM, FRAME_TITLE, ROW, arrange
from netbuilder.core.drawing.routing import FRAME_CLEAR, MIN_DROP
from netbuilder.core.graph import Edge, Graph, Group, Node
from netbuilder.core.presets import list_presets, load_preset
from netbuilder.ui.app.app import application
from netbuilder.ui.canvas import items as canvas_items
from netbuilder.ui.canvas.edge_item import settle
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.scene import CanvasScene

GROUPED = [p.key for p in list_presets() if load_preset(p.key).graph.groups]


def expanded(document: Document, arranged: bool = False) -> CanvasScene:
    application()
    graph = document.graph.copy()
    if arranged:
        for nid, pos in arrange(graph).items():
            graph.nodes[nid].position = pos
    for group in graph.groups.values():
        group.folded = False
    scene = CanvasScene(Editor(Document(graph, document.name)))
    settle(scene)
    return scene


def relu(g: Graph, nid: str, src: str) -> None:
    g.add_node(Node(nid, "Activation", {"function": "relu"}))
    g.add_edge(Edge(src, nid))


def nested_chain(levels: int) -> Graph:
    """input → a → b → c → d, with a…c in `levels` groups nested in one another, and d in a group of its own."""
    g = Graph()
    g.add_node(Node("input", "Input", {"shape": [4, 8, 8]}))
    for src, nid in zip(("input", "a", "b", "c"), "abcd"):
        relu(g, nid, src)
    inner = ["a", "b", "c"]
    for level in range(levels, 0, -1):
        g.add_group(Group(f"g{level}", f"level{level}", inner, folded=False))
        inner = [f"g{level}"]
    g.add_group(Group("tail", "tail", ["d"], folded=False))
    return g


def test_arrange_leaves_a_row_gap_for_each_band_and_bottom_margin_that_nested_groups_stack():
    plain = arrange(nested_chain(1))
    # A band above a row, a bottom margin below one: room for them and for a wire turning FRAME_CLEAR off them.
    assert plain["a"][1] - plain["input"][1] == BLOCK_H + MIN_DROP + FRAME_TITLE + FRAME_CLEAR
    assert plain["d"][1] - plain["c"][1] == BLOCK_H + FRAME_BOTTOM + FRAME_CLEAR + FRAME_TITLE + FRAME_CLEAR
    pos = arrange(nested_chain(3))
    assert pos["a"][1] - pos["input"][1] > ROW and pos["d"][1] - pos["c"][1] > ROW
    assert pos["b"][1] - pos["a"][1] == pos["c"][1] - pos["b"][1] == ROW  # inside a group: the usual rows
    scene = expanded(Document(nested_chain(3), "nested"))
    assert len(scene.group_frames) == 4 and hidden_bands(scene) == []


def side_by_side(levels: int) -> Graph:
    """input feeds a and b, which a Concat joins; a and b each in `levels` groups nested in one another."""
    g = Graph()
    g.add_node(Node("input", "Input", {"shape": [4, 8, 8]}))
    for nid in "ab":
        relu(g, nid, "input")
    g.add_node(Node("cat", "Concat", {"inputs": 2}))
    for port, nid in enumerate("ab"):
        g.add_edge(Edge(nid, "cat", port))
        inner = [nid]
        for level in range(levels, 0, -1):
            g.add_group(Group(f"{nid}{level}", f"{nid} level {level}", inner, folded=False))
            inner = [f"{nid}{level}"]
    return g


def test_arrange_leaves_a_column_gap_for_the_side_margins_of_nested_frames_between_two_blocks():
    assert arrange(side_by_side(1))["b"][0] - arrange(side_by_side(1))["a"][0] == COLUMN  # one frame each fits
    pos = arrange(side_by_side(3))
    assert pos["b"][0] - pos["a"][0] > COLUMN
    scene = expanded(Document(side_by_side(3), "branches"))
    assert len(scene.group_frames) == 6 and hidden_bands(scene) == []


def test_a_group_whose_first_block_is_fed_early_starts_below_the_group_before_it():
    """As in DenseNet: group b's first block (a Concat's head) needs only the input, its second also group a's end;
    b's rows come after a's, so that their frames do not overlap."""
    g = Graph()
    g.add_node(Node("input", "Input", {"shape": [4, 8, 8]}))
    relu(g, "a1", "input")
    relu(g, "a2", "a1")
    relu(g, "b1", "input")
    g.add_node(Node("b2", "Concat", {"inputs": 2}))
    g.add_edge(Edge("b1", "b2", 0))
    g.add_edge(Edge("a2", "b2", 1))
    g.add_group(Group("a", "a", ["a1", "a2"], folded=False))
    g.add_group(Group("b", "b", ["b1", "b2"], folded=False))
    g.add_group(Group("block", "block", ["a", "b"], folded=False))
    pos = arrange(g)
    assert pos["a1"][1] < pos["a2"][1] < pos["b1"][1] < pos["b2"][1]
    scene = expanded(Document(g, "dense"))
    assert hidden_bands(scene) == []


def test_a_band_name_cut_short_keeps_its_end_so_nested_groups_read_apart():
    g = side_by_side(1)
    for nid in "ab":
        g.groups[f"{nid}1"].name = f"encoder.stage1.branch_{nid}"
    g.add_group(Group("outer", "encoder.stage1", ["a1", "b1"], folded=False))
    scene = expanded(Document(g, "long names"))
    area = scene.itemsBoundingRect()
    image = QImage(area.size().toSize(), QImage.Format.Format_ARGB32)
    canvas_items.DRAWN = drawn = []
    try:
        painter = QPainter(image)
        scene.render(painter, QRectF(image.rect()), area)  # at zoom 1, where bands show their names
        painter.end()
    finally:
        canvas_items.DRAWN = None
    texts = [text for text, _ in drawn]
    assert "encoder.stage1" in texts
    assert any(t.startswith("…") and t.endswith("branch_a") for t in texts), texts
    assert any(t.startswith("…") and t.endswith("branch_b") for t in texts), texts


@pytest.mark.parametrize("key", GROUPED)
def test_presets_bands_in_view_every_group_expanded(key):
    assert hidden_bands(expanded(load_preset(key))) == []
    assert hidden_bands(expanded(load_preset(key), arranged=True)) == []


@pytest.mark.slow
def test_imported_resnet18_bands_in_view_every_group_expanded():
    from netbuilder.pytorch.trace import import_model

    scene = expanded(import_model("torchvision:resnet18").document)
    frames = {f.name: f for f in scene.group_frames.values()}
    assert {"layer1", "layer1.0", "layer2.0.downsample"} <= set(frames)
    assert hidden_bands(scene) == []
    # layer1's band directly above layer1.0's, both clear of maxpool, the block above them.
    maxpool = scene.node_items["maxpool"]
    outer, inner = band(frames["layer1"]), band(frames["layer1.0"])
    assert outer.bottom() == inner.top()
    assert outer.top() >= maxpool.mapRectToScene(maxpool.shape().boundingRect()).bottom()


@pytest.mark.slow
def test_imported_densenet121_bands_in_view_every_group_expanded():
    """DenseNet's layers, each opened by a Concat that its inputs alone would place beside the layer before."""
    from netbuilder.pytorch.trace import import_model

    assert hidden_bands(expanded(import_model("torchvision:densenet121").document)) == []


@pytest.mark.slow
def test_imported_inception_v3_bands_in_view_every_group_expanded():
    """Inception's branches hold branches of their own (Mixed_7b.branch3x3_2a and _2b side by side): sibling frames
    nested in a branch stay apart, as the stored layout and as auto-arrange places them."""
    from netbuilder.pytorch.trace import import_model

    document = import_model("torchvision:inception_v3").document
    assert {"Mixed_7b.branch3x3_2a", "Mixed_7b.branch3x3_2b", "Mixed_7c.branch_pool"} <= {
        g.name for g in document.graph.groups.values()
    }
    assert hidden_bands(expanded(document)) == []
    assert hidden_bands(expanded(document, arranged=True)) == []
