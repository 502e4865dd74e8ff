"""Canvas items for groups: a folded group's card (one item standing for its blocks, with the ports its outside
connections attach to) and an expanded group's tinted frame around its members."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from netbuilder.core.blocks import fmt_shape
from netbuilder.core.check.summary import short
from netbuilder.core.drawing.layout import FRAME_TITLE
from netbuilder.core.groups import Facts
from netbuilder.ui import theme
from netbuilder.ui.canvas.items import HEADER_H, NODE_W, draw_text, far, lod_of, pixel_font, readable

if TYPE_CHECKING:
    from netbuilder.ui.canvas.edge_item import EdgeItem

CARD_W = NODE_W
CARD_H = 84.0
CHEVRON_W = 26.0
SIDE_LABEL_W = 420.0  # zoomed out, the name is written large to the frame's left
SIDE_FONTS = (28, 40, 56, 80)
GROUP_COLOR = QColor(72, 76, 98)


def _shapes(shapes: list[tuple[int, ...] | None]) -> str:
    return " + ".join(fmt_shape(s) if s is not None else "?" for s in shapes) or "—"


@dataclass(frozen=True)
class GroupView:
    """What a card shows; it repaints only when this changes."""

    name: str
    volume: str  # what enters → what leaves
    output: str  # what leaves, for the simplified face
    cost: str
    categories: tuple[str, ...]
    error: str | None
    error_block: str | None
    tooltip: str
    blocks: int


def group_view(name: str, facts: Facts, blocks: int) -> GroupView:
    volume = f"{_shapes(facts.inputs)} → {_shapes(facts.outputs)}"
    cost = f"{short(facts.params)} params · {short(facts.macs)} MACs"
    error_block, sentence = facts.error if facts.error else (None, None)
    tip = f"Group '{name}': {blocks} blocks\n{volume}\nParams {facts.params:,} · MACs {facts.macs:,}"
    if sentence:
        tip = f"{sentence}\n\n{tip}\nExpand it (double-click) to go to '{error_block}'."
    else:
        tip += "\nDouble-click or ▸ to expand."
    return GroupView(
        name, volume, _shapes(facts.outputs), cost, tuple(facts.categories), sentence, error_block, tip, blocks
    )


class GroupCard(QGraphicsItem):
    """A folded group: its name, volumes, cost and a strip of its members' colours, in one block-sized card."""

    wire_obstacle = True  # routed wires go around it, as around a block

    def __init__(self, group_id: str) -> None:
        super().__init__()
        self.group_id = group_id
        self.view = GroupView("", "", "", "", (), None, None, "", 0)
        self.edges: list[EdgeItem] = []
        self.outer_group: str | None = None  # the outermost expanded group around it (set by the scene)
        self.n_inputs = 1
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1)

    # Ends: what connections attach to ------------------------------------------------------------

    def input_pos(self, port: int) -> QPointF:
        n = max(1, self.n_inputs)
        return self.mapToScene(QPointF(CARD_W * (min(port, n - 1) + 1) / (n + 1), 0))

    def output_pos(self) -> QPointF:
        return self.mapToScene(QPointF(CARD_W / 2, CARD_H))

    def adjust_edges(self) -> None:
        for edge in self.edges:
            edge.adjust()

    def chevron_rect(self) -> QRectF:
        return QRectF(CARD_W - CHEVRON_W, 0, CHEVRON_W, HEADER_H)

    def apply(self, view: GroupView) -> None:
        if view != self.view:
            self.view = view
            self.setToolTip(view.tooltip)
            self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        return QRectF(-12, -12, CARD_W + 24, CARD_H + 24)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, CARD_W, CARD_H), 6, 6)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        pal, v = theme.current(), self.view
        lod = lod_of(painter)
        if self.outer_group is not None and far(lod):
            return  # its expanded group is drawn as one card
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        rect = QRectF(0, 0, CARD_W, CARD_H)
        outline = theme.ERROR if v.error else (pal.selection if self.isSelected() else pal.edge)
        width = 2.5 if (v.error or self.isSelected()) else 1.2
        header_color = theme.ERROR if v.error else GROUP_COLOR
        # A second card peeking out behind: this stands for several blocks.
        painter.setPen(QPen(pal.edge, 1.0))
        painter.setBrush(pal.body)
        painter.drawRoundedRect(rect.translated(5, 5), 6, 6)
        body = QPainterPath()
        body.addRoundedRect(rect, 6, 6)
        simple = not readable(theme.ui_font(8), lod)
        painter.fillPath(body, header_color if simple else pal.body)
        if not simple:
            header = QPainterPath()
            header.addRoundedRect(QRectF(0, 0, CARD_W, HEADER_H + 6), 6, 6)
            clip = QPainterPath()
            clip.addRect(QRectF(0, 0, CARD_W, HEADER_H))
            painter.fillPath(header.intersected(clip), header_color)
        self._paint_strip(painter, QRectF(8, CARD_H - 14, CARD_W - 16, 8))
        painter.setPen(QPen(outline, width * (1 if not simple else 2.5)))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(body)
        if simple:
            self._paint_simple(painter, lod)
        else:
            self._paint_full(painter)

    def _paint_strip(self, painter: QPainter, rect: QRectF) -> None:
        """The members' category colours, one segment each, in document order."""
        cats = self.view.categories
        if not cats:
            return
        step = rect.width() / len(cats)
        painter.setPen(Qt.PenStyle.NoPen)
        for i, cat in enumerate(cats):
            painter.setBrush(theme.CATEGORY_COLORS.get(cat, theme.CATEGORY_COLORS["data"]))
            painter.drawRect(QRectF(rect.left() + i * step, rect.top(), step + 0.5, rect.height()))

    def _paint_full(self, painter: QPainter) -> None:
        pal, v = theme.current(), self.view
        painter.setPen(QColor("white"))
        painter.setFont(theme.ui_font(9, bold=True))
        fm = QFontMetricsF(painter.font())
        name_rect = QRectF(8, 0, CARD_W - 16 - CHEVRON_W, HEADER_H)
        name = fm.elidedText(v.name, Qt.TextElideMode.ElideRight, name_rect.width())
        draw_text(painter, name_rect, Qt.AlignmentFlag.AlignVCenter, name)
        painter.setFont(theme.ui_font(8.5))
        count = f"{v.blocks} blocks"
        left = 8 + fm.horizontalAdvance(name) + 8
        if left + QFontMetricsF(painter.font()).horizontalAdvance(count) < CARD_W - CHEVRON_W - 4:
            draw_text(
                painter,
                QRectF(left, 0, CARD_W - CHEVRON_W - left, HEADER_H),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                count,
            )
        painter.setFont(theme.ui_font(10, bold=True))
        draw_text(painter, self.chevron_rect(), Qt.AlignmentFlag.AlignCenter, "▸")
        painter.setFont(theme.mono_font(9))
        painter.setPen(pal.text)
        fm = QFontMetricsF(painter.font())
        draw_text(
            painter,
            QRectF(8, HEADER_H + 2, CARD_W - 16, 22),
            Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(v.volume, Qt.TextElideMode.ElideMiddle, CARD_W - 16),
        )
        painter.setFont(theme.ui_font(8))
        painter.setPen(theme.ERROR if v.error else pal.muted)
        line = f"✗ {v.error}" if v.error else v.cost
        draw_text(
            painter,
            QRectF(8, HEADER_H + 23, CARD_W - 16, 20),
            Qt.AlignmentFlag.AlignVCenter,
            QFontMetricsF(painter.font()).elidedText(line, Qt.TextElideMode.ElideRight, CARD_W - 16),
        )

    def _paint_simple(self, painter: QPainter, lod: float) -> None:
        """Zoomed out: the name and what leaves the group, large, over the group's colour."""
        v = self.view
        painter.setPen(QColor("white"))
        name, volume = pixel_font(24, bold=True), pixel_font(22, mono=True, bold=True)
        if readable(name, lod):
            painter.setFont(name)
            draw_text(
                painter,
                QRectF(8, 4, CARD_W - 16, 32),
                Qt.AlignmentFlag.AlignVCenter,
                QFontMetricsF(name).elidedText(v.name, Qt.TextElideMode.ElideRight, CARD_W - 16),
            )
        if readable(volume, lod):
            painter.setFont(volume)
            text = "error" if v.error else v.output
            draw_text(
                painter,
                QRectF(8, 36, CARD_W - 16, 30),
                Qt.AlignmentFlag.AlignVCenter,
                QFontMetricsF(volume).elidedText(text, Qt.TextElideMode.ElideRight, CARD_W - 16),
            )

    def hoverEnterEvent(self, event) -> None:  # noqa: N802
        self.setCursor(
            Qt.CursorShape.PointingHandCursor
            if self.chevron_rect().contains(event.pos())
            else Qt.CursorShape.OpenHandCursor
        )

    def hoverMoveEvent(self, event) -> None:  # noqa: N802
        self.hoverEnterEvent(event)


class GroupFrame(QGraphicsItem):
    """An expanded group: a tinted frame behind its members, its name and a chevron in a title band that folds it
    when clicked. Only the title band takes clicks, so rubber-band selection inside the frame still works."""

    wire_frame = True  # routed wires keep off its sides (core/drawing/routing.py)

    def __init__(self, group_id: str) -> None:
        super().__init__()
        self.group_id = group_id
        self.name = ""
        self.depth = 0
        self.error = False
        self.rect = QRectF()
        self.outermost = True  # no expanded group around it: far out, it is drawn as a card over its members
        self.output = ""  # what leaves the group, for that card
        self.parent_frame: GroupFrame | None = None  # the expanded group around it, if any
        self.side_right = -10.0  # zoomed out, its name ends here (local x): left of the outermost frame
        self._side_tops: dict[float, float] = {}  # by the name's line height: where the name goes (scene y)
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(-1)

    def set_geometry(self, rect: QRectF, name: str, depth: int, error: bool) -> None:
        local = QRectF(0, 0, rect.width(), rect.height())
        if (local, name, depth, error) != (self.rect, self.name, self.depth, error):
            self.prepareGeometryChange()
            self.rect, self.name, self.depth, self.error = local, name, depth, error
            self.setToolTip(f"Group '{name}' (expanded). Click here to fold it; Ctrl+click selects it.")
            self.update()
        if self.pos() != rect.topLeft():
            self.setPos(rect.topLeft())

    def set_nesting(self, parent: GroupFrame | None, outer_left: float) -> None:
        """The frame around this one, and the left edge of the outermost one (scene x): zoomed out, the names of
        nested groups are written in one column left of it, each under the name of the group around it."""
        side_right = outer_left - self.pos().x() - 10
        self._side_tops = {}  # the frames' places may have changed
        if (parent, side_right) != (self.parent_frame, self.side_right):
            self.prepareGeometryChange()
            self.parent_frame, self.side_right = parent, side_right
            self.update()

    def side_font(self, lod: float) -> QFont | None:
        """The smallest size of the name written beside the frame that can be read at this zoom, if any."""
        return next((pixel_font(px, bold=True) for px in SIDE_FONTS if readable(pixel_font(px, bold=True), lod)), None)

    def side_label_rect(self, lod: float) -> QRectF | None:
        """Where the name beside the frame goes at this zoom (local coordinates): below the names of the groups
        around it when they would meet, so nested names never overprint."""
        font = self.side_font(lod)
        if font is None:
            return None
        height = QFontMetricsF(font).height()
        return QRectF(self.side_right - SIDE_LABEL_W, self._side_top(height) - self.pos().y(), SIDE_LABEL_W, height)

    def _side_top(self, height: float) -> float:
        """The scene y of the name beside the frame: its top, or just under the name of the group around it."""
        chain: list[GroupFrame] = []
        frame: GroupFrame | None = self
        while frame is not None and height not in frame._side_tops:
            chain.append(frame)
            frame = frame.parent_frame
        below = -float("inf") if frame is None else frame._side_tops[height] + height
        for frame in reversed(chain):  # outermost first, each name under the one before (computed once a zoom)
            frame._side_tops[height] = below = max(frame.pos().y(), below)
            below += height
        return self._side_tops[height]

    def frame_rect(self) -> QRectF:
        """The frame in scene coordinates (without the name written beside it when zoomed out)."""
        return self.mapRectToScene(self.rect)

    def title_rect(self) -> QRectF:
        width = QFontMetricsF(pixel_font(14, bold=True)).horizontalAdvance(self.name) + CHEVRON_W + 16
        return QRectF(0, 0, min(self.rect.width(), width), FRAME_TITLE)

    def chevron_rect(self) -> QRectF:
        return QRectF(0, 0, CHEVRON_W, FRAME_TITLE)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self.rect.adjusted(-3, -3, 3, 3).united(self._side_rect())

    def _side_rect(self) -> QRectF:
        return QRectF(self.side_right - SIDE_LABEL_W, 0, SIDE_LABEL_W, 110 * (1 + self.depth))

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self.title_rect())
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        pal = theme.current()
        lod = lod_of(painter)
        if far(lod):
            if self.outermost:
                self._paint_as_card(painter, lod)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        accent = theme.ERROR if self.error else pal.selection
        tint = QColor(accent)
        tint.setAlpha(18 + 8 * min(self.depth, 3))
        border = QColor(accent)
        border.setAlpha(255 if self.isSelected() else 130)
        pen = QPen(border, 2.5 if self.isSelected() else 1.2)
        pen.setCosmetic(lod < 1)  # stays visible however far out
        painter.setPen(pen)
        painter.setBrush(tint)
        painter.drawRoundedRect(self.rect, 10, 10)
        font = pixel_font(14, bold=True)
        painter.setPen(accent)
        if readable(font, lod):
            painter.setFont(font)
            draw_text(painter, self.chevron_rect(), Qt.AlignmentFlag.AlignCenter, "▾")
            # Left of the wire that runs down the middle, so the name and the wire's label never meet. Cut short,
            # it keeps its end: nested names differ there (layer1.0, layer1.1), and the band above gives the rest.
            title = QRectF(CHEVRON_W, 0, max(40.0, self.rect.width() / 2 - CHEVRON_W - 6), FRAME_TITLE)
            draw_text(
                painter,
                title,
                Qt.AlignmentFlag.AlignVCenter,
                QFontMetricsF(font).elidedText(self.name, Qt.TextElideMode.ElideLeft, title.width()),
            )
            return
        self._paint_side_name(painter, lod)

    def _paint_side_name(self, painter: QPainter, lod: float) -> None:
        """Zoomed out: the name large, beside the frame, in the smallest size that can still be read."""
        painter.setPen(theme.ERROR if self.error else theme.current().selection)
        side = self.side_label_rect(lod)
        if side is not None:
            big = self.side_font(lod)
            painter.setFont(big)
            draw_text(
                painter,
                side,
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                QFontMetricsF(big).elidedText(self.name, Qt.TextElideMode.ElideLeft, side.width()),
            )

    def _paint_as_card(self, painter: QPainter, lod: float) -> None:
        """Far out: the whole expanded group as one card, its name and what leaves it as large as can be read."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(theme.ERROR if self.error else theme.current().edge, 2.0)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(theme.ERROR if self.error else GROUP_COLOR)
        painter.drawRoundedRect(self.rect, 10, 10)
        painter.setPen(QColor("white"))
        inner = self.rect.adjusted(12, 8, -12, -8)
        lines = [self.name] + ([self.output] if self.output else [])
        for size in sorted(SIDE_FONTS, reverse=True):
            font = pixel_font(size, bold=True)
            metrics = QFontMetricsF(font)
            fits = metrics.height() * len(lines) <= inner.height() and all(
                metrics.horizontalAdvance(line) <= inner.width() for line in lines
            )
            if fits and readable(font, lod):
                painter.setFont(font)
                draw_text(painter, inner, Qt.AlignmentFlag.AlignCenter, "\n".join(lines))
                return
        self._paint_side_name(painter, lod)  # too narrow for its name: written beside it
