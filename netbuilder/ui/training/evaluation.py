"""After a run: the confusion matrix (click a cell to see its images), per-class accuracy, the test
images the network got most confidently wrong, and its answers for your own images (Predict…, or drop image
files on the tab)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
)
from PySide6.QtWidgets import (
    QBoxLayout,
    QFileDialog,
    QGridLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from netbuilder.ui import theme
from netbuilder.ui.inside.predictions import IMAGE_SUFFIXES, PredictionsView, local_files

LABEL_W, LABEL_H = 90.0, 70.0


class ConfusionMatrix(QWidget):
    """confusion[true][predicted] as a heat map with counts; rows are the true classes."""

    cell_clicked = Signal(int, int)  # true class, predicted class

    def __init__(self) -> None:
        super().__init__()
        self.classes: list[str] = []
        self.counts = np.zeros((0, 0), dtype=np.int64)
        self.selected: tuple[int, int] | None = None
        self.setMinimumSize(320, 300)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_data(self, classes: list[str], confusion: list[list[int]]) -> None:
        self.classes, self.counts = list(classes), np.asarray(confusion, dtype=np.int64)
        self.selected = None
        self.update()

    def _cell(self) -> float:
        n = max(1, len(self.classes))
        return max(8.0, min((self.width() - LABEL_W - 10) / n, (self.height() - LABEL_H - 10) / n))

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        size, n = self._cell(), len(self.classes)
        col, row = int((x - LABEL_W) // size), int((y - LABEL_H) // size)
        return (row, col) if 0 <= row < n and 0 <= col < n and x >= LABEL_W and y >= LABEL_H else None

    def cell_center(self, row: int, col: int) -> tuple[float, float]:
        size = self._cell()
        return LABEL_W + (col + 0.5) * size, LABEL_H + (row + 0.5) * size

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        cell = self.cell_at(event.position().x(), event.position().y())
        if cell is not None:
            self.selected = cell
            self.update()
            self.cell_clicked.emit(*cell)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = theme.current()
        painter.fillRect(self.rect(), pal.background)
        n = len(self.classes)
        if not n:
            painter.setPen(pal.muted)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "The confusion matrix appears after a run.")
            return
        size = self._cell()
        totals = np.maximum(self.counts.sum(axis=1, keepdims=True), 1)
        share = self.counts / totals
        painter.setFont(theme.ui_font(8))
        for row in range(n):
            for col in range(n):
                rect = QRectF(LABEL_W + col * size, LABEL_H + row * size, size, size)
                strength = float(share[row, col])
                base = QColor(0, 158, 115) if row == col else QColor(213, 94, 0)  # Okabe–Ito green, vermillion
                color = QColor(pal.background)
                color = QColor(
                    int(color.red() + (base.red() - color.red()) * strength),
                    int(color.green() + (base.green() - color.green()) * strength),
                    int(color.blue() + (base.blue() - color.blue()) * strength),
                )
                painter.fillRect(rect, color)
                painter.setPen(pal.grid)
                painter.drawRect(rect)
                if size >= 18:
                    painter.setPen(QColor("white") if strength > 0.5 else pal.text)
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(int(self.counts[row, col])))
        if self.selected is not None:
            row, col = self.selected
            painter.setPen(theme.current().selection)
            painter.drawRect(QRectF(LABEL_W + col * size, LABEL_H + row * size, size, size))
        painter.setPen(pal.text)
        for i, name in enumerate(self.classes):
            painter.drawText(
                QRectF(0, LABEL_H + i * size, LABEL_W - 6, size),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                name,
            )
            painter.save()
            painter.translate(LABEL_W + (i + 0.5) * size, LABEL_H - 6)
            painter.rotate(-60)
            painter.drawText(
                QRectF(0, -8, LABEL_H, 16), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name
            )
            painter.restore()
        painter.setPen(pal.muted)
        painter.drawText(QRectF(0, LABEL_H - 18, LABEL_W - 6, 16), Qt.AlignmentFlag.AlignRight, "true ↓")
        painter.drawText(QRectF(LABEL_W, 0, n * size, 14), Qt.AlignmentFlag.AlignRight, "predicted →")

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(480, 440)


def to_pixmap(image: np.ndarray, scale: int = 2) -> QPixmap:
    """A C×H×W (or H×W) uint8 image as a pixmap, grey or colour."""
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[0] in (1, 3):
        array = np.moveaxis(array, 0, -1)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    array = np.ascontiguousarray(array.astype(np.uint8))
    h, w = array.shape[:2]
    if array.ndim == 2:
        qimage = QImage(array.data, w, h, w, QImage.Format.Format_Grayscale8)
    else:
        qimage = QImage(array.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(qimage.copy()).scaled(w * scale, h * scale)


SIDE_BY_SIDE = 560  # the least width that shows the matrix and the images side by side
TILE_WIDTH = 96  # pixels of a test image's tile: its picture, and "true → predicted (97%)" wrapped under it


NO_RUN = "Run a network to see how it does on the test images."


class EvaluationView(QWidget):
    """The final test of a run: accuracy, the matrix, per-class accuracy and the wrong answers; and the run's
    answers for image files dropped on it or chosen with Predict…"""

    look_inside = Signal(str)  # an image's path, to open in Look inside

    def __init__(self) -> None:
        super().__init__()
        self.run_path: Path | None = None  # the run whose network answers Predict… and dropped images
        self.summary = QLabel(NO_RUN, wordWrap=True)
        self.summary.setFont(theme.ui_font(10, bold=True))
        self.matrix = ConfusionMatrix()
        self.per_class = QLabel(wordWrap=True)
        self.per_class.setFont(theme.mono_font(9))
        self.caption = QLabel(wordWrap=True)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll = self.scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the tiles wrap instead
        scroll.setWidget(self.grid_host)
        scroll.viewport().installEventFilter(self)
        self.cells: list[QWidget] = []
        self.columns = 0
        self.predict_button = QPushButton("Predict…")
        self.predict_button.setToolTip("Choose image files for the run's network to classify (or drop them here)")
        self.predictions = PredictionsView()
        left = QVBoxLayout()
        left.addWidget(self.summary)
        left.addWidget(self.matrix, 1)
        left.addWidget(self.per_class)
        tests = QWidget()
        right = QVBoxLayout(tests)
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self.caption)
        right.addWidget(scroll, 1)
        # Predict… heads its page (as the tab bar's corner widget it pushed "Your images" out of a narrow pane).
        self.yours = yours = QWidget()  # the "Your images" page
        column = QVBoxLayout(yours)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.predict_button, 0, Qt.AlignmentFlag.AlignLeft)
        column.addWidget(self.predictions, 1)
        self.side = QTabWidget()
        self.side.addTab(tests, "Test images")
        self.side.addTab(yours, "Your images")
        # Side by side when the pane is wide enough, else the images under the matrix (never cut sideways).
        self.box = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self.box.addLayout(left, 3)
        self.box.addWidget(self.side, 2)
        self.classes: list[str] = []
        self.wrong: list[dict[str, Any]] = []
        self.samples: list[dict[str, Any]] = []
        self.images: dict[int, np.ndarray] = {}
        self.matrix.cell_clicked.connect(self.show_cell)
        self.predictions.look_inside.connect(self.look_inside)
        self.predict_button.clicked.connect(self.ask_images)
        self.setAcceptDrops(True)
        self.set_run(None)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """As narrow as its parts one above the other: a narrow pane stacks them (see resizeEvent)."""
        margins = self.box.contentsMargins()
        widest = max(self.matrix.minimumSizeHint().width(), self.side.minimumSizeHint().width())
        return QSize(widest + margins.left() + margins.right(), super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802
        side_by_side = event.size().width() >= SIDE_BY_SIDE
        direction = QBoxLayout.Direction.LeftToRight if side_by_side else QBoxLayout.Direction.TopToBottom
        if self.box.direction() != direction:
            self.box.setDirection(direction)
        super().resizeEvent(event)

    # Your own images --------------------------------------------------------------------------

    def set_run(self, path: Path | None) -> None:
        """The run whose network answers for dropped and chosen images."""
        self.run_path = Path(path) if path is not None else None
        self.predict_button.setEnabled(self.run_path is not None)

    def clear(self) -> None:
        """No run shown (another network was opened): no result, no images, no run to ask."""
        self.set_run(None)
        self.predictions.shutdown()
        self.predictions.clear()
        self.classes, self.wrong, self.samples, self.images = [], [], [], {}
        self.summary.setText(NO_RUN)
        self.matrix.set_data([], [])
        self.per_class.setText("")
        self.show_samples([], "")

    def predict_files(self, paths: list[Path]) -> None:
        """Show the run's top classes for each image (worked out in a background process)."""
        self.side.setCurrentWidget(self.yours)
        if self.run_path is None:
            self.predictions.show_failure(
                "No run to ask yet: train the network, or choose a run in the Runs tab, then drop the images again."
            )
            return
        if not paths:
            self.predictions.show_failure("Drop image files (PNG, JPEG, …), not folders or links.")
            return
        self.predictions.predict(self.run_path, paths)

    def ask_images(self) -> None:
        pattern = " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES))
        names, _ = QFileDialog.getOpenFileNames(self, "Images to classify", "", f"Images ({pattern});;All files (*)")
        if names:
            self.predict_files([Path(n) for n in names])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt's name)
        """Files of which one at least is named as an image (the others get their sentence when dropped)."""
        files = local_files(event.mimeData().urls()) if event.mimeData().hasUrls() else []
        if any(f.suffix.lower() in IMAGE_SUFFIXES for f in files):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = local_files(event.mimeData().urls()) if event.mimeData().hasUrls() else []
        event.acceptProposedAction()
        self.predict_files(paths)

    # The test images --------------------------------------------------------------------------
    def show_result(
        self,
        accuracy: float,
        classes: list[str],
        confusion: list[list[int]],
        per_class: list[float],
        wrong: list[dict[str, Any]],
        samples: list[dict[str, Any]],
        images: dict[int, np.ndarray],
    ) -> None:
        """Fill the view from an Evaluated event and the test images its samples name (by index)."""
        self.classes, self.wrong, self.samples, self.images = list(classes), list(wrong), list(samples), images
        self.side.setCurrentIndex(0)
        self.summary.setText(f"Test accuracy {accuracy:.1%} on {int(np.sum(confusion)):,} images")
        self.matrix.set_data(classes, confusion)
        width = max(len(c) for c in classes)
        self.per_class.setText("\n".join(f"{c:<{width}}  {a:6.1%}" for c, a in zip(classes, per_class)))
        self.show_samples(self.wrong, "Most confidently wrong, surest first")

    def show_cell(self, true: int, predicted: int) -> None:
        """The images that landed in a cell of the matrix, the network's surest first."""
        picked = [s for s in self.samples if s["label"] == true and s["predicted"] == predicted]
        count = int(self.matrix.counts[true, predicted])
        what = "recognised correctly" if true == predicted else f"taken for '{self.classes[predicted]}'"
        shown = f"; the surest {len(picked)}" if len(picked) < count else ""
        self.show_samples(picked, f"{count:,} '{self.classes[true]}' images {what}{shown}.")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.scroll.viewport() and event.type() == QEvent.Type.Resize:
            self._wrap()
        return super().eventFilter(watched, event)

    def _wrap(self) -> None:
        """As many tiles a row as the pane's width holds (at least one)."""
        if not self.cells:
            return
        margins = self.grid.contentsMargins()
        spacing = max(0, self.grid.horizontalSpacing())
        room = self.scroll.viewport().width() - margins.left() - margins.right()
        columns = max(1, (room + spacing) // (self.cells[0].width() + spacing))
        if columns == self.columns:
            return
        self.columns = columns
        for cell in self.cells:
            self.grid.removeWidget(cell)
        for i, cell in enumerate(self.cells):
            self.grid.addWidget(cell, i // columns, i % columns)

    def show_samples(self, samples: list[dict[str, Any]], caption: str) -> None:
        while self.grid.count():
            widget = self.grid.takeAt(0).widget()
            if widget is not None:
                widget.setParent(None)  # gone from view now, not at the next event loop turn
                widget.deleteLater()
        self.cells, self.columns = [], 0
        shown = [s for s in samples if s["index"] in self.images]
        note = " (their images were not saved with this run)" if samples and not shown else ""
        self.caption.setText(caption + note)
        for i, sample in enumerate(shown[:64]):
            tile = QLabel()
            tile.setPixmap(to_pixmap(self.images[sample["index"]]))
            tile.setToolTip(
                f"true {self.classes[sample['label']]}, predicted {self.classes[sample['predicted']]} "
                f"({sample['confidence']:.0%} sure)"
            )
            true, predicted = self.classes[sample["label"]], self.classes[sample["predicted"]]
            shown_text = (
                f"{true} ({sample['confidence']:.0%})"
                if sample["label"] == sample["predicted"]
                else f"{true} → {predicted} ({sample['confidence']:.0%})"
            )
            text = QLabel(shown_text, wordWrap=True)
            text.setAlignment(Qt.AlignmentFlag.AlignCenter)
            text.setFont(theme.ui_font(8))
            cell = QWidget()
            cell.setFixedWidth(max(TILE_WIDTH, tile.pixmap().width() + 8))
            box = QVBoxLayout(cell)
            box.setContentsMargins(2, 2, 2, 2)
            box.addWidget(tile, 0, Qt.AlignmentFlag.AlignCenter)
            box.addWidget(text)
            box.addStretch(1)
            self.cells.append(cell)
            self.grid.addWidget(cell, i // 6, i % 6)
        self._wrap()
