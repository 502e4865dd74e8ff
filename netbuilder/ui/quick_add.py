"""Quick-add: type a block's name at the cursor (Tab on the canvas, or a wire dropped on empty canvas)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon, QKeyEvent
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from netbuilder.core.blocks import REGISTRY
from netbuilder.ui.palette import RESOURCES, Entry, all_entries

# What usually follows a block of each type (palette labels, most likely first): a dropped wire's list starts so.
LIKELY: dict[str, tuple[str, ...]] = {
    "Input": ("Conv2d", "Flatten", "Linear", "BatchNorm"),
    "Conv2d": ("BatchNorm", "ReLU", "MaxPool2d", "Conv2d"),
    "BatchNorm": ("ReLU", "Conv2d", "MaxPool2d", "Dropout"),
    "Activation": ("Conv2d", "MaxPool2d", "Linear", "Dropout", "Flatten", "AdaptiveAvgPool2d"),
    "Pool2d": ("Conv2d", "Flatten", "Dropout", "BatchNorm"),
    "AdaptivePool2d": ("Flatten", "Linear"),
    "Flatten": ("Linear", "Dropout"),
    "Linear": ("ReLU", "Dropout", "Linear", "Softmax"),
    "Dropout": ("Linear", "Conv2d"),
    "Add": ("ReLU", "Conv2d", "BatchNorm"),
    "Concat": ("Conv2d", "BatchNorm", "ReLU"),
}


def ranked(after: str | None) -> list[Entry]:
    """Every palette entry; after a block type (a dropped wire's source), only those that take an input,
    the likeliest first."""
    entries = all_entries()
    if after is None:
        return entries
    entries = [e for e in entries if not REGISTRY[e.block_type].takes_no_input]
    likely = LIKELY.get(after, ())
    return sorted(entries, key=lambda e: likely.index(e.label) if e.label in likely else len(likely))


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
