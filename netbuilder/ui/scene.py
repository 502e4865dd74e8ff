"""The canvas scene: builds items from the graph, follows its changes, and turns gestures into commands."""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, Signal
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene, QGraphicsSceneDragDropEvent, QGraphicsSceneMouseEvent

from netbuilder.core.blocks import REGISTRY, fmt_shape
from netbuilder.core.graph import Edge, Graph, Node
from netbuilder.core.shapes import Check
from netbuilder.core.summary import settings, short
from netbuilder.ui import theme
from netbuilder.ui.commands import add_node, connect, input_count, insert_on_edge, move_nodes, new_node
from netbuilder.ui.edge_item import EdgeItem, wire_path
from netbuilder.ui.editor import Editor
from netbuilder.ui.items import NODE_H, NODE_W, NodeItem, NodeView, PortItem
from netbuilder.ui.palette import entry_from_mime


def describe_volume(shape: tuple[int, ...]) -> str:
    """The article's words: depth 64, height 32, width 32."""
    if len(shape) == 3:
        return f"depth {shape[0]}, height {shape[1]}, width {shape[2]}"
    return f"a vector of {shape[0]} features"


def node_view(graph: Graph, result: Check, node_id: str) -> NodeView:
    node, res = graph.nodes[node_id], result.nodes[node_id]
    block = REGISTRY.get(node.type)
    shape = res.output_shape
    volume = fmt_shape(shape) if shape is not None else "?"
    cost = f"{short(res.params)} params" if res.params else ""
    if res.error:
        tip = res.error
    elif shape is None:
        tip = "No volume: a block above this one has an error."
    else:
        tip = f"Output {volume}: {describe_volume(shape)}.\nParams {res.params:,} · MACs {res.macs:,}"
    if block:
        tip += f"\n\n{node.type}: {block.help}"
    return NodeView(
        node.type, settings(graph, result, node_id), volume, cost, res.error, shape is None and res.error is None, tip
    )


class CanvasScene(QGraphicsScene):
    """View follows model: items are made from the graph and only change when the graph says so."""

    quick_add_requested = Signal(QPointF, str)  # where, and the block a dropped wire comes from

    def __init__(self, editor: Editor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[Edge, EdgeItem] = {}
        self._graph: Graph | None = None
        self._wire: tuple[str, QGraphicsPathItem] | None = None
        self._pressed: dict[str, QPointF] = {}
        editor.replaced.connect(self.rebuild)
        editor.checked.connect(self.apply_check)
        self.rebuild()

    # Following the model ------------------------------------------------------------------------

    def rebuild(self) -> None:
        if self._graph is not None and self._on_graph in self._graph.listeners:
            self._graph.listeners.remove(self._on_graph)
        self.clear()
        self.node_items.clear()
        self.edge_items.clear()
        self._graph = self.editor.graph
        self._graph.listeners.append(self._on_graph)
        for node in self._graph.nodes.values():
            self._add_node_item(node)
        for edge in self._graph.edges:
            self._add_edge_item(edge)
        self.apply_check(self.editor.result)

    def _add_node_item(self, node: Node) -> None:
        item = NodeItem(node.id, node.type, self._input_count(node.id))
        item.setPos(QPointF(*(node.position or (0.0, 0.0))))
        self.addItem(item)
        self.node_items[node.id] = item

    def _add_edge_item(self, edge: Edge) -> None:
        item = EdgeItem(self.node_items[edge.src], self.node_items[edge.dst], edge.port)
        self.addItem(item)
        self.edge_items[edge] = item

    def _input_count(self, node_id: str) -> int:
        """Ports from the latest check; a block added since gets its ports when the next check lands."""
        node = self.editor.graph.nodes[node_id]
        res = self.editor.result.nodes.get(node_id)
        if node.type not in REGISTRY or res is None or res.values is None:
            return 1
        return REGISTRY[node.type].inputs(res.values)

    def _on_graph(self, kind: str, subject) -> None:
        if kind == "node_added":
            self._add_node_item(subject)
        elif kind == "node_removed":
            item = self.node_items.pop(subject.id)
            self.removeItem(item)
        elif kind == "edge_added":
            self._add_edge_item(subject)
        elif kind == "edge_removed":
            item = self.edge_items.pop(subject)
            item.detach()
            self.removeItem(item)
        elif kind == "node_moved":
            item = self.node_items[subject.id]
            target = QPointF(*(subject.position or (0.0, 0.0)))
            if item.pos() != target:
                item.setPos(target)
                item.adjust_edges()

    def apply_check(self, result: Check) -> None:
        graph = self.editor.graph
        for nid, item in self.node_items.items():
            if nid not in result.nodes:
                continue
            block = REGISTRY.get(graph.nodes[nid].type)
            values = result.nodes[nid].values
            if block is not None and values is not None:
                item.set_input_count(block.inputs(values))
            item.apply(node_view(graph, result, nid))
        for edge, item in self.edge_items.items():
            shape = result.nodes[edge.src].output_shape if edge.src in result.nodes else None
            item.set_label(fmt_shape(shape) if shape is not None else "?", shape is None)

    # Creating blocks ----------------------------------------------------------------------------

    def new_node(self, block_type: str, center: QPointF, params: dict | None = None) -> Node:
        """A block of a type with a fresh id, centred on a scene point."""
        pos = (float(round(center.x() - NODE_W / 2)), float(round(center.y() - NODE_H / 2)))
        return new_node(self.editor.graph, block_type, params or {}, pos)

    def edge_at(self, pos: QPointF) -> Edge | None:
        for item in self.items(pos):
            if isinstance(item, EdgeItem):
                return next(e for e, i in self.edge_items.items() if i is item)
        return None

    def drop_block(self, block_type: str, pos: QPointF, params: dict | None = None) -> str:
        """Add a block where it was dropped; dropped on a connection, it is inserted there."""
        node = self.new_node(block_type, pos, params)
        edge = self.edge_at(pos)
        if edge is not None and input_count(node) > 0:
            self.editor.push(insert_on_edge(self.editor.graph, node, edge))
            self.editor.say(f"Inserted {block_type} '{node.id}' between '{edge.src}' and '{edge.dst}'.")
        else:
            self.editor.push(add_node(self.editor.graph, node))
        return node.id

    def connect_blocks(self, src: str, dst: str, port: int) -> bool:
        refusal = self.editor.graph.connect_refusal(src, dst, port)
        if refusal:
            self.editor.say(refusal)
            return False
        self.editor.push(connect(self.editor.graph, Edge(src, dst, port)))
        return True

    # Drag and drop from the palette --------------------------------------------------------------

    def dragEnterEvent(self, event: QGraphicsSceneDragDropEvent) -> None:  # noqa: N802
        event.setAccepted(entry_from_mime(event.mimeData()) is not None)

    def dragMoveEvent(self, event: QGraphicsSceneDragDropEvent) -> None:  # noqa: N802
        event.setAccepted(entry_from_mime(event.mimeData()) is not None)

    def dropEvent(self, event: QGraphicsSceneDragDropEvent) -> None:  # noqa: N802
        entry = entry_from_mime(event.mimeData())
        if entry is None:
            event.ignore()
            return
        self.drop_block(entry.block_type, event.scenePos(), entry.params)
        event.acceptProposedAction()

    # Wiring and moving ---------------------------------------------------------------------------

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        port = next((i for i in self.items(event.scenePos()) if isinstance(i, PortItem)), None)
        if port is not None and not port.is_input and event.button().name == "LeftButton":
            wire = QGraphicsPathItem()
            wire.setPen(QPen(theme.current().selection, 2))
            wire.setZValue(3)
            self.addItem(wire)
            self._wire = (port.node.node_id, wire)
            event.accept()
            return
        super().mousePressEvent(event)
        self._pressed = {i.node_id: i.pos() for i in self.selectedItems() if isinstance(i, NodeItem)}

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._wire is not None:
            src, wire = self._wire
            wire.setPath(wire_path(self.node_items[src].output_pos(), event.scenePos()))
            return
        super().mouseMoveEvent(event)
        for nid in self._pressed:  # the blocks a drag moves
            if nid in self.node_items:
                self.node_items[nid].adjust_edges()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._wire is not None:
            src, wire = self._wire
            self._wire = None
            self.removeItem(wire)
            self._finish_wire(src, event.scenePos())
            return
        super().mouseReleaseEvent(event)
        moves = {}
        for nid, old in self._pressed.items():
            item = self.node_items.get(nid)
            if item is not None and item.pos() != old:
                moves[nid] = ((old.x(), old.y()), (item.pos().x(), item.pos().y()))
        self._pressed = {}
        if moves:
            self.editor.push(move_nodes(self.editor.graph, moves))

    def _finish_wire(self, src: str, pos: QPointF) -> None:
        """Connect to the input port (or block) under the pointer; on empty canvas, offer quick-add."""
        for item in self.items(pos):
            if isinstance(item, PortItem) and item.is_input:
                self.connect_blocks(src, item.node.node_id, item.index)
                return
            if isinstance(item, NodeItem) and item.node_id != src:
                self.connect_blocks(src, item.node_id, self._free_port(item.node_id))
                return
        self.quick_add_requested.emit(pos, src)

    def _free_port(self, node_id: str) -> int:
        taken = {e.port for e in self.editor.graph.in_edges(node_id)}
        n = max(1, len(self.node_items[node_id].inputs))
        return next((p for p in range(n) if p not in taken), 0)
