"""Typed problems: every error kind is reported with its numbers, its sentence reads as written, and the
kinds that have fixes yield them (fixes are chosen by kind, never by parsing the sentence)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from helpers import chain, image

from netbuilder.core import blocks
from netbuilder.core import fields as P
from netbuilder.core.blocks import base, channels, conv, merge, norm, pool, resample
from netbuilder.core.check import shapes as S
from netbuilder.core.check.explain import fixes
from netbuilder.core.check.problems import ErrorKind
from netbuilder.core.check.shapes import check
from netbuilder.core.graph import Edge, Graph, Node


def _one(kind: str, params: dict, c: int = 3, h: int = 8, w: int = 8) -> Graph:
    return chain(image(c, h, w), ("x", kind, params))


def _merge(kind: str, shapes: list[list[int]]) -> Graph:
    g = Graph()
    g.add_node(Node("input", "Input", {"shape": [3, 8, 8]}))
    for i, shape in enumerate(shapes):
        if len(shape) == 1:
            g.add_node(Node(f"b{i}", "Flatten", {}))
        else:
            g.add_node(Node(f"b{i}", "Conv2d", {"out_channels": shape[0], "kernel_size": 1, "stride": 8 // shape[1]}))
        g.add_edge(Edge("input", f"b{i}"))
    g.add_node(Node("x", kind, {"inputs": len(shapes)}))
    for i in range(len(shapes)):
        g.add_edge(Edge(f"b{i}", "x", i))
    return g


CASES = [
    (
        _one("Conv2d", {"out_channels": 4, "groups": 3}),
        conv.GROUPS_DIVIDE,
        "groups 3 must divide both its 3 input channels and its 4 out_channels. "
        "Set groups to a common divisor such as 1.",
        ["Set groups to 1"],
    ),
    (
        _one("Conv2d", {"padding": "same", "stride": 2}),
        conv.SAME_NEEDS_STRIDE_1,
        "padding 'same' only works with stride 1 (stride is 2). Set stride to 1, or give padding as a number.",
        ["Set stride to 1"],
    ),
    (
        _one("Conv2d", {"kernel_size": 11}),
        conv.KERNEL_TOO_LARGE,
        "its 11×11 kernel (dilation 1) is larger than the 8×8 input padded by 0. Lower kernel_size or raise padding.",
        ["Set padding to 5 (keeps 8×8)", "Set kernel_size to 8 (the largest that fits)"],
    ),
    (
        _one("Pool2d", {"kernel_size": 2, "padding": 2}),
        pool.PADDING_OVER_HALF,
        "its padding 2 is more than half its 2×2 window; PyTorch allows at most 1. "
        "Lower padding or enlarge kernel_size.",
        ["Set padding to 1"],
    ),
    (
        _one("Pool2d", {"kernel_size": 4}, h=2, w=2),
        pool.WINDOW_TOO_LARGE,
        "its 4×4 window does not fit the 2×2 volume that reaches it (3×2×2). Remove this pooling layer, or one of "
        "the pooling layers above it.",
        ["Remove this pooling layer"],
    ),
    (
        chain(("input", "Input", {"shape": [10]}), ("x", "Conv2d", {})),
        base.NEEDS_VOLUME,
        "its kernel needs a C×H×W volume but receives a vector of 10 features. Move it before the Flatten or "
        "Linear blocks, or use Linear instead.",
        ["Remove this block"],
    ),
    (
        _merge("Add", [[4, 8, 8], [4, 4, 4]]),
        merge.ADD_SHAPES_DIFFER,
        "its inputs differ (4×8×8 on input 0, 4×4×4 on input 1); Add needs equal volumes. Change one branch (for "
        "example a 1×1 Conv2d or a stride) or use Concat.",
        [],
    ),
    (
        _merge("Concat", [[4, 8, 8], [192]]),
        merge.CONCAT_MIXED_RANKS,
        "it cannot join volumes with vectors (4×8×8 on input 0, 192 on input 1). Flatten every branch or none.",
        ["Insert Flatten on input 0 (4×8×8)"],
    ),
    (
        _merge("Concat", [[4, 8, 8], [4, 4, 4]]),
        merge.CONCAT_SIZES_DIFFER,
        "its inputs differ in height×width (8×8 on input 0, 4×4 on input 1); Concat joins along channels and needs "
        "equal height and width. Change the stride or pooling of one branch.",
        [],
    ),
    (
        _merge("Multiply", [[4, 8, 8], [4]]),
        merge.MULTIPLY_RANKS_DIFFER,
        "it cannot multiply volumes with vectors (4×8×8 on input 0, 192 on input 1). Flatten every branch or none.",
        [],
    ),
    (
        _merge("Multiply", [[4, 8, 8], [2, 1, 1]]),
        merge.MULTIPLY_SHAPES_DIFFER,
        "its inputs cannot be broadcast (4×8×8 on input 0, 2×1×1 on input 1): in each dimension the sizes must be "
        "equal or 1, as a C×1×1 gate scales a C×H×W volume. Change the channels of one branch or pool a gate to 1×1.",
        [],
    ),
    (
        _one("ChannelShuffle", {"groups": 2}),
        channels.SHUFFLE_GROUPS,
        "its 2 groups do not divide the 3 channels that reach it. Set groups to a divisor of 3, such as the groups "
        "of the grouped Conv2d before it.",
        [],
    ),
    (
        _one("Narrow", {"start": 2, "length": 2}),
        channels.NARROW_OUTSIDE,
        "it takes channels 2 to 3, but only 3 channels (0 to 2) reach it. Lower start or length.",
        ["Take channels 2 to 2"],
    ),
    (_one("Conv2d", {"out_channels": 12.0}), P.WRONG_TYPE, "out_channels must be a whole number; got 12.0.", []),
    (_one("Conv2d", {"out_channels": 0}), P.OUT_OF_RANGE, "out_channels must be between 1 and 65536; got 0.", []),
    (_one("Pool2d", {"mode": None}), P.MISSING, "mode needs a value.", []),
    (
        _one("Dropout", {"rate": 0.5}),
        P.UNKNOWN,
        "it has no parameter 'rate' (its parameters: p). Remove or rename it.",
        [],
    ),
    (
        chain(("input", "Input", {"shape": [3, 0, 8]}), ("x", "Flatten", {})),
        P.SIZE_OUT_OF_RANGE,
        "every size in shape must be between 1 and 1000000; got [3, 0, 8].",
        [],
    ),
    (
        _one("GroupNorm", {"num_groups": 4}, c=6),
        norm.GROUPS_DIVIDE,
        "its 4 groups do not divide the 6 channels that reach it. Set num_groups to a divisor of 6.",
        [],
    ),
    (
        _one("Upsample", {"scale_factor": 0.1}),
        resample.UPSAMPLE_TOO_SMALL,
        "scaling its 8×8 input by 0.1 leaves no pixel. Raise scale_factor or give a size.",
        [],
    ),
]


@pytest.mark.parametrize("graph, kind, sentence, fix_labels", CASES, ids=[c[1].name for c in CASES])
def test_each_kind_reads_as_written_and_yields_its_fixes(
    graph: Graph, kind: ErrorKind, sentence: str, fix_labels: list[str]
):
    result = check(graph)
    node = next(nid for nid, r in result.nodes.items() if r.error)
    res = result.nodes[node]
    assert res.problem is not None and res.problem.kind is kind
    assert res.problem.sentence == sentence
    assert res.error == f"{graph.nodes[node].type} '{node}': {sentence}"
    assert [f.label for f in fixes(graph, result, node)] == fix_labels


def test_fixes_follow_the_kind_not_the_words(monkeypatch):
    """Rewording a sentence keeps its fixes."""
    graph, kind, _, labels = CASES[0]
    monkeypatch.setattr(kind, "render", lambda **data: "Entirely different words.")
    result = check(graph)
    assert result.nodes["x"].error == "Conv2d 'x': Entirely different words."
    assert [f.label for f in fixes(graph, result, "x")] == labels


def test_every_block_error_kind_is_covered():
    modules = [
        importlib.import_module(m.name) for m in pkgutil.iter_modules(blocks.__path__, "netbuilder.core.blocks.")
    ]
    kinds = {v for m in (*modules, P) for v in vars(m).values() if isinstance(v, ErrorKind)}
    assert kinds == {c[1] for c in CASES}


def _graph(nodes: list[tuple[str, str, dict]], edges: list[tuple[str, str, int]]) -> Graph:
    g = Graph()
    for nid, kind, params in nodes:
        g.add_node(Node(nid, kind, params))
    for src, dst, port in edges:
        g.add_edge(Edge(src, dst, port))
    return g


IN = ("input", "Input", {"shape": [3, 8, 8]})
STRUCTURE = [
    (
        _graph([IN, ("x", "Conv3d", {})], [("input", "x", 0)]),
        S.UNKNOWN_TYPE,
        "x",
        "Block 'x': its type 'Conv3d' is unknown (known types: Input, Conv2d, Activation, Pool2d, AdaptivePool2d, "
        "Upsample, BatchNorm, GroupNorm, LayerNorm2d, LayerScale, Rescale, Dropout, StochasticDepth, Flatten, Linear, "
        "Add, Multiply, Concat, ChannelShuffle, Narrow). Change it or delete the block.",
    ),
    (
        _graph([IN, ("in2", "Input", {"shape": [3, 8, 8]}), ("x", "Add", {})], [("input", "x", 0), ("in2", "x", 1)]),
        S.SECOND_INPUT,
        "in2",
        "Input 'in2': a network has exactly one Input, and 'input' is already one. Delete one of them.",
    ),
    (
        _graph([IN, ("a", "Flatten", {}), ("b", "Flatten", {})], [("input", "a", 0), ("a", "b", 0), ("b", "a", 1)]),
        S.CYCLE,
        "a",
        "Flatten 'a': it is part of a cycle (a → b → a). Remove one of these connections.",
    ),
    (
        _graph([IN, ("x", "Flatten", {})], [("input", "x", 1)]),
        S.NO_SUCH_PORT,
        "x",
        "Flatten 'x': 'input' is connected to its input 1, but it has only 1 input. Remove that connection.",
    ),
    (
        _graph([IN, ("f", "Flatten", {}), ("x", "Add", {})], [("input", "f", 0), ("input", "x", 0), ("f", "x", 0)]),
        S.PORT_FED_TWICE,
        "x",
        "Add 'x': its input 0 is fed by both 'f' and 'input'. Remove one of these connections.",
    ),
    (
        _graph([IN, ("x", "Flatten", {})], []),
        S.NOT_CONNECTED,
        "x",
        "Flatten 'x': it has no input. Connect a block's output to it.",
    ),
    (
        _graph([IN, ("x", "Add", {"inputs": 3})], [("input", "x", 0), ("input", "x", 2)]),
        S.NOT_CONNECTED,
        "x",
        "Add 'x': its input 1 is not connected. Connect a branch to it, or lower inputs.",
    ),
]


@pytest.mark.parametrize(
    "graph, kind, node, error", STRUCTURE, ids=[f"{c[1].name}-{i}" for i, c in enumerate(STRUCTURE)]
)
def test_structure_problems_are_typed_and_read_as_written(graph: Graph, kind: ErrorKind, node: str, error: str):
    res = check(graph).nodes[node]
    assert res.problem is not None and res.problem.kind is kind
    assert res.error == error


def test_network_problems_are_typed():
    empty = check(_graph([("f", "Flatten", {})], []))
    assert [p.kind for p in empty.graph_problems] == [S.NO_INPUT_BLOCK]
    assert empty.graph_errors == [
        "The network has no Input block. Add one from the palette and connect it to the first layer."
    ]
    two = check(_graph([IN, ("a", "Flatten", {}), ("b", "Flatten", {})], [("input", "a", 0), ("input", "b", 0)]))
    assert [p.kind for p in two.graph_problems] == [S.MANY_OUTPUTS]
    assert two.graph_problems[0].data["count"] == 2
    assert two.graph_errors == [
        "The network has 2 outputs ('a', 'b'); it needs exactly one. Connect the extra blocks onward or delete them."
    ]


def test_every_check_kind_is_covered():
    kinds = {v for v in vars(S).values() if isinstance(v, ErrorKind)}
    assert kinds == {c[1] for c in STRUCTURE} | {S.NO_INPUT_BLOCK, S.MANY_OUTPUTS}


def test_connect_refusals_are_typed():
    from netbuilder.core import graph as G

    g = _graph([IN, ("a", "Flatten", {}), ("b", "Linear", {})], [("input", "a", 0), ("a", "b", 0)])
    cases = [
        (("b", "a", 1), G.WOULD_CYCLE, "Connecting 'b' to 'a' would make a cycle; data must flow one way."),
        (("a", "input", 0), G.INTO_SOURCE, "Input 'input' takes no input: it is where the data enters the network."),
        (("input", "b", 0), G.PORT_TAKEN, "Input 0 of 'b' is already fed by 'a'. Remove that connection first."),
        (("input", "nowhere", 0), G.NOT_IN_NETWORK, "Both ends of a connection must be blocks of this network."),
    ]
    for (src, dst, port), kind, sentence in cases:
        problem = g.connect_problem(src, dst, port)
        assert problem is not None and problem.kind is kind and problem.sentence == sentence
        assert g.connect_refusal(src, dst, port) == sentence
    assert g.connect_problem("input", "b", 1) is None


def test_edge_queries_follow_every_kind_of_change():
    g = _graph([IN, ("a", "Flatten", {}), ("b", "Linear", {})], [("input", "a", 0)])
    assert g.in_edges("a") == [Edge("input", "a")] and g.out_edges("a") == []
    g.add_edge(Edge("a", "b"))
    assert g.out_edges("a") == [Edge("a", "b")] and g.edges_of("a") == [Edge("input", "a"), Edge("a", "b")]
    g.remove_edge(Edge("input", "a"))
    assert g.in_edges("a") == []
    g.edges.append(Edge("input", "a"))  # a file reader appends directly
    assert g.in_edges("a") == [Edge("input", "a")]
    g.edges = [Edge("input", "b")]
    assert g.in_edges("b") == [Edge("input", "b")] and g.out_edges("a") == []


def test_unsubscribe_stops_notifications():
    g = _graph([IN], [])
    seen: list[str] = []
    stop = g.subscribe(lambda kind, subject: seen.append(kind))
    g.add_node(Node("a", "Flatten", {}))
    stop()
    g.add_node(Node("b", "Flatten", {}))
    assert seen == ["node_added"] and g.listeners == []
