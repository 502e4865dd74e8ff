"""The training dock: settings, Start/Stop and progress on the left; Curves, Evaluation and Runs tabs on the
right. Layout and wiring only: the form is settings_form, the run is run_controller's, overlaid runs' curves
come from run_series."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QProxyStyle,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from netbuilder.core.blocks import INPUT
from netbuilder.core.check.shapes import Check
from netbuilder.core.document import Document
from netbuilder.core.graph import Node
from netbuilder.records import datasets
from netbuilder.records.config import TrainConfig
from netbuilder.records.events import BatchMetrics, EpochMetrics, Evaluated, Failed, Finished, Started
from netbuilder.records.lr_results import LRFound, LRProgress
from netbuilder.records.memory import MemoryEstimate, available_ram, estimate, fmt_bytes, refusal
from netbuilder.records.report import duration
from netbuilder.records.runs import Run, new_path
from netbuilder.records.train_error import TrainError
from netbuilder.ui import theme
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.undo import set_params
from netbuilder.ui.training.curves import CurvesPanel
from netbuilder.ui.training.device_probe import DeviceProbe
from netbuilder.ui.training.evaluation import EvaluationView
from netbuilder.ui.training.lr_find_view import LRFindView, fmt_lr
from netbuilder.ui.training.run_controller import RunController
from netbuilder.ui.training.run_series import SeriesCache, color_for
from netbuilder.ui.training.runs_view import RunsView
from netbuilder.ui.training.search_view import SearchView
from netbuilder.ui.training.series import RunSeries
from netbuilder.ui.training.settings_form import SettingsForm

MIN_PAGE_HEIGHT = 80  # a tab page's least height; taller contents scroll inside it
TAB_PADDING = 10  # px around a tab's name (Fusion's 24 left the six names too wide for the 1280×800 dock)
PROBE_DELAY_MS = 1500  # after the first paint: the probe's process imports torch, which competes for the CPU


def progress_texts(epoch: int, epochs: int, step: int, steps: int, images_per_s: float, eta: float) -> list[str]:
    """epoch 3/30 · step 120/196 · 2,400 img/s · ETA 1:12, then shorter forms for a narrower bar."""
    run, left = f"epoch {epoch}/{epochs}", f"ETA {duration(max(0, eta))}"
    return [
        f"{run} · step {step}/{steps} · {images_per_s:,.0f} img/s · {left}",
        f"{run} · step {step}/{steps} · {left}",
        f"{run} · {left}",
        left,
    ]


class CompactTabs(QProxyStyle):
    """Tabs with TAB_PADDING px around their names, not Fusion's 24."""

    def pixelMetric(self, metric: QStyle.PixelMetric, option=None, widget=None) -> int:  # noqa: N802 (Qt's name)
        if metric == QStyle.PixelMetric.PM_TabBarTabHSpace:
            return TAB_PADDING
        return super().pixelMetric(metric, option, widget)


class Tabs(QTabWidget):
    """Curves, Evaluation and Runs, each in a scroll area: what a page needs never sets the dock's height, so
    choosing a tab leaves the dock (and the canvas above it) the size the user gave it. setCurrentWidget and
    currentWidget speak of the pages' contents, not of their scroll areas. Every tab's whole name shows, never
    elided, in a window of 1280×800 or more; only a narrower one scrolls the tabs with arrows (the tabs' whole
    width as the dock's least width would make the window's too wide to tile on half a screen)."""

    def __init__(self) -> None:
        super().__init__()
        self.compact = CompactTabs("Fusion")  # kept: a widget does not own its style
        self.tabBar().setStyle(self.compact)
        self.tabBar().setElideMode(Qt.TextElideMode.ElideNone)

    def add(self, widget: QWidget, title: str) -> None:
        page = QScrollArea()
        page.setWidgetResizable(True)
        page.setFrameShape(QScrollArea.Shape.NoFrame)
        page.setWidget(widget)
        page.setMinimumHeight(MIN_PAGE_HEIGHT)
        self.addTab(page, title)

    def setCurrentWidget(self, widget: QWidget) -> None:  # noqa: N802
        for i in range(self.count()):
            page = self.widget(i)
            if page is widget or (isinstance(page, QScrollArea) and page.widget() is widget):
                self.setCurrentIndex(i)
                return

    def currentWidget(self) -> QWidget:  # noqa: N802
        page = super().currentWidget()
        return page.widget() if isinstance(page, QScrollArea) else page


class TrainingDock(QWidget):
    """Start a run of the open network, watch it, evaluate it, compare it with earlier ones."""

    run_finished = Signal(object)  # the last event, Finished or Failed
    runs_changed = Signal()  # a run or a search trial ended: lists of runs read the runs folder again
    look_inside = Signal(str)  # an image (of Predict… or dropped on Evaluation) to open in Look inside

    def __init__(self, editor: Editor, runs_root: Path) -> None:
        super().__init__()
        self.editor, self.runs_root = editor, runs_root
        self.live: RunSeries | None = None
        self.snapshot: Document | None = None
        self.run_document: Document | None = None  # the open document when the run (or lr search) started
        self.started_at = 0.0
        self.epochs = 1
        self.latest: BatchMetrics | None = None  # the newest batch metrics, shown by _show_progress
        self.latest_elapsed = 0.0
        self.anyway = False  # the next Start goes ahead although the memory estimate does not fit
        self.series = SeriesCache()

        self.settings = SettingsForm()
        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.find_lr_button = QPushButton("Find learning rate")
        self.find_lr_button.setToolTip(
            "Train for up to 100 steps while the learning rate rises from 1e-7 to 10, and suggest the rate where "
            "the loss falls fastest (the weights are not kept)"
        )
        self.progress = QProgressBar()
        self.status = QLabel("Ready.", wordWrap=True, objectName="status")
        self.snapshot_note = QLabel(wordWrap=True)
        self.snapshot_note.setStyleSheet("color: #0072B2;")
        self.snapshot_note.hide()
        left = QWidget()
        box = QVBoxLayout(left)
        # Start/Stop and the progress bar first: nothing above them changes when a run starts, so they stay
        # where the mouse left them (the status and the snapshot note below grow and shrink).
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button, 1)
        buttons.addWidget(self.stop_button, 1)
        buttons.addWidget(self.find_lr_button, 2)  # in the same row: the compact dock stays short
        box.addLayout(buttons)
        box.addWidget(self.progress)
        box.addWidget(self.status)
        box.addWidget(self.snapshot_note)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.settings)
        box.addWidget(self.scroll, 1)

        self.curves = CurvesPanel()
        self.evaluation = EvaluationView()
        self.runs = RunsView(runs_root)
        self.lr_find = LRFindView()
        self.tabs = Tabs()
        self.tabs.add(self.curves, "Curves")
        self.tabs.add(self.evaluation, "Evaluation")
        self.tabs.add(self.runs, "Runs")
        self.tabs.add(self.lr_find, "Learning rate")
        self.settings.enable_search(editor)
        self.search = SearchView(editor, runs_root, lambda: self.settings.config())
        self.tabs.add(self.search, "Search")
        self.splitter = QSplitter()
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 3)
        left.setMinimumWidth(300)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self.controller = RunController(self)
        self.controller.started.connect(self._started)
        self.controller.event.connect(self.handle)
        self.controller.polled.connect(self._show_progress)
        self.controller.finished.connect(self.handle)
        self.controller.failed.connect(self.handle)
        self.controller.lr_progress.connect(self._lr_progress)
        self.controller.lr_found.connect(self._lr_found)
        self.controller.lr_failed.connect(self._lr_failed)
        self.find_lr_button.clicked.connect(self.find_lr)
        self.lr_find.use.connect(self.use_lr)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.settings.changed.connect(self.refresh_checks)
        self.settings.fix_input.clicked.connect(self._fix_input)
        self.runs.overlay.connect(self._overlay)
        self.search.trial_done.connect(self.runs_changed)
        self.runs_changed.connect(self.runs.refresh)
        self.runs.predict.connect(self.predict_with)
        self.evaluation.look_inside.connect(self.look_inside)
        self.editor.checked.connect(self.refresh_checks)
        self.editor.replaced.connect(self._document_replaced)
        self.probe = DeviceProbe(self)
        self.probe.found.connect(self._device_found)
        self.probe.start_after_paint(self, PROBE_DELAY_MS)
        self.show_settings()

    @property
    def runner(self) -> Any:
        """The run in progress (train.runner.Runner), or None."""
        return self.controller.runner

    def running(self) -> bool:
        return self.controller.running()

    # Settings ---------------------------------------------------------------------------------

    def show_settings(self) -> None:
        """The open document's settings: those saved with it, the others good ones for its network (the recipe),
        so that Start needs no tuning."""
        problem = self.settings.show_document()
        if problem:
            self.show_failure(problem)
        self.refresh_checks()

    def _document_replaced(self) -> None:
        """Another document: its settings, and nothing left of the one before in the views that belong to a
        document or to its last run (the evaluation, the learning-rate curve, the finished run's curve and
        sentence; the Health tab and the canvas marks clear themselves, health_view). A run still going keeps
        its progress and curve: it trains a snapshot of the document before (the note says so)."""
        self.lr_find.clear()
        self.evaluation.clear()
        if not self.running():
            self.live = None
            self._overlay(self.runs.checked())
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.status.setText("Ready.")
            self.status.setStyleSheet("")
        self.show_settings()

    def run_is_open(self) -> bool:
        """Whether the run in progress (or the last one) was started from the document open now."""
        return self.run_document is not None and self.run_document is self.editor.document

    def _device_found(self, text: str) -> None:
        precision = (self.probe.info or {}).get("precision")
        if precision:  # what precision auto becomes there (bf16 on a CPU that computes in bf16 natively)
            text += f" · precision auto: {precision}"
        self.settings.device_info.setText(text)
        self.refresh_checks()

    def input_node(self) -> Node | None:
        return next((n for n in self.editor.graph.nodes.values() if n.type == INPUT.name), None)

    def input_shape(self) -> tuple[int, ...] | None:
        node = self.input_node()
        return self.editor.result.nodes[node.id].output_shape if node is not None else None

    def refresh_checks(self, *_: object) -> None:
        """The dataset against the Input block, and the memory the run would need against the device's."""
        form = self.settings
        try:
            config = form.config()
        except TrainError as e:
            form.fit.setText(str(e))
            return
        info = datasets.info(config.dataset)
        shape = self.input_shape()
        problem = output_problem = None
        if shape is not None and info.shape is not None:
            problem = datasets.input_problem(info.shape, shape, config.resize or info.adapts, info.title)
        names = datasets.subset(info.classes, config.class_ids, info.title)  # the classes a run would score
        if problem is None and names is not None and self.editor.result.valid:
            result = self.editor.result
            output_problem = datasets.output_problem(result.nodes[result.output].output_shape, len(names), info.title)
        fits = f"{info.title} fits the Input block ({'×'.join(map(str, shape))})." if shape else ""
        form.fit.setText(problem or output_problem or fits)
        form.fit.setStyleSheet(theme.status_style("error", bold=False) if problem or output_problem else "")
        target = info.shape if info.shape is not None else None
        offer = problem is not None and target is not None and shape is not None and tuple(target) != tuple(shape)
        problem = problem or output_problem
        form.fix_input.setVisible(offer)
        if offer:
            form.fix_input.setText(f"Set the Input to {list(target)}")
        self.anyway = False
        self.start_button.setText("Start")
        result: Check = self.editor.result
        if result.valid:
            need = self.need(config).total
            form.memory.setText(
                f"≈ {fmt_bytes(need)} for weights, gradients, optimizer state and activations at "
                f"batch {config.batch_size}" + self.probe.compare(need)
            )
        else:
            first = result.errors[0] if result.errors else ""
            form.memory.setText(f"The network has errors; fix them to train it. {first}".strip())
        self.start_button.setEnabled(not self.running() and result.valid and problem is None)
        self.find_lr_button.setEnabled(self.start_button.isEnabled())

    def need(self, config: TrainConfig) -> MemoryEstimate:
        """The memory estimate of a run of the open network with config (auto precision as the probe found it
        for the auto device)."""
        auto = (self.probe.info or {}).get("precision") if config.device == "auto" else None
        mixed = config.precision in ("bf16", "fp16") or (config.precision == "auto" and auto in ("bf16", "fp16"))
        return estimate(self.editor.result, config.batch_size, config.optimizer, config.momentum, mixed, 0)

    def memory_refusal(self, config: TrainConfig) -> str | None:
        """The sentence refusing a run that needs more than its device has free (GPUs as the probe found them,
        the computer's RAM otherwise); None when it fits or the free memory is unknown. No torch here."""
        info = self.probe.info or {}
        gpus = info.get("cuda") or []
        device = config.device
        if device.startswith("cuda") or (device == "auto" and gpus):
            index = int(device.partition(":")[2] or 0)
            free, where = (gpus[index]["free"] if index < len(gpus) else None), "GPU"
        else:
            free = available_ram() if device == "cpu" or not info.get("mps") else None
            where = "computer"
        return refusal(self.need(config), config.batch_size, free, where, "click Start anyway")

    def _fix_input(self) -> None:
        info = datasets.info(self.settings.dataset_key())
        node = self.input_node()
        if info.shape is not None and node is not None:
            self.editor.push(set_params(self.editor.graph, node.id, {**node.params, "shape": list(info.shape)}))

    # The run ----------------------------------------------------------------------------------

    def _form_config(self) -> TrainConfig | None:
        """The form's settings, or None (its sentence shown) when they are invalid or a run is going."""
        if self.running():
            return None
        try:
            return self.settings.config()
        except TrainError as e:
            self.show_failure(str(e))
            return None

    def _document_now(self) -> Document:
        """A copy of the open network, as a run takes it (later edits change the document, not the run): its
        initial weights and settings too."""
        return self.editor.document.snapshot()

    def start(self) -> None:
        config = self._form_config()
        if config is None:
            return
        problem = None if self.anyway else self.memory_refusal(config)
        if problem:
            self.show_failure(problem)
            self.anyway = True
            self.start_button.setText("Start anyway")
            return
        self.snapshot = self._document_now()
        self.run_document = self.editor.document
        self.epochs = config.epochs
        force, self.anyway = self.anyway, False
        self.controller.start(self.snapshot, config, new_path(self.runs_root, self.run_name()), force)

    # The learning-rate search ------------------------------------------------------------------

    def find_lr(self) -> None:
        """The learning-rate range test of the open network with the form's settings, in a child process."""
        config = self._form_config()
        if config is None:
            return
        problem = self.memory_refusal(config)
        if problem:
            self.show_failure(problem.replace("click Start anyway", "lower the batch size"))
            return
        self.controller.find_lr(self._document_now(), config)
        self.run_document = self.editor.document
        self.start_button.setEnabled(False)
        self.find_lr_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.progress.setFormat("%p%")
        self.status.setText(
            f"Finding the learning rate: {config.optimizer}, batch {config.batch_size}, the rate rising from 1e-7 "
            f"to 10 (loading the data and building the network first)…"
        )
        self.status.setStyleSheet("")
        self.lr_find.clear("Searching: the curve appears when the search ends.")
        self.tabs.setCurrentWidget(self.lr_find)

    def _lr_progress(self, event: LRProgress) -> None:
        self.progress.setRange(0, event.steps)
        self.progress.setValue(event.step)
        lr, step = f"learning rate {fmt_lr(event.lr)}", f"step {event.step}/{event.steps}"
        texts = [f"{lr} · {step} · loss {event.loss:.3f}", f"{lr} · {step}", step]
        self.progress.setFormat(theme.fitting(self.progress, texts))

    def _lr_found(self, found: LRFound) -> None:
        self._lr_end(done=True)
        if not self.run_is_open():
            self.status.setText("The learning-rate search of the network open before ended; run it again here.")
            self.status.setStyleSheet("")
            return
        self.lr_find.show_result(found)
        self.tabs.setCurrentWidget(self.lr_find)
        self.status.setText(
            f"Suggested learning rate {fmt_lr(found.suggested)} (the steepest descent of the loss); click "
            f"Use {fmt_lr(found.suggested)} on the Learning rate tab to set it."
        )
        self.status.setStyleSheet("")

    def _lr_failed(self, failed: Failed) -> None:
        self._lr_end()
        self.lr_find.clear(failed.message)
        self.show_failure(failed.message)

    def _lr_end(self, done: bool = False) -> None:
        """The search ended: the bar full when it found a rate (it may stop early, at divergence), else empty."""
        self.stop_button.setEnabled(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if done else 0)
        self.progress.setFormat("%p%")
        self.refresh_checks()

    def use_lr(self, lr: float) -> None:
        """Set the form's learning rate (Use … on the Learning rate tab)."""
        self.settings.set_value("lr", lr)
        self.status.setText(f"Learning rate set to {fmt_lr(lr)}.")
        self.status.setStyleSheet("")

    def run_name(self) -> str:
        """What a new run's folder is named after: the document's file, or its name when it has none."""
        path = self.editor.path
        return path.stem if path is not None else self.editor.document.name

    def _started(self, out: Path) -> None:
        assert self.snapshot is not None
        self.start_button.setText("Start")
        self.live = RunSeries(out.name, color_for(out.name))
        self.started_at = time.monotonic()
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.progress.setFormat("%p%")
        self.latest = None
        self.status.setText("Starting: loading the data and building the network…")
        self.status.setStyleSheet("")
        self.snapshot_note.setText(
            f"Training a snapshot of '{self.snapshot.name}' taken at {time.strftime('%H:%M:%S')}: edits change the "
            f"document, not the running model."
        )
        self.snapshot_note.show()
        self._overlay(self.runs.checked())
        self.tabs.setCurrentWidget(self.curves)

    def stop(self) -> None:
        if self.running():
            self.controller.stop()
            self.status.setText("Stopping after the current step…")
            self.stop_button.setEnabled(False)

    def _show_progress(self) -> None:
        """epoch 3/30 · step 120/196 · 2,400 img/s · ETA 1:12, written in the progress bar itself (a label
        whose text changes would re-lay-out the window many times a second); once per poll, not per event."""
        event = self.latest
        if event is None or not self.running():
            return
        done = (event.epoch - 1) * event.steps + event.step
        total = self.epochs * event.steps
        rate = self.latest_elapsed / max(1, done)
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        texts = progress_texts(
            event.epoch, self.epochs, event.step, event.steps, event.images_per_s, rate * (total - done)
        )
        self.progress.setFormat(theme.fitting(self.progress, texts))

    def handle(self, event: Any) -> None:
        """Show one of the run's events."""
        live = self.live
        assert live is not None
        elapsed = time.monotonic() - self.started_at
        if isinstance(event, Started):
            live.started(event)
            self.epochs = event.epochs
            self.progress.setRange(0, event.epochs * event.steps_per_epoch)
            warnings = " ".join(event.warnings)
            self.status.setText(
                f"Training on {event.device} ({event.precision}): {event.train_size:,} training, "
                f"{event.val_size:,} validation images. {warnings}".strip()
            )
        elif isinstance(event, BatchMetrics):
            live.add_batch(event.epoch, event.step, event.steps, event.loss, event.accuracy, event.lr, elapsed)
            self.latest, self.latest_elapsed = event, elapsed
            self.curves.mark_dirty()
        elif isinstance(event, EpochMetrics):
            live.add_epoch(event.epoch, event.train_loss, event.train_accuracy, event.val_loss, event.val_accuracy)
            self.curves.mark_dirty()
        elif isinstance(event, Evaluated) and self.run_is_open():
            assert self.controller.out is not None
            self.show_evaluation(event, Run(self.controller.out))
        elif isinstance(event, Finished):
            text = "Stopped" if event.stopped else "Finished"
            accuracy = f"; test accuracy {event.test_accuracy:.1%}" if event.test_accuracy is not None else ""
            early = f" {event.early_stop[0].upper()}{event.early_stop[1:]}." if event.early_stop else ""
            epochs = f"{event.epochs_done} epoch{'s' if event.epochs_done != 1 else ''}"
            self._end(event, f"{text} after {epochs}{accuracy}.{early}")
        elif isinstance(event, Failed):
            self._end(event, event.message, failed=True)

    def _end(self, event: Finished | Failed, text: str, failed: bool = False) -> None:
        self.stop_button.setEnabled(False)
        # The share of the epochs that ran: a run stopped after 3 of 10 shows 30%, not a full bar.
        done = 0
        if isinstance(event, Finished):
            done = min(event.epochs_done, self.epochs) if event.stopped or event.early_stop else self.epochs
        self.progress.setRange(0, max(1, self.epochs))
        self.progress.setValue(done)
        self.progress.setFormat("%p%")
        self.latest = None
        self.snapshot_note.hide()
        out = self.controller.out
        if out is not None and self.run_is_open() and Run(out).checkpoint_path("last").is_file():
            self.evaluation.set_run(out)  # a stopped run's weights answer Predict… too
        if failed:
            self.show_failure(text)
        else:
            self.status.setText(text)
            self.status.setStyleSheet("")
        self.refresh_checks()
        self.runs_changed.emit()
        self.run_finished.emit(event)

    def show_failure(self, text: str) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(theme.status_style("error"))

    def show_evaluation(self, event: Evaluated, run: Run) -> None:
        self.evaluation.set_run(run.path)
        self.evaluation.show_result(
            event.accuracy,
            event.classes,
            event.confusion,
            event.per_class_accuracy,
            event.wrong,
            event.samples,
            run.samples(),
        )

    def show_run(self, run: Run) -> None:
        """A past run's evaluation, when it has one; Predict… and dropped images ask its network."""
        self.evaluation.set_run(run.path)
        evaluated = [e for e in run.events() if isinstance(e, Evaluated)]
        if evaluated:
            self.show_evaluation(evaluated[-1], run)

    def predict_with(self, run: Run) -> None:
        """Predict… on a run of the Runs tab: its evaluation, and images to classify chosen in a dialog."""
        self.show_run(run)
        self.tabs.setCurrentWidget(self.evaluation)
        self.evaluation.ask_images()

    def _overlay(self, runs: list[Run]) -> None:
        live = [self.live] if self.live is not None else []
        others = [self.series.series(run) for run in runs if not live or run.path.name != live[0].name]
        self.curves.set_runs(live + others)

    def shutdown(self) -> None:
        """Close the window without waiting for the run: it is asked to stop and killed if it lingers
        (run_controller), and the device probe is stopped."""
        self.controller.shutdown()
        self.probe.stop()
        self.evaluation.predictions.shutdown()
        self.search.shutdown()
