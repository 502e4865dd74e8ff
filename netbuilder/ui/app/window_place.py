"""The window's size and place: the user's saved geometry and dock layout come back only when they fit the screen
the window opens on (a smaller screen, or a larger QT_SCALE_FACTOR, would put it partly off screen, and Qt's own
fitting of it squeezes the saved dock layout until panes overlap); otherwise the window takes the default size,
bounded by that screen. On a screen too narrow for the palette, the training dock and the inspector side by side
(800×500 logical pixels: a small laptop, QT_SCALE_FACTOR=2) the training dock spans the window's width under
them instead."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QDataStream, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow

DEFAULT_SIZE = QSize(1500, 950)
DECORATION = QSize(16, 48)  # room left for the window manager's frame and title bar
GEOMETRY_MAGIC = 0x1D9D0CB  # what QWidget::saveGeometry writes first


def _available(window: QMainWindow, at: QPoint | None = None) -> QRect:
    screen = QGuiApplication.screenAt(at if at is not None else window.geometry().center()) or window.screen()
    return screen.availableGeometry()


def arrange_corners(window: QMainWindow) -> None:
    """The side docks keep the window's full height, the bottom dock between them, when the window's least width
    then fits the screen; else the bottom dock takes the bottom corners, so that the least width is the wider of
    the two rows (side docks and canvas; bottom dock), not their sum."""
    area = Qt.DockWidgetArea
    for corner, side in (
        (Qt.Corner.BottomLeftCorner, area.LeftDockWidgetArea),
        (Qt.Corner.BottomRightCorner, area.RightDockWidgetArea),
    ):
        window.setCorner(corner, side)
    if window.minimumSizeHint().width() > _available(window).width() - DECORATION.width():
        for corner in (Qt.Corner.BottomLeftCorner, Qt.Corner.BottomRightCorner):
            window.setCorner(corner, area.BottomDockWidgetArea)


def spans_bottom(window: QMainWindow) -> bool:
    """Whether the bottom dock spans the window's width (arrange_corners found the screen too narrow)."""
    return window.corner(Qt.Corner.BottomLeftCorner) == Qt.DockWidgetArea.BottomDockWidgetArea


def place_default(window: QMainWindow) -> None:
    """The default size, bounded by the screen's available area, centred on it."""
    available = _available(window)
    rect = QRect(QPoint(0, 0), DEFAULT_SIZE.boundedTo(available.size() - DECORATION))
    rect.moveCenter(available.center())
    window.setGeometry(rect)


def saved_frame(geometry: QByteArray) -> QRect | None:
    """The frame rectangle a saved geometry holds (QWidget::saveGeometry: magic, version, frame, …)."""
    stream = QDataStream(geometry)
    if stream.readUInt32() != GEOMETRY_MAGIC:
        return None
    stream.readUInt16(), stream.readUInt16()  # major, minor version
    frame = QRect()
    stream >> frame
    return frame if stream.status() == QDataStream.Status.Ok else None


def restore(window: QMainWindow, geometry: QByteArray | None, state: QByteArray | None) -> bool:
    """Restore the saved geometry and then the docks' layout when the saved window fits the available area of the
    screen it was on (or the window's); False, the window left as it was, when nothing was saved or it does not."""
    frame = saved_frame(geometry) if isinstance(geometry, QByteArray) else None
    if frame is None:
        return False
    available = _available(window, frame.center()).size()
    if frame.width() > available.width() or frame.height() > available.height():
        return False
    if not window.restoreGeometry(geometry):
        return False
    if state is not None:
        window.restoreState(state)
    return True
