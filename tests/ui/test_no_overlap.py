"""On the scene's own geometry: no wire passes under a block other than its two ends, and no two blocks overlap —
for every preset and for imported resnet18, densenet121 and googlenet, as stored, arranged, expanded and folded."""

from __future__ import annotations

import pytest
from canvas_geometry import problems
from PySide6.QtCore import QPointF

from netbuilder.core.document import Document
from netbuilder.core.drawing import routing
from netbuilder.core.drawing.layout import arrange
from netbuilder.core.graph import Edge, Graph, Node
from netbuilder.core.presets import list_presets, load_preset
from netbuilder.ui.app.app import application
from netbuilder.ui.canvas.edge_item import settle
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.scene import CanvasScene

IMPORTED = ("resnet18", "densenet121", "googlenet")


@pytest.fixture(scope="session")
def imported() -> dict[str, Document]:
    from netbuilder.pytorch.trace import import_model

    return {name: import_model(f"torchvision:{name}").document for name in IMPORTED}


def scene_of(document: Document, fold: bool | None = None, arranged: bool = False) -> CanvasScene:
    application()
    graph = document.graph.copy()
    if arranged:
        for nid, pos in arrange(graph).items():
            graph.nodes[nid].position = pos
    for group in graph.groups.values():
        group.folded = group.folded if fold is None else fold
    scene = CanvasScene(Editor(Document(graph, document.name)))
    settle(scene)
    return scene


@pytest.mark.parametrize("fold", [None, False, True])
@pytest.mark.parametrize("key", [p.key for p in list_presets()])
def test_presets_wires_clear_of_blocks(key, fold):
    doc = load_preset(key)
    assert problems(scene_of(doc, fold)) == []
    assert problems(scene_of(doc, fold, arranged=True)) == []


@pytest.mark.slow
@pytest.mark.parametrize("fold", [None, False])
@pytest.mark.parametrize("model", IMPORTED)
def test_imported_wires_clear_of_blocks(imported, model, fold):
    assert problems(scene_of(imported[model], fold)) == []


def skip_chain() -> Graph:
    """input → a → b → c → add, with input → add as well: the skip must go around a, b and c."""
    g = Graph()
    g.add_node(Node("input", "Input", {"shape": [4, 8, 8]}))
    for nid in "abc":
        g.add_node(Node(nid, "Activation", {"function": "relu"}))
    g.add_node(Node("add", "Add", {"inputs": 2}))
    for src, dst in (("input", "a"), ("a", "b"), ("b", "c"), ("c", "add")):
        g.add_edge(Edge(src, dst))
    g.add_edge(Edge("input", "add", 1))
    for nid, pos in arrange(g).items():
        g.nodes[nid].position = pos
    return g


def test_a_skip_curves_beside_the_column_and_follows_a_moved_block():
    scene = scene_of(Document(skip_chain(), "skip"))
    skip = scene.edge_items[Edge("input", "add", 1)]
    right = scene.node_items["a"].sceneBoundingRect().right()
    assert skip.path().boundingRect().right() > right  # beside the column, to its right
    assert skip.path().pointAtPercent(1.0) == scene.node_items["add"].input_pos(1)
    assert problems(scene) == []
    # A block moved onto a straight wire: the wire goes around it once the scene settles.
    scene.editor.graph.move("b", (600.0, 200.0))
    settle(scene)
    assert problems(scene) == []
    scene.editor.graph.move("c", (280.0, 200.0))  # into the lane beside the column
    settle(scene)
    assert problems(scene) == []


def test_parallel_skips_do_not_share_a_lane():
    g = skip_chain()
    g.add_node(Node("add2", "Add", {"inputs": 2}), None)
    g.add_edge(Edge("add", "add2"))
    g.add_edge(Edge("a", "add2", 1))
    for nid, pos in arrange(g).items():
        g.nodes[nid].position = pos
    scene = scene_of(Document(g, "skips"))
    lanes = [item._lane for item in scene.edge_items.values() if item._lane is not None]
    assert len(lanes) == 2 and abs(lanes[0][0] - lanes[1][0]) >= routing.LANE_SPACING
    assert problems(scene) == []


def test_hidden_items_are_no_obstacles():
    scene = scene_of(Document(skip_chain(), "skip"))
    for nid in "abc":
        scene.node_items[nid].setVisible(False)
    wire = scene.edge_items[Edge("input", "add", 1)]
    wire.adjust()
    settle(scene)
    assert wire._lane is None
    assert wire.path().pointAtPercent(0.0) == QPointF(scene.node_items["input"].output_pos())
