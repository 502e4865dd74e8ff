"""The training run in progress: a child process (records.runner) polled on a timer, its events as typed signals.
The learning-rate search runs the same way, with signals of its own."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from netbuilder.core.document import Document
from netbuilder.records.config import TrainConfig
from netbuilder.records.events import Failed, Finished
from netbuilder.records.lr_results import LRFound, LRProgress
from netbuilder.records.runner import LR_FIND, STOP_GRACE_S, TRAIN, Runner

POLL_MS = 50


class RunController(QObject):
    """Starts, stops and polls one run at a time. Each poll sends its events (`event`, or `finished` / `failed`
    for the last one), then `polled`, so a view can redraw once per poll rather than once per event."""

    started = Signal(Path)  # the run folder
    event = Signal(object)  # every event before the last: Started, BatchMetrics, EpochMetrics, Evaluated, …
    finished = Signal(Finished)
    failed = Signal(Failed)
    polled = Signal()
    lr_progress = Signal(LRProgress)  # the learning-rate search's events, instead of the four above
    lr_found = Signal(LRFound)
    lr_failed = Signal(Failed)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner: Runner | None = None
        self.out: Path | None = None  # the folder of the current or last run
        self.task = TRAIN  # what the runner does: train, or find the learning rate
        self.closing: threading.Thread | None = None  # sees a run closed by shutdown() end
        self.timer = QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self.poll)

    def running(self) -> bool:
        return self.runner is not None

    def start(self, document: Document, config: TrainConfig, out: Path, force: bool = False) -> None:
        self.runner = Runner(document, config, out, force=force)
        self.out, self.task = out, TRAIN
        self.runner.start()
        self.timer.start()
        self.started.emit(out)

    def find_lr(self, document: Document, config: TrainConfig, force: bool = False) -> None:
        """Start the learning-rate search (train.lr_find) in a child process; its events come as lr_progress,
        then lr_found or lr_failed."""
        self.runner = Runner(document, config, Path(), force=force, task=LR_FIND)
        self.task = LR_FIND
        self.runner.start()
        self.timer.start()

    def stop(self) -> None:
        """Ask the run to end after its current step; its Finished event follows."""
        if self.runner is not None:
            self.runner.stop()

    def poll(self) -> None:
        if self.runner is None:
            return
        lr_find = self.task == LR_FIND
        for event in self.runner.poll():
            if lr_find:
                if isinstance(event, (LRFound, Failed)):
                    self._forget()
                    (self.lr_found if isinstance(event, LRFound) else self.lr_failed).emit(event)
                    return
                if isinstance(event, LRProgress):
                    self.lr_progress.emit(event)
                continue
            if isinstance(event, (Finished, Failed)):
                self._forget()
                (self.finished if isinstance(event, Finished) else self.failed).emit(event)
                return
            self.event.emit(event)
        self.polled.emit()

    def shutdown(self, grace: float = STOP_GRACE_S) -> None:
        """Close the run without waiting for it (the window is closing): the child is asked to stop and killed
        after grace seconds by a background thread, which an exiting app waits for."""
        if self.runner is not None:
            self.closing = self.runner.close(grace)
            self._forget()

    def _forget(self) -> None:
        self.timer.stop()
        self.runner = None
