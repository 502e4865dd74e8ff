"""The main window: palette, canvas, inspector, status bar, menus and the document's life cycle."""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import QPointF, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox

from netbuilder.core.document import Document, DocumentError, load, save
from netbuilder.core.graph import Edge, Graph, Node
from netbuilder.core.layout import ROW, arrange, descendants
from netbuilder.core.presets import list_presets
from netbuilder.core.shapes import Check
from netbuilder.core.summary import short
from netbuilder.train.errors import TrainError
from netbuilder.train.runs import Run
from netbuilder.ui import clipboard, theme
from netbuilder.ui.autosave import Autosave
from netbuilder.ui.commands import (
    add_blocks, add_node, connect, delete_blocks, disconnect, insert_on_edge, move_nodes,
)
from netbuilder.ui.editor import Editor
from netbuilder.ui.inspector import Inspector
from netbuilder.ui.interop import EXPORTS, ImportDialog, Interop, ask_export_path, confirm_user_code
from netbuilder.ui.items import NodeItem
from netbuilder.ui.palette import Entry, Palette
from netbuilder.ui.quick_add import QuickAdd
from netbuilder.ui.scene import CanvasScene
from netbuilder.ui.summary_dialog import SummaryDialog
from netbuilder.ui.paths import runs_dir
from netbuilder.ui.run_compare import show_comparison
from netbuilder.ui.training_dock import TrainingDock
from netbuilder.ui.view import CanvasView

MAX_RECENT = 8
FILTER = "NetBuilder networks (*.json)"


def new_document() -> Document:
    """A fresh network: just an Input block, ready for layers."""
    graph = Graph()
    graph.add_node(Node("input", "Input", {"shape": [3, 32, 32]}, (0.0, 0.0)))
    return Document(graph, "Untitled")


class MainWindow(QMainWindow):
    """One document per window. Dialogs go through ask_* / show_error so tests can answer them."""

    def __init__(self, document: Document, path: Path | None = None) -> None:
        super().__init__()
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
        # The palette and the inspector keep the window's full height; training sits under the canvas.
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.training = TrainingDock(self.editor, runs_dir())
        self.training_dock = self._dock("Training", self.training, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.training.runs.compare.connect(self.compare_runs)
        self.training.runs.reopen.connect(self.reopen_run)
        self.training.runs.chosen.connect(self.training.show_run)
        self.quick_add = QuickAdd(self)
        self._quick_add_at: tuple[QPointF, str | None] = (QPointF(), None)

        self.validity = QLabel()
        self.totals = QLabel()
        self.totals.setFont(theme.mono_font(9))
        self.statusBar().addPermanentWidget(self.totals)
        self.statusBar().addPermanentWidget(self.validity)

        self.autosave = Autosave(self.editor)
        self.interop = Interop(self, self._job_done)
        self._build_menus()
        self.editor.checked.connect(self._on_checked)
        self.editor.message.connect(self._show_message)
        self.editor.undo_stack.cleanChanged.connect(self._update_title)
        self.editor.replaced.connect(self._on_replaced)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.scene.quick_add_requested.connect(self._wire_dropped)
        self.view.quick_add_requested.connect(self.open_quick_add)
        self.palette.activated.connect(self.add_below_selection)
        self.quick_add.chosen.connect(self._quick_add_chosen)

        self.resize(1500, 950)
        self.resizeDocks([self.palette_dock, self.inspector_dock], [230, 340], Qt.Orientation.Horizontal)
        self.resizeDocks([self.training_dock], [290], Qt.Orientation.Vertical)
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
            self.restoreState(self.settings.value("window/state"))
        theme.set_mode(str(self.settings.value("view/theme", "system")))
        self._on_checked(self.editor.result)
        self._update_title()
        QTimer.singleShot(0, self.view.show_start)

    def _dock(self, title: str, widget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    # Menus ----------------------------------------------------------------------------------------

    def _action(self, menu, text: str, slot, shortcut=None, context=Qt.ShortcutContext.WindowShortcut) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            shortcuts = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
            action.setShortcutContext(context)
        action.triggered.connect(lambda _=False: slot())
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "&New", self.new_file, QKeySequence.StandardKey.New)
        self._action(file, "&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = file.addMenu("Open &Recent")
        self.presets_menu = file.addMenu("&Presets")
        for preset in list_presets():
            act = self._action(self.presets_menu, preset.name, lambda p=preset.path: self.open_file(p, as_copy=True))
            act.setToolTip(preset.description)
        self.presets_menu.setToolTipsVisible(True)
        self.presets_menu.addSeparator()
        self._action(self.presets_menu, "Import from torchvision…", lambda: self.import_model(torchvision_only=True))
        self._action(file, "&Import PyTorch model…", self.import_model)
        file.addSeparator()
        self._action(file, "&Save", self.save_file, QKeySequence.StandardKey.Save)
        self._action(file, "Save &As…", self.save_as, QKeySequence("Ctrl+Shift+S"))
        file.addSeparator()
        export = file.addMenu("&Export")
        for fmt, (title, _, _) in EXPORTS.items():
            self._action(export, f"{title}…", lambda f=fmt: self.export(f))
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        self._refresh_recent()

        edit = bar.addMenu("&Edit")
        undo = self.editor.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcuts([QKeySequence.StandardKey.Undo])
        redo = self.editor.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        edit.addAction(undo)
        edit.addAction(redo)
        edit.addSeparator()
        canvas = Qt.ShortcutContext.WidgetWithChildrenShortcut
        self.canvas_actions = [
            self._action(edit, "Cu&t", self.cut, QKeySequence.StandardKey.Cut, canvas),
            self._action(edit, "&Copy", self.copy, QKeySequence.StandardKey.Copy, canvas),
            self._action(edit, "&Paste", self.paste, QKeySequence.StandardKey.Paste, canvas),
            self._action(edit, "&Duplicate", self.duplicate, QKeySequence("Ctrl+D"), canvas),
            self._action(edit, "&Delete", self.delete_selection, [QKeySequence.StandardKey.Delete, QKeySequence("Backspace")], canvas),
            self._action(edit, "Select &All", self.select_all, QKeySequence.StandardKey.SelectAll, canvas),
        ]
        for action in self.canvas_actions:
            self.view.addAction(action)

        view = bar.addMenu("&View")
        self._action(view, "Fit to &view", self.view.fit, QKeySequence("F"), canvas)
        self._action(view, "Zoom &in", lambda: self.view.zoom_by(1.25), [QKeySequence("Ctrl++"), QKeySequence("Ctrl+=")])
        self._action(view, "Zoom &out", lambda: self.view.zoom_by(0.8), QKeySequence("Ctrl+-"))
        self._action(view, "Actual &size", lambda: self.view.zoom_by(1 / self.view.zoom()), QKeySequence("Ctrl+0"))
        self._action(view, "Auto-&arrange", self.auto_arrange, QKeySequence("L"), canvas)
        for action in view.actions():
            self.view.addAction(action)
        themes = view.addMenu("&Theme")
        group = QActionGroup(self)
        current = str(self.settings.value("view/theme", "system"))
        for mode in theme.MODES:
            act = self._action(themes, mode.capitalize(), lambda m=mode: self.set_theme(m))
            act.setCheckable(True)
            act.setChecked(mode == current)
            group.addAction(act)
        self.theme_actions = group
        view.addSeparator()
        view.addAction(self.palette_dock.toggleViewAction())
        view.addAction(self.inspector_dock.toggleViewAction())
        view.addAction(self.training_dock.toggleViewAction())

        network = bar.addMenu("&Network")
        self._action(network, "Model &summary…", self.show_summary, QKeySequence("Ctrl+I"))

        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    # Status and title -----------------------------------------------------------------------------

    def _on_checked(self, result: Check) -> None:
        errors = result.errors
        if result.valid:
            self.validity.setText("✓ valid network")
            self.validity.setStyleSheet("color: #2e7d32; font-weight: bold;")
            self.validity.setToolTip("")
        else:
            self.validity.setText(f"✗ {len(errors)} error{'s' if len(errors) != 1 else ''}")
            self.validity.setStyleSheet(f"color: {theme.ERROR.name()}; font-weight: bold;")
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
        self.view.viewport().update()

    def _show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _update_title(self, *_: object) -> None:
        name = self.editor.path.name if self.editor.path else self.editor.document.name
        self.setWindowTitle(f"{name}[*] — NetBuilder")
        self.setWindowModified(not self.editor.undo_stack.isClean())

    def _on_replaced(self) -> None:
        self._update_title()
        QTimer.singleShot(0, self.view.show_start)

    def _selection_changed(self) -> None:
        if not shiboken6.isValid(self.scene) or not shiboken6.isValid(self.inspector):
            return  # the window is being torn down and the scene drops its selection
        selected = self.selected_ids()
        self.inspector.show_node(selected[0] if len(selected) == 1 else None)

    def selected_ids(self) -> list[str]:
        """Selected blocks in document order."""
        ids = {i.node_id for i in self.scene.selectedItems() if isinstance(i, NodeItem)}
        return [nid for nid in self.editor.graph.nodes if nid in ids]

    # Files ----------------------------------------------------------------------------------------

    def ask_save(self) -> QMessageBox.StandardButton:
        """Save, Discard or Cancel for unsaved changes."""
        return QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {self.windowTitle().split('[*]')[0]}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        )

    def show_error(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)

    def ask_path(self, save: bool) -> Path | None:
        folder = str(self.settings.value("files/last_folder", str(Path.home())))
        if save:
            name, _ = QFileDialog.getSaveFileName(self, "Save network", folder, FILTER)
        else:
            name, _ = QFileDialog.getOpenFileName(self, "Open network", folder, FILTER)
        return Path(name) if name else None

    def _may_discard(self) -> bool:
        if self.editor.undo_stack.isClean():
            return True
        answer = self.ask_save()
        if answer == QMessageBox.StandardButton.Save:
            return self.save_file()
        return answer == QMessageBox.StandardButton.Discard

    def new_file(self) -> None:
        if self._may_discard():
            self.editor.replace(new_document(), None)

    def open_dialog(self) -> None:
        path = self.ask_path(save=False)
        if path is not None:
            self.open_file(path)

    def open_file(self, path: Path, as_copy: bool = False) -> bool:
        """Open a file; a malformed one is refused with its sentence and the current document stays."""
        if not self._may_discard():
            return False
        try:
            doc = load(path)
        except DocumentError as e:
            self.show_error("Cannot open this file", str(e))
            return False
        self.editor.replace(doc, None if as_copy else Path(path))
        if not as_copy:
            self._remember(Path(path))
        return True

    def save_file(self) -> bool:
        if self.editor.path is None:
            return self.save_as()
        return self._write(self.editor.path)

    def save_as(self) -> bool:
        path = self.ask_path(save=True)
        if path is None:
            return False
        if path.suffix != ".json":
            path = path.with_suffix(".json")
        if self._write(path):
            self.editor.path = path
            self._remember(path)
            self._update_title()
            return True
        return False

    def _write(self, path: Path) -> bool:
        try:
            save(self.editor.document, path)
        except (OSError, DocumentError) as e:
            self.show_error("Cannot save", f"{path}: {getattr(e, 'strerror', None) or e}")
            return False
        self.editor.undo_stack.setClean()
        self.editor.say(f"Saved {path}.")
        return True

    def _remember(self, path: Path) -> None:
        recent = [p for p in self._recent() if p != str(path.resolve())]
        self.settings.setValue("files/recent", [str(path.resolve())] + recent[: MAX_RECENT - 1])
        self.settings.setValue("files/last_folder", str(path.resolve().parent))
        self._refresh_recent()

    def _recent(self) -> list[str]:
        value = self.settings.value("files/recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for p in self._recent():
            self._action(self.recent_menu, p, lambda p=p: self.open_file(Path(p)))
        self.recent_menu.setEnabled(bool(self._recent()))

    def offer_recovery(self) -> None:
        """After a crash, offer the autosaved document back."""
        pending = self.autosave.pending()
        if pending is None:
            return
        doc, path = pending
        if self.ask_restore(path):
            self.editor.replace(doc, path)
            # Restored work is unsaved work: mark it modified until the user saves.
            self.editor.undo_stack.resetClean()
            self._update_title()
        else:
            self.autosave.discard()

    def ask_restore(self, path: Path | None) -> bool:
        where = f" of {path.name}" if path else ""
        answer = QMessageBox.question(
            self, "Restore unsaved work?",
            f"NetBuilder did not close properly last time. Restore the unsaved version{where}?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def ask_stop_training(self) -> bool:
        answer = QMessageBox.question(self, "A network is training",
                                      "Stop the training run and close? Its last finished epoch is kept.")
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.training.running() and not self.ask_stop_training():
            event.ignore()
            return
        if not self._may_discard():
            event.ignore()
            return
        self.training.shutdown()
        self.training.probe.stop()
        self.autosave.discard()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        event.accept()

    def ask_export(self, fmt: str) -> Path | None:
        return ask_export_path(self, fmt, str(self.settings.value("files/last_folder", str(Path.home()))))

    def ask_import(self, torchvision_only: bool) -> list[str] | None:
        dialog = ImportDialog(self, torchvision_only)
        if dialog.exec() != ImportDialog.DialogCode.Accepted:
            return None
        args = dialog.args()
        return args if args[0] and confirm_user_code(self, args[0]) else None

    def _job_done(self, ok: bool, message: str) -> None:
        if ok:
            self.editor.say(message)
        else:
            self.show_error("That did not work", message)

    def export(self, fmt: str) -> None:
        """Export the network as it is now; refused (with the check's sentences) when it has errors."""
        if not self.editor.result.valid:
            self.show_error("Cannot export this network", "Fix its errors first: " + " ".join(self.editor.result.errors))
            return
        path = self.ask_export(fmt)
        if path is not None:
            self.editor.say(f"Exporting {EXPORTS[fmt][0]} to {path}…")
            self.interop.export(self.editor.document, fmt, path)

    def import_model(self, torchvision_only: bool = False) -> None:
        args = self.ask_import(torchvision_only)
        if args is not None:
            self.editor.say(f"Importing {args[0]}…")
            self.interop.import_model(args, lambda path: self.open_file(path, as_copy=True))

    def compare_runs(self, a: Run, b: Run) -> None:
        show_comparison(self, a, b)

    def reopen_run(self, run: Run) -> None:
        """Open the network a run trained, as an unsaved copy."""
        try:
            document = run.document
        except TrainError as e:
            self.show_error("Cannot open this run's network", str(e))
            return
        if self._may_discard():
            self.editor.replace(document, None)

    def show_summary(self) -> None:
        SummaryDialog(self.editor.document, self.editor.result, self).exec()

    # Editing --------------------------------------------------------------------------------------

    def delete_selection(self) -> None:
        ids = self.selected_ids()
        edges = [e for e, item in self.scene.edge_items.items() if item.isSelected()]
        graph = self.editor.graph
        if ids:
            self.editor.push(delete_blocks(graph, ids))
        elif edges:
            self.editor.push(disconnect(graph, edges))

    def select_all(self) -> None:
        for item in self.scene.node_items.values():
            item.setSelected(True)

    def copy(self) -> None:
        ids = set(self.selected_ids())
        if ids:
            clipboard.publish(self.editor.graph, ids)
            self.editor.say(f"Copied {len(ids)} block{'s' if len(ids) > 1 else ''}.")

    def cut(self) -> None:
        if self.selected_ids():
            self.copy()
            self.delete_selection()

    def paste(self, offset: tuple[float, float] = (40.0, 40.0)) -> None:
        pasted = clipboard.from_mime(QGuiApplication.clipboard().mimeData())
        if pasted is None:
            self.editor.say("Nothing to paste: the clipboard holds no NetBuilder blocks.")
            return
        nodes, edges = clipboard.placed_copy(self.editor.graph, pasted, offset)
        self.editor.push(add_blocks(self.editor.graph, nodes, edges, f"Paste {len(nodes)} blocks"))
        self.scene.clearSelection()
        for node in nodes:
            self.scene.node_items[node.id].setSelected(True)

    def duplicate(self) -> None:
        ids = set(self.selected_ids())
        if not ids:
            return
        nodes, edges = clipboard.placed_copy(self.editor.graph, self.editor.graph.subgraph(ids), (40.0, 40.0))
        self.editor.push(add_blocks(self.editor.graph, nodes, edges, f"Duplicate {len(nodes)} blocks"))
        self.scene.clearSelection()
        for node in nodes:
            self.scene.node_items[node.id].setSelected(True)

    def auto_arrange(self) -> None:
        graph = self.editor.graph
        moves = {nid: (graph.nodes[nid].position, pos) for nid, pos in arrange(graph).items()
                 if graph.nodes[nid].position != pos}
        if moves:
            self.editor.push(move_nodes(graph, moves, "Auto-arrange"))
        self.view.fit()

    def add_below_selection(self, entry: Entry) -> None:
        """Double-click in the palette: add under the selected block, wired in (inserted into its chain)."""
        graph = self.editor.graph
        selected = self.selected_ids()
        if len(selected) != 1:
            center = self.view.mapToScene(self.view.viewport().rect().center())
            self.scene.drop_block(entry.block_type, center, entry.params)
            return
        above = graph.nodes[selected[0]]
        x, y = above.position or (0.0, 0.0)
        node = Node(self.scene.new_node(entry.block_type, QPointF(), entry.params).id, entry.block_type,
                    dict(entry.params), (x, y + ROW))
        outs = graph.out_edges(above.id)
        self.editor.undo_stack.beginMacro(f"Add {entry.block_type} under '{above.id}'")
        reached = descendants(graph, above.id)
        below = {nid: (n.position, (n.position[0], n.position[1] + ROW)) for nid, n in graph.nodes.items()
                 if n.position and n.position[1] > y and nid in reached}
        if below:
            self.editor.push(move_nodes(graph, below, "Make room"))
        if len(outs) == 1:
            self.editor.push(insert_on_edge(graph, node, outs[0]))
        else:
            self.editor.push(add_node(graph, node))
            if graph.connect_refusal(above.id, node.id, 0) is None:
                self.editor.push(connect(graph, Edge(above.id, node.id, 0)))
        self.editor.undo_stack.endMacro()
        self.scene.clearSelection()
        self.scene.node_items[node.id].setSelected(True)

    def open_quick_add(self, scene_pos: QPointF, source: str | None = None) -> None:
        self._quick_add_at = (scene_pos, source)
        self.quick_add.open_at(self.view.mapToGlobal(self.view.mapFromScene(scene_pos)))

    def _wire_dropped(self, scene_pos: QPointF, source: str) -> None:
        self.open_quick_add(scene_pos, source)

    def _quick_add_chosen(self, entry: Entry) -> None:
        pos, source = self._quick_add_at
        graph = self.editor.graph
        node = self.scene.new_node(entry.block_type, pos, entry.params)
        if source is None or source not in graph.nodes:
            self.editor.push(add_node(graph, node))
            return
        self.editor.undo_stack.beginMacro(f"Add {entry.block_type} '{node.id}'")
        self.editor.push(add_node(graph, node))
        if graph.connect_refusal(source, node.id, 0) is None:
            self.editor.push(connect(graph, Edge(source, node.id, 0)))
        self.editor.undo_stack.endMacro()
