"""Predict on your own images: each image with the trained network's top classes as bars.

The window imports no torch: `netbuilder predict RUN_DIR IMAGE... --json` runs in a process of its own and its
JSON (train/predict.py writes it) is drawn here. Clicking an image asks for it to be opened in Look inside
(the signal `look_inside(path)`, for the window to connect)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QProcess, QRectF, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QImageReader, QMouseEvent, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from netbuilder.ui import theme

TOP = 5
THUMB = 72  # pixels of an image's picture in its row
MIN_BARS_WIDTH = 140  # the top classes' least width: names elided, bars short, percentages whole
BAR_COLOR = QColor(0, 114, 178)  # Okabe–Ito blue
FIRST_COLOR = QColor(0, 158, 115)  # Okabe–Ito green: the network's answer
IMAGE_SUFFIXES = {".bmp", ".gif", ".jpeg", ".jpg", ".pgm", ".png", ".ppm", ".tif", ".tiff", ".webp"}


def local_files(urls: list[QUrl]) -> list[Path]:
    """The local files among dropped URLs, in order."""
    return [Path(u.toLocalFile()) for u in urls if u.isLocalFile() and Path(u.toLocalFile()).is_file()]


class PredictJob(QObject):
    """Runs `python -m netbuilder predict RUN_DIR IMAGE... --json`; `done` carries the parsed JSON (None when the
    command printed none) and a sentence (empty when it succeeded)."""

    done = Signal(object, str)

    def __init__(self, run_dir: Path, images: list[Path], top: int = TOP, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.args = ["predict", str(run_dir), *map(str, images), "--json", "--top", str(top)]
        self.process = QProcess(self)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._failed_to_start)

    def start(self) -> None:
        self.process.start(sys.executable, ["-m", "netbuilder", *self.args])

    def running(self) -> bool:
        return self.process.state() != QProcess.ProcessState.NotRunning

    def cancel(self) -> None:
        """Stop it without a word: a newer request replaces it."""
        for signal in (self.process.finished, self.process.errorOccurred):
            signal.disconnect()
        if self.running():
            self.process.kill()
            self.process.waitForFinished(2000)

    def _failed_to_start(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.done.emit(None, f"Could not start {sys.executable}.")

    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        out = bytes(self.process.readAllStandardOutput()).decode("utf-8", "replace").strip()
        err = bytes(self.process.readAllStandardError()).decode("utf-8", "replace").strip()
        try:
            result = json.loads(out) if out else None
        except ValueError:
            result = None
        lines = err.splitlines()
        if status != QProcess.ExitStatus.NormalExit:
            message = "The prediction process stopped before it finished; try again."
        elif result is None:
            message = lines[-1] if lines else f"The prediction failed (exit code {code})."
        else:
            message = ""  # the images' own sentences are in the result
        self.done.emit(result, message.removeprefix("error: "))


class TopBars(QWidget):
    """A horizontal bar per class, longest first: the class name, its bar and its probability."""

    ROW = 17

    def __init__(self, entries: list[tuple[str, float]]) -> None:
        super().__init__()
        self.entries = entries
        self.setMinimumSize(MIN_BARS_WIDTH, self.ROW * max(1, len(entries)) + 2)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(320, self.ROW * max(1, len(self.entries)) + 2)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        pal = theme.current()
        painter.setFont(theme.ui_font(8.5))
        widest = max((painter.fontMetrics().horizontalAdvance(name) for name, _ in self.entries), default=0)
        number_w = painter.fontMetrics().horizontalAdvance("100.0%") + 4.0  # the percentages are always whole
        label_w = min(widest + 10.0, 120.0, self.width() * 0.35)
        bar_w = max(10.0, self.width() - label_w - number_w - 8)
        for i, (name, p) in enumerate(self.entries):
            y = i * self.ROW + 1
            painter.setPen(pal.text)
            painter.drawText(
                QRectF(0, y, label_w - 6, self.ROW),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                painter.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight, int(label_w - 6)),
            )
            painter.fillRect(QRectF(label_w, y + 3, bar_w, self.ROW - 6), pal.grid.lighter(115))
            painter.fillRect(
                QRectF(label_w, y + 3, max(1.0, bar_w * p), self.ROW - 6), FIRST_COLOR if i == 0 else BAR_COLOR
            )
            painter.drawText(
                QRectF(label_w + bar_w + 4, y, number_w, self.ROW),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                f"{p:.1%}",
            )


class _Thumb(QLabel):
    clicked = Signal()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()


def _thumbnail(path: str) -> QPixmap:
    """The image decoded at about the thumbnail's size (a large JPEG is never decoded whole)."""
    reader = QImageReader(path)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > 2 * THUMB:
        reader.setScaledSize(size.scaled(2 * THUMB, 2 * THUMB, Qt.AspectRatioMode.KeepAspectRatio))
    return QPixmap.fromImage(reader.read())


class PredictionRow(QWidget):
    """One image: its picture, its name and what preparing it did, and its top classes (or why it could not be
    read)."""

    look_inside = Signal(str)

    def __init__(self, entry: dict[str, Any]) -> None:
        super().__init__()
        self.path = str(entry.get("path", ""))
        self.error: str | None = entry.get("error")
        self.thumb = _Thumb()
        self.thumb.setFixedSize(THUMB, THUMB)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setStyleSheet("border: 1px solid palette(mid);")
        pixmap = _thumbnail(self.path) if self.error is None else QPixmap()  # an unread one may be a pipe
        if pixmap.isNull():
            self.thumb.setText("?")
        else:
            self.thumb.setPixmap(
                pixmap.scaled(
                    THUMB,
                    THUMB,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.FastTransformation
                    if max(pixmap.width(), pixmap.height()) < THUMB
                    else Qt.TransformationMode.SmoothTransformation,
                )
            )
        if self.error is None:
            self.thumb.setCursor(Qt.CursorShape.PointingHandCursor)
            self.thumb.setToolTip("Open this image in Look inside")
            self.thumb.clicked.connect(lambda: self.look_inside.emit(self.path))
        name = QLabel(Path(self.path).name)
        name.setFont(theme.ui_font(9, bold=True))
        name.setToolTip(self.path)
        self.note = QLabel(self.error or entry.get("prepared", ""), wordWrap=True)
        self.note.setFont(theme.ui_font(8))
        self.note.setStyleSheet(theme.status_style("error", bold=False) if self.error else "color: palette(mid);")
        self.bars = TopBars([(c, float(p)) for c, p in entry.get("top", [])])
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(name)
        text.addWidget(self.note)
        if self.error is None:
            text.addWidget(self.bars)
        text.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.thumb, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(text, 1)


class PredictionsView(QWidget):
    """The run's answers for some images, a row each; `predict` asks a background process for them."""

    look_inside = Signal(str)  # an image's path, to open in Look inside
    finished = Signal()  # the rows of the latest request are shown (or the sentence saying why not)

    def __init__(self) -> None:
        super().__init__()
        self.status = QLabel(
            "Drop image files here (or use Predict…) to see what the trained network makes of them.", wordWrap=True
        )
        self.host = QWidget()
        self.list = QVBoxLayout(self.host)
        self.list.setAlignment(Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the rows fit the width
        scroll.setWidget(self.host)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status)
        layout.addWidget(scroll, 1)
        self.rows: list[PredictionRow] = []
        self.job: PredictJob | None = None

    def busy(self) -> bool:
        return self.job is not None

    def predict(self, run_dir: Path, images: list[Path]) -> None:
        """Ask the run's network about the images, in the background; a newer request replaces one under way."""
        self._stop_job()
        self.status.setStyleSheet("")
        count = f"{len(images)} image{'s' if len(images) != 1 else ''}"
        self.status.setText(f"Asking {run_dir.name} about {count}…")
        self.job = PredictJob(run_dir, images, TOP, self)
        self.job.done.connect(self._done)
        self.job.start()

    def _stop_job(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.job.deleteLater()
            self.job = None

    def _done(self, result: dict[str, Any] | None, message: str) -> None:
        if self.job is not None:
            self.job.deleteLater()
            self.job = None
        if result is None:
            self.show_failure(message)
        else:
            self.show_result(result)
        self.finished.emit()

    def clear(self) -> None:
        for row in self.rows:
            row.setParent(None)  # gone from view now, not at the next event loop turn
            row.deleteLater()
        self.rows = []

    def show_result(self, result: dict[str, Any]) -> None:
        """Rows for the images of a `netbuilder predict --json` result."""
        self.clear()
        for entry in result.get("images", []):
            row = PredictionRow(entry)
            row.look_inside.connect(self.look_inside)
            self.list.addWidget(row)
            self.rows.append(row)
        bad = sum(1 for r in self.rows if r.error)
        checkpoint = f"{result.get('checkpoint', 'best')} checkpoint, epoch {result.get('epoch', '?')}"
        unread = f"; {bad} could not be read" if bad else ""
        self.status.setText(
            f"{Path(str(result.get('run', ''))).name} ({checkpoint}): top {TOP} of {len(self.rows) - bad} "
            f"image{'s' if len(self.rows) - bad != 1 else ''}{unread}. Click an image to look inside."
        )
        self.status.setStyleSheet("")

    def show_failure(self, sentence: str) -> None:
        self.clear()
        self.status.setText(sentence)
        self.status.setStyleSheet(theme.status_style("error", bold=False))

    def shutdown(self) -> None:
        self._stop_job()
