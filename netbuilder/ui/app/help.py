"""The Help menu's dialogs: a short tour (Getting started), the README's file-format and command-line sections,
and About (versions of NetBuilder, PySide6, torch and CUDA, read without importing torch)."""

from __future__ import annotations

import platform
import re
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

import netbuilder

README = Path(netbuilder.__file__).resolve().parents[1] / "README.md"  # in a checkout; a wheel has none
# Help → The file format / The command line: the README's sections (heading, title), shipped inside the package
# as resources/help/KEY.md (a wheel has no README; tests/ui/test_help_shipped.py keeps the copies equal to it).
SECTIONS = {"file-format": ("File format", "The file format"), "cli": ("Command line", "The command line")}
HELP = Path(str(files("netbuilder._resources"))) / "help"

TOUR: list[tuple[str, str]] = [
    (
        "1 · The palette",
        "On the left, the <b>Blocks</b> palette lists every layer: Input, Conv2d, activations, pooling, Linear, "
        "normalization and structure. Type in its search field to filter it.<br><br>"
        "<b>Drag</b> a block onto the canvas, or <b>double-click</b> it to add it under the selected block.",
    ),
    (
        "2 · The canvas",
        "Each block shows its settings and the volume it outputs (C×H×W). Drag from a block's output port "
        "(bottom) to another's input to connect them; drop a wire on empty canvas to pick the next block.<br><br>"
        "<b>Tab</b> adds a block at the pointer (under the selected one), <b>right-click</b> a block or a "
        "connection for what you can do with it, <b>L</b> arranges, <b>F</b> fits, <b>Ctrl+Z</b> undoes.",
    ),
    (
        "3 · The inspector",
        "On the right, the <b>Inspector</b> edits the selected block's parameters (named as in torch.nn) and "
        "writes its arithmetic out with its numbers.<br><br>When a block has an error, it is outlined in red; "
        "the inspector says what is wrong and offers <b>fixes</b> as buttons, each one undoable.",
    ),
    (
        "4 · Training",
        "Below the canvas, the <b>Training</b> dock trains the network on a dataset (shapes10 needs no "
        "download): choose the settings and press <b>Start</b>. Curves show loss and accuracy as they come; "
        "<b>Evaluation</b> shows the confusion matrix and the images it got most wrong; <b>Runs</b> lists "
        "earlier runs to overlay or reopen.<br><br>Help → Keyboard shortcuts (F1) lists every key.",
    ),
]


class GettingStarted(QDialog):
    """Help → Getting started: a few pages, palette → canvas → inspector → training."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("Getting started")
        self.pages = QStackedWidget()
        for title, text in TOUR:
            page = QWidget()
            layout = QVBoxLayout(page)
            heading = QLabel(f"<h3>{title}</h3>")
            body = QLabel(text, wordWrap=True)
            body.setTextFormat(Qt.TextFormat.RichText)
            body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            layout.addWidget(heading)
            layout.addWidget(body, 1)
            self.pages.addWidget(page)
        self.position = QLabel()
        self.back = QPushButton("‹ Back")
        self.next = QPushButton("Next ›")
        self.back.clicked.connect(lambda: self.go(-1))
        self.next.clicked.connect(lambda: self.go(1))
        buttons = QHBoxLayout()
        buttons.addWidget(self.position)
        buttons.addStretch(1)
        buttons.addWidget(self.back)
        buttons.addWidget(self.next)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addLayout(buttons)
        self.resize(520, 300)
        self.go(0)

    def go(self, step: int) -> None:
        """Show the previous or next page; Next on the last page closes the tour."""
        index = self.pages.currentIndex() + step
        if index >= self.pages.count():
            self.accept()
            return
        index = max(0, index)
        self.pages.setCurrentIndex(index)
        last = index == self.pages.count() - 1
        self.back.setEnabled(index > 0)
        self.next.setText("Done" if last else "Next ›")
        self.position.setText(f"{index + 1} of {self.pages.count()}")


def readme_section(heading: str, readme: Path = README) -> str:
    """The README's section whose heading starts with `heading` (Markdown, up to the next heading of its level),
    or an empty string when the README is not there."""
    try:
        text = readme.read_text(encoding="utf-8")
    except OSError:
        return ""
    match = re.search(rf"^(#+) {re.escape(heading)}.*$", text, re.MULTILINE)
    if match is None:
        return ""
    level = len(match.group(1))
    rest = text[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.MULTILINE)
    return match.group(0) + rest[: end.start() if end else len(rest)]


class ReadmeSection(QDialog):
    """A README section shown in the app (it works offline), with a button to open the whole README."""

    def __init__(self, title: str, markdown: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(title)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        self.text.setMarkdown(markdown or "The README is not installed with this copy of NetBuilder.")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        open_readme = buttons.addButton("Open the README", QDialogButtonBox.ButtonRole.ActionRole)
        open_readme.setEnabled(README.exists())
        open_readme.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(README))))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(820, 560)


def shipped_section(key: str) -> str:
    """The README section that ships inside the package (Markdown), or an empty string when it is not there."""
    try:
        return (HELP / f"{key}.md").read_text(encoding="utf-8")
    except OSError:
        return ""


def open_readme(parent: QWidget, key: str) -> ReadmeSection:
    """Help → The file format / The command line: the README's section, in a dialog."""
    _, title = SECTIONS[key]
    dialog = ReadmeSection(title, shipped_section(key), parent)
    dialog.show()
    return dialog


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def versions(probe: dict | None) -> list[tuple[str, str]]:
    """(what, version) for About: torch's from its installed metadata (the window never imports torch) and
    CUDA from the device probe's answer when it has come."""
    torch = _version("torch")
    if probe is None:
        cuda = "not known yet (the device check has not answered)"
    elif probe.get("cuda_version"):
        cuda = str(probe["cuda_version"])
    else:
        gpus = probe.get("cuda") or []
        cuda = ", ".join(g["name"] for g in gpus) if gpus else "no CUDA device found"
    if "+cu" in torch and probe is not None and not probe.get("cuda_version"):
        cuda += f" (torch built for CUDA {torch.split('+cu')[1][:-1]}.{torch.split('+cu')[1][-1]})"
    return [
        ("NetBuilder", netbuilder.__version__),
        ("Python", platform.python_version()),
        ("PySide6", PySide6.__version__),
        ("torch", torch),
        ("CUDA", cuda),
    ]


class About(QDialog):
    def __init__(self, parent: QWidget | None = None, probe: dict | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("About NetBuilder")
        self.rows = versions(probe)
        table = "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{v}</td></tr>" for k, v in self.rows)
        label = QLabel(
            "<h3>NetBuilder</h3><p>Build convolutional networks as blocks, see every volume, train them.</p>"
            f"<table>{table}</table>",
            wordWrap=True,
        )
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(buttons)
        self.resize(440, 260)
