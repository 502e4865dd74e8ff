"""The canvas view: dotted grid, zoom, pan, fit, and the keys that belong to the canvas."""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QKeyEvent, QMouseEvent, QPainter, QPen, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QGraphicsView

from netbuilder.ui import theme
from netbuilder.ui.canvas.minimap import Minimap
from netbuilder.ui.canvas.scene import CanvasScene

GRID = 24.0
MIN_ZOOM, MAX_ZOOM = 0.1, 4.0
ARROWS = {Qt.Key.Key_Up: "up", Qt.Key.Key_Down: "down", Qt.Key.Key_Left: "left", Qt.Key.Key_Right: "right"}


class CanvasView(QGraphicsView):
    """Wheel or Ctrl+wheel zooms under the pointer; middle-drag or Space-drag pans; F fits; Tab quick-adds; the
    arrow keys walk the selection along the wires (and scroll when nothing is selected)."""

    quick_add_requested = Signal(QPointF)
    context_requested = Signal(QPointF, QPoint)  # a right-click: the scene point, the screen point

    def __init__(self, scene: CanvasScene) -> None:
        super().__init__(scene)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)  # the dots, drawn again on pan and zoom only
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._panning: QPointF | None = None
        self._space = False
        # Room to pan around the network: the scene's own (growing) rectangle plus a margin.
        scene.sceneRectChanged.connect(self._follow_scene_rect)
        self._follow_scene_rect(scene.sceneRect())
        self.minimap = Minimap(self, scene)
        self.minimap.place()

    def set_overview(self, shown: bool) -> None:
        """Show or hide the overview in the canvas's corner."""
        self.minimap.show_when_room(shown)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.minimap.place()

    def _follow_scene_rect(self, rect: QRectF) -> None:
        self.setSceneRect(rect.adjusted(-2000, -2000, 2000, 2000))

    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        factor = target / self.zoom()
        self.scale(factor, factor)

    def content_rect(self) -> QRectF:
        scene = self.scene()
        return scene.content_rect() if isinstance(scene, CanvasScene) else scene.itemsBoundingRect()

    def fit(self) -> None:
        rect = self.content_rect()
        if rect.isEmpty():
            return
        self.fitInView(rect.adjusted(-40, -40, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.0:
            self.zoom_by(1.0 / self.zoom())
        if self.zoom() < MIN_ZOOM:
            self.zoom_by(MIN_ZOOM / self.zoom())
        self.centerOn(rect.center())

    def show_start(self, min_zoom: float = 0.8) -> None:
        """The opening view: everything when it fits legibly, else the top of the network at a readable zoom."""
        self.fit()
        if self.zoom() < min_zoom:
            self.zoom_by(min_zoom / self.zoom())
            top = self.content_rect().adjusted(-40, -40, 40, 40)
            self.centerOn(top.center().x(), top.top() + self.viewport().height() / (2 * self.zoom()))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        """The theme changed: the cached background is drawn again in its colours."""
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.resetCachedContent()
        super().changeEvent(event)

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        pal = theme.current()
        painter.fillRect(rect, pal.background)
        if self.zoom() < 0.3:
            return  # zoomed far out, dots would only add noise
        step = GRID if self.zoom() >= 0.6 else GRID * 4
        pen = QPen(pal.grid, 2.0 / max(self.zoom(), 0.2))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        left, top = math.floor(rect.left() / step) * step, math.floor(rect.top() / step) * step
        points = []
        y = top
        while y < rect.bottom():
            x = left
            while x < rect.right():
                points.append(QPointF(x, y))
                x += step
            y += step
        painter.drawPoints(points)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        delta = event.angleDelta().y()
        if delta:
            self.zoom_by(1.0015**delta)
        event.accept()

    def request_quick_add(self) -> None:
        """Ask for quick-add under the pointer, or at the centre when the pointer is elsewhere (Tab)."""
        at = self.mapFromGlobal(self.cursor().pos())
        if not self.viewport().rect().contains(at):
            at = self.viewport().rect().center()
        self.quick_add_requested.emit(self.mapToScene(at))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
            return
        scene = self.scene()
        direction = ARROWS.get(event.key())
        plain = event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        if direction and plain and isinstance(scene, CanvasScene) and scene.step(direction):
            event.accept()  # a block is selected: the arrows walk the wires (with none, they scroll)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
            return
        super().keyReleaseEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        """Right-click: the window shows the menu for what lies under the pointer (block, connection, canvas)."""
        self.context_requested.emit(self.mapToScene(event.pos()), event.globalPos())
        event.accept()

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 (Qt's names): Tab belongs to the canvas
        return False

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.MiddleButton:
            self._panning = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._panning is not None:
            delta = event.position() - self._panning
            self._panning = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.MiddleButton and self._panning is not None:
            self._panning = None
            self.unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)
