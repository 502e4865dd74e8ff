"""Copy and paste of blocks with the wires among them, through the system clipboard (so also between windows)."""

from __future__ import annotations

import atexit

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from netbuilder.core.document import Document, DocumentError, dumps, parse
from netbuilder.core.graph import Edge, Graph, Node

MIME_BLOCKS = "application/x-netbuilder-blocks"


def to_mime(graph: Graph, node_ids: set[str]) -> QMimeData:
    """The selected blocks as a small NetBuilder document (also readable as text)."""
    text = dumps(Document(graph.subgraph(node_ids), "clipboard"))
    data = QMimeData()
    data.setData(MIME_BLOCKS, text.encode("utf-8"))
    data.setText(text)
    return data


def _clear_ours() -> None:
    """At exit, drop blocks we left on the clipboard: PySide6 6.11 crashes tearing down a clipboard that
    still holds a QMimeData made in Python."""
    app = QGuiApplication.instance()
    if app is not None and app.clipboard().mimeData().hasFormat(MIME_BLOCKS):
        app.clipboard().clear()


def publish(graph: Graph, node_ids: set[str]) -> None:
    """Put the blocks on the system clipboard."""
    QGuiApplication.clipboard().setMimeData(to_mime(graph, node_ids))
    atexit.unregister(_clear_ours)
    atexit.register(_clear_ours)


def from_mime(data: QMimeData) -> Graph | None:
    """The blocks on the clipboard, read as strictly as a file; None when there are none."""
    if data.hasFormat(MIME_BLOCKS):
        text = bytes(data.data(MIME_BLOCKS)).decode("utf-8", "replace")
    elif data.hasText() and '"format": "netbuilder"' in data.text():
        text = data.text()
    else:
        return None
    try:
        graph = parse(text, "clipboard").graph
    except DocumentError:
        return None
    return graph if graph.nodes else None


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
        copy = Node(new_id, node.type, dict(node.params), (pos[0] + offset[0], pos[1] + offset[1]))
        taken.nodes[new_id] = copy
        nodes.append(copy)
    edges = [Edge(renamed[e.src], renamed[e.dst], e.port) for e in pasted.edges]
    return nodes, edges
