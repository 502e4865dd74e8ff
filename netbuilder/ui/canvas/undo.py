"""Undoable edits. Each core mutation has one small reversible operation; an Edit (a QUndoCommand)
applies a list of them, so a bulk delete or a paste is one command and undoes as one step.

(Plain Python operations inside one QUndoCommand, rather than Qt child commands, because PySide
does not hand child commands over to their parent and both sides would delete them.)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

from PySide6.QtGui import QUndoCommand

from netbuilder.core.blocks import REGISTRY
from netbuilder.core.check.problems import ShapeError
from netbuilder.core.document import Document
from netbuilder.core.drawing.layout import ROW, descendants
from netbuilder.core.fields import validate
from netbuilder.core.graph import Edge, Graph, Group, Node
from netbuilder.core.groups import depth, parents
from netbuilder.core.learning import freezing
from netbuilder.core.search_space import SearchSpace
from netbuilder.ui.canvas.items import NODE_H as BLOCK_H
from netbuilder.ui.canvas.items import NODE_W as BLOCK_W

Position = tuple[float, float] | None


class Op(Protocol):
    def redo(self) -> None: ...

    def undo(self) -> None: ...


@dataclass
class AddNode:
    graph: Graph
    node: Node

    def redo(self) -> None:
        self.graph.add_node(self.node.copy())

    def undo(self) -> None:
        self.graph.remove_node(self.node.id)


@dataclass
class RemoveNode:
    """Remove a node whose edges are gone; undo puts it back at the same place in document order."""

    graph: Graph
    node: Node
    index: int

    def redo(self) -> None:
        self.graph.remove_node(self.node.id)

    def undo(self) -> None:
        self.graph.add_node(self.node.copy(), self.index)


@dataclass
class AddEdge:
    graph: Graph
    edge: Edge

    def redo(self) -> None:
        self.graph.add_edge(self.edge)

    def undo(self) -> None:
        self.graph.remove_edge(self.edge)


@dataclass
class RemoveEdge:
    graph: Graph
    edge: Edge
    index: int

    def redo(self) -> None:
        self.graph.remove_edge(self.edge)

    def undo(self) -> None:
        self.graph.add_edge(self.edge, self.index)


@dataclass
class SetParams:
    graph: Graph
    node_id: str
    old: dict[str, Any]
    new: dict[str, Any]

    def redo(self) -> None:
        self.graph.set_params(self.node_id, self.new)

    def undo(self) -> None:
        self.graph.set_params(self.node_id, self.old)


@dataclass
class Move:
    graph: Graph
    node_id: str
    old: Position
    new: Position

    def redo(self) -> None:
        self.graph.move(self.node_id, self.new)

    def undo(self) -> None:
        self.graph.move(self.node_id, self.old)


@dataclass
class AddGroup:
    graph: Graph
    group: Group

    def redo(self) -> None:
        self.graph.add_group(self.group)

    def undo(self) -> None:
        self.graph.remove_group(self.group.id)


@dataclass
class RemoveGroup:
    """Remove a group no other group contains; undo puts it back at the same place in document order."""

    graph: Graph
    group: Group
    index: int

    def redo(self) -> None:
        self.graph.remove_group(self.group.id)

    def undo(self) -> None:
        self.graph.add_group(self.group, self.index)


@dataclass
class SetGroup:
    graph: Graph
    old: Group
    new: Group

    def redo(self) -> None:
        self.graph.set_group(self.new)

    def undo(self) -> None:
        self.graph.set_group(self.old)


class Edit(QUndoCommand):
    """One undo step made of operations. Edits with the same merge key (a field being typed) merge."""

    def __init__(self, text: str, ops: list[Op], merge_key: tuple | None = None, view_only: bool = False) -> None:
        super().__init__(text)
        self.ops, self.merge_key = ops, merge_key
        self.view_only = view_only  # it changes how the network is shown (fold, arrange), not the network

    @property
    def added(self) -> list[str]:
        """The ids of the blocks this edit adds (to select them once it is pushed)."""
        return [op.node.id for op in self.ops if isinstance(op, AddNode)]

    def to_select(self, graph: Graph, undone: bool) -> list[str]:
        """The blocks to select once this edit was undone or redone, so that the next key acts where it did: the
        blocks it brought (back), else the last block that what it took away hung from, else those it changed."""
        added = {op.node.id for op in self.ops if isinstance(op, AddNode)}
        removed = {op.node.id for op in self.ops if isinstance(op, RemoveNode)}
        present, gone = (removed, added) if undone else (added, removed)
        edges = [op.edge for op in self.ops if isinstance(op, (AddEdge, RemoveEdge))]
        if present:
            ids = present
        elif gone:
            ids = {e.src for e in edges if e.dst in gone} or {e.dst for e in edges if e.src in gone}
        else:
            ids = {op.node_id for op in self.ops if isinstance(op, (SetParams, Move))}
            ids |= {n for e in edges for n in (e.src, e.dst)}
        chosen = [nid for nid in graph.nodes if nid in ids]  # in document order
        return chosen[-1:] if gone and not present else chosen

    def id(self) -> int:
        return 1 if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt's name)
        if not isinstance(other, Edit) or other.merge_key != self.merge_key:
            return False
        mine, theirs = self.ops[0], other.ops[0]
        assert isinstance(mine, (SetParams, SetTraining)) and type(theirs) is type(mine)
        mine.new = theirs.new
        return True

    def redo(self) -> None:
        for op in self.ops:
            op.redo()

    def undo(self) -> None:
        for op in reversed(self.ops):
            op.undo()


def input_count(node: Node) -> int:
    """How many inputs the block takes (1 while its type is unknown or its parameters are invalid)."""
    block = REGISTRY.get(node.type)
    if block is None:
        return 1
    try:
        return block.inputs(validate(block.params, node.params))
    except ShapeError:
        return 1


def new_node(graph: Graph, block_type: str, params: dict[str, Any], position: tuple[float, float]) -> Node:
    """A block of a type with a fresh id named after it (conv, relu_2, …), not yet in the graph."""
    block = REGISTRY.get(block_type)
    base = block.new_id_base(params) if block is not None else block_type.lower()
    return Node(graph.unique_id(base), block_type, dict(params), position)


def add_node(graph: Graph, node: Node) -> Edit:
    return Edit(f"Add {node.type} '{node.id}'", [AddNode(graph, node.copy())])


def connect(graph: Graph, edge: Edge) -> Edit:
    return Edit(f"Connect '{edge.src}' to '{edge.dst}'", [AddEdge(graph, edge)])


def disconnect(graph: Graph, edges: list[Edge]) -> Edit:
    n = len(edges)
    ops: list[Op] = [RemoveEdge(graph, e, graph.edges.index(e)) for e in back_to_front(graph, edges)]
    return Edit(f"Delete {n} connection{'s' if n > 1 else ''}", ops)


def set_params(graph: Graph, node_id: str, params: dict[str, Any], field: str = "") -> Edit:
    """Replace a block's parameters; successive edits of one field of one block merge into one step."""
    op = SetParams(graph, node_id, dict(graph.nodes[node_id].params), dict(params))
    return Edit(f"Set {field or 'parameters'} of '{node_id}'", [op], (node_id, field) if field else None)


def move_nodes(
    graph: Graph, moves: dict[str, tuple[Position, Position]], text: str = "", view_only: bool = False
) -> Edit:
    """Move blocks as one step; view_only for a layout the user did not place by hand (auto-arrange)."""
    n = len(moves)
    text = text or (f"Move '{next(iter(moves))}'" if n == 1 else f"Move {n} blocks")
    return Edit(text, [Move(graph, nid, old, new) for nid, (old, new) in moves.items()], view_only=view_only)


def back_to_front(graph: Graph, edges: list[Edge]) -> list[Edge]:
    """Edges in reverse document order, so each recorded index is right when undo reinserts them."""
    chosen = set(edges)
    return [e for e in reversed(graph.edges) if e in chosen]


def _bypasses(graph: Graph, removed: set[str]) -> list[Edge]:
    """Edges that join what fed a deleted run of single-input blocks to what it fed."""
    bridges = []
    for e in graph.edges:
        if e.src not in removed or e.dst in removed:
            continue
        cursor = e.src
        while cursor in removed:
            ins = graph.in_edges(cursor)
            if len(ins) != 1 or input_count(graph.nodes[cursor]) != 1:
                cursor = ""
                break
            cursor = ins[0].src
        if cursor:
            bridges.append(Edge(cursor, e.dst, e.port))
    return bridges


def _leaving_groups(graph: Graph, removed: set[str]) -> list[Op]:
    """Take removed blocks out of their groups; a group left empty goes too (outermost first)."""
    gone = set(removed)
    members = {gid: [m for m in g.members if m not in gone] for gid, g in graph.groups.items()}
    while emptied := {gid for gid, kept in members.items() if not kept and gid not in gone}:
        gone |= emptied
        members = {gid: [m for m in kept if m not in gone] for gid, kept in members.items()}
    ops: list[Op] = []
    for gid, group in graph.groups.items():
        if gid not in gone and members[gid] != group.members:
            new = group.copy()
            new.members = members[gid]
            ops.append(SetGroup(graph, group.copy(), new))
    order = list(graph.groups)
    for gid in sorted(gone & set(order), key=lambda g: (depth(graph, g), -order.index(g))):
        ops.append(RemoveGroup(graph, graph.groups[gid].copy(), order.index(gid)))
    return ops


def delete_blocks(graph: Graph, node_ids: list[str]) -> Edit:
    """Delete blocks and their connections as one step, joining a chain's neighbours across the gap."""
    removed = set(node_ids)
    n = len(removed)
    touching = [e for e in graph.edges if e.src in removed or e.dst in removed]
    ops: list[Op] = _leaving_groups(graph, removed)
    ops += [RemoveEdge(graph, e, graph.edges.index(e)) for e in back_to_front(graph, touching)]
    order = list(graph.nodes)
    ops += [RemoveNode(graph, graph.nodes[nid].copy(), order.index(nid)) for nid in reversed(order) if nid in removed]
    ops += [AddEdge(graph, e) for e in _bypasses(graph, removed)]
    return Edit(f"Delete '{node_ids[0]}'" if n == 1 else f"Delete {n} blocks", ops)


def placed_copy(target: Graph, pasted: Graph, offset: tuple[float, float]) -> tuple[list[Node], list[Edge]]:
    """The pasted blocks with fresh ids in target, shifted by offset, and their wires renamed to match."""
    renamed: dict[str, str] = {}
    taken = Graph()
    taken.nodes = dict(target.nodes)
    nodes = []
    for node in pasted.nodes.values():
        new_id = taken.unique_id(node.id.rstrip("0123456789_") or node.id) if node.id in taken.nodes else node.id
        renamed[node.id] = new_id
        pos = node.position or (0.0, 0.0)
        # Everything the block says of itself comes along (its freeze and learning-rate multiplier too).
        copy = replace(node, id=new_id, params=dict(node.params), position=(pos[0] + offset[0], pos[1] + offset[1]))
        taken.nodes[new_id] = copy
        nodes.append(copy)
    edges = [Edge(renamed[e.src], renamed[e.dst], e.port) for e in pasted.edges]
    return nodes, edges


def paste(graph: Graph, pasted: Graph, offset: tuple[float, float], verb: str = "Paste") -> Edit:
    """Add a copy of blocks (from the clipboard, or the selection to duplicate) with the wires among them, as one
    step; ids that are taken are renamed."""
    nodes, edges = placed_copy(graph, pasted, offset)
    n = len(nodes)
    ops: list[Op] = [AddNode(graph, node) for node in nodes]
    ops += [AddEdge(graph, e) for e in edges]
    ops += _pasted_groups(graph, pasted, {old: new.id for old, new in zip(pasted.nodes, nodes)})
    return Edit(f"{verb} {n} block{'s' if n != 1 else ''}", ops)


def _pasted_groups(graph: Graph, pasted: Graph, renamed: dict[str, str]) -> list[Op]:
    """The pasted document's groups (those wholly among the pasted blocks) as new groups with fresh ids,
    innermost first so that each group's nested groups exist when it is added."""
    kept = {gid for gid in pasted.groups if all(m in renamed or m in pasted.groups for m in pasted.groups[gid].members)}
    changed = True
    while changed:  # a group naming a dropped nested group is dropped too
        changed = False
        for gid in list(kept):
            if any(m in pasted.groups and m not in kept for m in pasted.groups[gid].members):
                kept.discard(gid)
                changed = True
    taken = Graph()
    taken.nodes = {**graph.nodes, **{new: None for new in renamed.values()}}  # type: ignore[dict-item]
    taken.groups = dict(graph.groups)
    fresh: dict[str, str] = {}
    for gid in pasted.groups:
        if gid in kept:
            fresh[gid] = gid if gid not in taken.nodes and gid not in taken.groups else fresh_group_id(taken)
            taken.groups[fresh[gid]] = pasted.groups[gid]
    order = sorted(kept, key=lambda g: -depth(pasted, g))
    ops: list[Op] = []
    for gid in order:
        old = pasted.groups[gid]
        members = [fresh[m] if m in pasted.groups else renamed[m] for m in old.members]
        ops.append(AddGroup(graph, Group(fresh[gid], old.name, members, old.folded)))
    return ops


def insert_on_edge(graph: Graph, node: Node, edge: Edge) -> Edit:
    """Add a block in the middle of an existing connection, one row under the block it is fed from; when that
    spot is taken, what hangs below moves down a row to make room (one step)."""
    x, y = graph.nodes[edge.src].position or (0.0, 0.0)
    placed = Node(node.id, node.type, dict(node.params), (x, y + ROW))
    ops: list[Op] = []
    if overlaps(graph, placed.position):
        ops += _rows_down(graph, edge.src, y)
    return Edit(f"Insert {node.type} '{node.id}'", ops + _inserted(graph, placed, edge))


def _rows_down(graph: Graph, above: str, y: float) -> list[Op]:
    """Move what hangs below `above` (and lies lower than y) down a row."""
    reached = descendants(graph, above)
    return [
        Move(graph, nid, n.position, (n.position[0], n.position[1] + ROW))
        for nid, n in graph.nodes.items()
        if nid in reached and n.position and n.position[1] > y
    ]


GAP = 12.0  # the least room kept between two blocks


def overlaps(graph: Graph, position: Position, skip: frozenset[str] | set[str] = frozenset()) -> bool:
    """Whether a block at this position would overlap (or nearly touch) a block of the graph."""
    if position is None:
        return False
    x, y = position
    return any(
        abs(n.position[0] - x) < BLOCK_W + GAP and abs(n.position[1] - y) < BLOCK_H + GAP
        for nid, n in graph.nodes.items()
        if nid not in skip and n.position is not None
    )


def free_position(graph: Graph, position: tuple[float, float], step: float = 24.0) -> tuple[float, float]:
    """The free spot nearest to a position where a new block overlaps none (below before aside)."""
    x, y = position
    if not overlaps(graph, (x, y)):
        return (x, y)
    for ring in range(1, 60):
        spots = [
            (x + i * step, y + j * step)
            for i in range(-ring, ring + 1)
            for j in range(-ring, ring + 1)
            if max(abs(i), abs(j)) == ring
        ]
        spots.sort(key=lambda p: (abs(p[0] - x) * 1.5 + abs(p[1] - y), p[1] < y))
        for spot in spots:
            if not overlaps(graph, spot):
                return spot
    return (x, y + ROW * len(graph.nodes))


def placed(graph: Graph, node: Node) -> Node:
    """The node moved to the nearest spot where it overlaps no block."""
    return Node(node.id, node.type, dict(node.params), free_position(graph, node.position or (0.0, 0.0)))


def feeder_above(graph: Graph, node: Node, reach: float = ROW, free: bool = True) -> str | None:
    """The block just above a dropped one (within a short distance, roughly in its column) whose output is
    free (or any, without free), when the dropped block takes an input; else None."""
    if input_count(node) == 0 or node.position is None:
        return None
    x, y = node.position
    best: tuple[float, str] | None = None
    for nid, n in graph.nodes.items():
        if n.position is None or (free and graph.out_edges(nid)) or nid == node.id:
            continue
        gap = y - (n.position[1] + BLOCK_H)
        if -BLOCK_H / 2 <= gap <= reach and abs(n.position[0] - x) < BLOCK_W * 0.6:
            distance = abs(gap) + abs(n.position[0] - x)
            if best is None or distance < best[0]:
                best = (distance, nid)
    return best[1] if best else None


def drop_under(graph: Graph, node: Node, src: str) -> Edit:
    """A block dropped just below a block with a free output: added in its column and connected (one step)."""
    x, _ = graph.nodes[src].position or (0.0, 0.0)
    moved = placed(graph, Node(node.id, node.type, dict(node.params), (x, (node.position or (0.0, 0.0))[1])))
    return Edit(f"Add {node.type} under '{src}'", [AddNode(graph, moved), AddEdge(graph, Edge(src, node.id, 0))])


def add_above(graph: Graph, below: str, block_type: str, params: dict[str, Any]) -> Edit:
    """A new block where `below` is, wired in before it (into its only incoming connection, else feeding its
    first input); `below` and what hangs under it move down a row."""
    x, y = graph.nodes[below].position or (0.0, 0.0)
    node = new_node(graph, block_type, params, (x, y))
    moves = _rows_down(graph, below, y)
    moves.append(Move(graph, below, graph.nodes[below].position, (x, y + ROW)))
    ins = graph.in_edges(below)
    if len(ins) == 1 and input_count(node) > 0:
        ops: list[Op] = moves + _inserted(graph, node, ins[0])
    else:
        ops = [*moves, AddNode(graph, node.copy())]
        if not ins and input_count(graph.nodes[below]) > 0:
            ops.append(AddEdge(graph, Edge(node.id, below, 0)))
    return Edit(f"Add {block_type} above '{below}'", ops)


def _inserted(graph: Graph, node: Node, edge: Edge) -> list[Op]:
    return [
        AddNode(graph, node.copy()),
        RemoveEdge(graph, edge, graph.edges.index(edge)),
        AddEdge(graph, Edge(edge.src, node.id, 0)),
        AddEdge(graph, Edge(node.id, edge.dst, edge.port)),
    ]


def _fed_from(graph: Graph, src: str | None, node: Node) -> list[Op]:
    """The new block added, and wired from src when there is one and the block takes an input."""
    ops: list[Op] = [AddNode(graph, node.copy())]
    if src is not None and src in graph.nodes and input_count(node) > 0:
        ops.append(AddEdge(graph, Edge(src, node.id, 0)))
    return ops


def add_wired(graph: Graph, node: Node, src: str | None) -> Edit:
    """Quick-add: a new block, fed from the block a wire was dragged out of (if any), where it overlaps none."""
    return Edit(f"Add {node.type} '{node.id}'", _fed_from(graph, src, placed(graph, node)))


def add_below(graph: Graph, above: str, block_type: str, params: dict[str, Any]) -> Edit:
    """A new block one row under `above`, wired in: inserted into its only outgoing connection, else fed from it.
    What hangs below `above` moves down a row to make room."""
    x, y = graph.nodes[above].position or (0.0, 0.0)
    node = new_node(graph, block_type, params, (x, y + ROW))
    reached = descendants(graph, above)
    ops: list[Op] = [
        Move(graph, nid, n.position, (n.position[0], n.position[1] + ROW))
        for nid, n in graph.nodes.items()
        if nid in reached and n.position and n.position[1] > y
    ]
    outs = graph.out_edges(above)
    if len(outs) == 1 and input_count(node) > 0:
        ops += _inserted(graph, node, outs[0])
    else:
        ops += _fed_from(graph, above, node)
    return Edit(f"Add {block_type} under '{above}'", ops)


# Groups ----------------------------------------------------------------------------------------------


def fresh_group_id(graph: Graph, base: str = "group") -> str:
    """The first of base1, base2, … that is neither a block's id nor a group's."""
    n = 1
    while (gid := f"{base}{n}") in graph.nodes or gid in graph.groups:
        n += 1
    return gid


def _replaced(group: Group, members: list[str]) -> Group:
    new = group.copy()
    new.members = members
    return new


def group_units(graph: Graph, units: list[str], name: str = "") -> Edit | None:
    """Group blocks or groups (as one undo step) inside the group that holds them; None when they do not
    share one (a group cannot straddle another's border) or are all of it (that group already groups them)."""
    owner = parents(graph)
    holders = {owner.get(u) for u in units}
    if not units or len(holders) != 1:
        return None
    holder = holders.pop()
    if holder is not None and set(graph.groups[holder].members) <= set(units):
        return None
    gid = fresh_group_id(graph)
    order = [m for m in (graph.groups[holder].members if holder else [*graph.nodes, *graph.groups]) if m in units]
    group = Group(gid, name or f"group {gid.removeprefix('group')}", order, folded=False)
    if holder is None:
        return Edit(f"Group {len(units)} blocks", [AddGroup(graph, group)])
    old = graph.groups[holder]
    first = old.members.index(order[0])
    without = [m for m in old.members if m not in units]
    ops: list[Op] = [
        SetGroup(graph, old.copy(), _replaced(old, without)),
        AddGroup(graph, group),
        SetGroup(graph, _replaced(old, without), _replaced(old, [*without[:first], gid, *without[first:]])),
    ]
    return Edit(f"Group {len(units)} blocks", ops)


def ungroup(graph: Graph, gid: str) -> Edit:
    """Dissolve a group; its members join the group that held it (as one undo step)."""
    group, holder = graph.groups[gid], parents(graph).get(gid)
    index = list(graph.groups).index(gid)
    if holder is None:
        return Edit(f"Ungroup '{group.name}'", [RemoveGroup(graph, group.copy(), index)])
    old = graph.groups[holder]
    at = old.members.index(gid)
    without = [m for m in old.members if m != gid]
    ops: list[Op] = [
        SetGroup(graph, old.copy(), _replaced(old, without)),
        RemoveGroup(graph, group.copy(), index),
        SetGroup(graph, _replaced(old, without), _replaced(old, [*without[:at], *group.members, *without[at:]])),
    ]
    return Edit(f"Ungroup '{group.name}'", ops)


def rename_group(graph: Graph, gid: str, name: str) -> Edit:
    old = graph.groups[gid]
    new = old.copy()
    new.name = name
    return Edit(f"Rename group to '{name}'", [SetGroup(graph, old.copy(), new)])


def fold(graph: Graph, gid: str, folded: bool) -> Edit:
    """Fold a group into one card, or unfold it in place."""
    old = graph.groups[gid]
    new = old.copy()
    new.folded = folded
    return Edit(f"{'Fold' if folded else 'Unfold'} '{old.name}'", [SetGroup(graph, old.copy(), new)], view_only=True)


def group_repeats(graph: Graph, runs: list[list[str]], name: str) -> Edit:
    """Group each run (found by core.groups.repeats) inside the group that holds it, all in one undo step."""
    scratch = graph.copy()  # each grouping changes what the next one starts from
    ops: list[Op] = []
    for i, run in enumerate(runs, 1):
        edit = group_units(scratch, run, f"{name} {i}")
        assert edit is not None  # repeats() only returns runs that share one holder
        for op in edit.ops:
            op.redo()
            op.graph = graph
        ops += edit.ops
    return Edit(f"Group {len(runs)} repeats", ops)


@dataclass
class SetSearch:
    """Replace the document's search space (what a search varies; core.search_space)."""

    document: Document
    old: SearchSpace
    new: SearchSpace

    def redo(self) -> None:
        self.document.search = self.new.copy()

    def undo(self) -> None:
        self.document.search = self.old.copy()


def set_search(document: Document, space: SearchSpace, text: str = "Set the search space") -> Edit:
    """Mark parameters or settings "search" (or no longer): one undoable step."""
    return Edit(text, [SetSearch(document, document.search.copy(), space.copy())])


@dataclass
class SetTraining:
    """Replace the training settings saved with the document (Document.training)."""

    document: Document
    old: dict[str, Any]
    new: dict[str, Any]

    def redo(self) -> None:
        self.document.training = dict(self.new)

    def undo(self) -> None:
        self.document.training = dict(self.old)


def set_training(document: Document, training: dict[str, Any], name: str) -> Edit:
    """Set the document's training settings after the setting name changed: one undo step, successive changes of
    one setting (typing, the arrows of a spin box) merged into it."""
    op = SetTraining(document, dict(document.training), dict(training))
    return Edit(f"Set {name}", [op], ("training setting", name))


@dataclass
class SetLearning:
    """Freeze or unfreeze a block and set its learning-rate multiplier (core.learning)."""

    graph: Graph
    node_id: str
    old: tuple[bool, float | None]
    new: tuple[bool, float | None]

    def redo(self) -> None:
        self.graph.set_learning(self.node_id, *self.new)

    def undo(self) -> None:
        self.graph.set_learning(self.node_id, *self.old)


def set_learning(graph: Graph, changes: dict[str, tuple[bool, float | None]], text: str) -> Edit:
    """Set blocks' and groups' (frozen, lr_mult), by id, as one step."""
    ops: list[Op] = []
    for unit, (frozen, lr_mult) in changes.items():
        if unit in graph.nodes:
            node = graph.nodes[unit]
            ops.append(SetLearning(graph, unit, (node.frozen, node.lr_mult), (frozen, lr_mult)))
        else:
            new = graph.groups[unit].copy()
            new.frozen, new.lr_mult = frozen, lr_mult
            ops.append(SetGroup(graph, graph.groups[unit].copy(), new))
    return Edit(text, ops)


def freeze(graph: Graph, units: list[str], frozen: bool, text: str) -> Edit:
    """Freeze or unfreeze blocks and groups (core.learning.freezing) as one step; their multipliers stay."""
    changes = freezing(graph, units, frozen)
    owner = {u: graph.nodes[u] if u in graph.nodes else graph.groups[u] for u in changes}
    return set_learning(graph, {u: (flag, owner[u].lr_mult) for u, flag in changes.items()}, text)
