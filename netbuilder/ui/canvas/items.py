"""Canvas items for blocks and their ports (edges are in edge_item.py)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsRectItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from netbuilder.core.blocks import REGISTRY
from netbuilder.ui import theme

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Protocol

    from netbuilder.core.check.shapes import NodeCheck

    class Wire(Protocol):
        """A block's wire (ui/canvas/edge_item.py's EdgeItem, which imports this module): it follows the block."""

        def adjust(self) -> None: ...


NODE_W = 230.0
NODE_H = 66.0
HEADER_H = 22.0
PORT_R = 5.5
PORT_BOUNDS = QRectF(-PORT_R - 4, -PORT_R - 4, 2 * PORT_R + 8, 2 * PORT_R + 8)
NODE_BOUNDS = QRectF(-12, -12, NODE_W + 24, NODE_H + 24)
MIN_TEXT_PX = 8.0  # text smaller than this on screen is not drawn: the item draws a simpler face instead

# While a list, every text the canvas draws is recorded in it as (text, its height on screen in pixels), so a
# test can check what a person would actually read (see screen_text_height).
DRAWN: list[tuple[str, float]] | None = None


def screen_text_height(font: QFont, painter: QPainter) -> float:
    """How tall text in this font appears on screen: the font's line height times the painter's scale."""
    scale = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
    return QFontMetricsF(font).height() * scale


def readable(font: QFont, lod: float) -> bool:
    return _line_height(font) * lod >= MIN_TEXT_PX


@lru_cache(maxsize=128)
def _line_height(font: QFont) -> float:
    """A font's line height (fonts compare by value): asked by every item as it paints."""
    return QFontMetricsF(font).height()


def draw_text(painter: QPainter, rect: QRectF, flags, text: str) -> None:
    """Draw text, recording it (with its on-screen height) while a test listens."""
    if DRAWN is not None and text:
        DRAWN.append((text, screen_text_height(painter.font(), painter)))
    painter.drawText(rect, flags, text)


@lru_cache(maxsize=64)
def pixel_font(pixels: float, mono: bool = False, bold: bool = False) -> QFont:
    """A font sized in scene units (for the simplified faces drawn when zoomed out)."""
    font = QFont(theme.mono_font(9) if mono else theme.ui_font(9))
    font.setPixelSize(max(1, round(pixels)))
    font.setBold(bold)
    return font


def lod_of(painter: QPainter) -> float:
    return QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())


def far(lod: float) -> bool:
    """So far out that even a block's large volume cannot be read: expanded groups are drawn as cards then
    (their frame covers them), and what lies inside them is not drawn."""
    return not readable(pixel_font(28, mono=True, bold=True), lod)


@dataclass(frozen=True)
class NodeView:
    """What a block shows; items repaint only when this changes."""

    title: str
    settings: str
    volume: str
    cost: str
    error: str | None
    downstream: bool  # no shape because something above it is broken
    tooltip: str


# Training health marks (core.health's states): shape and glyph as well as colour (Okabe-Ito), so they read
# without colour vision: a circle with ✓, a triangle with !, a square with ✕.
HEALTH_MARKS = {
    "ok": ("#009E73", "circle", "✓"),
    "watch": ("#E69F00", "triangle", "!"),
    "problem": ("#D55E00", "square", "✕"),
}
HEALTH_R = 9.0


def paint_health_mark(painter: QPainter, center: QPointF, state: str, r: float = HEALTH_R) -> None:
    """A health mark: its shape filled with its colour, a white outline and the glyph."""
    color, shape, glyph = HEALTH_MARKS[state]
    painter.save()
    painter.setOpacity(1.0)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor("white"), 1.5))
    painter.setBrush(QColor(color))
    if shape == "circle":
        painter.drawEllipse(center, r, r)
    elif shape == "triangle":
        painter.drawPolygon(
            QPolygonF(
                [
                    center + QPointF(0, -1.15 * r),
                    center + QPointF(1.1 * r, 0.8 * r),
                    center + QPointF(-1.1 * r, 0.8 * r),
                ]
            )
        )
    else:
        painter.drawRect(QRectF(center.x() - 0.9 * r, center.y() - 0.9 * r, 1.8 * r, 1.8 * r))
    painter.setPen(QColor("white") if state != "watch" else QColor("black"))
    font = pixel_font(1.2 * r, bold=True)
    painter.setFont(font)
    box = QRectF(center.x() - r, center.y() - r + (0.25 * r if shape == "triangle" else 0), 2 * r, 2 * r)
    draw_text(painter, box, Qt.AlignmentFlag.AlignCenter, glyph)
    painter.restore()


def category_color(block_type: str) -> QColor:
    block = REGISTRY.get(block_type)
    return theme.CATEGORY_COLORS.get(block.category if block else "", theme.CATEGORY_COLORS["data"])


class PortItem(QGraphicsEllipseItem):
    """An input (top edge) or output (bottom edge) connector of a block. Its bounds and shape are Qt's (an
    ellipse item's, without pen): Qt asks for them many times per frame, and a call into Python costs."""

    def __init__(self, node: NodeItem, is_input: bool, index: int) -> None:
        super().__init__(PORT_BOUNDS, node)
        self.setPen(Qt.PenStyle.NoPen)
        self.node, self.is_input, self.index = node, is_input, index
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.hovered = False
        self.setZValue(2)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)  # painted again on hover and zoom only

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if getattr(self.parentItem(), "outer_group", None) is not None and far(lod_of(painter)):
            return  # its block steps back behind its group's card
        pal = theme.current()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(pal.edge, 1.5))
        painter.setBrush(pal.selection if self.hovered else pal.body)
        r = PORT_R * (1.35 if self.hovered else 1.0)
        painter.drawEllipse(QPointF(0, 0), r, r)

    def hoverEnterEvent(self, event) -> None:  # noqa: N802
        self.hovered = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802
        self.hovered = False
        self.update()


class NodeItem(QGraphicsRectItem):
    """A block: a coloured header with its type and id, its settings, and its output volume. Its bounds are Qt's
    (a rectangle item's, without pen), asked for many times per frame."""

    wire_obstacle = True  # routed wires go around it (ui/canvas/edge_item.py)

    def __init__(self, node_id: str, block_type: str, n_inputs: int) -> None:
        super().__init__(NODE_BOUNDS)
        self.setPen(Qt.PenStyle.NoPen)
        self.node_id, self.block_type = node_id, block_type
        self._view = NodeView(f"{block_type}", "", "?", "", None, False, "")
        self._make_view: Callable[[], NodeView] | None = None
        self._unpainted = True  # not painted since it was last marked out of date (its cached picture is stale)
        self.checked: NodeCheck | None = None  # the check result its view comes from (the scene skips the same)
        self.edges: list[Wire] = []
        self.health: tuple[str, str] | None = None  # (state, sentences) of the latest training health record
        self.outer_group: str | None = None  # the outermost expanded group around it (set by the scene)
        self.inputs: list[PortItem] = []
        self.hovered = False
        self.output = PortItem(self, False, 0)
        self.output.setPos(NODE_W / 2, NODE_H)
        self.set_input_count(n_inputs)
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1)

    def set_input_count(self, n: int) -> None:
        if n == len(self.inputs):
            return
        for port in self.inputs:
            port.setParentItem(None)
            if port.scene():
                port.scene().removeItem(port)
        self.inputs = [PortItem(self, True, i) for i in range(n)]
        for i, port in enumerate(self.inputs):
            port.setPos(NODE_W * (i + 1) / (n + 1), 0)
        self.adjust_edges()

    def adjust_edges(self) -> None:
        """Wires follow the block; the scene calls this after it moves one (cheaper than an itemChange
        override, which Qt would call a dozen times per block while building the canvas)."""
        for edge in self.edges:
            edge.adjust()

    def input_pos(self, port: int) -> QPointF:
        if 0 <= port < len(self.inputs):
            return self.inputs[port].scenePos()
        return self.mapToScene(QPointF(NODE_W / 2, 0))

    def output_pos(self) -> QPointF:
        return self.output.scenePos()

    @property
    def view(self) -> NodeView:
        """What it shows, made when first asked for (painted, hovered) after apply_later."""
        if self._make_view is not None:
            self._view, self._make_view = self._make_view(), None
        return self._view

    def apply(self, view: NodeView) -> None:
        if view == self.view:
            return
        self._view = view
        if self.hovered:
            self.setToolTip(self.tooltip())
        self.update()

    def apply_later(self, make: Callable[[], NodeView]) -> None:
        """Show the view `make` returns, made when first needed: an edit changes hundreds of blocks, and only
        those in sight are painted."""
        self._make_view = make
        if self.hovered:
            self.setToolTip(self.tooltip())
        if not self._unpainted:  # else Qt already drops its cached picture and repaints it when next in sight
            self._unpainted = True
            self.update()

    def set_health(self, health: tuple[str, str] | None) -> None:
        """Show a training health mark (state: ok, watch or problem; the sentences its tooltip adds), or none."""
        if health == self.health:
            return
        self.health = health
        if self.hovered:
            self.setToolTip(self.tooltip())
        self.update()

    def tooltip(self) -> str:
        """The block's tooltip, with its training health when it has a mark."""
        if self.health is None:
            return self.view.tooltip
        state, text = self.health
        return f"{self.view.tooltip}\n\nTraining health: {state}" + (f"\n{text}" if text else "")

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, NODE_W, NODE_H), 6, 6)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        self._unpainted = False
        lod = lod_of(painter)
        if self.outer_group is not None and far(lod):
            return  # its expanded group is drawn as one card
        if not readable(theme.ui_font(8), lod):
            self._paint_simple(painter, lod)
            return
        pal = theme.current()
        v = self.view
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.setOpacity(0.5 if v.downstream else 1.0)
        rect = QRectF(0, 0, NODE_W, NODE_H)
        outline = theme.ERROR if v.error else (pal.selection if self.isSelected() else pal.edge)
        width = 2.5 if (v.error or self.isSelected()) else 1.0
        body = QPainterPath()
        body.addRoundedRect(rect, 6, 6)
        painter.fillPath(body, pal.body)
        header = QPainterPath()
        header.addRoundedRect(QRectF(0, 0, NODE_W, HEADER_H + 6), 6, 6)
        header = header.intersected(_rect_path(QRectF(0, 0, NODE_W, HEADER_H)))
        painter.fillPath(header, theme.ERROR if v.error else category_color(self.block_type))
        painter.setPen(QPen(outline, width))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(body)

        painter.setPen(QColor("white"))
        painter.setFont(theme.ui_font(9, bold=True))
        fm = QFontMetricsF(painter.font())
        draw_text(painter, QRectF(8, 0, NODE_W - 16, HEADER_H), Qt.AlignmentFlag.AlignVCenter, v.title)
        painter.setFont(theme.ui_font(8.5))
        id_rect = QRectF(8 + fm.horizontalAdvance(v.title) + 8, 0, NODE_W, HEADER_H)
        id_rect.setRight(NODE_W - 8)
        draw_text(
            painter,
            id_rect,
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
            QFontMetricsF(painter.font()).elidedText(self.node_id, Qt.TextElideMode.ElideRight, id_rect.width()),
        )

        painter.setPen(pal.text)
        painter.setFont(theme.ui_font(8.5))
        settings = QFontMetricsF(painter.font()).elidedText(v.settings, Qt.TextElideMode.ElideRight, NODE_W - 16)
        draw_text(painter, QRectF(8, HEADER_H + 2, NODE_W - 16, 20), Qt.AlignmentFlag.AlignVCenter, settings)
        painter.setFont(theme.mono_font(9.5))
        painter.setPen(theme.ERROR if v.error else pal.text)
        draw_text(
            painter,
            QRectF(8, HEADER_H + 21, NODE_W - 16, 20),
            Qt.AlignmentFlag.AlignVCenter,
            "error" if v.error else v.volume,
        )
        painter.setPen(pal.text)  # the parameter count: as dark as the volume, readable at fitted zoom
        painter.setFont(theme.ui_font(8.5))
        draw_text(
            painter,
            QRectF(8, HEADER_H + 21, NODE_W - 16, 20),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
            v.cost,
        )
        if v.error:
            painter.setOpacity(1.0)
            painter.setPen(QPen(QColor("white"), 1.5))
            painter.setBrush(theme.ERROR)
            painter.drawEllipse(QPointF(NODE_W, 0), 9, 9)
            painter.setFont(theme.ui_font(9, bold=True))
            draw_text(painter, QRectF(NODE_W - 9, -9, 18, 18), Qt.AlignmentFlag.AlignCenter, "!")
        if self.health is not None:
            paint_health_mark(painter, QPointF(0, 0), self.health[0])

    def _paint_simple(self, painter: QPainter, lod: float) -> None:
        """Zoomed out: the type's colour and the output volume, large; no text at all when even that is too small."""
        v = self.view
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setOpacity(0.5 if v.downstream else 1.0)
        rect = QRectF(0, 0, NODE_W, NODE_H)
        color = theme.ERROR if v.error else category_color(self.block_type)
        painter.setPen(QPen(theme.current().selection, 6) if self.isSelected() else Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawRoundedRect(rect, 8, 8)
        painter.setPen(QColor("white"))
        title, volume = pixel_font(20, bold=True), pixel_font(28, mono=True, bold=True)
        if readable(title, lod):
            painter.setFont(title)
            draw_text(painter, QRectF(8, 2, NODE_W - 16, 26), Qt.AlignmentFlag.AlignVCenter, v.title)
        if readable(volume, lod):
            painter.setFont(volume)
            text = "error" if v.error else v.volume
            draw_text(
                painter,
                QRectF(8, 26, NODE_W - 16, NODE_H - 28),
                Qt.AlignmentFlag.AlignVCenter,
                QFontMetricsF(volume).elidedText(text, Qt.TextElideMode.ElideRight, NODE_W - 16),
            )
        if self.health is not None:
            paint_health_mark(painter, QPointF(0, 0), self.health[0], 11.0)

    def hoverEnterEvent(self, event) -> None:  # noqa: N802
        self.hovered = True
        self.setToolTip(self.tooltip())  # set on demand: cheaper than on every check
        self.setCursor(Qt.CursorShape.OpenHandCursor)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802
        self.hovered = False


def _rect_path(rect: QRectF) -> QPainterPath:
    path = QPainterPath()
    path.addRect(rect)
    return path
