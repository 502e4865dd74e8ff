"""One QUndoCommand per core mutation; compound edits are parents with children and undo as one step."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QUndoCommand

from netbuilder.core.graph import Edge, Graph, Node


class AddNode(QUndoCommand):
    def __init__(self, graph: Graph, node: Node, parent: QUndoCommand | None = None) -> None:
        super().__init__(f"Add {node.type} '{node.id}'", parent)
        self.graph, self.node = graph, node.copy()

    def redo(self) -> None:
        self.graph.add_node(self.node.copy())

    def undo(self) -> None:
        self.graph.remove_node(self.node.id)


class RemoveNode(QUndoCommand):
    """Remove a node whose edges are already gone (see delete_blocks)."""

    def __init__(self, graph: Graph, node_id: str, parent: QUndoCommand | None = None) -> None:
        node = graph.nodes[node_id]
        super().__init__(f"Delete {node.type} '{node_id}'", parent)
        self.graph, self.node = graph, node.copy()
        # Reinsert at the same place in document order so undo restores the exact document.
        self.index = list(graph.nodes).index(node_id)

    def redo(self) -> None:
        self.graph.remove_node(self.node.id)

    def undo(self) -> None:
        self.graph.add_node(self.node.copy(), self.index)


class AddEdge(QUndoCommand):
    def __init__(self, graph: Graph, edge: Edge, parent: QUndoCommand | None = None) -> None:
        super().__init__(f"Connect '{edge.src}' to '{edge.dst}'", parent)
        self.graph, self.edge = graph, edge

    def redo(self) -> None:
        self.graph.add_edge(self.edge)

    def undo(self) -> None:
        self.graph.remove_edge(self.edge)


class RemoveEdge(QUndoCommand):
    def __init__(self, graph: Graph, edge: Edge, parent: QUndoCommand | None = None) -> None:
        super().__init__(f"Disconnect '{edge.src}' from '{edge.dst}'", parent)
        self.graph, self.edge = graph, edge
        self.index = graph.edges.index(edge)

    def redo(self) -> None:
        self.graph.remove_edge(self.edge)

    def undo(self) -> None:
        self.graph.add_edge(self.edge, self.index)


class SetParams(QUndoCommand):
    """Replace a block's parameters. Successive edits of the same field of the same block merge."""

    ID = 1

    def __init__(self, graph: Graph, node_id: str, params: dict[str, Any], field: str = "",
                 parent: QUndoCommand | None = None) -> None:
        super().__init__(f"Set {field or 'parameters'} of '{node_id}'", parent)
        self.graph, self.node_id, self.field = graph, node_id, field
        self.old, self.new = dict(graph.nodes[node_id].params), dict(params)

    def id(self) -> int:
        return self.ID if self.field else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt's name)
        if not isinstance(other, SetParams) or (other.node_id, other.field) != (self.node_id, self.field):
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.graph.set_params(self.node_id, self.new)

    def undo(self) -> None:
        self.graph.set_params(self.node_id, self.old)


class MoveNodes(QUndoCommand):
    """Move one or more blocks: {id: (old position, new position)}."""

    def __init__(self, graph: Graph, moves: dict[str, tuple[Any, Any]], text: str = "",
                 parent: QUndoCommand | None = None) -> None:
        n = len(moves)
        super().__init__(text or (f"Move '{next(iter(moves))}'" if n == 1 else f"Move {n} blocks"), parent)
        self.graph, self.moves = graph, dict(moves)

    def redo(self) -> None:
        for nid, (_, new) in self.moves.items():
            self.graph.move(nid, new)

    def undo(self) -> None:
        for nid, (old, _) in self.moves.items():
            self.graph.move(nid, old)


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


def delete_blocks(graph: Graph, node_ids: list[str]) -> QUndoCommand:
    """Delete blocks and their connections as one step, joining a chain's neighbours across the gap."""
    removed = set(node_ids)
    n = len(removed)
    parent = QUndoCommand(f"Delete '{node_ids[0]}'" if n == 1 else f"Delete {n} blocks")
    bridges = _bypasses(graph, removed)
    # Remove from the back, so each child's recorded index is right when undo reinserts front to back.
    for e in reversed([e for e in graph.edges if e.src in removed or e.dst in removed]):
        RemoveEdge(graph, e, parent)
    for nid in reversed([nid for nid in graph.nodes if nid in removed]):
        RemoveNode(graph, nid, parent)
    for e in bridges:
        AddEdge(graph, e, parent)
    return parent


def add_blocks(graph: Graph, nodes: list[Node], edges: list[Edge], text: str) -> QUndoCommand:
    """Add several blocks and the edges among them (paste, duplicate) as one step."""
    parent = QUndoCommand(text)
    for node in nodes:
        AddNode(graph, node, parent)
    for edge in edges:
        AddEdge(graph, edge, parent)
    return parent


def insert_on_edge(graph: Graph, node: Node, edge: Edge) -> QUndoCommand:
    """Add a block in the middle of an existing connection."""
    parent = QUndoCommand(f"Insert {node.type} '{node.id}'")
    AddNode(graph, node, parent)
    RemoveEdge(graph, edge, parent)
    AddEdge(graph, Edge(edge.src, node.id, 0), parent)
    AddEdge(graph, Edge(node.id, edge.dst, edge.port), parent)
    return parent
