"""What the window asks the user, and its error box: one object that the window, its files and its canvas
controller ask, so that a test answers a question by setting that method on it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from netbuilder.ui.app import interop

FILTER = "NetBuilder networks (*.json)"
Button = QMessageBox.StandardButton


class Questions:
    """Each question is a modal dialog over the window; None or False is the user's cancel."""

    def __init__(self, window: QWidget) -> None:
        self.window = window

    def ask_save(self) -> Button:
        """Save, Discard or Cancel for unsaved changes."""
        return QMessageBox.question(
            self.window,
            "Unsaved changes",
            f"Save the changes to {self.window.windowTitle().split('[*]')[0]}?",
            Button.Save | Button.Discard | Button.Cancel,
        )

    def show_error(self, title: str, text: str) -> None:
        QMessageBox.warning(self.window, title, text)

    def ask_path(self, save: bool, start: str) -> Path | None:
        """A file to save to (True) or to open (False), the dialog starting at `start`."""
        if save:
            name, _ = QFileDialog.getSaveFileName(self.window, "Save network", start, FILTER)
        else:
            name, _ = QFileDialog.getOpenFileName(self.window, "Open network", start, FILTER)
        return Path(name) if name else None

    def ask_restore(self, path: Path | None) -> bool:
        """Restore the autosaved version (of that file)?"""
        where = f" of {path.name}" if path else ""
        answer = QMessageBox.question(
            self.window,
            "Restore unsaved work?",
            f"NetBuilder did not close properly last time. Restore the unsaved version{where}?",
        )
        return answer == Button.Yes

    def ask_group_repeats(self, runs: int, size: int) -> str | None:
        """The name for the groups of a repeated pattern, or None to cancel."""
        name, ok = QInputDialog.getText(
            self.window,
            "Group repeated pattern",
            f"Found {runs} runs of these {size} blocks (the selection included). Group each of them as:",
            text="block",
        )
        return name.strip() if ok and name.strip() else None

    def ask_stop_training(self) -> bool:
        answer = QMessageBox.question(
            self.window, "A network is training", "Stop the training run and close? Its last finished epoch is kept."
        )
        return answer == Button.Yes

    def ask_export(self, fmt: str, proposal: str) -> Path | None:
        """Where to export, proposed beside `proposal` (the document's file or Save As's proposal)."""
        return interop.ask_export_path(self.window, fmt, proposal)

    def ask_run_folder(self, start: str) -> Path | None:
        """A run folder whose trained weights a new network starts from, or None when cancelled."""
        name = QFileDialog.getExistingDirectory(self.window, "New from run: choose a run folder", start)
        return Path(name) if name else None

    def ask_import(self, torchvision_only: bool) -> list[str] | None:
        """The import-model arguments, or None when cancelled."""
        return interop.ask_import(self.window, torchvision_only)
