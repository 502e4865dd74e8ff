"""Headless `netbuilder` commands run as a separate process, so the window never waits for torch."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QProcess, Signal


class CommandJob(QObject):
    """Runs `python -m netbuilder ARGS`; `done` carries (succeeded, the last line it printed)."""

    done = Signal(bool, str)

    def __init__(self, args: list[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.args = args
        self.process = QProcess(self)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._failed_to_start)

    def start(self) -> None:
        self.process.start(sys.executable, ["-m", "netbuilder", *self.args])

    def _failed_to_start(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.done.emit(False, f"Could not start {sys.executable}.")

    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        out = bytes(self.process.readAllStandardOutput()).decode("utf-8", "replace").strip()
        err = bytes(self.process.readAllStandardError()).decode("utf-8", "replace").strip()
        ok = status == QProcess.ExitStatus.NormalExit and code == 0
        text = (out if ok else err or out).splitlines()
        message = text[-1] if text else ("Done." if ok else f"The command failed (exit code {code}).")
        self.done.emit(ok, message.removeprefix("error: "))
