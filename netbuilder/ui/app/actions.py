"""The window's actions as one table, from which the menus, the shortcuts and the keyboard-shortcut sheet are
all built, so that none of them can drift from the others."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLineEdit,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

Key = str | QKeySequence.StandardKey


@dataclass(frozen=True)
class Action:
    """One thing the user can do, with where it sits in the menus and the keys that do it."""

    name: str  # a stable id, such as "file.save"
    text: str  # the menu text with its & mnemonic
    menu: str  # the menu path, such as "&File/&Export"
    handler: Callable[[], object] | None = None
    keys: tuple[Key, ...] = ()
    canvas: bool = False  # its keys work only while the canvas has focus
    context_menu: bool = False  # its keys also work while the canvas has focus (and it acts on the canvas)
    context: tuple[str, ...] = ()  # the right-click menus that hold it: "block", "edge", "canvas"
    tip: str = ""
    checked: bool | None = None  # checkable, one of its menu's exclusive choices
    make: Callable[[], QAction] | None = None  # a ready-made action (undo, a dock's toggle) instead of a handler


@dataclass(frozen=True)
class Submenu:
    """An empty submenu at this place, filled by its owner (Open Recent)."""

    path: str


@dataclass(frozen=True)
class Separator:
    menu: str


Entry = Action | Submenu | Separator


@dataclass
class Installed:
    actions: dict[str, QAction]
    menus: dict[str, QMenu]


def install(window: QMainWindow, canvas: QWidget, table: list[Entry]) -> Installed:
    """Build the menu bar, the shortcuts and the canvas's context menu from the table, in its order."""
    menus: dict[str, QMenu] = {}
    groups: dict[str, QActionGroup] = {}
    actions: dict[str, QAction] = {}

    def menu(path: str) -> QMenu:
        if path not in menus:
            parent, _, title = path.rpartition("/")
            menus[path] = (menu(parent) if parent else window.menuBar()).addMenu(title)
        return menus[path]

    for entry in table:
        if isinstance(entry, Separator):
            menu(entry.menu).addSeparator()
            continue
        if isinstance(entry, Submenu):
            menu(entry.path)
            continue
        action = entry.make() if entry.make is not None else QAction(entry.text, window)
        if entry.handler is not None:
            action.triggered.connect(lambda _=False, handler=entry.handler: handler())
        if entry.keys:
            action.setShortcuts([QKeySequence(k) for k in entry.keys])
            action.setShortcutContext(
                Qt.ShortcutContext.WidgetWithChildrenShortcut if entry.canvas else Qt.ShortcutContext.WindowShortcut
            )
        if entry.tip:
            action.setToolTip(entry.tip)
            menu(entry.menu).setToolTipsVisible(True)
        if entry.checked is not None:
            action.setCheckable(True)
            action.setChecked(entry.checked)
            groups.setdefault(entry.menu, QActionGroup(window)).addAction(action)
        menu(entry.menu).addAction(action)
        if entry.canvas or entry.context_menu:
            canvas.addAction(action)
        actions[entry.name] = action
    canvas.setContextMenuPolicy(Qt.ContextMenuPolicy.DefaultContextMenu)  # the canvas asks context_menu()
    return Installed(actions, menus)


CONTEXTS = ("block", "edge", "canvas")


def context_menu(table: list[Entry], installed: Installed, where: str, parent: QWidget | None = None) -> QMenu:
    """The right-click menu for what was clicked ("block", "edge" or "canvas"): the table's actions that name
    it, in the table's order, with the same QActions (and so the same keys) as the menu bar."""
    menu = QMenu(parent)
    for entry in table:
        if isinstance(entry, Action) and where in entry.context:
            action = installed.actions[entry.name]
            if action.isVisible():
                menu.addAction(action)
    return menu


def shortcut_rows(table: list[Entry], installed: Installed) -> list[tuple[str, str, str, str]]:
    """(action, its keys, its menu, where the keys work) for every action of the table, in menu order."""
    rows = []
    for entry in table:
        if isinstance(entry, Action):
            keys = ", ".join(
                k.toString(QKeySequence.SequenceFormat.NativeText) for k in installed.actions[entry.name].shortcuts()
            )
            where = "Canvas" if entry.canvas else "Window" if keys else ""
            rows.append((entry.text.replace("&", ""), keys, entry.menu.replace("&", "").replace("/", " › "), where))
    return rows


class ShortcutSheet(QDialog):
    """Help → Keyboard shortcuts: every action with its keys, filtered as you type."""

    HEADERS = ("Action", "Shortcut", "Menu", "Works in")

    def __init__(self, rows: list[tuple[str, str, str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("Keyboard shortcuts")
        self.search = QLineEdit(placeholderText="Filter: an action, a key or a menu")
        self.search.setClearButtonEnabled(True)
        self.table = QTableWidget(len(rows), len(self.HEADERS))
        self.table.setHorizontalHeaderLabels(self.HEADERS)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table)
        self.search.textChanged.connect(self.filter)
        self.resize(720, 620)

    def filter(self, text: str) -> None:
        needle = text.strip().lower()
        for r in range(self.table.rowCount()):
            row = " ".join(self.table.item(r, c).text() for c in range(self.table.columnCount())).lower()
            self.table.setRowHidden(r, needle not in row)

    def visible_actions(self) -> list[str]:
        return [self.table.item(r, 0).text() for r in range(self.table.rowCount()) if not self.table.isRowHidden(r)]
