"""Copy and paste of blocks with the wires among them, through the system clipboard (so also between windows)."""

from __future__ import annotations

import atexit

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from netbuilder.core.document import Document, DocumentError, dumps, parse
from netbuilder.core.graph import Graph

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
