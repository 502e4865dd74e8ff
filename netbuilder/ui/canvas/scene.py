"""The canvas scene: builds items from the graph, follows its changes, and turns gestures into commands."""

from __future__ import annotations

from bisect import bisect_right
from functools import partial

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSceneDragDropEvent,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from netbuilder.core.blocks import REGISTRY, fmt_shape
from netbuilder.core.check.shapes import Check
from netbuilder.core.check.summary import settings, short
from netbuilder.core.drawing.folding import cuts
from netbuilder.core.drawing.layout import FRAME_BOTTOM, FRAME_PAD, FRAME_TITLE
from netbuilder.core.graph import Edge, Graph, Node, blocks_in
from netbuilder.core.groups import depths, facts, parents, shown_as
from netbuilder.ui import theme
from netbuilder.ui.canvas import items as items_module
from netbuilder.ui.canvas.badges import show_locks
from netbuilder.ui.canvas.edge_item import EdgeItem, Ends, follow_later, settle, wire_path
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.group_item import CARD_H, GroupCard, GroupFrame, group_view
from netbuilder.ui.canvas.items import NODE_H, NODE_W, NodeItem, NodeView, PortItem, draw_text, lod_of, readable
from netbuilder.ui.canvas.palette import entry_from_mime
from netbuilder.ui.canvas.templates import apply_template
from netbuilder.ui.canvas.undo import (
    Edit,
    add_wired,
    connect,
    drop_under,
    feeder_above,
    fold,
    input_count,
    insert_on_edge,
    move_nodes,
    new_node,
)


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


class CanvasEdge(EdgeItem):
    """A connection whose volume label is left out when it would be too small to read (semantic zoom)."""

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if not self.label or readable(theme.mono_font(8), lod_of(painter)):
            if self.label and items_module.DRAWN is not None:
                painter.setFont(theme.mono_font(8))
                draw_text(painter, QRectF(), Qt.AlignmentFlag.AlignCenter, self.label)  # records only: empty rect
            super().paint(painter, option, widget)
            return
        self.draw_wire(painter)


class Projection:
    """Stored (unfolded) coordinates → shown ones: at each of core.folding's cuts (stored y, height), what lies at
    or below y moves up by the height (down where it is negative: room under a card taller than its blocks).
    Nothing stored changes, so unfolding restores every position."""

    def __init__(self, at: list[tuple[float, float]]) -> None:
        self.ends = [y for y, _ in at]
        self.cum = [0.0]
        for _, height in at:
            self.cum.append(self.cum[-1] + height)
        self.shown_starts = [y - self.cum[i + 1] for i, (y, _) in enumerate(at)]

    def shift(self, y: float) -> float:
        """How far a unit whose top is at stored y moves up: the heights cut above it."""
        return self.cum[bisect_right(self.ends, y)]

    def to_stored(self, point: QPointF) -> QPointF:
        return QPointF(point.x(), point.y() + self.cum[bisect_right(self.shown_starts, point.y())])


class CanvasScene(QGraphicsScene):
    """View follows model: items are made from the graph and only change when the graph says so."""

    quick_add_requested = Signal(QPointF, str)  # where, and the block a dropped wire comes from
    laid_out = Signal()  # the shown positions changed (groups folded, blocks moved)

    def __init__(self, editor: Editor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[Edge, EdgeItem] = {}
        self.group_cards: dict[str, GroupCard] = {}
        self.group_frames: dict[str, GroupFrame] = {}
        self.shown: dict[str, str] = {}  # each block → the block itself or the folded group's card showing it
        self.projection = Projection([])
        self._graph: Graph | None = None
        self._dirty = False
        self._wire: tuple[str, QGraphicsPathItem] | None = None
        self._pressed: dict[QGraphicsItem, QPointF] = {}
        self._band_folded = False  # the last press folded a frame (its double-click must not unfold it again)
        editor.replaced.connect(self.rebuild)
        editor.checked.connect(self.apply_check)
        self.rebuild()

    # Following the model ------------------------------------------------------------------------

    def rebuild(self) -> None:
        """Make every item from the graph, and route every wire once, when all blocks are in place. The scene's
        index is off meanwhile: Qt would file every wire twice, made and routed."""
        if self._graph is not None and self._on_graph in self._graph.listeners:
            self._graph.listeners.remove(self._on_graph)
        self.clear()
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.node_items.clear()
        self.edge_items.clear()
        self.group_cards.clear()
        self.group_frames.clear()
        self.shown = {}
        self.projection = Projection([])
        self._graph = self.editor.graph
        self._graph.listeners.append(self._on_graph)
        for node in self._graph.nodes.values():
            self._add_node_item(node)
        for edge in self._graph.edges:
            self._add_edge_item(edge)
        self._dirty = bool(self._graph.groups)
        self.apply_check(self.editor.result)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)

    def _add_node_item(self, node: Node) -> None:
        item = NodeItem(node.id, node.type, self._input_count(node.id))
        item.setPos(QPointF(*(node.position or (0.0, 0.0))))
        self.addItem(item)
        self.node_items[node.id] = item

    def _add_edge_item(self, edge: Edge) -> None:
        item = CanvasEdge(self.node_items[edge.src], self.node_items[edge.dst], edge.port)
        self.addItem(item)
        self.edge_items[edge] = item
        if self._graph is not None and self._graph.groups:
            self._dirty = True

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
            if self.editor.graph.groups or self.group_cards or self.group_frames:
                self._dirty = True  # shown positions depend on the groups: laid out once, after the edit
                return
            item = self.node_items[subject.id]
            target = QPointF(*(subject.position or (0.0, 0.0)))
            if item.pos() != target:
                item.setPos(target)
                follow_later(item.edges)  # once per command, however many of its moves a wire shares
                self.laid_out.emit()
        elif kind.startswith("group_"):
            self._dirty = True
        if kind in ("node_added", "node_removed") and (self.editor.graph.groups or self.group_cards):
            self._dirty = True

    # Groups: cards, frames and the folded projection -----------------------------------------------

    def unit_item(self, unit: str) -> NodeItem | GroupCard:
        return self.group_cards[unit] if unit in self.group_cards else self.node_items[unit]

    def sync(self) -> None:
        """Lay the canvas out from the stored positions and the groups: folded groups as cards, what lies below
        them moved up, expanded groups framed, and every connection attached to what shows its ends (the
        connections made or moved are drawn when the scene settles: call settle)."""
        self._dirty = False
        graph = self.editor.graph
        self.shown = shown = shown_as(graph)
        folded = list(dict.fromkeys(u for u in shown.values() if u in graph.groups))
        boxes: dict[str, QRectF] = {}
        for gid in folded:
            box = QRectF()
            for nid in blocks_in(graph, gid):
                x, y = graph.nodes[nid].position or (0.0, 0.0)
                box = box.united(QRectF(x, y, NODE_W, NODE_H))
            boxes[gid] = box
        rows = {gid: (b.top(), b.bottom()) for gid, b in boxes.items()}
        self.projection = proj = Projection(cuts(graph, shown, rows, CARD_H, wrap=5.0))  # see rect_of below
        moved: set[str] = set()

        def place(item: QGraphicsItem, x: float, y: float, unit: str) -> None:
            target = QPointF(x, y - proj.shift(y))
            if item.pos() != target:
                item.setPos(target)
                moved.add(unit)

        for gid in [g for g in self.group_cards if g not in boxes]:
            card = self.group_cards.pop(gid)
            for edge in list(card.edges):
                edge.detach()
            self.removeItem(card)
        for gid, box in boxes.items():
            if gid not in self.group_cards:
                self.group_cards[gid] = card = GroupCard(gid)
                self.addItem(card)
                moved.add(gid)
            place(self.group_cards[gid], box.left(), box.top(), gid)
        for nid, item in self.node_items.items():
            visible = shown.get(nid) == nid
            if item.isVisible() != visible:
                item.setVisible(visible)
                moved.add(nid)
            if visible:
                x, y = graph.nodes[nid].position or (0.0, 0.0)
                place(item, x, y, nid)
        self._attach_edges(moved)
        self._frame_groups()
        self.laid_out.emit()

    def _attach_edges(self, moved: set[str]) -> None:
        """Each connection runs between what shows its two ends; one inside a card is hidden."""
        shown = self.shown
        entering: dict[str, list[str]] = {gid: [] for gid in self.group_cards}
        for edge in self.editor.graph.edges:
            du = shown.get(edge.dst, edge.dst)
            if du in entering and shown.get(edge.src, edge.src) != du:
                src = shown.get(edge.src, edge.src)
                if src not in entering[du]:
                    entering[du].append(src)
        for gid, sources in entering.items():
            self.group_cards[gid].n_inputs = max(1, len(sources))
        drawn: set[tuple[str, str, int]] = set()
        for edge, item in list(self.edge_items.items()):
            su, du = shown.get(edge.src, edge.src), shown.get(edge.dst, edge.dst)
            inside = su == du  # hidden in a card, it stays on its blocks: unfolding shows it as it was
            src: Ends = self.node_items[edge.src] if inside else self.unit_item(su)
            dst: Ends = self.node_items[edge.dst] if inside else self.unit_item(du)
            port = entering[du].index(su) if du in entering and not inside else edge.port
            hide = inside or (su, du, port) in drawn  # one wire per source into a card, not one per member fed
            drawn.add((su, du, port))
            if item.src is not src or item.dst is not dst or item.port != port:
                label, broken = item.label, item.broken
                item.detach()
                self.removeItem(item)
                item = CanvasEdge(src, dst, port)  # laid out once, when the scene settles
                item.set_label(label, broken)
                self.addItem(item)
                self.edge_items[edge] = item
            elif not hide and (su in moved or du in moved or not item.isVisible()):
                item.follow()  # a hidden wire is laid out when it shows again
            if item.isVisible() == hide:
                item.setVisible(not hide)

    def _frame_groups(self) -> None:
        """A frame around each expanded group that is not inside a folded one, drawn behind its members."""
        graph, result = self.editor.graph, self.editor.result
        owner, levels = parents(graph), depths(graph)
        under_fold: dict[str, bool] = {}  # each group's answer, so a deep nest walks each chain once

        def hidden(gid: str) -> bool:
            chain = []
            while gid not in under_fold and gid in owner:
                chain.append(gid)
                gid = owner[gid]
            seen = under_fold.get(gid, False)
            for g in reversed(chain):
                seen = under_fold[g] = seen or graph.groups[owner[g]].folded
            return seen

        framed = [gid for gid, g in graph.groups.items() if not g.folded and not hidden(gid)]
        rects: dict[str, QRectF] = {}

        def rect_of(unit: str) -> QRectF:
            if unit in self.group_cards:
                return self.group_cards[unit].sceneBoundingRect().adjusted(12, 12, -7, -7)
            if unit in graph.nodes:
                return self.node_items[unit].mapRectToScene(QRectF(0, 0, NODE_W, NODE_H))
            if unit not in rects:
                inner = QRectF()
                for member in graph.groups[unit].members:
                    inner = inner.united(rect_of(member))
                rects[unit] = inner.adjusted(-FRAME_PAD, -FRAME_TITLE, FRAME_PAD, FRAME_BOTTOM)
            return rects[unit]

        gone = self.group_frames.keys() - set(framed)
        for gid in [g for g in self.group_frames if g in gone]:
            self.removeItem(self.group_frames.pop(gid))
        framed.sort(key=levels.__getitem__, reverse=True)  # inner groups first: each asks its members once
        broken: dict[str, bool] = {}

        def failed(unit: str) -> bool:
            if unit in broken:
                return broken[unit]
            ids = blocks_in(graph, unit) if unit in graph.groups else [unit]  # a folded group: once, by its owner
            return any(result.nodes[n].error for n in ids if n in result.nodes)

        for gid in framed:
            if gid not in self.group_frames:
                self.group_frames[gid] = frame = GroupFrame(gid)
                self.addItem(frame)
            level = levels[gid]
            broken[gid] = any(failed(m) for m in graph.groups[gid].members)
            self.group_frames[gid].set_geometry(rect_of(gid), graph.groups[gid].name, level, broken[gid])
            self.group_frames[gid].setZValue(-1 - 1 / (level + 2))
        self._mark_outer_groups(framed[::-1], owner)

    def _mark_outer_groups(self, framed: list[str], owner: dict[str, str]) -> None:
        """Tell blocks, cards and frames which outermost expanded group they lie in (framed: outer groups
        first): far out, that group is drawn as one card and they step back."""
        graph, result = self.editor.graph, self.editor.result
        outer: dict[str, str] = {}
        for gid in framed:
            outer[gid] = outer.get(owner.get(gid, ""), gid)
        for item in (*self.node_items.values(), *self.group_cards.values()):
            item.outer_group = None
        for gid, frame in self.group_frames.items():
            top = outer[gid]
            frame.outermost = top == gid
            frame.set_nesting(self.group_frames.get(owner.get(gid, "")), self.group_frames[top].pos().x())
            if frame.outermost:
                outputs = facts(graph, result, gid).outputs
                frame.output = next((fmt_shape(s) for s in outputs if s is not None), "")
            for member in graph.groups[gid].members:
                item = self.node_items.get(member) or self.group_cards.get(member)
                if item is not None:
                    item.outer_group = top

    def content_rect(self) -> QRectF:
        """What the canvas shows: the blocks and cards in view (hidden members excluded), with their frames."""
        rect = QRectF()
        for item in (*self.node_items.values(), *self.group_cards.values()):
            if item.isVisible():
                rect = rect.united(item.sceneBoundingRect())
        for frame in self.group_frames.values():
            rect = rect.united(frame.frame_rect())
        return rect

    def to_stored(self, point: QPointF) -> QPointF:
        """A shown scene point → the unfolded coordinates blocks are stored in."""
        return self.projection.to_stored(point)

    def set_folded(self, gid: str, folded: bool) -> None:
        """Fold or unfold a group (undoable). Unfolding a group with an error goes to the broken block."""
        graph = self.editor.graph
        if gid not in graph.groups or graph.groups[gid].folded == folded:
            return
        error = facts(graph, self.editor.result, gid).error if not folded else None
        if error is None:
            self.editor.push(fold(graph, gid, folded))
            return
        block, owner = error[0], parents(graph)
        opened, cursor = [gid], block
        while cursor in owner:  # also open the folded groups around the broken block inside this one
            cursor = owner[cursor]
            if graph.groups[cursor].folded and cursor not in opened:
                opened.append(cursor)
        ops = [op for g in opened for op in fold(graph, g, False).ops]
        self.editor.push(Edit(f"Unfold '{graph.groups[gid].name}'", ops, view_only=True))
        self.reveal(block)

    def reveal(self, node_id: str) -> None:
        """Select a block and centre the views on it."""
        self.select_only(node_id, centre=True)

    def apply_check(self, result: Check) -> None:
        graph = self.editor.graph
        if self._dirty:
            self.sync()
        for gid, card in self.group_cards.items():
            if gid in graph.groups:
                blocks = len(blocks_in(graph, gid))
                card.apply(group_view(graph.groups[gid].name, facts(graph, result, gid), blocks))
        for nid, item in self.node_items.items():
            res = result.nodes.get(nid)
            if res is None or res == item.checked:  # what a block shows follows from its type and its check
                continue
            item.checked = res
            block = REGISTRY.get(graph.nodes[nid].type)
            if block is not None and res.values is not None:
                item.set_input_count(block.inputs(res.values))
            item.apply_later(partial(node_view, graph, result, nid))
        show_locks(graph, result.frozen, self.node_items, self.group_cards, self.group_frames)
        labels: dict[str, tuple[str, bool]] = {}
        changed = QRectF()
        for edge, item in self.edge_items.items():
            if edge.src not in labels:
                shape = result.nodes[edge.src].output_shape if edge.src in result.nodes else None
                labels[edge.src] = (fmt_shape(shape), False) if shape is not None else ("?", True)
            if (dirty := item.set_label(*labels[edge.src])) is not None:
                changed = changed.united(dirty)
        if not changed.isEmpty():
            self.update(changed)  # wires are not cached: one repaint of the scene draws every changed label
        settle(self)  # the wires made or moved since, laid out once, with their labels

    def set_health(self, marks: dict[str, tuple[str, str]]) -> None:
        """Training health marks by block id: (state, its sentences); blocks not named lose theirs."""
        for nid, item in self.node_items.items():
            item.set_health(marks.get(nid))

    # Creating blocks ----------------------------------------------------------------------------

    def new_node(self, block_type: str, center: QPointF, params: dict | None = None) -> Node:
        """A block of a type with a fresh id, centred on a scene point."""
        center = self.to_stored(center)
        pos = (float(round(center.x() - NODE_W / 2)), float(round(center.y() - NODE_H / 2)))
        return new_node(self.editor.graph, block_type, params or {}, pos)

    def edge_at(self, pos: QPointF) -> Edge | None:
        for item in self.items(pos):
            if isinstance(item, EdgeItem):
                return next(e for e, i in self.edge_items.items() if i is item)
        return None

    def drop_block(self, block_type: str, pos: QPointF, params: dict | None = None) -> str:
        """Add a block where it was dropped, selected and in view: dropped on a connection, it is inserted there;
        just below a block whose output is free, it is connected to it; never on top of another block."""
        node = self.new_node(block_type, pos, params)
        graph = self.editor.graph
        edge = self.edge_at(pos)
        if edge is not None and input_count(node) > 0:
            self.editor.push(insert_on_edge(graph, node, edge))
            self.editor.say(f"Inserted {block_type} '{node.id}' between '{edge.src}' and '{edge.dst}'.")
        elif (src := feeder_above(graph, node)) is not None:
            self.editor.push(drop_under(graph, node, src))
            self.editor.say(f"Connected {block_type} '{node.id}' to '{src}' above it (Ctrl+Z undoes both).")
        else:
            self.editor.push(add_wired(graph, node, None))
        self.select_only(node.id)
        return node.id

    def select_only(self, node_id: str, centre: bool = False) -> None:
        """Select one block and scroll the views so that it is wholly visible (or centred on it)."""
        if node_id not in self.node_items:
            return
        if self._dirty:
            self.sync()
            settle(self)
        self.clearSelection()
        item = self.node_items[node_id]
        item.setSelected(True)
        for view in self.views():
            if centre:
                view.centerOn(item)
            else:
                view.ensureVisible(item, 40, 40)

    def select_units(self, units: list[str]) -> None:
        """Select blocks or cards by id (a block inside a folded group selects its card), the first kept in view."""
        if self._dirty:
            self.sync()
            settle(self)
        shown = [self.shown.get(u, u) for u in units]
        items = [self.unit_item(u) for u in dict.fromkeys(shown) if u in self.group_cards or u in self.node_items]
        self.clearSelection()
        for item in items:
            item.setSelected(True)
        for view in self.views()[:1] if items else ():
            view.ensureVisible(items[0], 40, 40)

    def step(self, direction: str) -> bool:
        """Move the selection along the wires from the one selected block or card: "up" to what feeds it, "down"
        to what it feeds, "left"/"right" to the nearest block beside it that shares a feeder or a consumer with
        it. False when nothing single is selected (the keys then scroll)."""
        selected = [i for i in self.selectedItems() if isinstance(i, (NodeItem, GroupCard))]
        if len(selected) != 1:
            return False
        here = selected[0]
        unit = here.group_id if isinstance(here, GroupCard) else here.node_id
        links = [(self.shown.get(e.src, e.src), self.shown.get(e.dst, e.dst), e.port) for e in self.editor.graph.edges]
        links = [(s, d, p) for s, d, p in links if s != d]
        if direction == "up":
            found = [s for s, d, p in sorted(links, key=lambda link: link[2]) if d == unit]
        elif direction == "down":
            found = [d for s, d, _ in links if s == unit]
        else:
            feeders = {s for s, d, _ in links if d == unit}
            consumers = {d for s, d, _ in links if s == unit}
            beside = {d for s, d, _ in links if s in feeders} | {s for s, d, _ in links if d in consumers}
            x = here.scenePos().x()
            sign = -1 if direction == "left" else 1
            found = sorted(
                (u for u in beside - {unit} if (self.unit_item(u).scenePos().x() - x) * sign > 0),
                key=lambda u: abs(self.unit_item(u).scenePos().x() - x),
            )
        if found:
            self.select_units(found[:1])
        return True

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
        if entry.template:  # a unit: under the block above the drop point
            probe = self.new_node(entry.block_type, event.scenePos(), entry.params)
            added = apply_template(self.editor, entry.template, feeder_above(self.editor.graph, probe, free=False))
            for nid in added[-1:]:
                self.select_only(nid)
        else:
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
        self._band_folded = False
        if event.button() == Qt.MouseButton.LeftButton:
            for item in self.items(event.scenePos()):
                if isinstance(item, (GroupCard, GroupFrame)):
                    at = item.mapFromScene(event.scenePos())
                    selecting = event.modifiers() & (
                        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
                    )
                    if isinstance(item, GroupFrame) and item.title_rect().contains(at) and not selecting:
                        self.fold_frame(item.group_id)  # the whole name band folds; Ctrl/Shift+click selects
                        event.accept()
                        return
                    if isinstance(item, GroupCard) and item.chevron_rect().contains(at):
                        self.set_folded(item.group_id, False)
                        event.accept()
                        return
                    break
        super().mousePressEvent(event)
        self._pressed = {i: i.pos() for i in self.selectedItems() if isinstance(i, (NodeItem, GroupCard))}

    def fold_frame(self, gid: str) -> None:
        """Fold an expanded group from its frame's name band; its card comes selected (to rename, ungroup …)."""
        self.set_folded(gid, True)
        self._band_folded = True
        if gid in self.group_cards:
            self.clearSelection()
            self.group_cards[gid].setSelected(True)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        """Double-click a card to unfold it, a frame's title to fold it."""
        if self._band_folded:  # the double-click's first click already folded it: the second does nothing more
            event.accept()
            return
        for item in self.items(event.scenePos()):
            if isinstance(item, (GroupCard, GroupFrame)):
                self.set_folded(item.group_id, isinstance(item, GroupFrame))
                event.accept()
                return
            if isinstance(item, NodeItem):
                break
        super().mouseDoubleClickEvent(event)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._wire is not None:
            src, wire = self._wire
            wire.setPath(wire_path(self.node_items[src].output_pos(), event.scenePos()))
            return
        super().mouseMoveEvent(event)
        for item in self._pressed:  # what a drag moves
            item.adjust_edges()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._wire is not None:
            src, wire = self._wire
            self._wire = None
            self.removeItem(wire)
            self._finish_wire(src, event.scenePos())
            return
        super().mouseReleaseEvent(event)
        pressed, self._pressed = self._pressed, {}
        self.move_shown(pressed)

    def move_shown(self, pressed: dict[QGraphicsItem, QPointF]) -> None:
        """Store where blocks and cards were dragged to (one undoable move): each block by the distance it was
        dragged, a card's blocks by the card's."""
        graph = self.editor.graph
        moves: dict[str, tuple] = {}
        for item, old in pressed.items():
            delta = item.pos() - old
            if delta.isNull():
                continue
            if isinstance(item, GroupCard):
                ids = blocks_in(graph, item.group_id) if item.group_id in graph.groups else []
            else:
                ids = [item.node_id] if item.node_id in graph.nodes else []
            for nid in ids:
                x, y = graph.nodes[nid].position or (0.0, 0.0)
                moves[nid] = ((x, y), (x + delta.x(), y + delta.y()))
        if not moves:
            return
        text = ""
        cards = [i.group_id for i in pressed if isinstance(i, GroupCard)]
        if len(pressed) == 1 and cards and cards[0] in graph.groups:
            text = f"Move '{graph.groups[cards[0]].name}'"
        self.editor.push(move_nodes(graph, moves, text))

    def _finish_wire(self, src: str, pos: QPointF) -> None:
        """Connect to the input port (or block) under the pointer; on empty canvas, offer quick-add."""
        for item in self.items(pos):
            if isinstance(item, PortItem) and item.is_input:
                self.connect_blocks(src, item.node.node_id, item.index)
                return
            if isinstance(item, NodeItem) and item.node_id != src:
                self.connect_blocks(src, item.node_id, self._free_port(item.node_id))
                return
            if isinstance(item, GroupCard):
                self.editor.say("Expand the group to connect to a block inside it.")
                return
        self.quick_add_requested.emit(pos, src)

    def _free_port(self, node_id: str) -> int:
        taken = {e.port for e in self.editor.graph.in_edges(node_id)}
        n = max(1, len(self.node_items[node_id].inputs))
        return next((p for p in range(n) if p not in taken), 0)
