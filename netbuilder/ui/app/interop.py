"""File → Export and Import, and the initial weights' report: the headless commands run in a process of their
own, the window stays live."""

from __future__ import annotations

import json
import shutil
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QWidget,
)

from netbuilder.core.document import Document, dumps, write_atomic
from netbuilder.ui.app.jobs import CommandJob
from netbuilder.ui.canvas.badges import show_weights
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.items import NodeItem
from netbuilder.ui.canvas.palette import RESOURCES

TORCHVISION_MODELS = RESOURCES / "torchvision_models.json"
REPORT_DELAY_MS = 500
EXPORTS = {
    "py": ("PyTorch code (model.py and train.py)", "Folder for model.py and train.py", ""),
    "onnx": ("ONNX", "Export ONNX", ".onnx"),
    "torchscript": ("TorchScript", "Export TorchScript", ".pt"),
}


def torchvision_models() -> list[tuple[str, str]]:
    """(name, "C,H,W") of the torchvision models that import cleanly (checked by tests/test_interop_ui.py)."""
    return [(m["name"], ",".join(map(str, m["input"]))) for m in json.loads(TORCHVISION_MODELS.read_text())]


class ImportDialog(QDialog):
    """A model source (torchvision:NAME or package.module:Class) and its input size.

    Its fields are read after exec() returns, so it does not delete itself on close: `ask_import` deletes it."""

    def __init__(self, parent: QWidget | None = None, torchvision_only: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import from torchvision" if torchvision_only else "Import a PyTorch model")
        self.source = QComboBox(editable=True)
        self.models = torchvision_models()
        for name, shape in self.models:
            self.source.addItem(f"torchvision:{name}", shape)
        if not torchvision_only:
            self.source.setCurrentText("")
            self.source.lineEdit().setPlaceholderText("torchvision:resnet18 or mypackage.models:Net")
        self.input = QLineEdit(placeholderText="C,H,W such as 3,32,32")
        self.weights = QComboBox(editable=True)
        self.weights.addItems(["", "DEFAULT"])
        self.weights.lineEdit().setPlaceholderText("none (random), DEFAULT, IMAGENET1K_V1 or a .pth/.safetensors file")
        self.source.currentIndexChanged.connect(self._source_chosen)
        note = QLabel(
            "Importing your own module runs its code. Operations NetBuilder has no block for are listed "
            "by name and the import is refused.",
            wordWrap=True,
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Model", self.source)
        form.addRow("Input size", self.input)
        form.addRow("Weights", self.weights)
        form.addRow(note)
        form.addRow(buttons)
        self._source_chosen(self.source.currentIndex())

    def _source_chosen(self, index: int) -> None:
        shape = self.source.itemData(index) if index >= 0 else None
        if shape:
            self.input.setText(shape)

    def args(self) -> list[str]:
        source = self.source.currentText().strip()
        shape = self.input.text().replace(" ", "")
        weights = self.weights.currentText().strip()
        return [source] + (["--input", shape] if shape else []) + (["--weights", weights] if weights else [])


def ask_import(parent: QWidget, torchvision_only: bool) -> list[str] | None:
    """The import-model arguments the user chose, or None when cancelled (or their own code not confirmed)."""
    dialog = ImportDialog(parent, torchvision_only)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        args = dialog.args()
    finally:
        dialog.deleteLater()
    return args if args[0] and confirm_user_code(parent, args[0]) else None


class Interop:
    """Runs export and import jobs for a window; `report` shows a sentence, `opened` takes a new document."""

    def __init__(self, parent: QWidget, report: Callable[[bool, str], None]) -> None:
        self.parent = parent
        self.report = report
        self.jobs: list[CommandJob] = []
        self._scratch: Path | None = None

    @property
    def scratch(self) -> Path:
        """This window's temporary folder, made when a job first needs it and removed with this object (or at
        exit, whichever comes first)."""
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="netbuilder-"))
            weakref.finalize(self, shutil.rmtree, self._scratch, ignore_errors=True)
        return self._scratch

    def run(self, args: list[str], then: Callable[[bool, str], None]) -> CommandJob:
        """Run `netbuilder ARGS` in a process of its own; then gets (succeeded, its last line)."""
        job = CommandJob(args, self.parent)
        self.jobs.append(job)

        def finished(ok: bool, message: str) -> None:
            self.jobs.remove(job)
            job.deleteLater()
            then(ok, message)

        job.done.connect(finished)
        job.start()
        return job

    def export(self, document: Document, fmt: str, out: Path) -> CommandJob:
        """Write the document as it is now (saved or not) and export it in the background."""
        source = self.scratch / "network.json"
        write_atomic(source, dumps(document))
        return self.run(["export", str(source), "--to", fmt, "-o", str(out)], self.report)

    def import_model(self, args: list[str], opened: Callable[[Path], None]) -> CommandJob:
        out = self.scratch / f"import-{len(list(self.scratch.iterdir()))}.json"

        def then(ok: bool, message: str) -> None:
            if ok:
                opened(out)
            self.report(ok, message)

        return self.run(["import-model", *args, "-o", str(out)], then)


class InitialWeights(QObject):
    """Which blocks start from the open network's initial weights: after each change, `netbuilder weights-report`
    matches them in a process of its own (the window never loads torch); the blocks that take them get a badge and
    the inspector says from where (block_text). `shown` is emitted when a new report is shown."""

    shown = Signal()

    def __init__(self, editor: Editor, blocks: dict[str, NodeItem], interop: Interop) -> None:
        super().__init__(interop.parent)
        self.editor, self.blocks, self.interop = editor, blocks, interop
        self.report: dict[str, Any] | None = None
        self.asking = self.again = False
        self.timer = QTimer(self, singleShot=True, interval=REPORT_DELAY_MS)  # one report after a burst of edits
        self.timer.timeout.connect(self.ask)
        # Bound to this object's own method, so the connection goes with it (a lambda would outlive it).
        editor.checked.connect(self._changed)
        editor.replaced.connect(self._changed)
        self.timer.start()  # the network opened with the window may name weights already

    def _changed(self, *_: object) -> None:
        self.timer.start()

    def ask(self) -> None:
        """Match the network as it is now (or clear the badges when it names no initial weights)."""
        document = self.editor.document
        if document.init is None:
            self._show(None)
            return
        if self.asking:  # one report at a time; the latest network is asked for once this one is done
            self.again = True
            return
        self.asking = True
        source = self.interop.scratch / "weights-report.json"
        write_atomic(source, dumps(document))
        self.interop.run(["weights-report", str(source), "--json"], self._answered)

    def _answered(self, ok: bool, message: str) -> None:
        self.asking = False
        if self.again:
            self.again = False
            self.ask()
            return
        if not ok:
            self.interop.report(False, message)
        self._show(json.loads(message) if ok else None)

    def _show(self, report: dict[str, Any] | None) -> None:
        self.report = report
        loaded = report["loaded"] if report else []
        show_weights(self.blocks, {nid: self.block_text(nid) for nid in loaded})
        self.shown.emit()

    def block_text(self, node_id: str) -> str:
        """Where a block's weights start from, as the inspector and its badge say it ("" without a report)."""
        report = self.report
        if report is None:
            return ""
        if node_id in report["loaded"]:
            return f"Starts from learned weights: {report['path']}"
        why = report["fresh"].get(node_id)
        return f"Starts fresh, not from {Path(report['path']).name}: {why}" if why else ""


def ask_export_path(parent: QWidget, fmt: str, document_path: str) -> Path | None:
    """Where to export: a folder for PyTorch code, else a file, proposed beside the document and named after it."""
    title, caption, suffix = EXPORTS[fmt]
    proposal = Path(document_path)
    if fmt == "py":
        name = QFileDialog.getExistingDirectory(parent, caption, str(proposal.parent))
    else:
        start = str(proposal.with_suffix(suffix))
        name, _ = QFileDialog.getSaveFileName(parent, caption, start, f"{title} (*{suffix})")
    if not name:
        return None
    path = Path(name)
    return path.with_suffix(suffix) if suffix and path.suffix != suffix else path


def confirm_user_code(parent: QWidget, source: str) -> bool:
    if source.startswith("torchvision:"):
        return True
    answer = QMessageBox.question(
        parent, "Run this module's code?", f"Importing {source} runs its Python code on this computer. Continue?"
    )
    return answer == QMessageBox.StandardButton.Yes
