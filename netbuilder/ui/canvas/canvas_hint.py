"""The one-line hint over a canvas that holds no block but the Input: where blocks come from."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QLabel

from netbuilder.core.blocks import INPUT
from netbuilder.ui.canvas.editor import Editor

HINT = "Drag blocks from the left, or press Tab"


class CanvasHint(QLabel):
    """A label over the view's viewport, centred near its bottom; mouse events pass through it. A child of the
    view, not of its viewport: scrolling the canvas moves the viewport's children."""

    def __init__(self, editor: Editor, view: QAbstractScrollArea) -> None:
        super().__init__(HINT, view)
        self.editor, self.view = editor, view
        self.setObjectName("canvas_hint")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet("color: palette(placeholder-text); font-size: 14pt; background: transparent;")
        view.viewport().installEventFilter(self)
        editor.checked.connect(self.refresh)
        editor.replaced.connect(self.refresh)
        self.refresh()

    def empty(self) -> bool:
        """No block on the canvas but Input blocks."""
        return all(node.type == INPUT.name for node in self.editor.graph.nodes.values())

    def refresh(self, *_: object) -> None:
        self.setVisible(self.empty())
        self._place()

    def _place(self) -> None:
        area = self.view.viewport().geometry()
        self.adjustSize()
        self.move(area.x() + (area.width() - self.width()) // 2, area.y() + max(0, area.height() - self.height() - 48))
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize:
            self._place()
        return False
