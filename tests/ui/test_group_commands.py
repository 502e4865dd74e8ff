"""Group edits are undoable commands, testable without a window."""

from __future__ import annotations

from PySide6.QtGui import QUndoStack

from netbuilder.core.check.shapes import check
from netbuilder.core.graph import Group, blocks_in
from netbuilder.core.groups import parents, repeats
from netbuilder.core.presets import load_preset
from netbuilder.ui.canvas import undo as C


def _state(graph):
    return (
        {gid: (g.name, list(g.members), g.folded) for gid, g in graph.groups.items()},
        list(graph.nodes),
        list(graph.edges),
    )


def test_group_nest_ungroup_and_undo_everything():
    graph, stack = load_preset("seed_cnn").graph, QUndoStack()
    before = _state(graph)
    stack.push(C.group_units(graph, ["conv1", "relu1", "pool1"], "features"))
    outer = next(iter(graph.groups))
    assert graph.groups[outer].members == ["conv1", "relu1", "pool1"]
    stack.push(C.group_units(graph, ["relu1", "pool1"], "tail"))  # nested inside the first
    inner = [g for g in graph.groups if g != outer][0]
    assert graph.groups[outer].members == ["conv1", inner] and blocks_in(graph, outer) == ["conv1", "relu1", "pool1"]
    assert C.group_units(graph, ["conv1", "fc1"]) is None  # would straddle the group's border
    assert C.group_units(graph, ["conv1", inner]) is None  # all of the outer group: it groups them already
    stack.push(C.rename_group(graph, inner, "act+pool"))
    stack.push(C.fold(graph, outer, True))
    stack.push(C.ungroup(graph, outer))
    assert outer not in graph.groups and graph.groups[inner].name == "act+pool"
    while stack.canUndo():
        stack.undo()
    assert _state(graph) == before
    while stack.canRedo():
        stack.redo()
    assert list(graph.groups) == [inner]


def test_deleting_grouped_blocks_updates_and_empties_groups_and_undoes():
    graph, stack = load_preset("seed_cnn").graph, QUndoStack()
    stack.push(C.group_units(graph, ["conv1", "relu1"], "a"))
    gid = next(iter(graph.groups))
    stack.push(C.group_units(graph, ["relu1"], "b"))
    before = _state(graph)
    stack.push(C.delete_blocks(graph, ["relu1"]))
    assert list(graph.groups) == [gid] and graph.groups[gid].members == ["conv1"]
    stack.push(C.delete_blocks(graph, ["conv1"]))
    assert graph.groups == {}
    stack.undo()
    stack.undo()
    assert _state(graph) == before


def test_group_repeats_in_one_step():
    graph, stack = load_preset("vgg_cifar").graph, QUndoStack()  # grouped into stages
    before = _state(graph)
    runs = repeats(graph, check(graph), ["conv1_1", "bn1_1", "relu1_1"])
    stack.push(C.group_repeats(graph, runs, "conv block"))
    new = [gid for gid in graph.groups if gid not in before[0]]
    assert len(new) == 11
    owner = parents(graph)
    assert all(owner[gid].startswith("stage") for gid in new)  # each inside the stage that held its run
    assert all(owner[graph.groups[gid].members[0]] == gid for gid in new)
    stack.undo()
    assert _state(graph) == before


def test_a_group_is_a_group_record():
    g = Group("g", "n", ["a"])
    assert g.copy() == g and g.copy() is not g
