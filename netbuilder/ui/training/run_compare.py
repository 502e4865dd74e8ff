"""What differs between two runs: their settings and their networks."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QVBoxLayout, QWidget

from netbuilder.core.diff import graph_diff, settings_diff
from netbuilder.records.runs import Run
from netbuilder.records.train_error import TrainError


def comparison(a: Run, b: Run) -> str:
    """The differences from run a to run b, as text."""
    try:
        settings = settings_diff(a.config.to_dict(), b.config.to_dict())
        network = graph_diff(a.document.graph, b.document.graph)
    except TrainError as e:
        return str(e)
    lines = [f"From {a.path.name} to {b.path.name}", "", "Settings:"]
    lines += [f"  {line}" for line in settings] or ["  the same"]
    lines += ["", "Network:"]
    lines += [f"  {line}" for line in network] or ["  the same"]
    return "\n".join(lines)


def show_comparison(parent: QWidget, a: Run, b: Run) -> QDialog:
    dialog = QDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setWindowTitle("Compare runs")
    dialog.resize(640, 480)
    text = QPlainTextEdit(comparison(a, b))
    text.setReadOnly(True)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(text)
    layout.addWidget(buttons)
    dialog.show()
    return dialog
