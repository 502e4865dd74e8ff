"""View → Volumes: the network drawn as cuboids to scale (the article's picture), live, beside the canvas.

The geometry is core.volumes'; this module paints it with QPainter (also for `render --style volumes`) and keeps
it in step with the editor: every check redraws it, hovering a cuboid outlines its block on the canvas and
hovering a block on the canvas outlines its cuboid, and clicking a cuboid selects its block (a selection, never a
graph change).
"""

from __future__ import annotations

import time

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSettings, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetricsF,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGraphicsItem,
    QGraphicsPathItem,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from netbuilder.core.check.shapes import Check
from netbuilder.core.drawing.volumes import SCALES, Cuboid, Picture, build
from netbuilder.ui import theme
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.group_item import GroupCard
from netbuilder.ui.canvas.items import NodeItem

BAND_W = 3.5  # each folded block's slice at the end of its cuboid
TEXT_ROOM = 200.0  # how far a cuboid's texts and kernel lines reach past it, in picture units
MIN_ZOOM, MAX_ZOOM = 0.45, 1.6  # the fitted zoom's bounds (below MIN_ZOOM the labels are too small)
LEAST_ZOOM, MOST_ZOOM = 0.05, 6.0  # what F (the whole network) and the wheel may reach
OPEN_WIDTH, OPEN_HEIGHT = 480, 360  # the dock's size when it opens
BAND_COLORS = {
    "activation": QColor(214, 96, 77),
    "normalization": QColor(77, 160, 110),
    "dropout": QColor(128, 110, 190),
}


def _poly(points: list[tuple[float, float]]) -> QPolygonF:
    return QPolygonF([QPointF(x, y) for x, y in points])


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """a moved t of the way to b."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
    )


def face_color(category: str) -> QColor:
    return theme.CATEGORY_COLORS.get(category, theme.CATEGORY_COLORS["data"])


def band_strips(c: Cuboid) -> list[tuple[str, QPolygonF, QPolygonF]]:
    """Each band's slice at the end of its cuboid: (block, front strip, top strip), the last band rightmost."""
    out = []
    n = len(c.bands)
    width = min(BAND_W, c.d / max(n, 1) * 0.5) if c.kind != "bar" else BAND_W
    ox, oy = c.offset
    for i, band in enumerate(c.bands):
        right = c.x + c.d - (n - 1 - i) * width
        left = right - width
        top, bottom = c.yb - c.h, c.yb
        front = _poly([(left, top), (right, top), (right, bottom), (left, bottom)])
        lid = _poly([(left, top), (left + ox, top + oy), (right + ox, top + oy), (right, top)])
        out.append((band.block, front, lid))
    return out


def hit(picture: Picture, point: QPointF) -> str | None:
    """The block or group under a picture point: a band's block, or the cuboid's unit (the topmost first)."""
    for c in reversed(picture.cuboids):
        if not _poly(c.outline()).containsPoint(point, Qt.FillRule.OddEvenFill):
            continue
        for block, front, lid in band_strips(c):
            grown = front.boundingRect().adjusted(-1.5, 0, 1.5, 0)
            if grown.contains(point) or lid.containsPoint(point, Qt.FillRule.OddEvenFill):
                return block
        return c.unit
    return None


def paint_picture(
    painter: QPainter,
    picture: Picture,
    hovered: str | None = None,
    selected: frozenset[str] = frozenset(),
    within: QRectF | None = None,
) -> None:
    """Draw the picture in picture coordinates: links, cuboids with their bands and kernels, captions, labels.
    hovered and selected name units (blocks or groups) to outline; within: the part to draw (the rest of a
    picture wider than its dock is skipped), None for all."""
    pal = theme.current()
    dark = theme.is_dark()
    painter.save()
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    caption_font, label_font, small_font = theme.ui_font(9.5), theme.mono_font(9.5), theme.ui_font(8)
    link_pen = QPen(pal.edge, 1.3)
    link_pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for link in picture.links:
        painter.setPen(link_pen)
        path = QPainterPath(QPointF(*link.points[0]))
        for p in link.points[1:]:
            path.lineTo(QPointF(*p))
        painter.drawPath(path)
        _arrow_head(painter, link.points[-2], link.points[-1], pal.edge)

    fm_caption, fm_label, fm_small = QFontMetricsF(caption_font), QFontMetricsF(label_font), QFontMetricsF(small_font)
    light, shade = (pal.background, QColor(0, 0, 0)) if not dark else (QColor(255, 255, 255), QColor(0, 0, 0))
    for c in picture.cuboids:
        left, top_y, right, bottom = c.bounds()
        if within is not None and not within.intersects(QRectF(left, top_y, right - left, bottom - top_y)):
            continue  # within is widened by the room its texts take beside and below it
        base = face_color(c.category)
        broken = c.kind == "broken"
        faces = c.faces()
        front = _mix(base, light, 0.55 if not dark else 0.25)
        top = _mix(base, light, 0.72 if not dark else 0.4)
        side = _mix(base, shade, 0.05) if not dark else _mix(base, light, 0.1)
        side = _mix(side, light, 0.35 if not dark else 0.0)
        if broken:
            front, top, side = (_mix(theme.ERROR, light, t) for t in (0.78, 0.86, 0.7))
        outline = QPen(theme.ERROR if broken else _mix(base, shade, 0.35), 2.0 if broken else 1.0)
        outline.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        if broken:
            outline.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(outline)
        for name, color in (("front", front), ("top", top), ("side", side)):
            painter.setBrush(color)
            painter.drawPolygon(_poly(faces[name]))
        for block, strip, lid in band_strips(c):
            band = next(b for b in c.bands if b.block == block)
            color = BAND_COLORS.get(band.category, base)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawPolygon(strip)
            painter.setBrush(_mix(color, light, 0.35))
            painter.drawPolygon(lid)
        if c.kernel is not None:
            src = picture.cuboid(c.kernel.source)
            if src is not None:
                painter.setPen(QPen(_mix(base, shade, 0.5), 1.0))
                patch = QColor(pal.selection)
                patch.setAlpha(150)
                painter.setBrush(patch)
                painter.drawPolygon(_poly(c.kernel.patch))
                line = QPen(pal.selection, 0.9)
                painter.setPen(line)
                for corner in c.kernel.patch:
                    painter.drawLine(QPointF(*corner), QPointF(*c.kernel.apex))
                painter.setBrush(pal.selection)
                painter.drawEllipse(QPointF(*c.kernel.apex), 1.8, 1.8)
        if c.unit in selected or c.unit == hovered:
            pen = QPen(pal.selection, 2.6 if c.unit in selected else 2.0)
            if c.unit == hovered and c.unit not in selected:
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPolygon(_poly(c.outline()))
        # Texts: the caption above, the volume below, the folded blocks under it.
        centre = (left + right) / 2
        painter.setPen(theme.ERROR if broken else pal.text)
        painter.setFont(caption_font)
        caption = c.caption + (" — error" if broken else "")
        _text(painter, fm_caption, caption, centre, top_y - 6)
        painter.setFont(label_font)
        painter.setPen(theme.ERROR if broken else pal.text)
        _text(painter, fm_label, c.label, centre, bottom + fm_label.ascent() + 5)
        note = " · ".join(b.text for b in c.bands) or c.note
        if note:
            painter.setFont(small_font)
            painter.setPen(pal.muted)
            _text(painter, fm_small, note, centre, bottom + fm_label.height() + 16)
        if broken:
            painter.setFont(theme.ui_font(12, bold=True))
            painter.setPen(theme.ERROR)
            painter.drawText(QRectF(c.x, c.yb - c.h, c.d, c.h), Qt.AlignmentFlag.AlignCenter, "!")
    if hovered is not None:  # a hovered band
        for c in picture.cuboids:
            for block, strip, _ in band_strips(c):
                if block == hovered:
                    painter.setPen(QPen(pal.selection, 2.0))
                    painter.setBrush(Qt.BrushStyle.NoBrush)
                    painter.drawRect(strip.boundingRect().adjusted(-1.5, -1.5, 1.5, 1.5))
    painter.restore()


def _text(painter: QPainter, fm: QFontMetricsF, text: str, centre: float, baseline: float) -> None:
    painter.drawText(QPointF(centre - fm.horizontalAdvance(text) / 2, baseline), text)


def _arrow_head(painter: QPainter, a: tuple[float, float], b: tuple[float, float], color: QColor) -> None:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = (dx * dx + dy * dy) ** 0.5
    if length < 1e-6:
        return
    ux, uy = dx / length, dy / length
    size = 6.0
    p1 = QPointF(b[0] - ux * size - uy * size * 0.45, b[1] - uy * size + ux * size * 0.45)
    p2 = QPointF(b[0] - ux * size + uy * size * 0.45, b[1] - uy * size - ux * size * 0.45)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawPolygon(QPolygonF([QPointF(*b), p1, p2]))
    painter.setBrush(Qt.BrushStyle.NoBrush)


class VolumesCanvas(QWidget):
    """Paints a Picture fitted to its size; says which unit is under the mouse and which one is clicked."""

    hovered = Signal(object)  # a block or group id, or None
    clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.picture: Picture | None = None
        self.highlight: str | None = None  # from the mouse here or on the canvas
        self.selected: frozenset[str] = frozenset()
        self.viewport_size = (400.0, 300.0)
        self.user_zoom: float | None = None  # set by the wheel or F; None: fitted, within MIN_ZOOM … MAX_ZOOM
        self.paint_ms = 0.0  # how long its latest paint took
        self.setMouseTracking(True)
        self.setAutoFillBackground(False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # F (fit) works once the picture is clicked

    def fitted(self) -> float:
        """The zoom at which the whole picture fits the viewport."""
        if self.picture is None:
            return 1.0
        vw, vh = self.viewport_size
        return max(LEAST_ZOOM, min(MAX_ZOOM, vw / self.picture.width, vh / self.picture.height))

    def zoom(self) -> float:
        if self.picture is None:
            return 1.0
        return self.user_zoom if self.user_zoom is not None else max(MIN_ZOOM, self.fitted())

    def zoom_to(self, zoom: float) -> None:
        self.user_zoom = max(LEAST_ZOOM, min(MOST_ZOOM, zoom))
        self.fit(*self.viewport_size)
        self.update()

    def fit(self, viewport_w: float, viewport_h: float) -> None:
        self.viewport_size = (max(viewport_w, 50.0), max(viewport_h, 50.0))
        if self.picture is None:
            return
        z = self.zoom()
        self.setMinimumSize(int(self.picture.width * z), int(self.picture.height * z))

    def _origin(self) -> tuple[float, float, float]:
        assert self.picture is not None
        z = self.zoom()
        return z, (self.width() - self.picture.width * z) / 2, (self.height() - self.picture.height * z) / 2

    def to_picture(self, pos: QPointF) -> QPointF:
        z, dx, dy = self._origin()
        return QPointF((pos.x() - dx) / z, (pos.y() - dy) / z)

    def to_widget(self, point: tuple[float, float]) -> QPointF:
        z, dx, dy = self._origin()
        return QPointF(point[0] * z + dx, point[1] * z + dy)

    def set_picture(self, picture: Picture) -> None:
        self.picture = picture
        self.fit(*self.viewport_size)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        start = time.perf_counter()
        painter = QPainter(self)
        painter.fillRect(self.rect(), theme.current().background)
        if self.picture is not None:
            z, dx, dy = self._origin()
            painter.translate(dx, dy)
            painter.scale(z, z)
            shown = painter.transform().inverted()[0].mapRect(QRectF(event.rect()))  # what the scroll area shows
            shown.adjust(-TEXT_ROOM, -TEXT_ROOM, TEXT_ROOM, TEXT_ROOM)
            paint_picture(painter, self.picture, self.highlight, self.selected, shown)
        painter.end()
        self.paint_ms = (time.perf_counter() - start) * 1000.0

    def unit_at(self, pos: QPointF) -> str | None:
        return hit(self.picture, self.to_picture(pos)) if self.picture is not None else None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        unit = self.unit_at(event.position())
        if unit != self.highlight:
            self.highlight = unit
            self.update()
            self.hovered.emit(unit)
        cuboid = self.picture.cuboid(self.picture.unit_of.get(unit, unit)) if self.picture and unit else None
        if cuboid is not None and cuboid.error:
            QToolTip.showText(event.globalPosition().toPoint(), cuboid.error, self)
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802
        if self.highlight is not None:
            self.highlight = None
            self.update()
            self.hovered.emit(None)
        super().leaveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        unit = self.unit_at(event.position())
        if unit is not None and event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(unit)
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_F and not event.modifiers():
            self.zoom_to(self.fitted())  # the whole network, as F fits the canvas
            return
        super().keyPressEvent(event)


class _Scroll(QScrollArea):
    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        canvas = self.widget()
        if isinstance(canvas, VolumesCanvas):
            canvas.fit(self.viewport().width(), self.viewport().height())

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        """The wheel zooms, as on the canvas, keeping the point under the pointer where it is."""
        canvas = self.widget()
        delta = event.angleDelta().y()
        if not isinstance(canvas, VolumesCanvas) or canvas.picture is None or not delta:
            super().wheelEvent(event)
            return
        at = canvas.mapFrom(self.viewport(), event.position().toPoint())
        point = canvas.to_picture(QPointF(at))
        canvas.zoom_to(canvas.zoom() * 1.0015**delta)
        canvas.resize(canvas.minimumSize().expandedTo(self.viewport().size()))
        moved = canvas.to_widget((point.x(), point.y())) - event.position()
        self.horizontalScrollBar().setValue(round(moved.x()))
        self.verticalScrollBar().setValue(round(moved.y()))
        event.accept()


class VolumesView(QWidget):
    """The Volumes dock's widget: scale and order controls over the live picture. It follows the editor's
    checks while shown (a hidden view only notes that it is stale) and talks to the canvas through its scene."""

    def __init__(self, editor: Editor, scene=None, parent: QWidget | None = None) -> None:  # scene: CanvasScene
        super().__init__(parent)
        self.editor, self.scene = editor, scene
        self.settings = QSettings("NetBuilder", "NetBuilder")
        self.scale_box = QComboBox()
        self.scale_box.addItems(list(SCALES))
        scale = str(self.settings.value("volumes/scale", "sqrt"))
        self.scale_box.setCurrentText(scale if scale in SCALES else "sqrt")
        self.scale_box.setToolTip("How sizes grow with the volume: linear, square root or logarithmic")
        self.chw_box = QCheckBox("C×H×W")
        self.chw_box.setToolTip("Label volumes as PyTorch writes them (C×H×W) instead of the article's H×W×C")
        self.chw_box.setChecked(str(self.settings.value("volumes/chw", "false")).lower() == "true")
        self.note = QLabel()
        self.note.setStyleSheet("color: gray")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Scale"))
        bar.addWidget(self.scale_box)
        bar.addWidget(self.chw_box)
        bar.addStretch(1)
        bar.addWidget(self.note)
        self.canvas = VolumesCanvas()
        self.scroll = _Scroll()
        self.scroll.setWidget(self.canvas)
        self.scroll.setWidgetResizable(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.scroll, 1)
        self.stale = True
        self._build_ms = 0.0  # how long building the latest picture took
        self._canvas_mark: QGraphicsPathItem | None = None
        self.scale_box.currentTextChanged.connect(self._options_changed)
        self.chw_box.toggled.connect(self._options_changed)
        self.canvas.hovered.connect(self._hovered_here)
        self.canvas.clicked.connect(self.select)
        editor.checked.connect(self._on_checked)
        editor.replaced.connect(self._on_replaced)
        if scene is not None:
            scene.installEventFilter(self)
            scene.selectionChanged.connect(self._selection_changed)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """Wide enough to read a small network's volumes and labels when the dock opens."""
        return QSize(OPEN_WIDTH, OPEN_HEIGHT)

    # Following the editor ---------------------------------------------------------------------------

    @property
    def picture(self) -> Picture | None:
        return self.canvas.picture

    def _options_changed(self, *_: object) -> None:
        self.settings.setValue("volumes/scale", self.scale_box.currentText())
        self.settings.setValue("volumes/chw", "true" if self.chw_box.isChecked() else "false")
        self.refresh()

    def _on_checked(self, result: Check) -> None:
        if self.isVisible():
            self.refresh(result)
        else:
            self.stale = True

    def _on_replaced(self) -> None:
        self._drop_canvas_mark()
        self.stale = True

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self.stale:
            self.refresh()

    @property
    def last_ms(self) -> float:
        """How long the latest redraw took: building the picture, and painting it."""
        return self._build_ms + self.canvas.paint_ms

    def refresh(self, result: Check | None = None) -> None:
        """Rebuild the picture from the latest check; it is painted with the next frame, once, with the rest of
        the window (painting it at once here would also paint every other widget the edit changed, then again)."""
        start = time.perf_counter()
        result = result if result is not None else self.editor.result
        picture = build(
            self.editor.graph, result, self.scale_box.currentText(), "chw" if self.chw_box.isChecked() else "hwc"
        )
        selected = self._selected_units()
        if picture != self.canvas.picture or selected != self.canvas.selected:  # else nothing to paint anew
            self.canvas.selected = selected
            self.canvas.set_picture(picture)
        self.stale = False
        self._build_ms = (time.perf_counter() - start) * 1000.0
        shown = len(picture.cuboids)
        drawn = sum(len(c.blocks) + len(c.bands) for c in picture.cuboids)
        hidden = len(self.editor.graph.nodes) - drawn
        self.note.setText(f"{shown} volumes" + (f" · {hidden} blocks below an error not drawn" if hidden else ""))

    # Hover and selection, both ways -----------------------------------------------------------------

    def _canvas_item(self, target: str | None) -> QGraphicsItem | None:
        """What the canvas shows for a block or group: its block, or the folded card that holds it."""
        scene = self.scene
        if scene is None or target is None or not shiboken6.isValid(scene):
            return None
        if target in scene.group_cards:
            return scene.group_cards[target]
        if target in scene.group_frames:
            return scene.group_frames[target]
        shown = scene.shown.get(target, target)
        if shown in scene.group_cards:
            return scene.group_cards[shown]
        item = scene.node_items.get(target)
        return item if item is not None and item.isVisible() else None

    def _drop_canvas_mark(self) -> None:
        mark, self._canvas_mark = self._canvas_mark, None
        if mark is not None and shiboken6.isValid(mark) and mark.scene() is not None:
            mark.scene().removeItem(mark)

    @property
    def canvas_mark(self) -> QGraphicsPathItem | None:
        """The outline drawn on the canvas around the block hovered here (None when there is none)."""
        mark = self._canvas_mark
        return mark if mark is not None and shiboken6.isValid(mark) and mark.scene() is not None else None

    def _hovered_here(self, target: str | None) -> None:
        self._drop_canvas_mark()
        item = self._canvas_item(target)
        if item is None:
            return
        rect = item.mapRectToScene(item.shape().boundingRect()).adjusted(-6, -6, 6, 6)
        path = QPainterPath()
        path.addRoundedRect(rect, 9, 9)
        mark = QGraphicsPathItem(path)
        pen = QPen(theme.current().selection, 3.0)
        pen.setStyle(Qt.PenStyle.DashLine)
        mark.setPen(pen)
        mark.setZValue(50)
        mark.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        mark.setData(0, target)
        self.scene.addItem(mark)
        self._canvas_mark = mark

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.GraphicsSceneMouseMove and self.picture is not None:
            target = None
            for item in self.scene.items(event.scenePos()):
                while item is not None and not isinstance(item, (NodeItem, GroupCard)):
                    item = item.parentItem()
                if item is not None and item.isVisible():
                    target = item.node_id if isinstance(item, NodeItem) else item.group_id
                    break
            if target is not None and target not in self.picture.unit_of and target not in self._units():
                target = None
            if target != self.canvas.highlight:
                self.canvas.highlight = target
                self.canvas.update()
        elif kind == QEvent.Type.Leave and self.canvas.highlight is not None:
            self.canvas.highlight = None
            self.canvas.update()
        return False

    def _units(self) -> set[str]:
        return {c.unit for c in self.picture.cuboids} if self.picture is not None else set()

    def _selected_units(self) -> frozenset[str]:
        scene, picture = self.scene, self.picture
        if scene is None or picture is None or not shiboken6.isValid(scene):
            return frozenset()
        units = set()
        for item in scene.selectedItems():
            if isinstance(item, NodeItem):
                units.add(picture.unit_of.get(item.node_id, item.node_id))
            elif isinstance(item, GroupCard):
                units.add(item.group_id)
        return frozenset(units)

    def _selection_changed(self) -> None:
        if not shiboken6.isValid(self) or not shiboken6.isValid(self.canvas):
            return
        self.canvas.selected = self._selected_units()
        self.canvas.update()

    def select(self, target: str) -> None:
        """Select on the canvas the block (or group card) drawn at target, and bring it into view."""
        item = self._canvas_item(target)
        if item is None:
            return
        self.scene.clearSelection()
        item.setSelected(True)
        for view in self.scene.views():
            view.ensureVisible(item)
