"""Groups in the document: strict reading, round trips, nesting rules, and what a group card shows."""

from __future__ import annotations

import json

import pytest

from netbuilder.core import groups as G
from netbuilder.core.check.shapes import check
from netbuilder.core.document import DocumentError, dumps, parse
from netbuilder.core.graph import Graph, GraphError, Group, blocks_in
from netbuilder.core.presets import load_preset

BASE = {
    "format": "netbuilder",
    "version": 1,
    "nodes": [{"id": "input", "type": "Input"}, {"id": "a", "type": "Flatten"}, {"id": "b", "type": "Linear"}],
    "edges": [{"from": "input", "to": "a"}, {"from": "a", "to": "b"}],
}


def _doc(groups):
    return json.dumps({**BASE, "groups": groups})


def test_files_without_groups_read_and_write_as_before():
    text = json.dumps(BASE)
    doc = parse(text)
    assert doc.graph.groups == {} and '"groups"' not in dumps(doc)


def test_nested_groups_round_trip():
    doc = parse(
        _doc(
            [
                {"id": "inner", "name": "head", "members": ["b"]},
                {"id": "outer", "name": "all", "members": ["a", "inner"], "folded": False},
            ]
        )
    )
    again = parse(dumps(doc))
    assert {g: (x.name, x.members, x.folded) for g, x in again.graph.groups.items()} == {
        "inner": ("head", ["b"], True),
        "outer": ("all", ["a", "inner"], False),
    }
    assert blocks_in(again.graph, "outer") == ["a", "b"]
    assert G.depth(again.graph, "inner") == 1
    assert G.shown_as(again.graph) == {"input": "input", "a": "a", "b": "inner"}


@pytest.mark.parametrize(
    "groups, words",
    [
        ([{"id": "g", "name": "x", "members": ["zz"]}], "neither a block nor a group"),
        ([{"id": "g", "name": "x", "members": ["a"]}, {"id": "h", "name": "y", "members": ["a"]}], "already in group"),
        ([{"id": "a", "name": "x", "members": ["b"]}], "already taken"),
        ([{"id": "g", "name": "\u001b[2J", "members": ["b"]}], "printable"),
        ([{"id": "g", "name": "x", "members": []}], "has no members"),
        ([{"id": "g", "name": "x", "members": ["b", "b"]}], "twice"),
        ([{"id": "g\n", "name": "x", "members": ["b"]}], "not a valid group id"),
        ([{"id": "g", "name": "x", "members": ["b"], "extra": 1}], "unknown field"),
        ([{"id": "g", "name": "x", "members": "b"}], "a list of block and group ids"),
        ({}, "a list of groups"),
    ],
)
def test_malformed_groups_are_refused_with_a_sentence(groups, words):
    with pytest.raises(DocumentError, match=words) as caught:
        parse(_doc(groups))
    assert "\x1b" not in str(caught.value) and "\n" not in str(caught.value)


def test_a_group_cannot_contain_itself_through_another():
    graph = parse(
        _doc([{"id": "inner", "name": "i", "members": ["b"]}, {"id": "outer", "name": "o", "members": ["inner"]}])
    ).graph
    looped = graph.groups["inner"].copy()
    looped.members = ["b", "outer"]
    with pytest.raises(GraphError):
        graph.set_group(looped)


def test_grouped_blocks_cannot_be_removed_behind_the_groups_back():
    graph = parse(_doc([{"id": "g", "name": "x", "members": ["b"]}])).graph
    graph.remove_edge(graph.edges[-1])
    with pytest.raises(GraphError, match="still in a group"):
        graph.remove_node("b")


def test_facts_of_a_group():
    graph = load_preset("seed_cnn").graph
    graph.add_group(Group("g", "features", ["conv1", "relu1", "pool1"]))
    result = check(graph)
    facts = G.facts(graph, result, "g")
    assert facts.inputs == [(3, 32, 32)] and facts.outputs == [(12, 16, 16)]
    assert facts.params == result.nodes["conv1"].params and facts.macs == result.nodes["conv1"].macs
    assert facts.categories == ["layer", "activation", "pooling"] and facts.error is None
    graph.set_params("conv1", {"out_channels": 12, "kernel_size": 99})
    assert G.facts(graph, check(graph), "g").error[0] == "conv1"


def test_repeated_patterns_are_found_in_any_one_group():
    graph = load_preset("vgg_cifar").graph  # grouped into stages: each run lies within its stage
    result = check(graph)
    runs = G.repeats(graph, result, ["conv1_1", "bn1_1", "relu1_1"])
    assert len(runs) == 11 and all(
        [graph.nodes[n].type for n in r] == ["Conv2d", "BatchNorm", "Activation"] for r in runs
    )
    owner = G.parents(graph)
    assert all(len({owner[n] for n in r}) == 1 for r in runs)
    assert G.repeats(graph, result, ["conv1_1", "relu1_1"]) == []  # not a contiguous run
    graph.groups = {}
    assert len(G.repeats(graph, check(graph), ["conv1_1", "bn1_1", "relu1_1"])) == 11


def test_subgraph_and_copy_keep_groups():
    graph = parse(_doc([{"id": "g", "name": "x", "members": ["a", "b"]}])).graph
    assert set(graph.copy().groups) == {"g"}
    assert set(graph.subgraph({"a", "b"}).groups) == {"g"} and graph.subgraph({"a"}).groups == {}


def test_a_block_id_cannot_reuse_a_group_id():
    from netbuilder.core.graph import Node

    graph = Graph()
    graph.add_node(Node("a", "Flatten"))
    graph.add_group(Group("g", "x", ["a"]))
    with pytest.raises(GraphError, match="already exists"):
        graph.add_node(Node("g", "Flatten"))
