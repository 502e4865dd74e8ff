"""The open document, its undo stack and its latest check: the one place the UI edits the graph."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from netbuilder.core.check.shapes import Check, check
from netbuilder.core.document import Document
from netbuilder.core.drawing.layout import missing_positions
from netbuilder.core.graph import Graph


def place(document: Document) -> None:
    """Give blocks without a position (a file may omit them) an arranged one, before any view is built:
    stacked on one point, thousands of blocks would all be painted at once."""
    for nid, position in missing_positions(document.graph).items():
        document.graph.nodes[nid].position = position


class Editor(QObject):
    """Every change goes through push(); after each one the whole graph is re-checked at once."""

    checked = Signal(object)  # the new Check
    replaced = Signal()  # a different document was opened
    message = Signal(str)  # a sentence for the status bar
    modified_changed = Signal(bool)  # whether the document has changes worth saving

    def __init__(self, document: Document, path: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document, self.path = document, path
        self.undo_stack = QUndoStack(self)
        self.undo_stack.indexChanged.connect(self.recheck)
        self._modified = False
        self.undo_stack.indexChanged.connect(self._follow_modified)
        self.undo_stack.cleanChanged.connect(self._follow_modified)
        place(document)
        self.result: Check = check(document.graph)

    @property
    def graph(self) -> Graph:
        return self.document.graph

    def push(self, command: QUndoCommand) -> None:
        self.undo_stack.push(command)

    def modified(self) -> bool:
        """Whether the document has unsaved changes: a command between the saved state and now that is not
        view-only (folding, auto-arrange only change how the network is looked at, so they ask nobody to save)."""
        stack = self.undo_stack
        clean, index = stack.cleanIndex(), stack.index()
        if clean < 0:  # the saved state cannot be reached (an import, restored work)
            return True
        lo, hi = sorted((clean, index))
        return any(not getattr(stack.command(i), "view_only", False) for i in range(lo, hi))

    def _follow_modified(self, *_: object) -> None:
        if self.modified() != self._modified:
            self._modified = not self._modified
            self.modified_changed.emit(self._modified)

    def recheck(self, *_: object) -> None:
        self.result = check(self.graph)
        self.checked.emit(self.result)

    def replace(self, document: Document, path: Path | None) -> None:
        """Open another document: a fresh undo history, a clean state."""
        self.document, self.path = document, path
        self.undo_stack.clear()
        self.undo_stack.setClean()
        place(document)
        self.result = check(document.graph)
        self.replaced.emit()
        self.checked.emit(self.result)

    def say(self, text: str) -> None:
        self.message.emit(text)
