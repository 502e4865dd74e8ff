"""The Look inside panel: an image's feature maps, block by block.

Pick an image (a test sample of the training settings' dataset, or any image file opened or dropped on the panel)
and the weights (a fresh random init, or a run's best or last checkpoint of this network); the worker process
(records/inspect_worker.py, running train/feature_maps.py) prepares the image as training did and computes every
block's output at once, so switching blocks (a click on the canvas, or the arrow keys here) is instant. The selected
block shows its output channels as a grid of coloured tiles (each stretched over its own range; sortable by mean
activation), its statistics, and, for the first Conv2d, its learned filters. The window never imports torch and
never waits: a timer polls the worker while it computes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QKeyEvent, QMouseEvent, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from netbuilder.core.document import dumps
from netbuilder.records.config import TrainConfig
from netbuilder.records.features import Maps, Result, colour_map, grid_image
from netbuilder.records.inspect_worker import InspectWorker
from netbuilder.records.runs import list_runs
from netbuilder.records.train_error import TrainError
from netbuilder.ui.canvas.editor import Editor

POLL_MS = 20
TILE_PX = 64  # a tile's longer side on screen
_IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp *.ppm *.pgm)"


def to_pixmap(rgb: np.ndarray) -> QPixmap:
    """H×W×3 uint8 → a pixmap."""
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    return QPixmap.fromImage(QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy())


def patches_image(patches: np.ndarray, px: int = 36, gap: int = 2) -> np.ndarray:
    """out×k×k×3 filter patches as one row-wrapped picture, each enlarged to about px pixels."""
    n, h, w, _ = patches.shape
    scale = max(1, px // max(h, w))
    cols = min(n, 16)
    rows = -(-n // cols)
    th, tw = h * scale, w * scale
    out = np.full((rows * (th + gap) + gap, cols * (tw + gap) + gap, 3), 255, dtype=np.uint8)
    for k in range(n):
        r, c = divmod(k, cols)
        y, x = gap + r * (th + gap), gap + c * (tw + gap)
        out[y : y + th, x : x + tw] = patches[k].repeat(scale, 0).repeat(scale, 1)
    return out


def same_network(a: Any, b: Any) -> bool:
    """Whether two graphs have the same blocks with the same settings (runs of "this network")."""
    return [(n.id, n.type, n.params) for n in a.nodes.values()] == [(n.id, n.type, n.params) for n in b.nodes.values()]


class _Grid(QLabel):
    """The tile grid; hovering a tile tells its channel and value range."""

    def __init__(self) -> None:
        super().__init__()
        self.setMouseTracking(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.layout_info: tuple[int, int, int, int] | None = None  # cols, tile w, tile h, gap
        self.describe: Callable[[int], str] | None = None
        self.count = 0

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self.layout_info is None or self.describe is None:
            return
        cols, tw, th, gap = self.layout_info
        pos = event.position()
        c, r = int((pos.x() - gap) // (tw + gap)), int((pos.y() - gap) // (th + gap))
        k = r * cols + c
        if 0 <= c < cols and 0 <= k < self.count:
            QToolTip.showText(event.globalPosition().toPoint(), self.describe(k), self)


EDIT_PAUSE_MS = 300  # after an edit, the maps are asked for again once edits pause this long


class LookInside(QWidget):
    """The panel. set_block() follows the canvas; choose_file() / choose_sample() / the weights list start work."""

    step_to = Signal(str)  # the arrow keys chose this block: the window selects it on the canvas
    computed = Signal()  # a result arrived (or its sentence)

    def __init__(self, editor: Editor, runs_root: Path, config_source: Callable[[], TrainConfig] | None = None) -> None:
        super().__init__()
        self.editor, self.runs_root = editor, runs_root
        self.config_source = config_source or TrainConfig
        self.worker = InspectWorker()
        self.result: Result | None = None
        self.block: str | None = None
        self.image: dict[str, Any] | None = None
        self._asked: int | None = None  # the id of the request whose reply will be shown
        self._asked_at = 0.0
        self.last_seconds: float | None = None
        self.runs_stale = False  # a run ended while the panel was hidden: its weights list is read when shown
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.sample = QSpinBox()
        self.sample.setRange(0, 999_999)
        self.sample.setPrefix("test image ")
        self.sample_button = QPushButton("Show sample")
        self.sample_button.clicked.connect(lambda: self.choose_sample(self.sample.value()))
        self.open_button = QPushButton("Open image…")
        self.open_button.clicked.connect(self._open)
        image_row = QHBoxLayout()
        for w in (self.sample, self.sample_button, self.open_button):
            image_row.addWidget(w)
        image_row.addStretch(1)
        self.weights = QComboBox()
        self.weights.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.weights.activated.connect(lambda _i: self.refresh())
        self.refresh_runs()
        self.prepared = QLabel("Choose an image: a test sample, or open or drop an image file here.")
        self.prepared.setWordWrap(True)
        self.thumbnail = QLabel()  # the image as the network sees it (before normalisation)
        prepared_row = QHBoxLayout()
        prepared_row.addWidget(self.thumbnail)
        prepared_row.addWidget(self.prepared, 1)
        form = QFormLayout()
        form.addRow("Image", image_row)
        form.addRow("Weights", self.weights)
        form.addRow("Prepared", prepared_row)

        self.heading = QLabel()
        self.heading.setStyleSheet("font-weight: bold")
        self.sort = QCheckBox("Sort channels by mean activation")
        self.sort.toggled.connect(lambda _on: self.show_block())
        self.stats = QLabel()
        self.stats.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.grid = _Grid()
        self.legend_bar = QLabel()
        bar = np.repeat(colour_map()[None], 10, axis=0)
        self.legend_bar.setPixmap(to_pixmap(bar).scaled(200, 10))
        self.legend_low, self.legend_high = QLabel(), QLabel()
        legend = QHBoxLayout()
        legend.addWidget(self.legend_low)
        legend.addWidget(self.legend_bar)
        legend.addWidget(self.legend_high)
        legend.addStretch(1)
        self.filters_heading = QLabel()
        for label in (self.heading, self.stats, self.legend_high, self.filters_heading):
            label.setWordWrap(True)
        self.filters = QLabel()
        self.status = QLabel()
        self.status.setWordWrap(True)

        body = QWidget()
        inner = QVBoxLayout(body)
        for w in (self.heading, self.stats):
            inner.addWidget(w)
        inner.addLayout(legend)
        inner.addWidget(self.grid)
        inner.addWidget(self.filters_heading)
        inner.addWidget(self.filters)
        inner.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        top = QHBoxLayout()
        top.addWidget(self.sort)
        top.addStretch(1)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.status)
        for w in (self.sample, self.sample_button, self.open_button, self.weights, self.sort):
            w.installEventFilter(self)  # the arrow keys step through blocks from anywhere in the panel
        editor.replaced.connect(self._document_replaced)
        # An edit changes the network: ask again once the edits pause (only while the panel is shown).
        self.after_edit = QTimer(self, singleShot=True, interval=EDIT_PAUSE_MS)
        self.after_edit.timeout.connect(self.refresh)
        editor.checked.connect(lambda *_: self.after_edit.start() if self.isVisible() and self.image else None)
        self.show_block()

    # Worker lifetime: warm while the panel is shown ---------------------------------------------------------------

    def showEvent(self, event: Any) -> None:  # noqa: N802
        super().showEvent(event)
        self.worker.start()
        if self.runs_stale:
            self.refresh_runs()

    def hideEvent(self, event: Any) -> None:  # noqa: N802
        super().hideEvent(event)
        self.shutdown()

    def shutdown(self) -> None:
        self.timer.stop()
        self._asked = None
        self.worker.close()

    # Choices ------------------------------------------------------------------------------------------------------

    def runs_changed(self) -> None:
        """A run ended (the window's, or a search trial): the weights list reads the runs folder again, now if
        the panel is shown, else when it is."""
        self.runs_stale = True
        if self.isVisible():
            self.refresh_runs()

    def refresh_runs(self) -> None:
        """The weights list: a random init, then best and last of every run of this network (newest first)."""
        self.runs_stale = False
        chosen = self.weights.currentData()
        self.weights.clear()
        self.weights.addItem("Random init (the settings' seed)", {"kind": "random"})
        for run in list_runs(self.runs_root):
            try:
                if not same_network(run.document.graph, self.editor.graph):
                    continue
            except TrainError:
                continue
            for which in ("best", "last"):
                if run.checkpoint_path(which).is_file():
                    self.weights.addItem(
                        f"{run.path.name}: {which}", {"kind": "run", "run": str(run.path), "checkpoint": which}
                    )
        index = self.weights.findData(chosen) if chosen is not None else -1
        self.weights.setCurrentIndex(max(0, index))

    def _open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an image", "", _IMAGE_FILTER)
        if path:
            self.choose_file(path)

    def choose_file(self, path: str | Path) -> None:
        self.image = {"path": str(path)}
        self.refresh()

    def choose_sample(self, index: int) -> None:
        self.sample.setValue(index)
        self.image = {"sample": int(index)}
        self.refresh()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.choose_file(files[0])

    def _document_replaced(self) -> None:
        self.result = None
        self.refresh_runs()
        self.show_block()

    # Work ---------------------------------------------------------------------------------------------------------

    def config(self) -> TrainConfig:
        try:
            return self.config_source()
        except TrainError:
            return TrainConfig()

    def request(self) -> dict[str, Any] | None:
        if self.image is None:
            return None
        config = self.config()
        weights = dict(self.weights.currentData() or {"kind": "random"})
        if weights["kind"] == "random":
            weights["seed"] = config.seed
        return {
            "op": "maps",
            "document": dumps(self.editor.document),
            "weights": weights,
            "config": config.to_dict(),
            "image": self.image,
        }

    def refresh(self) -> None:
        """Ask the worker for every block's maps of the chosen image and weights (the latest request wins)."""
        message = self.request()
        if message is None:
            return
        self._asked = self.worker.request(message)
        self._asked_at = time.perf_counter()
        self.status.setText("Computing…")
        self.timer.start()

    def poll(self) -> None:
        for reply in self.worker.poll():
            if reply.id != self._asked:
                continue
            self._asked = None
            if reply.ok:
                self.result = reply.result
                self.last_seconds = time.perf_counter() - self._asked_at
                self.prepared.setText(reply.result.prepared[:1].upper() + reply.result.prepared[1:] + ".")
                self._show_thumbnail(reply.result.pixels)
                self.status.setText(
                    f"Weights: {reply.result.weights}. All {len(reply.result.maps)} blocks in "
                    f"{self.last_seconds * 1000:.0f} ms."
                )
            else:
                self.status.setText(reply.error or "The feature maps could not be computed.")
            self.show_block()
            self.computed.emit()
        if self._asked is None and not self.worker.busy:
            self.timer.stop()

    # Showing ------------------------------------------------------------------------------------------------------

    def order(self) -> list[str]:
        if self.result is not None:
            return list(self.result.order)
        return [n for n in self.editor.result.order if n in self.editor.graph.nodes]

    def set_block(self, block: str | None) -> None:
        """Show this block (the canvas selection)."""
        if block is not None and block != self.block:
            self.block = block
            self.show_block()

    def step(self, delta: int) -> None:
        order = self.order()
        if not order:
            return
        i = order.index(self.block) if self.block in order else (-1 if delta > 0 else len(order))
        target = order[max(0, min(len(order) - 1, i + delta))]
        self.set_block(target)
        self.step_to.emit(target)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not self._arrow(event):
            super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if isinstance(watched, (QSpinBox, QComboBox)) and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                return False  # those keys are the widget's own
            return self._arrow(event)
        return False

    def _arrow(self, event: QKeyEvent) -> bool:
        delta = {Qt.Key.Key_Left: -1, Qt.Key.Key_Up: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Down: 1}.get(event.key())
        if delta is None:
            return False
        self.step(delta)
        return True

    def show_block(self) -> None:
        block, result = self.block, self.result
        node = self.editor.graph.nodes.get(block) if block else None
        self.grid.clear()
        self.grid.layout_info = None
        if node is None:
            self.heading.setText("Select a block on the canvas (the arrow keys step through them).")
            self.stats.setText("")
        elif result is None or block not in result.maps:
            self.heading.setText(f"{block} · {node.type}")
            self.stats.setText("No maps yet: choose an image." if result is None else "This block has no output here.")
        else:
            self._show_maps(result.maps[block])
        self._show_filters()

    def _show_maps(self, maps: Maps) -> None:
        shape = "×".join(map(str, maps.shape))
        more = f", the first {len(maps.tiles)} shown" if len(maps.tiles) < maps.channels else ""
        kind = "values" if len(maps.shape) == 1 else "channels"
        self.heading.setText(f"{maps.block} · {maps.type} · {shape}: {maps.channels} {kind}{more}")
        s = maps.stats
        self.stats.setText(
            f"mean {s['mean']:.4g}   std {s['std']:.4g}   zeros {s['zeros'] * 100:.1f}%   "
            f"min {s['min']:.4g}   max {s['max']:.4g}   (over all {kind})"
        )
        n, h, w = maps.tiles.shape
        order = list(range(n))
        if self.sort.isChecked():
            order.sort(key=lambda i: -float(maps.channel_means[i]))
        scale = max(1, TILE_PX // max(h, w)) if h > 1 or w > 1 else 14
        picture = grid_image(maps, order, scale=scale)
        self.grid.setPixmap(to_pixmap(picture))
        cols = max(1, int(np.ceil(np.sqrt(n))))
        self.grid.layout_info = (cols, w * scale, h * scale, 2)
        self.grid.count = n

        def describe(k: int) -> str:
            c = order[k]
            lo, hi = maps.ranges[c]
            what = "value" if len(maps.shape) == 1 else "channel"
            return f"{what} {c}: mean {maps.channel_means[c]:.4g}, range {lo:.4g} … {hi:.4g}"

        self.grid.describe = describe
        if len(maps.shape) == 1:
            self.legend_low.setText(f"{s['min']:.3g}")
            self.legend_high.setText(f"{s['max']:.3g}  (one colour scale for all values)")
        else:
            self.legend_low.setText("each channel's min")
            self.legend_high.setText("its max (hover a tile for its range)")

    def _show_thumbnail(self, pixels: np.ndarray) -> None:
        if pixels.ndim != 3 or pixels.shape[0] not in (1, 3):
            self.thumbnail.clear()
            return
        rgb = np.repeat(pixels, 3, 0) if pixels.shape[0] == 1 else pixels
        picture = to_pixmap(rgb.transpose(1, 2, 0))
        self.thumbnail.setPixmap(picture.scaled(64, 64, Qt.AspectRatioMode.KeepAspectRatio))
        self.thumbnail.setToolTip(f"The image as the network sees it: {pixels.shape[2]}×{pixels.shape[1]}")

    def _show_filters(self) -> None:
        filters = self.result.filters if self.result is not None else None
        if filters is None:
            self.filters_heading.setText("")
            self.filters.clear()
            return
        n, k = filters.patches.shape[0], filters.patches.shape[1]
        self.filters_heading.setText(
            f"{filters.block}'s {n} learned filters ({k}×{k}; {filters.note}; each stretched over its own range)"
        )
        self.filters.setPixmap(to_pixmap(patches_image(filters.patches)))
