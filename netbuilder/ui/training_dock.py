"""The training dock: settings, Start/Stop and progress on the left; Curves, Evaluation and Runs tabs on the
right. The run itself lives in a child process (train.runner); this widget only polls it on a timer."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QProgressBar,
    QPushButton, QScrollArea, QSpinBox, QSplitter, QTabWidget, QVBoxLayout, QWidget,
)

from netbuilder.core.document import Document
from netbuilder.core.shapes import Check
from netbuilder.train import datasets
from netbuilder.train.config import OPTIMIZERS, PRECISIONS, SCHEDULES, TrainConfig, recommend
from netbuilder.train.errors import TrainError
from netbuilder.train.events import BatchMetrics, EpochMetrics, Evaluated, Failed, Finished, Started
from netbuilder.train.memory import MemoryEstimate, available_ram, estimate, fmt_bytes, refusal
from netbuilder.train.runs import Run, new_path
from netbuilder.ui import theme
from netbuilder.ui.curves import CurvesPanel
from netbuilder.ui.editor import Editor
from netbuilder.ui.evaluation import EvaluationView
from netbuilder.ui.runs_view import RunsView
from netbuilder.ui.series import OKABE_ITO, RunSeries
from netbuilder.ui.device_probe import DeviceProbe

POLL_MS = 50
PROBE_DELAY_MS = 1500
FOLDER_ITEM = "Image folder…"


def fmt_eta(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def progress_text(epoch: int, epochs: int, step: int, steps: int, images_per_s: float, eta: float) -> str:
    """epoch 3/30 · step 120/196 · 2,400 img/s · ETA 1:12"""
    return f"epoch {epoch}/{epochs} · step {step}/{steps} · {images_per_s:,.0f} img/s · ETA {fmt_eta(eta)}"


def color_for(name: str) -> str:
    """A stable colour per run name."""
    return OKABE_ITO[sum(name.encode()) % len(OKABE_ITO)]


class SettingsForm(QWidget):
    """TrainConfig's fields a person sets before Start, with the dataset check and the memory estimate."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        form = QFormLayout(self)
        self.dataset = QComboBox()
        for info in datasets.list_datasets():
            self.dataset.addItem(info.title, info.key)
        self.dataset.addItem(FOLDER_ITEM, "")
        self.data_dir = QLineEdit(placeholderText=str(datasets.data_dir(None)))
        self.fit = QLabel(wordWrap=True, objectName="fit")
        self.resize_images = QCheckBox("convert images to the Input's shape")
        self.fix_input = QPushButton()
        self.epochs = QSpinBox(minimum=1, maximum=100_000)
        self.batch_size = QSpinBox(minimum=1, maximum=65_536)
        self.optimizer = QComboBox()
        self.optimizer.addItems(list(OPTIMIZERS))
        self.lr = QDoubleSpinBox(decimals=5, minimum=1e-5, maximum=10.0, singleStep=0.001)
        self.schedule = QComboBox()
        self.schedule.addItems(list(SCHEDULES))
        self.crop = QSpinBox(minimum=0, maximum=64)
        self.flip = QCheckBox("horizontal flip")
        self.device = QComboBox()
        self.device.addItems(["auto", "cpu", "cuda"])
        self.device_info = QLabel("probing…", wordWrap=True)
        self.precision = QComboBox()
        self.precision.addItems(list(PRECISIONS))
        self.val_split = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=0.9, singleStep=0.05)
        self.memory = QLabel(wordWrap=True)
        augment = QHBoxLayout()
        augment.addWidget(QLabel("crop padding"))
        augment.addWidget(self.crop)
        augment.addWidget(self.flip)
        rows: list[tuple[str, Any]] = [
            ("Dataset", self.dataset), ("Data folder", self.data_dir), ("", self.fit), ("", self.resize_images),
            ("", self.fix_input), ("Epochs", self.epochs), ("Batch size", self.batch_size),
            ("Optimizer", self.optimizer), ("Learning rate", self.lr), ("Schedule", self.schedule),
            ("Augmentation", augment), ("Validation split", self.val_split), ("Device", self.device),
            ("", self.device_info), ("Precision", self.precision), ("Memory", self.memory),
        ]
        for label, widget in rows:
            form.addRow(label, widget)
        self.fix_input.hide()
        self.base = TrainConfig()
        for w in (self.epochs, self.batch_size, self.lr, self.crop, self.val_split):
            w.valueChanged.connect(self._emit)
        for w in (self.optimizer, self.schedule, self.device, self.precision):
            w.currentIndexChanged.connect(self._emit)
        for w in (self.flip, self.resize_images):
            w.toggled.connect(self._emit)
        self.data_dir.editingFinished.connect(self._emit)
        self.dataset.activated.connect(self._dataset_chosen)
        self.folder = ""

    def _emit(self, *_: object) -> None:
        self.changed.emit()

    def _dataset_chosen(self, index: int) -> None:
        if self.dataset.itemData(index) == "":
            folder = QFileDialog.getExistingDirectory(self, "A folder with one subfolder of images per class")
            if folder:
                self.folder = folder
                self.dataset.setItemText(index, f"folder: {Path(folder).name}")
        self.changed.emit()

    def dataset_key(self) -> str:
        key = self.dataset.currentData()
        return key if key else f"{datasets.FOLDER}{self.folder}"

    def show_config(self, config: TrainConfig) -> None:
        """Put a config's values in the widgets (without emitting changes for each)."""
        self.blockSignals(True)
        self.base = config
        key = config.dataset
        if key.startswith(datasets.FOLDER):
            self.folder = key[len(datasets.FOLDER):]
            self.dataset.setCurrentIndex(self.dataset.count() - 1)
        else:
            self.dataset.setCurrentIndex(max(0, self.dataset.findData(key)))
        self.data_dir.setText(config.data_dir or "")
        self.epochs.setValue(config.epochs)
        self.batch_size.setValue(config.batch_size)
        self.optimizer.setCurrentText(config.optimizer)
        self.lr.setValue(config.lr)
        self.schedule.setCurrentText(config.schedule)
        self.crop.setValue(config.crop_padding)
        self.flip.setChecked(config.flip)
        self.device.setCurrentText(config.device if config.device in ("auto", "cpu", "cuda") else "auto")
        self.precision.setCurrentText(config.precision)
        self.val_split.setValue(config.val_split)
        self.resize_images.setChecked(config.resize)
        self.blockSignals(False)

    def config(self) -> TrainConfig:
        """The settings shown; raises TrainError with a sentence when one is impossible."""
        return self.base.replace(
            dataset=self.dataset_key(), data_dir=self.data_dir.text().strip() or None, epochs=self.epochs.value(),
            batch_size=self.batch_size.value(), optimizer=self.optimizer.currentText(), lr=self.lr.value(),
            schedule=self.schedule.currentText(), crop_padding=self.crop.value(), flip=self.flip.isChecked(),
            device=self.device.currentText(), precision=self.precision.currentText(),
            val_split=self.val_split.value(), resize=self.resize_images.isChecked(),
        )


class TrainingDock(QWidget):
    """Start a run of the open network, watch it, evaluate it, compare it with earlier ones."""

    run_finished = Signal(object)  # the last event, Finished or Failed

    def __init__(self, editor: Editor, runs_root: Path) -> None:
        super().__init__()
        self.editor, self.runs_root = editor, runs_root
        self.runner: Any = None
        self.live: RunSeries | None = None
        self.snapshot: Document | None = None
        self.started_at = 0.0
        self.epochs = 1
        self.latest: BatchMetrics | None = None  # the newest batch metrics, shown by _show_progress
        self.latest_elapsed = 0.0
        self.anyway = False  # the next Start goes ahead although the memory estimate does not fit

        self.settings = SettingsForm()
        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.progress = QProgressBar()
        self.status = QLabel("Ready.", wordWrap=True, objectName="status")
        self.snapshot_note = QLabel(wordWrap=True)
        self.snapshot_note.setStyleSheet("color: #0072B2;")
        self.snapshot_note.hide()
        left = QWidget()
        box = QVBoxLayout(left)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.settings)
        box.addWidget(scroll, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        box.addLayout(buttons)
        box.addWidget(self.progress)
        box.addWidget(self.status)
        box.addWidget(self.snapshot_note)

        self.curves = CurvesPanel()
        self.evaluation = EvaluationView()
        self.runs = RunsView(runs_root)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.curves, "Curves")
        self.tabs.addTab(self.evaluation, "Evaluation")
        self.tabs.addTab(self.runs, "Runs")
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 3)
        left.setMinimumWidth(300)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self.timer = QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.settings.changed.connect(self.refresh_checks)
        self.settings.fix_input.clicked.connect(self._fix_input)
        self.runs.overlay.connect(self._overlay)
        self.editor.checked.connect(self.refresh_checks)
        self.editor.replaced.connect(self.recommend)
        self.probe = DeviceProbe(self)
        self.probe.found.connect(self._device_found)
        QTimer.singleShot(PROBE_DELAY_MS, self.probe.start)  # after the window has painted: it imports torch
        self.recommend()

    # Settings ---------------------------------------------------------------------------------

    def recommend(self) -> None:
        """Good settings for the open network, so that Start needs no tuning."""
        self.settings.show_config(recommend(self.editor.graph, self.settings.dataset_key() or "shapes10"))
        self.refresh_checks()

    def _device_found(self, text: str) -> None:
        self.settings.device_info.setText(text)
        self.refresh_checks()

    def input_shape(self) -> tuple[int, ...] | None:
        result = self.editor.result
        node = next((n for n in self.editor.graph.nodes.values() if n.type == "Input"), None)
        return result.nodes[node.id].output_shape if node is not None else None

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
        problem = None
        if shape is not None and info.shape is not None:
            problem = datasets.input_problem(info.shape, shape, config.resize or info.adapts, info.title)
        form.fit.setText(problem or (f"{info.title} fits the Input block ({'×'.join(map(str, shape))})."
                                     if shape else ""))
        form.fit.setStyleSheet(f"color: {theme.ERROR.name()};" if problem else "")
        target = info.shape if info.shape is not None else None
        offer = problem is not None and target is not None and shape is not None and tuple(target) != tuple(shape)
        form.fix_input.setVisible(offer)
        if offer:
            form.fix_input.setText(f"Set the Input block to {list(target)}")
        self.anyway = False
        self.start_button.setText("Start")
        result: Check = self.editor.result
        if result.valid:
            need = self.need(config).total
            form.memory.setText(f"≈ {fmt_bytes(need)} for weights, gradients, optimizer state and activations at "
                                f"batch {config.batch_size}" + self.probe.compare(need))
        else:
            form.memory.setText("The network has errors; fix them to train it.")
        self.start_button.setEnabled(self.runner is None and result.valid and problem is None)

    def need(self, config: TrainConfig) -> MemoryEstimate:
        """The memory estimate of a run of the open network with config."""
        return estimate(self.editor.result, config.batch_size, config.optimizer, config.momentum,
                        config.precision in ("bf16", "fp16"), 0)

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
        from netbuilder.ui.commands import set_params

        info = datasets.info(self.settings.dataset_key())
        node = next(n for n in self.editor.graph.nodes.values() if n.type == "Input")
        if info.shape is not None:
            self.editor.push(set_params(self.editor.graph, node.id, {**node.params, "shape": list(info.shape)}))

    # The run ----------------------------------------------------------------------------------

    def start(self) -> None:
        if self.runner is not None:
            return
        try:
            config = self.settings.config()
        except TrainError as e:
            self.show_failure(str(e))
            return
        problem = None if self.anyway else self.memory_refusal(config)
        if problem:
            self.show_failure(problem)
            self.anyway = True
            self.start_button.setText("Start anyway")
            return
        from netbuilder.train.runner import Runner

        self.snapshot = Document(self.editor.graph.copy(), self.editor.document.name,
                                 self.editor.document.description)
        out = new_path(self.runs_root, self.editor.document.name)
        self.runner = Runner(self.snapshot, config, out, force=self.anyway)
        self.anyway = False
        self.start_button.setText("Start")
        self.live = RunSeries(out.name, color_for(out.name))
        self.started_at = time.monotonic()
        self.epochs = config.epochs
        self.runner.start()
        self.timer.start()
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.progress.setFormat("%p%")
        self.latest = None
        self.status.setText("Starting: loading the data and building the network…")
        self.status.setStyleSheet("")
        self.snapshot_note.setText(
            f"Training a snapshot of '{self.snapshot.name}' taken at {time.strftime('%H:%M:%S')}: edits change the "
            f"document, not the running model.")
        self.snapshot_note.show()
        self._overlay(self.runs.checked())
        self.tabs.setCurrentWidget(self.curves)

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()
            self.status.setText("Stopping after the current step…")
            self.stop_button.setEnabled(False)

    def poll(self) -> None:
        """Take the run's new events; the progress bar is redrawn once per poll, not once per event."""
        if self.runner is None:
            return
        for event in self.runner.poll():
            self.handle(event)
        self._show_progress()

    def _show_progress(self) -> None:
        """epoch 3/30 · step 120/196 · 2,400 img/s · ETA 1:12, written in the progress bar itself (a label
        whose text changes would re-lay-out the window many times a second)."""
        event = self.latest
        if event is None or self.runner is None:
            return
        done = (event.epoch - 1) * event.steps + event.step
        total = self.epochs * event.steps
        rate = self.latest_elapsed / max(1, done)
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(progress_text(event.epoch, self.epochs, event.step, event.steps,
                                              event.images_per_s, rate * (total - done)))

    def handle(self, event: Any) -> None:
        live = self.live
        assert live is not None
        elapsed = time.monotonic() - self.started_at
        if isinstance(event, Started):
            self.epochs = event.epochs
            self.progress.setRange(0, event.epochs * event.steps_per_epoch)
            warnings = " ".join(event.warnings)
            self.status.setText(f"Training on {event.device} ({event.precision}): {event.train_size:,} training, "
                                f"{event.val_size:,} validation images. {warnings}".strip())
        elif isinstance(event, BatchMetrics):
            live.add_batch(event.epoch, event.step, event.steps, event.loss, event.accuracy, event.lr, elapsed)
            self.latest, self.latest_elapsed = event, elapsed
            self.curves.mark_dirty()
        elif isinstance(event, EpochMetrics):
            live.add_epoch(event.epoch, event.train_loss, event.train_accuracy, event.val_loss, event.val_accuracy)
            self.curves.mark_dirty()
        elif isinstance(event, Evaluated):
            self.show_evaluation(event, Run(self.runner.out))
        elif isinstance(event, Finished):
            text = "Stopped" if event.stopped else "Finished"
            accuracy = f"; test accuracy {event.test_accuracy:.1%}" if event.test_accuracy is not None else ""
            self._end(event, f"{text} after {event.epochs_done} epoch{'s' if event.epochs_done != 1 else ''}"
                             f"{accuracy}.")
        elif isinstance(event, Failed):
            self._end(event, event.message, failed=True)

    def _end(self, event: Any, text: str, failed: bool = False) -> None:
        self.timer.stop()
        self.runner = None
        self.stop_button.setEnabled(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0 if failed else 1)
        self.progress.setFormat("%p%")
        self.latest = None
        self.snapshot_note.hide()
        if failed:
            self.show_failure(text)
        else:
            self.status.setText(text)
            self.status.setStyleSheet("")
        self.runs.refresh()
        self.refresh_checks()
        self.run_finished.emit(event)

    def show_failure(self, text: str) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {theme.ERROR.name()}; font-weight: bold;")

    def show_evaluation(self, event: Evaluated, run: Run) -> None:
        self.evaluation.show_result(event.accuracy, event.classes, event.confusion, event.per_class_accuracy,
                                    event.wrong, event.samples, run.samples())

    def show_run(self, run: Run) -> None:
        """A past run's evaluation, when it has one."""
        evaluated = [e for e in run.events() if isinstance(e, Evaluated)]
        if evaluated:
            self.show_evaluation(evaluated[-1], run)

    def _overlay(self, runs: list[Run]) -> None:
        shown = [self.live] if self.live is not None else []
        for run in runs:
            if self.live is not None and run.path.name == self.live.name:
                continue
            shown.append(series_of(run))
        self.curves.set_runs(shown)

    def running(self) -> bool:
        return self.runner is not None

    def shutdown(self, grace: float = 10.0) -> None:
        """Stop the run and wait for its process to end (closing the window)."""
        if self.runner is None:
            return
        self.runner.stop(grace)
        for event in self.runner.wait(grace + 2):
            self.handle(event)


def series_of(run: Run) -> RunSeries:
    """A finished (or interrupted) run's curves, from its metrics log."""
    series = RunSeries(run.path.name, color_for(run.path.name))
    start = None
    for event, stamp in run.timed_events():
        start = stamp if start is None else start
        if isinstance(event, BatchMetrics):
            series.add_batch(event.epoch, event.step, event.steps, event.loss, event.accuracy, event.lr,
                             (stamp or 0) - (start or 0))
        elif isinstance(event, EpochMetrics):
            series.add_epoch(event.epoch, event.train_loss, event.train_accuracy, event.val_loss, event.val_accuracy)
    return series
