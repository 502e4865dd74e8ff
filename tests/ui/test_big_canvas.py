"""Big networks on the canvas: opening one costs O(N), "add below" walks the graph once, wires follow moves."""

from gestures import key, mouse_drag
from PySide6.QtCore import QPointF

from netbuilder.core.document import Document
from netbuilder.core.drawing.layout import ROW, arrange, descendants, missing_positions
from netbuilder.core.graph import Edge, Graph, Node
from netbuilder.ui.canvas.items import NodeItem
from netbuilder.ui.canvas.palette import Entry


def chain(blocks: int) -> Graph:
    """Input, then relus, with no positions (as a script may write the file)."""
    g = Graph()
    g.nodes["input"] = Node("input", "Input", {"shape": [4, 8, 8]})
    for i in range(1, blocks):
        g.nodes[f"r{i}"] = Node(f"r{i}", "Activation", {"function": "relu"})
        g.edges.append(Edge(f"r{i - 1}" if i > 1 else "input", f"r{i}"))
    return g


def test_opening_a_2000_block_chain_builds_every_item_and_paints_only_what_is_seen(make_window, monkeypatch):
    window = make_window()
    painted = []
    paint = NodeItem.paint
    monkeypatch.setattr(NodeItem, "paint", lambda self, *a: (painted.append(self.node_id), paint(self, *a))[1])
    window.editor.replace(Document(chain(2000), "chain"), None)
    window.view.show_start()
    window.view.viewport().repaint()
    items = window.scene.node_items
    assert len(items) == 2000 and len(window.scene.edge_items) == 1999
    assert all(item.view.volume == "4×8×8" for item in items.values())
    # Blocks without positions are arranged, not stacked on one point where all of them would be painted.
    assert len({(item.pos().x(), item.pos().y()) for item in items.values()}) == 2000
    assert 0 < len(painted) < 100


def test_missing_positions_go_below_the_placed_blocks():
    g = chain(4)
    g.nodes["input"].position = (0.0, 500.0)
    placed = missing_positions(g)
    assert set(placed) == {"r1", "r2", "r3"}
    assert [placed[n][1] for n in ("r1", "r2", "r3")] == [500 + ROW, 500 + 2 * ROW, 500 + 3 * ROW]


def test_descendants_in_one_walk():
    g = chain(5)
    g.nodes["side"] = Node("side", "Activation")
    g.edges.append(Edge("input", "side"))
    assert descendants(g, "r2") == {"r3", "r4"}
    assert descendants(g, "input") == {"r1", "r2", "r3", "r4", "side"}


def test_add_below_moves_only_what_is_downstream_without_a_search_per_block(make_window, monkeypatch):
    window = make_window()
    g = chain(300)
    for nid, pos in arrange(g).items():
        g.nodes[nid].position = pos
    g.nodes["side"] = Node("side", "Activation", {}, (500.0, 200 * ROW))  # below r100, not downstream of it
    g.edges.append(Edge("input", "side"))
    window.editor.replace(Document(g, "chain"), None)
    graph = window.editor.graph
    searches = []
    reaches = Graph.reaches
    monkeypatch.setattr(Graph, "reaches", lambda self, a, b: (searches.append(a), reaches(self, a, b))[1])
    before = {nid: n.position for nid, n in graph.nodes.items()}
    window.scene.node_items["r100"].setSelected(True)
    window.canvas.add_below_selection(Entry("BatchNorm", "BatchNorm", ""))
    bn = next(n for n in graph.nodes.values() if n.type == "BatchNorm")
    assert Edge("r100", bn.id) in graph.edges and Edge(bn.id, "r101") in graph.edges
    assert graph.nodes["r101"].position[1] == before["r101"][1] + ROW
    assert graph.nodes["r299"].position[1] == before["r299"][1] + ROW
    assert graph.nodes["side"].position == before["side"] and graph.nodes["r100"].position == before["r100"]
    assert len(searches) <= 2  # not one per block


def test_wires_follow_a_dragged_block_and_its_undo(make_window):
    window = make_window()
    item, wire = window.scene.node_items["relu1"], window.scene.edge_items[Edge("conv1", "relu1")]

    def attached() -> bool:
        end = wire.path().pointAtPercent(1.0)
        return (end - item.input_pos(0)).manhattanLength() < 0.5

    start = item.pos()
    mouse_drag(window, item.mapToScene(QPointF(60, 50)), item.mapToScene(QPointF(200, 120)))
    assert item.pos() != start and attached()
    key(window, "Ctrl+Z")
    assert item.pos() == start and attached()


def test_opening_a_file_and_unfolding_a_group_lay_out_each_wire_once(make_window, monkeypatch, tmp_path, qtbot):
    """Each wire is drawn once when a network opens, and once when an unfolded group shows it: when the scene
    has settled, among the blocks where they stand (not first as made, then again as routed). A wire hidden in a
    folded group is drawn first when the group unfolds."""
    from gestures import view_point
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from netbuilder.core.document import save
    from netbuilder.core.graph import Group
    from netbuilder.ui.canvas.edge_item import EdgeItem
    from netbuilder.ui.canvas.minimap import REDRAW_MS

    window = make_window()
    drawn: list[EdgeItem] = []
    set_path = EdgeItem.setPath
    monkeypatch.setattr(EdgeItem, "setPath", lambda self, path: (drawn.append(self), set_path(self, path))[1])
    g = chain(60)
    g.edges.append(Edge("r10", "r40"))  # a skip past 29 blocks: routed beside the column
    for nid, pos in arrange(g).items():
        g.nodes[nid].position = pos
    g.add_group(Group("mid", "mid", [f"r{i}" for i in range(20, 30)], folded=True))
    save(Document(g, "chain"), tmp_path / "chain.json")
    assert window.files.open(tmp_path / "chain.json")
    window.view.viewport().repaint()
    edges = window.scene.edge_items
    shown = [id(item) for item in edges.values() if item.isVisible()]
    assert len(edges) == 60 and len(shown) == 60 - 9 and sorted(map(id, drawn)) == sorted(shown)
    assert edges[Edge("r10", "r40")]._lane is not None  # routed, not the S-curve through the blocks
    # The overview draws every block, but reads no block's description: only those in sight are described.
    assert window.view.minimap.isVisible()
    qtbot.wait(2 * REDRAW_MS)  # the overview draws the new network once the changes pause
    window.view.minimap.repaint()
    described = [item for item in window.scene.node_items.values() if item._make_view is None]
    assert 0 < len(described) < 30

    drawn.clear()
    card = window.scene.group_cards["mid"]
    QTest.mouseDClick(
        window.view.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        view_point(window, card.mapToScene(card.shape().boundingRect().center())),
    )
    window.view.viewport().repaint()
    assert not window.editor.graph.groups["mid"].folded
    inside = [window.scene.edge_items[Edge(f"r{i}", f"r{i + 1}")] for i in range(20, 29)]
    assert all(item.isVisible() for item in inside)
    assert all(drawn.count(item) == 1 for item in inside)


def _counting(monkeypatch, cls: type, name: str) -> list:
    """Every call of cls.name, as the item it was called on."""
    calls: list = []
    method = getattr(cls, name)
    monkeypatch.setattr(cls, name, lambda self, *a, **k: (calls.append(self), method(self, *a, **k))[1])
    return calls


def test_add_below_lays_out_each_wire_once(make_window, monkeypatch):
    """Add below moves every block under the selection (one command of many moves): each wire follows them once,
    when the command is over, not once per end moved and again when the scene settles."""
    from netbuilder.ui.canvas.edge_item import EdgeItem
    from netbuilder.ui.canvas.undo import add_below

    window = make_window()
    g = chain(80)
    g.edges.append(Edge("r10", "r40"))  # a skip: routed beside the column, both its ends moved
    for nid, pos in arrange(g).items():
        g.nodes[nid].position = pos
    window.editor.replace(Document(g, "chain"), None)
    adjusted = _counting(monkeypatch, EdgeItem, "adjust")
    window.editor.push(add_below(window.editor.graph, "r5", "BatchNorm", {}))
    wires = window.scene.edge_items
    assert len(adjusted) == len(wires) - 5 and len(set(map(id, adjusted))) == len(adjusted)  # all but the 5 above r5
    for edge, wire in wires.items():
        assert wire.path().pointAtPercent(0.0) == window.scene.node_items[edge.src].output_pos()
        assert wire.path().pointAtPercent(1.0) == window.scene.node_items[edge.dst].input_pos(edge.port)


def test_folding_routes_no_hidden_wire_and_unfolding_shows_the_same_wires(make_window, monkeypatch):
    """A folded group's inner wires stay on their blocks, hidden and not laid out; unfolding shows the same items,
    each laid out once, where the blocks are."""
    from netbuilder.core.graph import Group
    from netbuilder.ui.canvas.edge_item import EdgeItem
    from netbuilder.ui.canvas.undo import fold

    window = make_window()
    g = chain(60)
    for nid, pos in arrange(g).items():
        g.nodes[nid].position = pos
    g.add_group(Group("mid", "mid", [f"r{i}" for i in range(20, 30)], folded=False))
    window.editor.replace(Document(g, "chain"), None)
    inner = [Edge(f"r{i}", f"r{i + 1}") for i in range(20, 29)]
    before = {e: window.scene.edge_items[e] for e in inner}
    adjusted = _counting(monkeypatch, EdgeItem, "adjust")
    window.editor.push(fold(window.editor.graph, "mid", True))
    assert all(not before[e].isVisible() and window.scene.edge_items[e] is before[e] for e in inner)
    assert adjusted and all(item.isVisible() for item in adjusted)
    adjusted.clear()
    window.editor.push(fold(window.editor.graph, "mid", False))
    assert all(window.scene.edge_items[e] is before[e] and before[e].isVisible() for e in inner)
    assert all(adjusted.count(before[e]) == 1 for e in inner)
    for e in inner:
        assert before[e].path().pointAtPercent(1.0) == window.scene.node_items[e.dst].input_pos(0)


def test_an_edit_repaints_the_labels_at_once_and_marks_an_unseen_block_once(make_window, monkeypatch, qtbot):
    """A check that changes every volume repaints the changed labels as one region of the scene (wires are not
    cached), and tells a block that has not been painted since its last change nothing new: its cached picture is
    already out of date. The wires in sight show the new volume; so does the block once scrolled to."""
    from netbuilder.ui.canvas.edge_item import EdgeItem
    from netbuilder.ui.canvas.undo import set_params

    window = make_window()
    g = chain(300)
    for nid, pos in arrange(g).items():
        g.nodes[nid].position = pos
    window.editor.replace(Document(g, "chain"), None)
    window.view.show_start()
    window.view.viewport().repaint()
    far = window.scene.node_items["r290"]
    assert far._unpainted  # out of sight since the network opened
    wire_updates = _counting(monkeypatch, EdgeItem, "update")
    block_updates = _counting(monkeypatch, NodeItem, "update")
    painted = _counting(monkeypatch, EdgeItem, "paint")
    for shape in ([2, 8, 8], [4, 8, 8]):
        window.editor.push(set_params(window.editor.graph, "input", {"shape": shape}))
        qtbot.wait(1)  # the event loop repaints what changed in sight
    assert wire_updates == [] and far not in block_updates
    seen = window.scene.edge_items[Edge("input", "r1")]
    assert seen in painted and seen.label == "4×8×8"
    window.view.centerOn(far)
    window.view.viewport().repaint()
    assert far.view.volume == "4×8×8" and not far._unpainted
