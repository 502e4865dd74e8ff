"""A connection on the canvas: routed between two port holders (a block, or a folded group's card), and
labelled with the volume that travels on it."""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem, QWidget

from netbuilder.ui import theme


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


class EdgeItem(QGraphicsPathItem):
    """A connection, labelled with the volume that travels on it."""

    def __init__(self, src: Ends, dst: Ends, port: int) -> None:
        super().__init__()
        self.src, self.dst, self.port = src, dst, port
        self.label = ""
        self.broken = False
        self._label_rect = QRectF()
        self._bounds = QRectF()
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(0)
        src.edges.append(self)
        dst.edges.append(self)
        self.adjust()

    def detach(self) -> None:
        for node in (self.src, self.dst):
            if self in node.edges:
                node.edges.remove(self)

    def adjust(self) -> None:
        """Follow the ports after a block moved or its ports changed."""
        self.prepareGeometryChange()
        path = wire_path(self.src.output_pos(), self.dst.input_pos(self.port))
        self.setPath(path)
        self._mid = path.pointAtPercent(0.5)
        self._path_bounds = path.boundingRect().adjusted(-10, -10, 10, 10)
        self._measure()

    def _measure(self) -> None:
        mid = self._mid
        self._label_rect = QRectF(mid.x() + 6, mid.y() - 9, _label_width(self.label), 18)
        self._bounds = self._path_bounds.united(self._label_rect)

    def set_label(self, text: str, broken: bool) -> None:
        if (text, broken) != (self.label, self.broken):
            self.prepareGeometryChange()
            self.label, self.broken = text, broken
            self._measure()
            self.update()

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return stroker.createStroke(self.path())

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        pal = theme.current()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = pal.selection if self.isSelected() else (pal.muted if self.broken else pal.edge)
        painter.setPen(QPen(color, 2.2 if self.isSelected() else 1.6))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        if self.label:
            rect = self._label_rect
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pal.label_back)
            painter.drawRoundedRect(rect, 4, 4)
            painter.setPen(pal.muted if self.broken else pal.text)
            painter.setFont(theme.mono_font(8))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.label)
