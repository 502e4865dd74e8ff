"""The layered layout (core/drawing/layout.py): the main path one straight column, branches side by side without
overlapping, long wires given a lane beside the column, few crossings, group members kept together."""

from __future__ import annotations

from netbuilder.core.drawing.layout import COLUMN, ROW, _crossings, arrange
from netbuilder.core.graph import Edge, Graph, Group, Node
from netbuilder.core.presets import list_presets, load_preset

NODE_W = 230.0  # ui/canvas/items.py's block width: blocks a column apart never overlap


def relu(g: Graph, nid: str, *srcs: str) -> None:
    g.add_node(Node(nid, "Activation", {"function": "relu"}))
    for port, src in enumerate(srcs):
        g.add_edge(Edge(src, nid, port))


def residual(blocks: int) -> Graph:
    g = Graph()
    g.add_node(Node("input", "Input", {"shape": [4, 8, 8]}))
    tip = "input"
    for i in range(blocks):
        relu(g, f"a{i}", tip)
        relu(g, f"b{i}", f"a{i}")
        g.add_node(Node(f"add{i}", "Add", {"inputs": 2}))
        g.add_edge(Edge(f"b{i}", f"add{i}", 0))
        g.add_edge(Edge(tip, f"add{i}", 1))
        tip = f"add{i}"
    return g


def no_overlap(pos: dict[str, tuple[float, float]]) -> bool:
    rows: dict[float, list[float]] = {}
    for x, y in pos.values():
        rows.setdefault(y, []).append(x)
    return all(b - a >= NODE_W for xs in rows.values() for a, b in zip(sorted(xs), sorted(xs)[1:]))


def test_the_main_path_is_one_straight_column_and_skips_leave_it_alone():
    pos = arrange(residual(4))
    assert {x for x, _ in pos.values()} == {0.0}
    assert [pos[n][1] for n in ("input", "a0", "b0", "add0", "a1")] == [0, ROW, 2 * ROW, 3 * ROW, 4 * ROW]


def test_branches_side_by_side_without_overlap():
    g = Graph()
    g.add_node(Node("input", "Input", {"shape": [4, 8, 8]}))
    for b in range(3):
        relu(g, f"x{b}", "input")
        relu(g, f"y{b}", f"x{b}")
    g.add_node(Node("cat", "Concat", {"inputs": 3}))
    for b in range(3):
        g.add_edge(Edge(f"y{b}", "cat", b))
    pos = arrange(g)
    assert pos["input"][0] == pos["cat"][0] == pos["x0"][0] == pos["y0"][0] == 0.0  # the main path
    assert pos["x1"][1] == pos["x2"][1] == ROW and no_overlap(pos)
    assert sorted(pos[f"x{b}"][0] for b in range(3)) == sorted(pos[f"y{b}"][0] for b in range(3))  # straight


def test_a_lane_is_kept_beside_the_column_for_a_long_wire_next_to_a_branch():
    g = residual(1)
    relu(g, "side", "input")  # a branch at a0's layer, with the skip's lane passing there too
    g.add_edge(Edge("side", "add0", 1))
    g.remove_edge(Edge("input", "add0", 1))
    g.add_node(Node("cat", "Concat", {"inputs": 2}))
    g.add_edge(Edge("add0", "cat", 0))
    g.add_edge(Edge("input", "cat", 1))
    pos = arrange(g)
    assert no_overlap(pos)
    assert pos["side"][0] > 0


def test_fewer_crossings_than_document_order():
    g = Graph()
    g.add_node(Node("input", "Input", {"shape": [4, 8, 8]}))
    for b in "abc":
        relu(g, f"u{b}", "input")
    for b in "cba":  # added in the other order: document order would cross every pair
        relu(g, f"v{b}", f"u{b}")
    pos = arrange(g)
    upper = sorted("abc", key=lambda b: pos[f"u{b}"][0])
    lower = sorted("abc", key=lambda b: pos[f"v{b}"][0])
    assert upper == lower


def test_crossing_count():
    assert _crossings([0, 1], [[1], [0]]) == 1
    assert _crossings([0, 1, 2], [[2], [1], [0]]) == 3
    assert _crossings([0, 1], [[0], [1]]) == 0


def test_group_members_stay_together_within_a_layer():
    g = Graph()
    g.add_node(Node("input", "Input", {"shape": [4, 8, 8]}))
    for b in "abcd":
        relu(g, b, "input")
    g.add_group(Group("g", "pair", ["a", "c"]))
    pos = arrange(g)
    xs = sorted(pos, key=lambda n: pos[n][0])
    assert abs(xs.index("a") - xs.index("c")) == 1


def test_cycles_and_empty_graphs_are_placed():
    g = Graph()
    for i in range(3):
        g.nodes[f"r{i}"] = Node(f"r{i}", "Activation", {"function": "relu"})
    g.edges = [Edge(f"r{i}", f"r{(i + 1) % 3}") for i in range(3)]
    pos = arrange(g)
    assert len({p for p in pos.values()}) == 3
    assert arrange(Graph()) == {}


def test_every_preset_arranged_without_overlap():
    for preset in list_presets():
        pos = arrange(load_preset(preset.key).graph)
        assert no_overlap(pos), preset.key
        assert all(x % 1 == 0 for x, _ in pos.values())


def test_the_same_layout_every_time_on_5000_blocks():
    g = residual(1667)
    pos = arrange(g)  # bench_canvas.py times it: layout_ms.blocks_5000, target 3 s
    assert pos == arrange(g) and len(pos) == len(g.nodes) > 5000
    assert COLUMN >= NODE_W
