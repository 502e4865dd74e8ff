"""A connection on the canvas: routed between two port holders (a block, or a folded group's card), and
labelled with the volume that travels on it.

Routing (core/drawing/routing.py) keeps a wire from passing under any block other than its two ends: a skip connection
curves beside the column. Obstacles are the visible scene items with a truthy `wire_obstacle` (blocks, group
cards), found through the scene's index around the wire. A wire follows a dragged block at once, and is routed
once more when the drag ends. The wires of a batch of moves (one command's: auto-arrange, add below, undo) wait
until the batch is over (follow_later) and are routed once after it (settle), when every block is where it ends
up, together with the wires the moved blocks now lie on. The wires of a new canvas, and those that folding makes
or moves, are drawn once, at settle (follow); a wire hidden in a folded group waits until it shows again."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Protocol

import shiboken6
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsScene, QStyleOptionGraphicsItem, QWidget
from shiboken6 import isValid

from netbuilder.core.drawing import routing
from netbuilder.core.drawing.layout import FRAME_TITLE
from netbuilder.ui import theme
from netbuilder.ui.canvas.items import far, lod_of

CORNER = 10.0  # the radius of a routed wire's rounded corners
WIDE = 1e7  # a lane may be anywhere across the scene


class Ends(Protocol):
    """What a connection is drawn between: anything with an output port, input ports and a list of its edges."""

    edges: list[EdgeItem]

    def output_pos(self) -> QPointF: ...

    def input_pos(self, port: int) -> QPointF: ...


@lru_cache(maxsize=4096)
def _label_width(text: str) -> float:
    return QFontMetricsF(theme.mono_font(8)).horizontalAdvance(text) + 10


def wire_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A smooth vertical S-curve from an output port down to an input port."""
    path = QPainterPath(start)
    bend = max(40.0, abs(end.y() - start.y()) / 2)
    path.cubicTo(QPointF(start.x(), start.y() + bend), QPointF(end.x(), end.y() - bend), end)
    return path


def routed_path(points: tuple[routing.Point, ...]) -> QPainterPath:
    """A polyline with its corners rounded (each corner's radius at most half of its shorter side)."""
    path = QPainterPath(QPointF(*points[0]))
    for i in range(1, len(points) - 1):
        (ax, ay), (bx, by), (cx, cy) = points[i - 1], points[i], points[i + 1]
        before, after = abs(bx - ax) + abs(by - ay), abs(cx - bx) + abs(cy - by)
        if before < 1e-6 or after < 1e-6:
            continue
        r = min(CORNER, before / 2, after / 2)
        path.lineTo(QPointF(bx - (bx - ax) / before * r, by - (by - ay) / before * r))
        path.quadTo(QPointF(bx, by), QPointF(bx + (cx - bx) / after * r, by + (cy - by) / after * r))
    path.lineTo(QPointF(*points[-1]))
    return path


def is_obstacle(item: QGraphicsItem) -> bool:
    """A visible block or group card (a truthy `wire_obstacle`): what a wire must not pass under."""
    return bool(getattr(item, "wire_obstacle", False)) and item.isVisible()


def _rect(r: QRectF) -> routing.Rect:
    return r.left(), r.top(), r.right(), r.bottom()


def _point(p: QPointF) -> routing.Point:
    return p.x(), p.y()


_PENDING = "_nb_wires_to_settle"


def _pending(scene: QGraphicsScene) -> set[EdgeItem]:
    found = getattr(scene, _PENDING, None)
    if found is None:
        found = set()
        setattr(scene, _PENDING, found)
        QTimer.singleShot(0, lambda: settle(scene) if shiboken6.isValid(scene) else None)
    return found


class _Obstacles:
    """What wires avoid in a band of the scene, read once per settle: blocks and cards, other wires' lanes and
    labels (kept up to date as wires are routed in turn)."""

    def __init__(self, items: list[QGraphicsItem]) -> None:
        self.blocks, self.lanes, self.labels = routing.Index(), routing.Index(), routing.Index()
        self.frames = routing.Index()
        for item in items:
            if isinstance(item, EdgeItem):
                self.note(item)
            elif is_obstacle(item):
                self.blocks.put(item, _rect(item.sceneBoundingRect()))
            elif getattr(item, "wire_frame", False):  # an expanded group's frame: lanes keep off its sides
                self.frames.put(item, _rect(item.frame_rect()))

    def note(self, edge: EdgeItem) -> None:
        self.lanes.put(edge, edge._lane)
        shown = None if edge._label_rect.isEmpty() else _rect(edge._label_rect)
        self.labels.put(edge, edge._routed_label if edge._lane is not None else shown)

    def across(self, edge: EdgeItem, lo: float, hi: float) -> tuple[list, list, list, list]:
        ends = (edge.src, edge.dst)
        blocks = [r for k, r in self.blocks.across(lo, hi) if k not in ends]
        frames = [r for _, r in self.frames.across(lo, hi)]
        if not blocks and not frames:  # the S-curve (routing.route): other wires need not be looked at
            return blocks, [], [], frames
        lanes = [r for k, r in self.lanes.across(lo, hi) if k is not edge]
        labels = [r for k, r in self.labels.across(lo, hi) if k is not edge]
        return blocks, lanes, labels, frames


def follow_later(edges: Iterable[EdgeItem]) -> None:
    """Wires whose ends moved in a batch: each follows them once, when the scene settles, however many of the
    batch's moves it shares (both its ends, a block moved twice)."""
    for edge in edges:
        scene = edge.scene()
        if scene is not None:
            edge.stale = True
            _pending(scene).add(edge)


def settle(scene: QGraphicsScene) -> None:
    """Route the wires that moved since the last settle, now that every block is in place, and the wires that a
    moved block now lies on. Runs by itself when the event loop turns; call it to have it done now."""
    moved: set[EdgeItem] = getattr(scene, _PENDING, None) or set()
    # A rebuilt scene deleted the old wires; a hidden wire (inside a folded group) is laid out when it shows again.
    moved = {e for e in moved if isValid(e) and e.scene() is scene and e.isVisible()}
    for edge in moved:
        if edge.stale:
            edge.follow()  # to where its ends are now: what the wires routed before it keep clear of
    if _PENDING in vars(scene):
        delattr(scene, _PENDING)
    if not moved:
        return
    ys = [y for e in moved for y in (e.src.output_pos().y(), e.dst.input_pos(e.port).y())]
    lo, hi = min(ys) - 200, max(ys) + 200
    items = scene.items(QRectF(-WIDE, lo, 2 * WIDE, hi - lo), Qt.ItemSelectionMode.IntersectsItemBoundingRect)
    obstacles = _Obstacles(items)
    again = set(moved)
    holders = [h for e in moved for h in (e.src, e.dst) if isinstance(h, QGraphicsItem)]
    if len(holders) < 64:  # a drag: the wires the moved blocks now lie on (after a rebuild, every wire is here)
        for holder in holders:
            box = holder.sceneBoundingRect()
            again.update(i for i in items if isinstance(i, EdgeItem) and i.sceneBoundingRect().intersects(box))
    for edge in sorted(again, key=lambda e: e._order):
        edge.adjust(later=False, obstacles=obstacles)
        obstacles.note(edge)
    if _PENDING in vars(scene):
        delattr(scene, _PENDING)  # what this pass moved is settled


_counter = [0]


class EdgeItem(QGraphicsPathItem):
    """A connection, labelled with the volume that travels on it."""

    def __init__(self, src: Ends, dst: Ends, port: int) -> None:
        """It is drawn first when the scene settles, among the blocks where they end up, so that a wire made in a
        batch (a whole canvas, a command) is laid out once."""
        super().__init__()
        self.src, self.dst, self.port = src, dst, port
        self.label = ""
        self.broken = False
        self._label_rect = QRectF()
        self._bounds = QRectF()
        self._lane: routing.Rect | None = None
        self._routed_label: routing.Rect | None = None
        self._placed: dict[float, QRectF] = {}  # its label's place by the label's width (_place_label)
        self.stale = False  # its ends moved in a batch: it follows them when the scene settles (follow_later)
        _counter[0] += 1
        self._order = _counter[0]  # settle routes wires in the order they were made: the same lanes every time
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        src.edges.append(self)
        dst.edges.append(self)
        self.follow()
        scene = src.scene() if isinstance(src, QGraphicsItem) else None
        if scene is not None:  # it joins its ends' scene: routed among the blocks there when it settles
            _pending(scene).add(self)

    def follow(self) -> None:
        """Its ends moved in a batch: drawn once, when the scene settles (call settle before the next paint).
        Until then it covers the box between its ports, and a routed wire's lane is kept where adjust would keep
        it (what the wires routed before it at settle keep clear of)."""
        self.stale = False
        self.prepareGeometryChange()
        start, end = self.src.output_pos(), self.dst.input_pos(self.port)
        if self._lane is not None:
            self._lane, self._routed_label = routing.keep_lane(_point(start), _point(end), self._lane[0]).lane, None
        mid = (start + end) / 2
        self._mid, self._path_bounds = (mid.x(), mid.y()), QRectF(start, end).normalized()
        self._measure()
        scene = self.scene()
        if scene is not None:
            _pending(scene).add(self)

    def detach(self) -> None:
        for node in (self.src, self.dst):
            if self in node.edges:
                node.edges.remove(self)

    def adjust(self, later: bool = True, obstacles: _Obstacles | None = None) -> None:
        """Follow the ports after a block moved or its ports changed. At once, a wire keeps its lane (if it had
        one); it is routed among the blocks when the scene settles (obstacles: what settle read)."""
        self.stale = False
        self.prepareGeometryChange()
        start, end = self.src.output_pos(), self.dst.input_pos(self.port)
        a, b = _point(start), _point(end)
        if obstacles is not None:
            lo, hi = sorted((a[1], b[1]))
            blocks, lanes, labels, frames = obstacles.across(self, lo - routing.DROP, hi + routing.DROP)
            size = (_label_width(self.label), 18.0) if self.label else (0.0, 0.0)
            found = routing.route(a, b, blocks, lanes, labels, size, frames, FRAME_TITLE)
        elif self._lane is not None:
            found = routing.keep_lane(a, b, self._lane[0])
        else:
            found = routing.Route((), None, None)
        path = routed_path(found.points) if found.points else wire_path(start, end)
        self._lane, self._routed_label = found.lane, found.label
        self.setPath(path)
        mid = path.pointAtPercent(0.5)
        self._mid = (mid.x(), mid.y())  # plain numbers: the label is placed from it at every volume change
        self._path_bounds = path.boundingRect().adjusted(-10, -10, 10, 10)
        self._measure()
        scene = self.scene()
        if later and scene is not None:
            _pending(scene).add(self)

    def _measure(self) -> None:
        self._placed.clear()
        self._place_label()
        self._bounds = self._drawn_bounds()

    def _place_label(self) -> None:
        """Where its label goes, by the label's width, until the wire moves: an edit that breaks the network and
        the next that mends it swap two labels on every wire below."""
        width = _label_width(self.label)  # the width alone tells an empty label: no text is 0 wide
        known = self._placed.get(width)
        if known is None:
            known = self._placed[width] = self._label_place()
        self._label_rect = known

    def _label_place(self) -> QRectF:
        if self._lane is not None:
            r = self._routed_label
            width = min(_label_width(self.label), r[2] - r[0]) if r and self.label else 0.0
            return QRectF(r[0], r[1], width, r[3] - r[1]) if width else QRectF()
        (x, y), width = self._mid, _label_width(self.label)
        # Into a port with others to its right (an Add), where a skip may come in from its lane: label left.
        left = self.port < len(getattr(self.dst, "inputs", ())) - 1
        return QRectF(x - 6 - width if left else x + 6, y - 9, width, 18)

    def _drawn_bounds(self) -> QRectF:
        """What the wire and its label cover now."""
        return self._path_bounds.united(self._label_rect) if not self._label_rect.isEmpty() else self._path_bounds

    def set_label(self, text: str, broken: bool) -> QRectF | None:
        """Show another volume; returns the scene rectangle to repaint (None: nothing changed), which the caller
        repaints once for a whole check's labels rather than wire by wire. The bounds only grow here (they shrink
        when the wire moves): a label that fits where a label was (the same length in the fixed-width font, or
        shorter) changes no geometry, so the scene's index is left alone, which is most of an edit's cost on a big
        network."""
        if text == self.label and broken == self.broken:
            return None
        recolored, old_text, old = broken != self.broken, self.label, self._label_rect
        self.label, self.broken = text, broken
        width = _label_width(text)
        if self._lane is not None and self.scene() is not None:
            room = self._routed_label  # the place routing found beside the lane: a label that fits stays there
            if room is None or width > room[2] - room[0] + 0.5:
                _pending(self.scene()).add(self)  # a routed wire finds room for the label beside its lane
        if width != _label_width(old_text):  # else its label keeps its place and size
            self._place_label()
            label = self._label_rect  # the wire's path lies within its bounds already
            if not label.isEmpty() and not self._bounds.contains(label):
                self.prepareGeometryChange()
                self._bounds = self._bounds.united(label)
        return self._bounds if recolored else old.united(self._label_rect)

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return stroker.createStroke(self.path())

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._bounds

    def draw_wire(self, painter: QPainter) -> None:
        """The wire alone (selected, broken or plain), without its label."""
        pal = theme.current()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = pal.selection if self.isSelected() else (pal.muted if self.broken else pal.edge)
        painter.setPen(QPen(color, 2.2 if self.isSelected() else 1.6))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        inside = getattr(self.src, "outer_group", None)
        if inside is not None and inside == getattr(self.dst, "outer_group", None) and far(lod_of(painter)):
            return  # inside an expanded group drawn as one card
        self.draw_wire(painter)
        if self.label and not self._label_rect.isEmpty():
            pal, rect = theme.current(), self._label_rect
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pal.label_back)
            painter.drawRoundedRect(rect, 4, 4)
            painter.setPen(pal.muted if self.broken else pal.text)
            painter.setFont(theme.mono_font(8))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.label)
