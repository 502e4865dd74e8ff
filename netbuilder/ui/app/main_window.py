"""The main window: palette, canvas, inspector and training docks, the status bar, and the wiring between them.
Its menus and shortcuts come from one table (actions.py), its files from DocumentFiles, its edits from the
command builders in commands.py."""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import QPoint, QPointF, QRect, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProxyStyle,
    QStyle,
    QStyleOption,
    QWidget,
)

from netbuilder.core.check.shapes import Check
from netbuilder.core.check.summary import short
from netbuilder.core.document import Document
from netbuilder.core.drawing.layout import arrange
from netbuilder.core.graph import blocks_in
from netbuilder.core.groups import parents, repeats
from netbuilder.core.presets import list_presets
from netbuilder.records.config import as_saved
from netbuilder.records.runs import Run
from netbuilder.records.train_error import TrainError
from netbuilder.ui import theme
from netbuilder.ui.app import help
from netbuilder.ui.app.actions import (
    Action,
    Entry,
    Separator,
    ShortcutSheet,
    Submenu,
    context_menu,
    install,
    shortcut_rows,
)
from netbuilder.ui.app.autosave import Autosave
from netbuilder.ui.app.document_files import DocumentFiles, Prompts
from netbuilder.ui.app.interop import EXPORTS, Interop, ask_export_path, ask_import
from netbuilder.ui.app.window_place import arrange_corners, place_default, restore, spans_bottom
from netbuilder.ui.canvas import clipboard
from netbuilder.ui.canvas.canvas_hint import CanvasHint
from netbuilder.ui.canvas.edge_item import EdgeItem
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.group_item import GroupCard, GroupFrame
from netbuilder.ui.canvas.inspector import Inspector
from netbuilder.ui.canvas.items import NodeItem
from netbuilder.ui.canvas.palette import Entry as PaletteEntry
from netbuilder.ui.canvas.palette import Palette
from netbuilder.ui.canvas.quick_add import QuickAdd
from netbuilder.ui.canvas.scene import CanvasScene
from netbuilder.ui.canvas.templates import apply_template
from netbuilder.ui.canvas.undo import (
    Edit,
    add_above,
    add_below,
    add_wired,
    delete_blocks,
    disconnect,
    group_repeats,
    group_units,
    insert_on_edge,
    move_nodes,
    paste,
    ungroup,
)
from netbuilder.ui.canvas.view import CanvasView
from netbuilder.ui.inside.look_inside import LookInside
from netbuilder.ui.inside.summary_dialog import SummaryDialog
from netbuilder.ui.inside.volumes_view import VolumesView
from netbuilder.ui.paths import runs_dir
from netbuilder.ui.training.health_view import attach as attach_health
from netbuilder.ui.training.run_compare import show_comparison
from netbuilder.ui.training.training_dock import TrainingDock

FILTER = "NetBuilder networks (*.json)"
PASTE_OFFSET = (40.0, 40.0)
TRAINING_HEIGHT = 220  # the training dock's height on first start, in px of a 950 px window
SEPARATOR = 12  # px: the handle between the canvas and a dock, wide enough to grab without aiming


class DockHandles(QProxyStyle):
    """The window's dock separators: SEPARATOR px wide, with a grip drawn in their middle (darker under the
    pointer), so that resizing a dock never needs a pixel hunt next to its title bar."""

    def pixelMetric(self, metric, option=None, widget=None) -> int:  # noqa: N802 (Qt's name)
        if metric == QStyle.PixelMetric.PM_DockWidgetSeparatorExtent:
            return SEPARATOR
        return super().pixelMetric(metric, option, widget)

    def drawPrimitive(self, element, option: QStyleOption, painter: QPainter, widget=None) -> None:  # noqa: N802
        if element != QStyle.PrimitiveElement.PE_IndicatorDockWidgetResizeHandle:
            super().drawPrimitive(element, option, painter, widget)
            return
        r: QRect = option.rect
        across = bool(option.state & QStyle.StateFlag.State_Horizontal)  # a separator between stacked panes
        hover = bool(option.state & QStyle.StateFlag.State_MouseOver)
        grip = QRect(0, 0, 36, 4) if across else QRect(0, 0, 4, 36)
        grip.moveCenter(r.center())
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(option.palette.dark() if hover else option.palette.mid())
        painter.drawRoundedRect(grip, 2, 2)
        painter.restore()


class MainWindow(QMainWindow):
    """One document per window. Dialogs go through ask_* / show_error so tests can answer them."""

    def __init__(self, document: Document, path: Path | None = None) -> None:
        super().__init__()
        self.handles = DockHandles("Fusion")  # the window's own style: its dock separators
        self.setStyle(self.handles)
        self.settings = QSettings("NetBuilder", "NetBuilder")
        self.editor = Editor(document, path, self)
        self.scene = CanvasScene(self.editor, self)
        self.view = CanvasView(self.scene)
        self.setCentralWidget(self.view)
        self.palette = Palette()
        self.palette.setMinimumWidth(200)
        self.inspector = Inspector(self.editor)
        self.palette_dock = self._dock("Blocks", self.palette, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.inspector_dock = self._dock("Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        # View → Volumes: the network as cuboids to scale, beside the canvas (hidden until asked for).
        self.volumes = VolumesView(self.editor, self.scene)
        self.volumes_dock = self._dock("Volumes", self.volumes, Qt.DockWidgetArea.RightDockWidgetArea)
        self.splitDockWidget(self.volumes_dock, self.inspector_dock, Qt.Orientation.Horizontal)
        self.volumes_dock.hide()
        self.training = TrainingDock(self.editor, runs_dir())
        self.training_dock = self._dock("Training", self.training, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.health = attach_health(self.training, self.scene)  # the Health tab; the canvas's health marks
        self.inspector.health_text = self.health.block_text
        self.health.changed.connect(self.inspector.refresh)
        # View → Look inside: an image's feature maps for the selected block (hidden until asked for).
        self.look_inside = LookInside(self.editor, runs_dir(), lambda: self.training.settings.config())
        self.look_inside_dock = self._dock("Look inside", self.look_inside, Qt.DockWidgetArea.RightDockWidgetArea)
        self.look_inside_dock.hide()
        # Hidden at first: they open at a readable size, Volumes beside the inspector, Look inside under it.
        self._inspector_width = 0  # the inspector's width before Volumes opened, given back when it closes
        self.volumes_dock.visibilityChanged.connect(lambda shown: self._side_dock(shown))
        self.look_inside_dock.visibilityChanged.connect(
            lambda shown: shown and QTimer.singleShot(0, lambda: self._open(self.look_inside_dock))
        )
        self.quick_add = QuickAdd(self)
        self._quick_add_at: tuple[QPointF, str | None] = (QPointF(), None)

        self.validity = QLabel()
        self.totals = QLabel()
        self.totals.setFont(theme.mono_font(9))
        self.statusBar().addPermanentWidget(self.totals)
        self.statusBar().addPermanentWidget(self.validity)

        self.autosave = Autosave(self.editor)
        # Each prompt looks the window's method up when asked, so an answer a test sets on the window applies.
        self.files = DocumentFiles(
            self.editor,
            self.settings,
            self.autosave,
            Prompts(
                ask_save=lambda: self.ask_save(),
                ask_path=lambda save: self.ask_path(save),
                ask_restore=lambda path: self.ask_restore(path),
                show_error=lambda t, text: self.show_error(t, text),
            ),
        )
        self.interop = Interop(self, self._job_done)
        self.action_table = self._action_table()
        self.installed = install(self, self.view, self.action_table)
        self.recent_menu = self.installed.menus["&File/Open &Recent"]
        for name, undone in (("edit.undo", True), ("edit.redo", False)):  # after the stack's own step
            self.installed.actions[name].triggered.connect(lambda _=False, u=undone: self._select_stepped(u))
        self.presets_menu = self.installed.menus["&File/&Presets"]
        self.theme_actions = self.installed.actions["view.theme.system"].actionGroup()
        self.view.set_overview(self.installed.actions["view.overview"].isChecked())
        self._refresh_recent()

        self.files.changed.connect(self._refresh_recent)
        self.files.changed.connect(self._update_title)
        self.editor.checked.connect(self._on_checked)
        self.editor.message.connect(self._show_message)
        self.editor.modified_changed.connect(self._update_title)
        self.editor.replaced.connect(self._on_replaced)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.scene.quick_add_requested.connect(self.open_quick_add)
        self.view.quick_add_requested.connect(self.open_quick_add)
        self.view.context_requested.connect(self.show_context_menu)
        self.palette.activated.connect(self.add_below_selection)
        self.quick_add.chosen.connect(self._quick_add_chosen)
        self.training.runs.compare.connect(self.compare_runs)
        self.training.runs.reopen.connect(self.reopen_run)
        self.training.search.open_network.connect(self.files.open_document)
        self.training.runs.chosen.connect(self.training.show_run)
        self.look_inside.step_to.connect(self._select_block)
        self.training.look_inside.connect(self.open_in_look_inside)
        self.training.runs_changed.connect(self.look_inside.runs_changed)  # a new run's weights to look with

        # The palette and the inspector keep the window's full height, training under the canvas (on a narrow
        # screen, under them all); then 1500×950, or less on a smaller screen.
        arrange_corners(self)
        place_default(self)
        widths = [220, 330]  # near their least widths: the training dock between them shows its tab names
        if spans_bottom(self):  # a narrow screen: the side docks at their least widths, the canvas has the rest
            widths = [self.palette.minimumWidth(), self.inspector.minimumWidth()]
        self.resizeDocks([self.palette_dock, self.inspector_dock], widths, Qt.Orientation.Horizontal)
        # First start: the training dock compact, the canvas with the room (the user's sizes come back below).
        self.resizeDocks([self.training_dock], [TRAINING_HEIGHT], Qt.Orientation.Vertical)
        self.canvas_hint = CanvasHint(self.editor, self.view)
        restored = restore(self, self.settings.value("window/geometry"), self.settings.value("window/state"))
        if restored:  # the saved state brings its corners back: those that fit this screen
            arrange_corners(self)
        splitter = self.settings.value("window/training_splitter")
        if restored and splitter is not None:  # once laid out: a splitter resized after restoring spreads the change
            QTimer.singleShot(0, lambda: self.training.splitter.restoreState(splitter))
        theme.set_mode(str(self.settings.value("view/theme", "system")))
        self._on_checked(self.editor.result)
        self._update_title()
        QTimer.singleShot(0, self.view.show_start)

    def _side_dock(self, shown: bool) -> None:
        """Volumes opens wide enough to read; closed, it gives its width back to the canvas, not the inspector."""
        if shown:
            self._inspector_width = self.inspector_dock.width()
            QTimer.singleShot(0, lambda: self._open(self.volumes_dock, Qt.Orientation.Horizontal))
        elif self._inspector_width and self.inspector_dock.isVisible():
            width = self._inspector_width
            QTimer.singleShot(0, lambda: self.resizeDocks([self.inspector_dock], [width], Qt.Orientation.Horizontal))

    def _open(self, dock: QDockWidget, along: Qt.Orientation = Qt.Orientation.Vertical) -> None:
        """A dock shown smaller than its contents ask grows along its neighbours to their size hint (at most half
        the window): Look inside down to its stats line, Volumes across to a readable network."""
        if dock.isFloating() or not dock.isVisible():
            return
        want = dock.widget().sizeHint()
        if along == Qt.Orientation.Horizontal:
            size, room, now = want.width(), self.width() // 2, dock.width()
        else:
            size, room, now = want.height(), self.height() // 2, dock.height()
        if now < min(size, room):
            self.resizeDocks([dock], [min(size, room)], along)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        # Movable and closable, never floated off by a drag that meant to resize it (View brings it back).
        features = QDockWidget.DockWidgetFeature
        dock.setFeatures(features.DockWidgetClosable | features.DockWidgetMovable)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    # Actions --------------------------------------------------------------------------------------

    def _action_table(self) -> list[Entry]:
        """Every action of the window: the menus, the shortcuts and the shortcut sheet are built from this."""
        std = QKeySequence.StandardKey
        on_canvas = {"canvas": True, "context_menu": True}
        block, edge = ("block",), ("edge",)
        stack = self.editor.undo_stack
        current_theme = str(self.settings.value("view/theme", "system"))
        return [
            Action("file.new", "&New", "&File", self.files.new, (std.New,)),
            Action("file.open", "&Open…", "&File", self.files.open_dialog, (std.Open,)),
            Submenu("&File/Open &Recent"),
            *(
                Action(
                    f"file.preset.{p.key}",
                    p.name,
                    "&File/&Presets",
                    lambda p=p: self.files.open(p.path, as_copy=True),
                    tip=p.description,
                )
                for p in list_presets()
            ),
            Separator("&File/&Presets"),
            Action(
                "file.import_torchvision",
                "Import from torchvision…",
                "&File/&Presets",
                lambda: self.import_model(torchvision_only=True),
            ),
            Action("file.import", "&Import PyTorch model…", "&File", self.import_model),
            Separator("&File"),
            Action("file.save", "&Save", "&File", self.files.save, (std.Save,)),
            Action("file.save_as", "Save &As…", "&File", self.files.save_as, ("Ctrl+Shift+S",)),
            Separator("&File"),
            *(
                Action(f"file.export.{fmt}", f"{title}…", "&File/&Export", lambda f=fmt: self.export(f))
                for fmt, (title, _, _) in EXPORTS.items()
            ),
            Separator("&File"),
            Action("file.quit", "&Quit", "&File", self.close, (std.Quit,)),
            Action("edit.undo", "&Undo", "&Edit", keys=(std.Undo,), make=lambda: stack.createUndoAction(self, "&Undo")),
            Action(
                "edit.redo",
                "&Redo",
                "&Edit",
                keys=("Ctrl+Shift+Z", "Ctrl+Y"),
                make=lambda: stack.createRedoAction(self, "&Redo"),
            ),
            Separator("&Edit"),
            Action("edit.cut", "Cu&t", "&Edit", self.cut, (std.Cut,), **on_canvas),
            Action("edit.copy", "&Copy", "&Edit", self.copy, (std.Copy,), **on_canvas),
            Action("edit.paste", "&Paste", "&Edit", self.paste, (std.Paste,), **on_canvas, context=("canvas",)),
            Action("edit.duplicate", "&Duplicate", "&Edit", self.duplicate, ("Ctrl+D",), **on_canvas, context=block),
            Action(
                "edit.delete",
                "&Delete",
                "&Edit",
                self.delete_selection,
                (std.Delete, "Backspace"),
                **on_canvas,
                context=block,
            ),
            Action("edit.select_all", "Select &All", "&Edit", self.select_all, (std.SelectAll,), **on_canvas),
            Action(
                "edit.quick_add",
                "&Add block…",
                "&Edit",
                self.view.request_quick_add,
                ("Tab",),
                **on_canvas,
                context=("canvas",),
            ),
            # Right-click on a block or a connection: these act on what was clicked (it is selected first).
            Action(
                "edit.insert_before", "Insert &before…", "&Edit", lambda: self.insert_next_to("above"), context=block
            ),
            Action("edit.insert_after", "Insert &after…", "&Edit", lambda: self.insert_next_to("below"), context=block),
            Action("edit.disconnect", "Dis&connect", "&Edit", self.disconnect_selection, context=block),
            Action("edit.insert_on_edge", "&Insert block…", "&Edit", self.insert_on_selected_edge, context=edge),
            Action("edit.delete_connection", "Delete co&nnection", "&Edit", self.delete_selection, context=edge),
            Action(
                "edit.properties",
                "P&roperties",
                "&Edit",
                self.show_properties,
                ("Return", "Enter"),
                canvas=True,
                context=block,
            ),
            Action("edit.canvas", "Back to the &canvas", "&Edit", self.view.setFocus, ("Escape",)),
            Action("view.fit", "Fit to &view", "&View", self.view.fit, ("F",), **on_canvas, context=("canvas",)),
            Action(
                "view.zoom_in",
                "Zoom &in",
                "&View",
                lambda: self.view.zoom_by(1.25),
                ("Ctrl++", "Ctrl+="),
                context_menu=True,
            ),
            Action(
                "view.zoom_out", "Zoom &out", "&View", lambda: self.view.zoom_by(0.8), ("Ctrl+-",), context_menu=True
            ),
            Action(
                "view.actual_size",
                "Actual &size",
                "&View",
                lambda: self.view.zoom_by(1 / self.view.zoom()),
                ("Ctrl+0",),
                context_menu=True,
            ),
            Action(
                "view.arrange", "Auto-&arrange", "&View", self.auto_arrange, ("L",), **on_canvas, context=("canvas",)
            ),
            *(
                Action(
                    f"view.theme.{mode}",
                    mode.capitalize(),
                    "&View/&Theme",
                    lambda m=mode: self.set_theme(m),
                    checked=mode == current_theme,
                )
                for mode in theme.MODES
            ),
            Action("view.overview", "&Overview", "&View", make=self._overview_action),
            Separator("&View"),
            *(
                Action(
                    f"view.dock.{dock.objectName().lower()}", dock.windowTitle(), "&View", make=dock.toggleViewAction
                )
                for dock in (
                    self.palette_dock,
                    self.inspector_dock,
                    self.training_dock,
                    self.volumes_dock,
                    self.look_inside_dock,
                )
            ),
            Action("network.summary", "Model &summary…", "&Network", self.show_summary, ("Ctrl+I",)),
            Separator("&Network"),
            Action(
                "network.group",
                "&Group",
                "&Network",
                self.group_selection,
                ("Ctrl+G",),
                tip="Group the selected blocks and groups into one named group",
                **on_canvas,
                context=block,
            ),
            Action(
                "network.ungroup",
                "&Ungroup",
                "&Network",
                self.ungroup_selection,
                ("Ctrl+Shift+G",),
                tip="Dissolve the selected group; its members stay",
                **on_canvas,
            ),
            Action(
                "network.fold",
                "&Fold or expand group",
                "&Network",
                self.toggle_fold_selection,
                tip="Fold the selected groups into cards, or expand the selected cards",
                context_menu=True,
                context=block,
            ),
            Action(
                "network.group_repeats",
                "Group &repeated pattern…",
                "&Network",
                self.group_repeated_pattern,
                tip="Find the other runs of the selected blocks' sequence and group them all",
                context_menu=True,
            ),
            Action("help.shortcuts", "&Keyboard shortcuts…", "&Help", self.show_shortcuts, ("F1", "?")),
            Action("help.tour", "&Getting started…", "&Help", self.show_getting_started),
            Separator("&Help"),
            Action("help.file_format", "The &file format", "&Help", lambda: help.open_readme(self, "file-format")),
            Action("help.cli", "The &command line", "&Help", lambda: help.open_readme(self, "cli")),
            Separator("&Help"),
            Action("help.about", "&About NetBuilder", "&Help", self.show_about),
        ]

    def _overview_action(self) -> QAction:
        action = QAction("&Overview", self, checkable=True)
        action.setToolTip("The minimap of the whole network in the canvas's corner")
        action.setChecked(str(self.settings.value("view/overview", "true")).lower() == "true")
        action.toggled.connect(self.set_overview)
        return action

    def set_overview(self, shown: bool) -> None:
        self.view.set_overview(shown)
        self.settings.setValue("view/overview", "true" if shown else "false")

    def show_shortcuts(self) -> ShortcutSheet:
        """Help → Keyboard shortcuts: the sheet made from the same table as the menus."""
        sheet = ShortcutSheet(shortcut_rows(self.action_table, self.installed), self)
        sheet.show()
        return sheet

    # Status and title -----------------------------------------------------------------------------

    def _on_checked(self, result: Check) -> None:
        errors = result.errors
        if result.valid:
            self.validity.setText("✓ valid network")
            self.validity.setStyleSheet(theme.status_style("ok"))
            self.validity.setToolTip("")
        else:
            self.validity.setText(f"✗ {len(errors)} error{'s' if len(errors) != 1 else ''}")
            self.validity.setStyleSheet(theme.status_style("error"))
            self.validity.setToolTip("\n".join(errors))
            self.statusBar().showMessage(errors[0], 0)
        if result.valid and self.statusBar().currentMessage() and self._last_invalid:
            self.statusBar().clearMessage()
        self._last_invalid = not result.valid
        self.totals.setText(f"{short(result.total_params)} params · {short(result.total_macs)} MACs")

    _last_invalid = False

    def set_theme(self, mode: str) -> None:
        """Light, dark or the system's: the canvas, its blocks and the widgets all follow."""
        theme.set_mode(mode)
        self.settings.setValue("view/theme", mode)
        for item in self.scene.items():
            item.update()
        self.view.resetCachedContent()  # its background, in the new theme's colours
        self.view.viewport().update()
        self._on_checked(self.editor.result)  # the status colours are the theme's

    def _show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _update_title(self, *_: object) -> None:
        name = self.editor.path.name if self.editor.path else self.editor.document.name
        self.setWindowTitle(f"{name}[*] — NetBuilder")
        self.setWindowModified(self.editor.modified())

    def _on_replaced(self) -> None:
        self._update_title()
        QTimer.singleShot(0, self.view.show_start)

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for p in self.files.recent():
            action = QAction(p, self.recent_menu)
            action.triggered.connect(lambda _=False, p=p: self.files.open(Path(p)))
            self.recent_menu.addAction(action)
        self.recent_menu.setEnabled(bool(self.files.recent()))

    def _selection_changed(self) -> None:
        if not shiboken6.isValid(self.scene) or not shiboken6.isValid(self.inspector):
            return  # the window is being torn down and the scene drops its selection
        groups = self.selected_groups()
        blocks = [i for i in self.scene.selectedItems() if isinstance(i, NodeItem)]
        if len(blocks) == 1 and shiboken6.isValid(self.look_inside):
            self.look_inside.set_block(blocks[0].node_id)
        if len(groups) == 1 and not blocks:
            self.inspector.show_group(groups[0])
            return
        selected = self.selected_ids()
        self.inspector.show_node(selected[0] if len(selected) == 1 and not groups else None)

    def open_in_look_inside(self, path: str) -> None:
        """Show an image (a prediction's) in Look inside, under the newest run's weights when none are chosen."""
        self.look_inside_dock.show()
        self.look_inside_dock.raise_()
        self.look_inside.refresh_runs()
        if self.look_inside.weights.currentIndex() == 0 and self.look_inside.weights.count() > 1:
            self.look_inside.weights.setCurrentIndex(1)
        self.look_inside.choose_file(path)

    def _select_block(self, node_id: str) -> None:
        """Select one block on the canvas and centre it (Look inside's arrow keys)."""
        self.scene.reveal(node_id)

    def selected_ids(self) -> list[str]:
        """Selected blocks in document order, with the blocks of selected cards."""
        ids = {i.node_id for i in self.scene.selectedItems() if isinstance(i, NodeItem)}
        for item in self.scene.selectedItems():
            if isinstance(item, GroupCard) and item.group_id in self.editor.graph.groups:
                ids.update(blocks_in(self.editor.graph, item.group_id))
        return [nid for nid in self.editor.graph.nodes if nid in ids]

    def selected_groups(self) -> list[str]:
        """Selected cards and frames' groups, in document order."""
        ids = {i.group_id for i in self.scene.selectedItems() if isinstance(i, (GroupCard, GroupFrame))}
        return [gid for gid in self.editor.graph.groups if gid in ids]

    def selected_units(self) -> list[str]:
        """What the selection shows as units: visible blocks and cards (a frame stands for its group)."""
        graph = self.editor.graph
        blocks = {i.node_id for i in self.scene.selectedItems() if isinstance(i, NodeItem)}
        groups = set(self.selected_groups())
        return [nid for nid in graph.nodes if nid in blocks] + [gid for gid in graph.groups if gid in groups]

    # Dialogs --------------------------------------------------------------------------------------

    def ask_save(self) -> QMessageBox.StandardButton:
        """Save, Discard or Cancel for unsaved changes."""
        return QMessageBox.question(
            self,
            "Unsaved changes",
            f"Save the changes to {self.windowTitle().split('[*]')[0]}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        )

    def show_error(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)

    def ask_path(self, save: bool) -> Path | None:
        if save:
            name, _ = QFileDialog.getSaveFileName(self, "Save network", self.files.save_proposal(), FILTER)
        else:
            name, _ = QFileDialog.getOpenFileName(self, "Open network", self.files.last_folder(), FILTER)
        return Path(name) if name else None

    def ask_restore(self, path: Path | None) -> bool:
        where = f" of {path.name}" if path else ""
        answer = QMessageBox.question(
            self,
            "Restore unsaved work?",
            f"NetBuilder did not close properly last time. Restore the unsaved version{where}?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def ask_group_repeats(self, runs: int, size: int) -> str | None:
        """The name for the groups of a repeated pattern, or None to cancel."""
        name, ok = QInputDialog.getText(
            self,
            "Group repeated pattern",
            f"Found {runs} runs of these {size} blocks (the selection included). Group each of them as:",
            text="block",
        )
        return name.strip() if ok and name.strip() else None

    def ask_stop_training(self) -> bool:
        answer = QMessageBox.question(
            self, "A network is training", "Stop the training run and close? Its last finished epoch is kept."
        )
        return answer == QMessageBox.StandardButton.Yes

    def ask_export(self, fmt: str) -> Path | None:
        return ask_export_path(self, fmt, self.files.save_proposal())

    def ask_import(self, torchvision_only: bool) -> list[str] | None:
        return ask_import(self, torchvision_only)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if (self.training.running() and not self.ask_stop_training()) or not self.files.may_discard():
            event.ignore()
            return
        self.training.shutdown()
        self.training.probe.stop()
        self.look_inside.shutdown()
        self.autosave.discard()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/training_splitter", self.training.splitter.saveState())
        event.accept()

    # Export, import, runs -------------------------------------------------------------------------

    def _job_done(self, ok: bool, message: str) -> None:
        if ok:
            self.editor.say(message)
        else:
            self.show_error("That did not work", message)

    def export(self, fmt: str) -> None:
        """Export the network as it is now; refused (with the check's sentences) when it has errors."""
        if not self.editor.result.valid:
            errors = " ".join(self.editor.result.errors)
            self.show_error("Cannot export this network", f"Fix its errors first: {errors}")
            return
        path = self.ask_export(fmt)
        if path is not None:
            self.editor.say(f"Exporting {EXPORTS[fmt][0]} to {path}…")
            self.interop.export(self.editor.document, fmt, path)

    def import_model(self, torchvision_only: bool = False) -> None:
        args = self.ask_import(torchvision_only)
        if args is not None:
            self.editor.say(f"Importing {args[0]}…")
            self.interop.import_model(args, self._open_imported)

    def _open_imported(self, path: Path) -> None:
        """An imported network opens as unsaved work: the title says so, and leaving it asks first."""
        if self.files.open(path, as_copy=True):
            self.editor.undo_stack.resetClean()
            self._update_title()

    def compare_runs(self, a: Run, b: Run) -> None:
        show_comparison(self, a, b)

    def reopen_run(self, run: Run) -> None:
        """Open the network a run trained, with the settings it trained with, as an unsaved copy."""
        try:
            document = run.document
            document.training = as_saved(run.config)
        except TrainError as e:
            self.show_error("Cannot open this run's network", str(e))
            return
        self.files.open_document(document)

    def show_summary(self) -> None:
        SummaryDialog(self.editor.document, self.editor.result, self).open()  # deletes itself on close

    # Editing: each gesture pushes one command built in commands.py ---------------------------------

    def _push_and_select(self, edit: Edit) -> None:
        self.editor.push(edit)
        self.scene.clearSelection()
        for nid in edit.added:  # a pasted folded group is selected as its card
            self.scene.unit_item(self.scene.shown.get(nid, nid)).setSelected(True)

    def delete_selection(self) -> None:
        ids = self.selected_ids()
        edges = [e for e, item in self.scene.edge_items.items() if item.isSelected()]
        if ids:
            self.editor.push(delete_blocks(self.editor.graph, ids))
        elif edges:
            self.editor.push(disconnect(self.editor.graph, edges))

    def select_all(self) -> None:
        for item in (*self.scene.node_items.values(), *self.scene.group_cards.values()):
            if item.isVisible():
                item.setSelected(True)

    # Groups ---------------------------------------------------------------------------------------

    def _select_group(self, gid: str) -> None:
        self.scene.clearSelection()
        item = self.scene.group_cards.get(gid) or self.scene.group_frames.get(gid)
        if item is not None:
            item.setSelected(True)

    def group_selection(self) -> None:
        """Ctrl+G: the selected blocks and groups become one group (expanded, selected)."""
        graph = self.editor.graph
        units = self.selected_units()
        if not units:
            self.editor.say("Select blocks or groups to group them.")
            return
        owner = parents(graph)
        holder = owner.get(units[0])
        if holder is not None and set(graph.groups[holder].members) == set(units):
            self.editor.say(f"These are already the group '{graph.groups[holder].name}'.")
            return
        edit = group_units(graph, units)
        if edit is None:
            self.editor.say("These cannot be grouped: they belong to different groups.")
            return
        before = set(graph.groups)
        self.editor.push(edit)
        new = next((gid for gid in graph.groups if gid not in before), None)
        if new is not None:
            self._select_group(new)
            self.editor.say(f"Grouped {len(units)} as '{graph.groups[new].name}' (rename it in the inspector).")

    def ungroup_selection(self) -> None:
        """Ctrl+Shift+G: dissolve the selected groups (one undo step each)."""
        groups = self.selected_groups()
        if not groups:
            self.editor.say("Select a group (its card, or Ctrl+click its frame's name) to ungroup it.")
            return
        for gid in groups:
            if gid in self.editor.graph.groups:
                self.editor.push(ungroup(self.editor.graph, gid))

    def toggle_fold_selection(self) -> None:
        for gid in self.selected_groups():
            if gid in self.editor.graph.groups:
                self.scene.set_folded(gid, not self.editor.graph.groups[gid].folded)

    def group_repeated_pattern(self) -> None:
        """Find the other runs of the selected blocks' sequence; after asking, group each run (one undo step)."""
        graph, result = self.editor.graph, self.editor.result
        selection = self.selected_ids()
        found = repeats(graph, result, selection)
        if not found:
            self.editor.say("No other run of these blocks, in this order and wired the same way, was found.")
            return
        rank = {nid: i for i, nid in enumerate(result.order)}
        chosen = sorted(selection, key=lambda n: rank.get(n, len(rank)))
        runs = sorted([chosen, *found], key=lambda run: rank.get(run[0], 0))
        name = self.ask_group_repeats(len(runs), len(chosen))
        if name is None:
            return
        self.editor.push(group_repeats(graph, runs, name))
        self.editor.say(f"Grouped {len(runs)} runs as '{name} 1' … '{name} {len(runs)}'.")

    def copy(self) -> None:
        ids = set(self.selected_ids())
        if ids:
            clipboard.publish(self.editor.graph, ids)
            self.editor.say(f"Copied {len(ids)} block{'s' if len(ids) > 1 else ''}.")

    def cut(self) -> None:
        if self.selected_ids():
            self.copy()
            self.delete_selection()

    def paste(self) -> None:
        pasted = clipboard.from_mime(QGuiApplication.clipboard().mimeData())
        if pasted is None:
            self.editor.say("Nothing to paste: the clipboard holds no NetBuilder blocks.")
            return
        self._push_and_select(paste(self.editor.graph, pasted, PASTE_OFFSET))

    def duplicate(self) -> None:
        ids = set(self.selected_ids())
        if ids:
            self._push_and_select(paste(self.editor.graph, self.editor.graph.subgraph(ids), PASTE_OFFSET, "Duplicate"))

    def auto_arrange(self) -> None:
        graph = self.editor.graph
        moves = {
            nid: (graph.nodes[nid].position, pos)
            for nid, pos in arrange(graph).items()
            if graph.nodes[nid].position != pos
        }
        if moves:
            self.editor.push(move_nodes(graph, moves, "Auto-arrange", view_only=True))
        self.view.fit()

    def add_below_selection(self, entry: PaletteEntry) -> None:
        """Double-click in the palette: add under the selected block, wired in (inserted into its chain)."""
        selected = self.selected_ids()
        if entry.template:
            added = apply_template(self.editor, entry.template, selected[0] if len(selected) == 1 else None)
            for nid in added[-1:]:
                self.scene.select_only(nid)
            return
        if len(selected) != 1:
            center = self.view.mapToScene(self.view.viewport().rect().center())
            self.scene.drop_block(entry.block_type, center, entry.params)
            return
        self._push_and_select(add_below(self.editor.graph, selected[0], entry.block_type, entry.params))

    def open_quick_add(self, scene_pos: QPointF, source: str | None = None, where: tuple | None = None) -> None:
        """The quick-add popup at a canvas point; source: the block a dropped wire comes from; where: ("below" or
        "above", a block) or ("edge", a connection). Tab with one block selected adds below it, as double-click
        in the palette does."""
        selected = self.selected_ids()
        if where is None and source is None and len(selected) == 1:
            where = ("below", selected[0])
        self._quick_add_at = (scene_pos, source, where)
        graph = self.editor.graph
        after = source if source is not None else where[1] if where and where[0] == "below" else None
        after_type = graph.nodes[after].type if after in graph.nodes else None
        if where and where[0] == "edge":
            after_type = graph.nodes[where[1].src].type if where[1].src in graph.nodes else None
        self.quick_add.open_at(self.view.mapToGlobal(self.view.mapFromScene(scene_pos)), after_type)

    def _quick_add_chosen(self, entry: PaletteEntry) -> None:
        pos, source, where = self._quick_add_at
        graph = self.editor.graph
        if where is not None and where[0] in ("below", "above") and where[1] in graph.nodes:
            build = add_below if where[0] == "below" else add_above
            self._push_and_select(build(graph, where[1], entry.block_type, entry.params))
        elif where is not None and where[0] == "edge" and where[1] in graph.edges:
            node = self.scene.new_node(entry.block_type, pos, entry.params)
            self._push_and_select(insert_on_edge(graph, node, where[1]))
        else:
            node = self.scene.new_node(entry.block_type, pos, entry.params)
            self._push_and_select(add_wired(graph, node, source))
        for nid in self.selected_ids()[:1]:
            self.scene.select_only(nid)

    # The right-click menus -------------------------------------------------------------------------

    def show_context_menu(self, scene_pos: QPointF, global_pos: QPoint) -> QMenu:
        """The menu for what lies under the pointer, acting on it: a block (or card) is selected first unless it
        is already part of the selection; a connection is selected alone; empty canvas clears the selection."""
        hit = next(
            (i for i in self.scene.items(scene_pos) if isinstance(i, (NodeItem, GroupCard, EdgeItem, GroupFrame))),
            None,
        )
        if isinstance(hit, GroupFrame) and not hit.title_rect().contains(hit.mapFromScene(scene_pos)):
            hit = None
        where = "canvas" if hit is None else "edge" if isinstance(hit, EdgeItem) else "block"
        if hit is None:
            self.scene.clearSelection()
        elif not hit.isSelected() or isinstance(hit, EdgeItem):
            self.scene.clearSelection()
            hit.setSelected(True)
        self._context_pos = scene_pos
        menu = context_menu(self.action_table, self.installed, where, self)
        if not self.editor.graph.groups:  # folding is for groups: offered once there are some
            menu.removeAction(self.installed.actions["network.fold"])
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.context_menu = menu
        menu.popup(global_pos)
        return menu

    _context_pos = QPointF()
    context_menu: QMenu | None = None

    def insert_next_to(self, side: str) -> None:
        """Insert before/after…: quick-add for a block wired in above or below the selected one."""
        selected = self.selected_ids()
        if len(selected) != 1:
            self.editor.say("Select one block to insert a block next to it.")
            return
        item = self.scene.node_items[selected[0]]
        self.open_quick_add(item.sceneBoundingRect().center(), None, (side, selected[0]))

    def insert_on_selected_edge(self) -> None:
        edges = [e for e, item in self.scene.edge_items.items() if item.isSelected()]
        if len(edges) != 1:
            self.editor.say("Select one connection to insert a block on it.")
            return
        self.open_quick_add(self._context_pos, None, ("edge", edges[0]))

    def disconnect_selection(self) -> None:
        """Remove every connection of the selected blocks (one step)."""
        ids = set(self.selected_ids())
        edges = [e for e in self.editor.graph.edges if e.src in ids or e.dst in ids]
        if edges:
            self.editor.push(disconnect(self.editor.graph, edges))

    def show_properties(self) -> None:
        """The inspector, shown and raised, on the selected block, the keyboard in its first field (Escape comes
        back to the canvas)."""
        self.inspector_dock.show()
        self.inspector_dock.raise_()
        if not self.inspector.focus_first_field():
            self.inspector.setFocus()

    def _select_stepped(self, undone: bool) -> None:
        """After Ctrl+Z or redo: select the blocks the step brought back, or those a removed chain hung from, so
        that the next Tab adds where the user was (fold and arrange leave the selection as it is)."""
        stack = self.editor.undo_stack
        command = stack.command(stack.index() if undone else stack.index() - 1)
        if isinstance(command, Edit) and not command.view_only:
            chosen = command.to_select(self.editor.graph, undone)
            if chosen:
                self.scene.select_units(chosen)

    def show_getting_started(self) -> QDialog:
        dialog = help.GettingStarted(self)
        dialog.show()
        return dialog

    def show_about(self) -> QDialog:
        dialog = help.About(self, self.training.probe.info)
        dialog.show()
        return dialog
