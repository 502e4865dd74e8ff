"""The overview: a small map of the whole network in a corner of the canvas (a quarter of a small canvas at most,
none on a tiny one), with the visible rectangle; dragging the rectangle (or clicking elsewhere on the map) pans the
canvas."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsView, QWidget

from netbuilder.ui import theme
from netbuilder.ui.canvas.group_item import GROUP_COLOR
from netbuilder.ui.canvas.items import NODE_H, NODE_W, category_color
from netbuilder.ui.canvas.scene import CanvasScene

MAP_W, MAP_H, MARGIN = 180, 200, 12  # its size on a roomy canvas
MAP_SHARE = 0.25  # on a small canvas it takes at most this share of the canvas's width and of its height
MAP_LEAST = 72  # below this side it would show nothing useful: it steps aside and the canvas keeps the room
REDRAW_MS = 150  # after the network's last change


class Minimap(QWidget):
    """Drawn from the scene's shown units (blocks and cards) as coloured rectangles: cheap at any size. The
    network's picture is kept until the network changes (a check or a layout), and redrawn once the changes
    pause for REDRAW_MS, outside the frame that shows the edit on the canvas; a pan repaints only the visible
    rectangle over it."""

    def __init__(self, view: QGraphicsView, scene: CanvasScene) -> None:
        super().__init__(view)
        self.view, self.scene = view, scene
        self.wanted = True  # View → Overview; place() shows it only while the canvas has room for it
        self.setFixedSize(MAP_W, MAP_H)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: drag the rectangle to pan (View → Overview hides it).")
        self._grab: QPointF | None = None  # where in the visible rectangle the drag holds it
        self._held: QRectF | None = None
        self._content: QRectF | None = None  # the network's extent, until it changes
        self._picture: tuple[tuple, QPixmap] | None = None  # the network drawn, with what it was drawn for
        view.horizontalScrollBar().valueChanged.connect(self.update)
        view.verticalScrollBar().valueChanged.connect(self.update)
        self._stale = QTimer(self, singleShot=True, interval=REDRAW_MS)
        self._stale.timeout.connect(self._redraw)
        scene.laid_out.connect(self._stale.start)
        scene.editor.checked.connect(self._stale.start)

    def _redraw(self) -> None:
        """Draw the changed network anew."""
        self._content = self._picture = None
        self.update()

    def show_when_room(self, wanted: bool) -> None:
        """Show it (View → Overview) while the canvas has room for it, or hide it."""
        self.wanted = wanted
        self.place()

    def place(self) -> None:
        """Keep to the canvas's bottom-right corner, inside its scroll bars, at most a quarter of the canvas's
        width and height; on a canvas too small for a useful map it steps aside."""
        port = self.view.viewport().geometry()
        width = min(MAP_W, int((port.width() - 2 * MARGIN) * MAP_SHARE))
        height = min(MAP_H, int((port.height() - 2 * MARGIN) * MAP_SHARE))
        fits = min(width, height) >= MAP_LEAST
        if fits and (width, height) != self.size().toTuple():
            self.setFixedSize(width, height)
        self.move(port.right() - width - MARGIN, port.bottom() - height - MARGIN)
        self.setVisible(self.wanted and fits)

    # Scene ↔ map -----------------------------------------------------------------------------------

    def world(self) -> QRectF:
        """The part of the scene the map shows: the network and the visible rectangle (held still during a drag,
        so the map does not slide under the pointer)."""
        if self._held is not None:
            return self._held
        if self._content is None:
            self._content = self.scene.content_rect()
        rect = self._content
        return rect.united(self.visible()) if not rect.isEmpty() else self.visible()

    def visible(self) -> QRectF:
        return self.view.mapToScene(self.view.viewport().rect()).boundingRect()

    def _scale(self, world: QRectF) -> tuple[float, QPointF]:
        inner = QRectF(self.rect()).adjusted(6, 6, -6, -6)
        k = min(inner.width() / max(world.width(), 1.0), inner.height() / max(world.height(), 1.0))
        offset = QPointF(
            inner.left() + (inner.width() - world.width() * k) / 2 - world.left() * k,
            inner.top() + (inner.height() - world.height() * k) / 2 - world.top() * k,
        )
        return k, offset

    def to_map(self, rect: QRectF, k: float, offset: QPointF) -> QRectF:
        return QRectF(rect.left() * k + offset.x(), rect.top() * k + offset.y(), rect.width() * k, rect.height() * k)

    def to_scene(self, point: QPointF) -> QPointF:
        k, offset = self._scale(self.world())
        return QPointF((point.x() - offset.x()) / k, (point.y() - offset.y()) / k)

    def visible_on_map(self) -> QRectF:
        k, offset = self._scale(self.world())
        return self.to_map(self.visible(), k, offset)

    # Drawing and dragging -------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        pal = theme.current()
        world = self.world()
        ratio = self.devicePixelRatioF()
        key = (world.getRect(), self.size().toTuple(), ratio, pal)
        if self._picture is None or self._picture[0] != key:
            picture = QPixmap(self.size() * ratio)
            picture.setDevicePixelRatio(ratio)
            picture.fill(Qt.GlobalColor.transparent)
            self._draw_network(QPainter(picture), world)
            self._picture = (key, picture)
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._picture[1])
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        k, offset = self._scale(world)
        painter.setPen(QPen(pal.selection, 1.5))
        fill = QColor(pal.selection)
        fill.setAlpha(30)
        painter.setBrush(fill)
        painter.drawRect(self.to_map(self.visible(), k, offset))
        painter.end()

    def _draw_network(self, painter: QPainter, world: QRectF) -> None:
        """The map's background, group frames, blocks and cards."""
        pal = theme.current()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        back = QColor(pal.body)
        back.setAlpha(235)
        painter.setPen(QPen(pal.edge, 1))
        painter.setBrush(back)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        k, offset = self._scale(world)
        painter.setPen(Qt.PenStyle.NoPen)
        for frame in self.scene.group_frames.values():
            tint = QColor(pal.selection)
            tint.setAlpha(40)
            painter.setBrush(tint)
            painter.drawRect(self.to_map(frame.frame_rect(), k, offset))
        colours: dict[str, tuple[QColor, list[QRectF]]] = {}  # one drawRects call per colour
        w, h, dx, dy = NODE_W * k, NODE_H * k, offset.x(), offset.y()
        for item in self.scene.node_items.values():
            if item.isVisible():
                error = item.checked is not None and item.checked.error  # not item.view: made only when painted
                colour = theme.ERROR if error else category_color(item.block_type)
                at = item.scenePos()  # the block's body is (0, 0, NODE_W, NODE_H) in its own coordinates
                rect = QRectF(at.x() * k + dx, at.y() * k + dy, w, h)
                colours.setdefault(colour.name(), (colour, []))[1].append(rect)
        for colour, rects in colours.values():
            painter.setBrush(colour)
            painter.drawRects(rects)
        for card in self.scene.group_cards.values():
            painter.setBrush(theme.ERROR if card.view.error else GROUP_COLOR)
            painter.drawRect(self.to_map(card.mapRectToScene(card.shape().boundingRect()), k, offset))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self._held = None
        self._held = self.world()
        seen = self.visible_on_map()
        if seen.contains(event.position()):
            self._grab = event.position() - seen.center()
        else:
            self._grab = QPointF()
            self._pan_to(event.position())
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._grab is not None:
            self._pan_to(event.position() - self._grab)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._grab = self._held = None
        self.update()
        event.accept()

    def _pan_to(self, map_point: QPointF) -> None:
        """Centre the canvas on the scene point under a map point."""
        self.view.centerOn(self.to_scene(map_point))
        self.update()
