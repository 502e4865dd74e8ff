"""The lock badge of a frozen block, a frozen group's card and its frame, and the weights badge of a block that starts
from learned weights: small child items of theirs, added and taken away as the check (or the weights' report) says,
so the items themselves draw nothing more."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from netbuilder.core.drawing.layout import FRAME_TITLE
from netbuilder.core.graph import Graph
from netbuilder.core.learning import is_frozen
from netbuilder.ui.canvas.group_item import CARD_H, CARD_W, GroupFrame
from netbuilder.ui.canvas.items import NODE_H, NODE_W, draw_text, far, lod_of, pixel_font

LOCK_R = 9.0
LOCK_COLOR = QColor("#0072B2")  # Okabe-Ito blue: apart from the error red and the health marks' colours
TIP = "Frozen: its parameters are not trained. Ctrl+L unfreezes the selection."
BLOCK_CORNER = QPointF(NODE_W, NODE_H)  # where the badge sits: the bottom right corner
CARD_CORNER = QPointF(CARD_W, CARD_H)


class LockBadge(QGraphicsItem):
    """A padlock in a disc, on its parent's corner; it takes no clicks (they go to the block or group below)."""

    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setToolTip(TIP)
        self.setZValue(3)

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        return QRectF(-LOCK_R - 1, -LOCK_R - 1, 2 * LOCK_R + 2, 2 * LOCK_R + 2)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if getattr(self.parentItem(), "outer_group", None) is not None and far(lod_of(painter)):
            return  # its block steps back behind its group's card
        draw_lock(painter, LOCK_R)


def draw_lock(painter: QPainter, r: float) -> None:
    """A white padlock in a blue disc of radius r around (0, 0): the badge, and the inspector's lock icon."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor("white"), 1.5))
    painter.setBrush(LOCK_COLOR)
    painter.drawEllipse(QPointF(0, 0), r, r)
    shackle = QPainterPath()
    shackle.moveTo(-0.3 * r, -0.05 * r)
    shackle.lineTo(-0.3 * r, -0.3 * r)
    shackle.arcTo(QRectF(-0.3 * r, -0.6 * r, 0.6 * r, 0.6 * r), 180, -180)
    shackle.lineTo(0.3 * r, -0.05 * r)
    painter.setPen(QPen(QColor("white"), 0.16 * r))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(shackle)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("white"))
    painter.drawRoundedRect(QRectF(-0.5 * r, -0.1 * r, r, 0.65 * r), 0.12 * r, 0.12 * r)


def lock_icon(side: int = 16) -> QIcon:
    """The badge's padlock as an icon (a font may have no padlock character to show)."""
    pixmap = QPixmap(side, side)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.translate(side / 2, side / 2)
    draw_lock(painter, side / 2 - 1)
    painter.end()
    return QIcon(pixmap)


def show_locks(
    graph: Graph,
    frozen: frozenset[str],
    blocks: dict[str, QGraphicsItem],
    cards: dict[str, QGraphicsItem],
    frames: dict[str, GroupFrame],
) -> None:
    """A lock on each frozen block (frozen: the check's), on each card and frame of a group whose blocks are all
    frozen, and on nothing else."""
    for nid, item in blocks.items():
        _lock(item, nid in frozen, BLOCK_CORNER)
    for gid, card in cards.items():
        _lock(card, bool(frozen) and gid in graph.groups and is_frozen(graph, gid, frozen), CARD_CORNER)
    for gid, frame in frames.items():
        at = QPointF(frame.rect.width() - 2 * LOCK_R, FRAME_TITLE / 2)
        _lock(frame, bool(frozen) and gid in graph.groups and is_frozen(graph, gid, frozen), at)


def _lock(item: QGraphicsItem, on: bool, at: QPointF) -> None:
    badge: LockBadge | None = getattr(item, "lock_badge", None)
    if on and badge is None:
        item.lock_badge = badge = LockBadge(item)  # type: ignore[attr-defined]
    elif not on and badge is not None:
        badge.setParentItem(None)
        if badge.scene() is not None:
            badge.scene().removeItem(badge)
        item.lock_badge = None  # type: ignore[attr-defined]
        return
    if badge is not None and badge.pos() != at:
        badge.setPos(at)


# Learned weights: a block that starts from its network's initial weights -------------------------------------------

WEIGHTS_R = 8.0
WEIGHTS_COLOR = QColor("#CC79A7")  # Okabe-Ito reddish purple: apart from the lock's blue and the health marks
WEIGHTS_CORNER = QPointF(0, NODE_H)  # the bottom left corner (the lock has the right)


class WeightsBadge(QGraphicsItem):
    """A disc with "W" on a block's bottom left corner: it starts from learned weights (the tooltip says whose)."""

    def __init__(self, parent: QGraphicsItem, tip: str) -> None:
        super().__init__(parent)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setToolTip(tip)
        self.setZValue(3)
        self.setPos(WEIGHTS_CORNER)

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        return QRectF(-WEIGHTS_R - 1, -WEIGHTS_R - 1, 2 * WEIGHTS_R + 2, 2 * WEIGHTS_R + 2)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if getattr(self.parentItem(), "outer_group", None) is not None and far(lod_of(painter)):
            return  # its block steps back behind its group's card
        r = WEIGHTS_R
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor("white"), 1.5))
        painter.setBrush(WEIGHTS_COLOR)
        painter.drawEllipse(QPointF(0, 0), r, r)
        painter.setPen(QColor("white"))
        painter.setFont(pixel_font(1.2 * r, bold=True))
        draw_text(painter, QRectF(-r, -r, 2 * r, 2 * r), Qt.AlignmentFlag.AlignCenter, "W")


def show_weights(blocks: dict[str, QGraphicsItem], tips: dict[str, str]) -> None:
    """A weights badge on exactly the blocks in tips (block id → where its weights come from)."""
    for nid, item in blocks.items():
        badge: WeightsBadge | None = getattr(item, "weights_badge", None)
        tip = tips.get(nid)
        if tip is not None and badge is None:
            item.weights_badge = WeightsBadge(item, tip)  # type: ignore[attr-defined]
        elif tip is not None and badge is not None:
            badge.setToolTip(tip)
        elif badge is not None:
            badge.setParentItem(None)
            if badge.scene() is not None:
                badge.scene().removeItem(badge)
            item.weights_badge = None  # type: ignore[attr-defined]
