"""The training run in progress: a child process (train.runner) polled on a timer, its events as typed signals."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from netbuilder.core.document import Document
from netbuilder.train.config import TrainConfig
from netbuilder.train.events import Failed, Finished
from netbuilder.train.runner import STOP_GRACE_S, Runner

POLL_MS = 50


class RunController(QObject):
    """Starts, stops and polls one run at a time. Each poll sends its events (`event`, or `finished` / `failed`
    for the last one), then `polled`, so a view can redraw once per poll rather than once per event."""

    started = Signal(Path)  # the run folder
    event = Signal(object)  # every event before the last: Started, BatchMetrics, EpochMetrics, Evaluated, …
    finished = Signal(Finished)
    failed = Signal(Failed)
    polled = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner: Runner | None = None
        self.out: Path | None = None  # the folder of the current or last run
        self.closing: threading.Thread | None = None  # sees a run closed by shutdown() end
        self.timer = QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self.poll)

    def running(self) -> bool:
        return self.runner is not None

    def start(self, document: Document, config: TrainConfig, out: Path, force: bool = False) -> None:
        self.runner = Runner(document, config, out, force=force)
        self.out = out
        self.runner.start()
        self.timer.start()
        self.started.emit(out)

    def stop(self) -> None:
        """Ask the run to end after its current step; its Finished event follows."""
        if self.runner is not None:
            self.runner.stop()

    def poll(self) -> None:
        if self.runner is None:
            return
        for event in self.runner.poll():
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
