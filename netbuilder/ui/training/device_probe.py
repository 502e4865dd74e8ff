"""Which device a run would use, asked of a separate process (importing torch takes seconds)."""

from __future__ import annotations

import json
import sys

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QProcess, QTimer, Signal

from netbuilder.records.memory import fmt_bytes


class DeviceProbe(QObject):
    """Runs netbuilder.train.probe once; `found` carries a line such as "NVIDIA H100 · 79 GB free of 80 GB"."""

    found = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.info: dict | None = None
        self.process = QProcess(self)
        self.process.finished.connect(self._finished)
        self.timer = QTimer(self, singleShot=True)
        self.timer.timeout.connect(self.start)
        self.watched: QObject | None = None
        QCoreApplication.instance().aboutToQuit.connect(self.stop)

    def start_after_paint(self, widget: QObject, delay_ms: int) -> None:
        """Start delay_ms after widget is first painted (the probe imports torch, which competes for the CPU)."""
        self.timer.setInterval(delay_ms)
        self.watched = widget
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.watched and event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            self.watched = None
            self.timer.start()
        return False

    def start(self) -> None:
        self.process.start(sys.executable, ["-m", "netbuilder.train.probe"])

    def stop(self) -> None:
        """Cancel a probe not started yet; end one under way."""
        self.timer.stop()
        if self.watched is not None:
            self.watched.removeEventFilter(self)
            self.watched = None
        if self.process.state() != QProcess.ProcessState.NotRunning:
            self.process.kill()
            self.process.waitForFinished(2000)

    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        try:
            self.info = json.loads(bytes(self.process.readAllStandardOutput()).decode())
        except ValueError:
            self.info = None
        self.found.emit(self.describe())

    def describe(self) -> str:
        if self.info is None:
            return "CPU (the GPU check did not answer)"
        gpus = self.info.get("cuda") or []
        if gpus:
            return " · ".join(f"{g['name']}: {fmt_bytes(g['free'])} free of {fmt_bytes(g['total'])}" for g in gpus)
        return "Apple GPU (mps)" if self.info.get("mps") else "CPU (no GPU found)"

    def compare(self, need: int) -> str:
        """How the estimated need compares with the first GPU's free memory (empty on CPU)."""
        gpus = (self.info or {}).get("cuda") or []
        if not gpus:
            return ""
        free = gpus[0]["free"]
        if need > free:
            return f" — more than the {fmt_bytes(free)} free on the GPU: lower the batch size."
        return f" — fits in the {fmt_bytes(free)} free on the GPU."
