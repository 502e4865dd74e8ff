"""Quick-add: type a block's name at the cursor (Tab on the canvas, or a wire dropped on empty canvas)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon, QKeyEvent
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from netbuilder.core.blocks import REGISTRY
from netbuilder.ui.canvas.palette import RESOURCES, Entry, all_entries


def _is(entry: Entry, block_type: str, params: dict) -> bool:
    """Whether a palette entry adds a block of this type with these params (a unit of several blocks is not)."""
    return (
        not entry.template
        and entry.block_type == block_type
        and all(entry.params.get(k) == v for k, v in params.items())
    )


def ranked(after: str | None) -> list[Entry]:
    """Every palette entry; after a block type (a dropped wire's source), only those that take an input,
    the likeliest first (what its definition says usually follows it)."""
    entries = all_entries()
    if after is None:
        return entries
    entries = [e for e in entries if not REGISTRY[e.block_type].takes_no_input]
    follows = REGISTRY[after].follows if after in REGISTRY else ()
    return sorted(entries, key=lambda e: next((i for i, f in enumerate(follows) if _is(e, *f)), len(follows)))


class QuickAdd(QFrame):
    """A small popup: a search field over every palette entry; Enter adds the highlighted one."""

    chosen = Signal(object)  # Entry

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.search = QLineEdit(placeholderText="Add block…")
        self.list = QListWidget()
        self.fill(None)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.resize(240, 300)
        self.search.textChanged.connect(self.filter)
        self.search.installEventFilter(self)
        self.list.itemActivated.connect(self._activate)

    def fill(self, after: str | None) -> None:
        """List the entries a new block can be: after a wire from a block of type `after`, only those that
        accept it, likeliest first."""
        self.list.clear()
        for entry in ranked(after):
            item = QListWidgetItem(QIcon(str(RESOURCES / "icons" / f"{entry.icon}.svg")), entry.label)
            item.setData(Qt.ItemDataRole.UserRole, entry)
            item.setToolTip(entry.tooltip())
            self.list.addItem(item)

    def labels(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count()) if not self.list.item(i).isHidden()]

    def filter(self, text: str) -> None:
        needle = text.strip().lower()
        first = None
        for i in range(self.list.count()):
            item = self.list.item(i)
            entry: Entry = item.data(Qt.ItemDataRole.UserRole)
            hidden = bool(needle) and needle not in f"{entry.label} {entry.block_type}".lower()
            item.setHidden(hidden)
            if not hidden and first is None:
                first = item
        self.list.setCurrentItem(first)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                self.list.keyPressEvent(event)
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self.list.currentItem() is not None:
                    self._activate(self.list.currentItem())
                return True
        return super().eventFilter(obj, event)

    def _activate(self, item: QListWidgetItem) -> None:
        self.hide()
        self.chosen.emit(item.data(Qt.ItemDataRole.UserRole))

    def open_at(self, global_pos, after: str | None = None) -> None:
        """Open at a screen point; after: the type of the block a dropped wire comes from."""
        self.fill(after)
        self.search.clear()
        self.filter("")
        self.move(global_pos)
        self.show()
        self.search.setFocus()
