"""Undoable edits. Each core mutation has one small reversible operation; an Edit (a QUndoCommand)
applies a list of them, so a bulk delete or a paste is one command and undoes as one step.

(Plain Python operations inside one QUndoCommand, rather than Qt child commands, because PySide
does not hand child commands over to their parent and both sides would delete them.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtGui import QUndoCommand

from netbuilder.core.graph import Edge, Graph, Node

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


class Edit(QUndoCommand):
    """One undo step made of operations. Edits with the same merge key (a field being typed) merge."""

    def __init__(self, text: str, ops: list[Op], merge_key: tuple | None = None) -> None:
        super().__init__(text)
        self.ops, self.merge_key = ops, merge_key

    def id(self) -> int:
        return 1 if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt's name)
        if not isinstance(other, Edit) or other.merge_key != self.merge_key:
            return False
        mine, theirs = self.ops[0], other.ops[0]
        assert isinstance(mine, SetParams) and isinstance(theirs, SetParams)
        mine.new = theirs.new
        return True

    def redo(self) -> None:
        for op in self.ops:
            op.redo()

    def undo(self) -> None:
        for op in reversed(self.ops):
            op.undo()


def add_node(graph: Graph, node: Node) -> Edit:
    return Edit(f"Add {node.type} '{node.id}'", [AddNode(graph, node.copy())])


def connect(graph: Graph, edge: Edge) -> Edit:
    return Edit(f"Connect '{edge.src}' to '{edge.dst}'", [AddEdge(graph, edge)])


def disconnect(graph: Graph, edges: list[Edge]) -> Edit:
    n = len(edges)
    ops: list[Op] = [RemoveEdge(graph, e, graph.edges.index(e)) for e in _back_to_front(graph, edges)]
    return Edit(f"Delete {n} connection{'s' if n > 1 else ''}", ops)


def set_params(graph: Graph, node_id: str, params: dict[str, Any], field: str = "") -> Edit:
    """Replace a block's parameters; successive edits of one field of one block merge into one step."""
    op = SetParams(graph, node_id, dict(graph.nodes[node_id].params), dict(params))
    return Edit(f"Set {field or 'parameters'} of '{node_id}'", [op], (node_id, field) if field else None)


def move_nodes(graph: Graph, moves: dict[str, tuple[Position, Position]], text: str = "") -> Edit:
    n = len(moves)
    text = text or (f"Move '{next(iter(moves))}'" if n == 1 else f"Move {n} blocks")
    return Edit(text, [Move(graph, nid, old, new) for nid, (old, new) in moves.items()])


def _back_to_front(graph: Graph, edges: list[Edge]) -> list[Edge]:
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
            if len(ins) != 1 or graph.nodes[cursor].type in ("Add", "Concat"):
                cursor = ""
                break
            cursor = ins[0].src
        if cursor:
            bridges.append(Edge(cursor, e.dst, e.port))
    return bridges


def delete_blocks(graph: Graph, node_ids: list[str]) -> Edit:
    """Delete blocks and their connections as one step, joining a chain's neighbours across the gap."""
    removed = set(node_ids)
    n = len(removed)
    touching = [e for e in graph.edges if e.src in removed or e.dst in removed]
    ops: list[Op] = [RemoveEdge(graph, e, graph.edges.index(e)) for e in _back_to_front(graph, touching)]
    order = list(graph.nodes)
    ops += [RemoveNode(graph, graph.nodes[nid].copy(), order.index(nid)) for nid in reversed(order) if nid in removed]
    ops += [AddEdge(graph, e) for e in _bypasses(graph, removed)]
    return Edit(f"Delete '{node_ids[0]}'" if n == 1 else f"Delete {n} blocks", ops)


def add_blocks(graph: Graph, nodes: list[Node], edges: list[Edge], text: str) -> Edit:
    """Add several blocks and the edges among them (paste, duplicate) as one step."""
    return Edit(text, [AddNode(graph, n.copy()) for n in nodes] + [AddEdge(graph, e) for e in edges])


def insert_on_edge(graph: Graph, node: Node, edge: Edge) -> Edit:
    """Add a block in the middle of an existing connection."""
    return Edit(f"Insert {node.type} '{node.id}'", [
        AddNode(graph, node.copy()),
        RemoveEdge(graph, edge, graph.edges.index(edge)),
        AddEdge(graph, Edge(edge.src, node.id, 0)),
        AddEdge(graph, Edge(node.id, edge.dst, edge.port)),
    ])
