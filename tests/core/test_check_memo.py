"""The live check's memo never changes an answer (issue 10, item 1)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netbuilder.core.check.shapes import Check, check
from netbuilder.core.document import parse, to_dict
from netbuilder.core.graph import Edge, Graph, Node
from netbuilder.core.presets import load_preset

# Values that == confuses (12 == 12.0 == True-ish, 0.0 == -0.0) in every parameter position.
VALUES = [12, 12.0, True, False, 1, 1.0, 0, 0.0, -0.0, "12", "same", None, [12, 12], [12.0, 12], [True, 1], 0.5, "relu"]
TYPES = {
    "Conv2d": ["out_channels", "kernel_size", "padding", "bias", "stride"],
    "Linear": ["out_features", "bias"],
    "Activation": ["function", "negative_slope"],
    "Pool2d": ["kernel_size", "ceil_mode"],
    "Dropout": ["p"],
}


@st.composite
def documents(draw: Any) -> Graph:
    """Input → up to three blocks with shared ids and confusable parameter values."""
    g = Graph()
    g.add_node(Node("input", "Input", {"shape": draw(st.sampled_from([[3, 32, 32], [3.0, 32, 32], [12]]))}))
    prev = "input"
    for nid in draw(st.lists(st.sampled_from(["a", "b", "c"]), max_size=3, unique=True)):
        kind = draw(st.sampled_from(sorted(TYPES)))
        names = draw(st.lists(st.sampled_from(TYPES[kind]), max_size=3, unique=True))
        g.add_node(Node(nid, kind, {n: draw(st.sampled_from(VALUES)) for n in names}))
        g.add_edge(Edge(prev, nid))
        prev = nid
    return g


def fresh(graph: Graph) -> str:
    """What a fresh process says about a graph, as exact text (repr tells 12 from 12.0)."""
    return repr(check(graph.copy(), memo={}))


def same(a: Check, b: str) -> bool:
    return repr(a) == b


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(documents(), min_size=2, max_size=6))
def test_a_memo_shared_by_every_document_never_changes_a_result(docs: list[Graph]) -> None:
    shared: dict[str, Any] = {}
    editor = Graph()  # one long-lived graph edited into each document in turn, as the window does
    for doc in docs:
        assert same(check(doc, shared), fresh(doc))
        assert same(check(doc), fresh(doc))
        for nid in list(editor.nodes):
            for e in editor.edges_of(nid):
                editor.remove_edge(e)
            if nid not in doc.nodes or doc.nodes[nid].type != editor.nodes[nid].type:
                editor.remove_node(nid)
        for nid, node in doc.nodes.items():
            if nid in editor.nodes:
                editor.set_params(nid, node.params)
            else:
                editor.add_node(node.copy())
        for e in doc.edges:
            editor.add_edge(e)
        assert same(check(editor), fresh(editor))


def _bad_seed_text() -> str:
    """The seed_cnn preset with "out_channels": 12.0."""
    data = to_dict(load_preset("seed_cnn"))
    data["nodes"][1]["params"]["out_channels"] = 12.0
    return json.dumps(data)


def test_a_float_out_channels_file_and_the_seed_preset_in_either_order() -> None:
    bad = parse(_bad_seed_text())
    assert not check(bad.graph).valid
    assert check(load_preset("seed_cnn").graph).valid
    assert check(load_preset("seed_cnn").graph).valid
    result = check(parse(_bad_seed_text()).graph)
    assert not result.valid and "out_channels must be a whole number; got 12.0" in result.errors[0]


def test_a_graph_edited_from_12_to_12_0_and_back() -> None:
    g = load_preset("seed_cnn").graph
    assert check(g).valid
    g.set_params("conv1", {**g.nodes["conv1"].params, "out_channels": 12.0})
    assert not check(g).valid
    g.set_params("conv1", {**g.nodes["conv1"].params, "out_channels": True})
    assert "got true" in check(g).errors[0]
    g.set_params("conv1", {**g.nodes["conv1"].params, "out_channels": 12})
    assert check(g).valid
