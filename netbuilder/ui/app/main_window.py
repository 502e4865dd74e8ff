"""The main window: palette, canvas, inspector and training docks, the status bar, and the wiring between them.
Its menus and shortcuts come from one table (menus.py, installed by actions.py), its files from DocumentFiles, its
canvas edits from CanvasController (canvas/controller.py), its dialogs from Questions."""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import QRect, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QPainter
from PySide6.QtWidgets import QDialog, QDockWidget, QLabel, QMainWindow, QProxyStyle, QStyle, QStyleOption, QWidget

from netbuilder.core.check.shapes import Check
from netbuilder.core.check.summary import short
from netbuilder.core.document import Document
from netbuilder.core.initial import InitError
from netbuilder.records.config import as_saved
from netbuilder.records.runs import Run
from netbuilder.records.train_error import TrainError
from netbuilder.ui import theme
from netbuilder.ui.app import help
from netbuilder.ui.app.actions import ShortcutSheet, install, shortcut_rows
from netbuilder.ui.app.autosave import Autosave
from netbuilder.ui.app.document_files import DocumentFiles
from netbuilder.ui.app.interop import EXPORTS, InitialWeights, Interop
from netbuilder.ui.app.menus import action_table, right_click_menu
from netbuilder.ui.app.questions import Questions
from netbuilder.ui.app.window_place import arrange_corners, place_default, restore, spans_bottom
from netbuilder.ui.canvas.canvas_hint import CanvasHint
from netbuilder.ui.canvas.controller import CanvasController
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.inspector import Inspector
from netbuilder.ui.canvas.items import NodeItem
from netbuilder.ui.canvas.palette import Palette
from netbuilder.ui.canvas.scene import CanvasScene
from netbuilder.ui.canvas.view import CanvasView
from netbuilder.ui.inside.look_inside import LookInside
from netbuilder.ui.inside.summary_dialog import SummaryDialog
from netbuilder.ui.inside.volumes_view import VolumesView
from netbuilder.ui.paths import runs_dir
from netbuilder.ui.training.health_view import attach as attach_health
from netbuilder.ui.training.run_compare import show_comparison
from netbuilder.ui.training.training_dock import TrainingDock

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
    """One document per window. It assembles and wires; its canvas controller edits, and every dialog goes through
    its questions, where tests answer them."""

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
        self.questions = Questions(self)
        self.canvas = CanvasController(
            self.editor, self.scene, self.view, self.questions, lambda where: right_click_menu(self, where), self
        )

        self.validity = QLabel()
        self.totals = QLabel()
        self.totals.setFont(theme.mono_font(9))
        self.statusBar().addPermanentWidget(self.totals)
        self.statusBar().addPermanentWidget(self.validity)

        self.autosave = Autosave(self.editor)
        self.files = DocumentFiles(self.editor, self.settings, self.autosave, self.questions)
        self.interop = Interop(self, self._job_done)
        self.weights = InitialWeights(self.editor, self.scene.node_items, self.interop)  # the blocks' W badges
        self.inspector.weights_text = self.weights.block_text
        self.weights.shown.connect(self.inspector.refresh)
        self.action_table = action_table(self, self.canvas)
        self.installed = install(self, self.view, self.action_table)
        self.recent_menu = self.installed.menus["&File/Open &Recent"]
        self.presets_menu = self.installed.menus["&File/&Presets"]
        self.theme_actions = self.installed.actions["view.theme.system"].actionGroup()
        self._refresh_recent()

        self.files.changed.connect(self._refresh_recent)
        self.files.changed.connect(self._update_title)
        self.editor.checked.connect(self._on_checked)
        self.editor.message.connect(self._show_message)
        self.editor.modified_changed.connect(self._update_title)
        self.editor.replaced.connect(self._on_replaced)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.palette.activated.connect(self.canvas.add_below_selection)
        self.training.runs.compare.connect(self.compare_runs)
        self.training.runs.reopen.connect(self.reopen_run)
        self.training.search.open_network.connect(self.files.open_document)
        self.training.runs.chosen.connect(self.training.show_run)
        self.look_inside.step_to.connect(self.scene.reveal)  # select and centre
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
        trained, total = result.trainable_params, result.total_params
        params = f"{short(total)} params" if trained == total else f"{short(trained)} of {short(total)} trainable"
        self.totals.setText(f"{params} · {short(result.total_macs)} MACs")

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
        groups = self.canvas.selected_groups()
        blocks = [i for i in self.scene.selectedItems() if isinstance(i, NodeItem)]
        if len(blocks) == 1 and shiboken6.isValid(self.look_inside):
            self.look_inside.set_block(blocks[0].node_id)
        if len(groups) == 1 and not blocks:
            self.inspector.show_group(groups[0])
            return
        selected = self.canvas.selected_ids()
        self.inspector.show_node(selected[0] if len(selected) == 1 and not groups else None)

    def open_in_look_inside(self, path: str) -> None:
        """Show an image (a prediction's) in Look inside, under the newest run's weights when none are chosen."""
        self.look_inside_dock.show()
        self.look_inside_dock.raise_()
        self.look_inside.refresh_runs()
        if self.look_inside.weights.currentIndex() == 0 and self.look_inside.weights.count() > 1:
            self.look_inside.weights.setCurrentIndex(1)
        self.look_inside.choose_file(path)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if (self.training.running() and not self.questions.ask_stop_training()) or not self.files.may_discard():
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
            self.questions.show_error("That did not work", message)

    def export(self, fmt: str) -> None:
        """Export the network as it is now; refused (with the check's sentences) when it has errors."""
        if not self.editor.result.valid:
            errors = " ".join(self.editor.result.errors)
            self.questions.show_error("Cannot export this network", f"Fix its errors first: {errors}")
            return
        path = self.questions.ask_export(fmt, self.files.save_proposal())
        if path is not None:
            self.editor.say(f"Exporting {EXPORTS[fmt][0]} to {path}…")
            self.interop.export(self.editor.document, fmt, path)

    def import_model(self, torchvision_only: bool = False) -> None:
        args = self.questions.ask_import(torchvision_only)
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

    def new_from_run(self) -> None:
        """File → New from run…: a run's network, starting from its trained weights, as unsaved work."""
        folder = self.questions.ask_run_folder(str(runs_dir()))
        if folder is not None:
            self.reopen_run(Run(folder), with_weights=True)

    def reopen_run(self, run: Run, with_weights: bool = False) -> None:
        """Open the network a run trained, with the settings it trained with (and its trained weights as initial
        weights), as an unsaved copy."""
        try:
            document = Run.open(run.path).document
            document.training = as_saved(run.config)
            document.init = run.initial_weights() if with_weights else document.init
        except (TrainError, InitError) as e:
            self.questions.show_error("Cannot open this run's network", str(e))
            return
        self.files.open_document(document)

    def show_summary(self) -> None:
        SummaryDialog(self.editor.document, self.editor.result, self).open()  # deletes itself on close

    def show_properties(self) -> None:
        """The inspector, shown and raised, on the selected block, the keyboard in its first field (Escape comes
        back to the canvas)."""
        self.inspector_dock.show()
        self.inspector_dock.raise_()
        if not self.inspector.focus_first_field():
            self.inspector.setFocus()

    def show_getting_started(self) -> QDialog:
        dialog = help.GettingStarted(self)
        dialog.show()
        return dialog

    def show_about(self) -> QDialog:
        dialog = help.About(self, self.training.probe.info)
        dialog.show()
        return dialog
