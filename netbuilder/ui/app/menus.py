"""The window's action table: every menu entry, shortcut and right-click item, each calling the window, its files
or its canvas controller; actions.py builds the menus, the shortcuts and the shortcut sheet from it."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu

from netbuilder.core.presets import list_presets
from netbuilder.ui import theme
from netbuilder.ui.app import help
from netbuilder.ui.app.actions import Action, Entry, Installed, Separator, Submenu, context_menu
from netbuilder.ui.app.document_files import DocumentFiles
from netbuilder.ui.app.interop import EXPORTS
from netbuilder.ui.canvas.controller import CanvasController
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.view import CanvasView


class Window(Protocol):
    """The main window (a QMainWindow) as its menus use it: main_window.py imports this module, so the table names
    what it calls on the window rather than importing its class."""

    editor: Editor
    files: DocumentFiles
    settings: QSettings
    action_table: list[Entry]
    installed: Installed
    palette_dock: QDockWidget
    inspector_dock: QDockWidget
    training_dock: QDockWidget
    volumes_dock: QDockWidget
    look_inside_dock: QDockWidget

    def close(self) -> bool: ...
    def import_model(self, torchvision_only: bool = False) -> None: ...
    def new_from_run(self) -> None: ...
    def export(self, fmt: str) -> None: ...
    def set_theme(self, mode: str) -> None: ...
    def show_summary(self) -> None: ...
    def show_properties(self) -> None: ...
    def show_shortcuts(self) -> object: ...
    def show_getting_started(self) -> object: ...
    def show_about(self) -> object: ...


def action_table(window: Window, canvas: CanvasController) -> list[Entry]:
    """Every action of the window: the menus, the shortcuts and the shortcut sheet are built from this."""
    std = QKeySequence.StandardKey
    on_canvas = {"canvas": True, "context_menu": True}
    block, edge = ("block",), ("edge",)
    view, stack = canvas.view, window.editor.undo_stack
    current_theme = str(window.settings.value("view/theme", "system"))
    return [
        Action("file.new", "&New", "&File", window.files.new, (std.New,)),
        Action("file.open", "&Open…", "&File", window.files.open_dialog, (std.Open,)),
        Action(
            "file.new_from_run",
            "New from r&un…",
            "&File",
            window.new_from_run,
            tip="a run's network, starting from its trained weights",
        ),
        Submenu("&File/Open &Recent"),
        *(
            Action(
                f"file.preset.{p.key}",
                p.name,
                "&File/&Presets",
                lambda p=p: window.files.open(p.path, as_copy=True),
                tip=p.description,
            )
            for p in list_presets()
        ),
        Separator("&File/&Presets"),
        Action(
            "file.import_torchvision",
            "Import from torchvision…",
            "&File/&Presets",
            lambda: window.import_model(torchvision_only=True),
        ),
        Action("file.import", "&Import PyTorch model…", "&File", window.import_model),
        Separator("&File"),
        Action("file.save", "&Save", "&File", window.files.save, (std.Save,)),
        Action("file.save_as", "Save &As…", "&File", window.files.save_as, ("Ctrl+Shift+S",)),
        Separator("&File"),
        *(
            Action(f"file.export.{fmt}", f"{title}…", "&File/&Export", lambda f=fmt: window.export(f))
            for fmt, (title, _, _) in EXPORTS.items()
        ),
        Separator("&File"),
        Action("file.quit", "&Quit", "&File", window.close, (std.Quit,)),
        Action(
            "edit.undo",
            "&Undo",
            "&Edit",
            lambda: canvas.select_stepped(undone=True),  # after the stack's own step
            (std.Undo,),
            make=lambda: stack.createUndoAction(window, "&Undo"),
        ),
        Action(
            "edit.redo",
            "&Redo",
            "&Edit",
            lambda: canvas.select_stepped(undone=False),
            ("Ctrl+Shift+Z", "Ctrl+Y"),
            make=lambda: stack.createRedoAction(window, "&Redo"),
        ),
        Separator("&Edit"),
        Action("edit.cut", "Cu&t", "&Edit", canvas.cut, (std.Cut,), **on_canvas),
        Action("edit.copy", "&Copy", "&Edit", canvas.copy, (std.Copy,), **on_canvas),
        Action("edit.paste", "&Paste", "&Edit", canvas.paste, (std.Paste,), **on_canvas, context=("canvas",)),
        Action("edit.duplicate", "&Duplicate", "&Edit", canvas.duplicate, ("Ctrl+D",), **on_canvas, context=block),
        Action(
            "edit.delete",
            "&Delete",
            "&Edit",
            canvas.delete_selection,
            (std.Delete, "Backspace"),
            **on_canvas,
            context=block,
        ),
        Action("edit.select_all", "Select &All", "&Edit", canvas.select_all, (std.SelectAll,), **on_canvas),
        Action(
            "edit.quick_add",
            "&Add block…",
            "&Edit",
            view.request_quick_add,
            ("Tab",),
            **on_canvas,
            context=("canvas",),
        ),
        # Right-click on a block or a connection: these act on what was clicked (it is selected first).
        Action("edit.insert_before", "Insert &before…", "&Edit", lambda: canvas.insert_next_to("above"), context=block),
        Action("edit.insert_after", "Insert &after…", "&Edit", lambda: canvas.insert_next_to("below"), context=block),
        Action("edit.disconnect", "Dis&connect", "&Edit", canvas.disconnect_selection, context=block),
        Action("edit.insert_on_edge", "&Insert block…", "&Edit", canvas.insert_on_selected_edge, context=edge),
        Action("edit.delete_connection", "Delete co&nnection", "&Edit", canvas.delete_selection, context=edge),
        Action(
            "edit.properties",
            "P&roperties",
            "&Edit",
            window.show_properties,
            ("Return", "Enter"),
            canvas=True,
            context=block,
        ),
        Action("edit.canvas", "Back to the &canvas", "&Edit", view.setFocus, ("Escape",)),
        Action("view.fit", "Fit to &view", "&View", view.fit, ("F",), **on_canvas, context=("canvas",)),
        Action(
            "view.zoom_in",
            "Zoom &in",
            "&View",
            lambda: view.zoom_by(1.25),
            ("Ctrl++", "Ctrl+="),
            context_menu=True,
        ),
        Action("view.zoom_out", "Zoom &out", "&View", lambda: view.zoom_by(0.8), ("Ctrl+-",), context_menu=True),
        Action(
            "view.actual_size",
            "Actual &size",
            "&View",
            lambda: view.zoom_by(1 / view.zoom()),
            ("Ctrl+0",),
            context_menu=True,
        ),
        Action("view.arrange", "Auto-&arrange", "&View", canvas.auto_arrange, ("L",), **on_canvas, context=("canvas",)),
        *(
            Action(
                f"view.theme.{mode}",
                mode.capitalize(),
                "&View/&Theme",
                lambda m=mode: window.set_theme(m),
                checked=mode == current_theme,
            )
            for mode in theme.MODES
        ),
        Action("view.overview", "&Overview", "&View", make=lambda: _overview_action(window, view)),
        Separator("&View"),
        *(
            Action(f"view.dock.{dock.objectName().lower()}", dock.windowTitle(), "&View", make=dock.toggleViewAction)
            for dock in (
                window.palette_dock,
                window.inspector_dock,
                window.training_dock,
                window.volumes_dock,
                window.look_inside_dock,
            )
        ),
        Action("network.summary", "Model &summary…", "&Network", window.show_summary, ("Ctrl+I",)),
        Separator("&Network"),
        Action(
            "network.group",
            "&Group",
            "&Network",
            canvas.group_selection,
            ("Ctrl+G",),
            tip="Group the selected blocks and groups into one named group",
            **on_canvas,
            context=block,
        ),
        Action(
            "network.ungroup",
            "&Ungroup",
            "&Network",
            canvas.ungroup_selection,
            ("Ctrl+Shift+G",),
            tip="Dissolve the selected group; its members stay",
            **on_canvas,
        ),
        Action(
            "network.fold",
            "&Fold or expand group",
            "&Network",
            canvas.toggle_fold_selection,
            tip="Fold the selected groups into cards, or expand the selected cards",
            context_menu=True,
            context=block,
        ),
        Action(
            "network.group_repeats",
            "Group &repeated pattern…",
            "&Network",
            canvas.group_repeated_pattern,
            tip="Find the other runs of the selected blocks' sequence and group them all",
            context_menu=True,
        ),
        Separator("&Network"),
        Action(
            "network.freeze",
            "Free&ze or unfreeze",
            "&Network",
            canvas.toggle_freeze_selection,
            ("Ctrl+L",),
            tip="Freeze the selected blocks and groups (their parameters are not trained), or unfreeze them",
            **on_canvas,
            context=block,
        ),
        Action(
            "network.freeze_up_to_here",
            "Freeze up to &here",
            "&Network",
            canvas.freeze_up_to_here,
            tip="Freeze the selected block and every block before it on the way from the input",
            context=block,
        ),
        Action(
            "network.unfreeze_all",
            "U&nfreeze all",
            "&Network",
            canvas.unfreeze_all,
            tip="Train every block again",
            context=(*block, "canvas"),
        ),
        Action("help.shortcuts", "&Keyboard shortcuts…", "&Help", window.show_shortcuts, ("F1", "?")),
        Action("help.tour", "&Getting started…", "&Help", window.show_getting_started),
        Separator("&Help"),
        Action("help.file_format", "The &file format", "&Help", lambda: help.open_readme(window, "file-format")),
        Action("help.cli", "The &command line", "&Help", lambda: help.open_readme(window, "cli")),
        Separator("&Help"),
        Action("help.about", "&About NetBuilder", "&Help", window.show_about),
    ]


def right_click_menu(window: Window, where: str) -> QMenu:
    """The canvas's right-click menu for "block", "edge" or "canvas"; folding is offered once there are groups,
    unfreezing once a block is frozen."""
    menu = context_menu(window.action_table, window.installed, where, window)
    if not window.editor.graph.groups:
        menu.removeAction(window.installed.actions["network.fold"])
    if not window.editor.result.frozen:
        menu.removeAction(window.installed.actions["network.unfreeze_all"])
    return menu


def _overview_action(window: Window, view: CanvasView) -> QAction:
    """View → Overview: the minimap in the canvas's corner, shown as the settings last had it."""
    action = QAction("&Overview", window, checkable=True)
    action.setToolTip("The minimap of the whole network in the canvas's corner")
    action.setChecked(str(window.settings.value("view/overview", "true")).lower() == "true")

    def show(shown: bool) -> None:
        view.set_overview(shown)
        window.settings.setValue("view/overview", "true" if shown else "false")

    action.toggled.connect(show)
    view.set_overview(action.isChecked())
    return action
