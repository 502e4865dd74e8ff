"""Live training curves: loss, accuracy and learning rate for one or more runs, redrawn on a timer."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QRect, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from netbuilder.core.atomic import text_writer
from netbuilder.ui import theme
from netbuilder.ui.flow import FlowLayout, together
from netbuilder.ui.image_file import save_image
from netbuilder.ui.training.run_series import distinct_colors
from netbuilder.ui.training.series import Growing, RunSeries, Smoothed, diverged_at, finite_range

# Each tick redraws one plot, in turn (a plot takes several ms to paint): each plot is new 3 times a second,
# and the window never waits long for the curves.
REDRAW_MS = 110
X_AXES = {"step": "step", "epoch": "epoch", "wall time (s)": "time"}
MIN_PLOT_WIDTH, MIN_PLOT_HEIGHT = 100, 60  # three side by side fit the training dock at 1280×800, two runs overlaid
LABELLED_HEIGHT = 150  # a plot shorter than this leaves out the x axis's name
LEGEND_ROWS = 3  # the legend's most rows; more (many overlaid runs) scroll inside it, the plots keep their room


def _pen(color: str, width: float = 2.0, alpha: int = 255, dashed: bool = False) -> pg.mkPen:
    c = QColor(color)
    c.setAlpha(alpha)
    return pg.mkPen(c, width=width, style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)


class Legend(QWidget):
    """The curves' key, outside the plots (it never covers a curve): a colour sample and the readable name of
    each run, then what each line style means, in as many rows as the width needs."""

    SAMPLE = 26
    GAP = 14

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[tuple[QPen, str | None, str]] = []  # (sample pen, symbol "o"/"t"/None, text)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setToolTip(
            "smoothed: the training loss or accuracy of each batch, smoothed; raw: the same, unsmoothed; "
            "epoch: the training value over each epoch; validation: the validation value after each epoch"
        )

    def set_entries(self, entries: list[tuple[QPen, str | None, str]]) -> None:
        self.entries = entries
        self.setFixedHeight(self.heightForWidth(max(200, self.width())))
        self.update()

    def _layout(self, width: int) -> list[tuple[QRectF, int]]:
        """Where each entry goes: its rectangle, and its index."""
        metrics = self.fontMetrics()
        line = metrics.height() + 4
        x, y, out = 0.0, 2.0, []
        for i, (_, _, text) in enumerate(self.entries):
            w = self.SAMPLE + 6 + metrics.horizontalAdvance(text)
            if x > 0 and x + w > width:
                x, y = 0.0, y + line
            if w <= width:
                out.append((QRectF(x, y, w, line), i))
                x += w + self.GAP
                continue
            # Wider than the legend: a row of its own, the text wrapped.
            room = QRect(0, 0, max(1, width - self.SAMPLE - 6), 10_000)
            height = metrics.boundingRect(room, Qt.TextFlag.TextWordWrap, text).height() + 4
            out.append((QRectF(0, y, width, height), i))
            x, y = 0.0, y + height
        return out

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        places = self._layout(width)
        return int(places[-1][0].bottom() + 2) if places else 0

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(200, self.heightForWidth(max(200, self.width())))

    def resizeEvent(self, event) -> None:  # noqa: N802
        height = self.heightForWidth(self.width())
        if height != self.height():
            self.setFixedHeight(height)
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text_color = theme.current().text
        line = self.fontMetrics().height() + 4
        for rect, i in self._layout(self.width()):
            pen, symbol, text = self.entries[i]
            mid = rect.top() + line / 2
            painter.setPen(pen)
            painter.drawLine(QPointF(rect.left() + 1, mid), QPointF(rect.left() + self.SAMPLE - 1, mid))
            if symbol is not None:
                painter.setBrush(pen.color())
                centre = QPointF(rect.left() + self.SAMPLE / 2, mid)
                if symbol == "o":
                    painter.drawEllipse(centre, 3.5, 3.5)
                else:
                    painter.drawPolygon(
                        QPolygonF([centre + QPointF(0, -4.5), centre + QPointF(4.5, 3.5), centre + QPointF(-4.5, 3.5)])
                    )
            painter.setPen(text_color)
            painter.drawText(
                QRectF(rect.left() + self.SAMPLE + 6, rect.top(), rect.width() - self.SAMPLE - 6, rect.height()),
                Qt.AlignmentFlag.AlignLeft
                | Qt.AlignmentFlag.AlignVCenter
                | (Qt.TextFlag.TextWordWrap if rect.height() > line else Qt.TextFlag(0)),
                text,
            )


class LegendArea(QScrollArea):
    """The legend, as tall as its rows up to LEGEND_ROWS; further rows scroll inside it."""

    def __init__(self, legend: Legend) -> None:
        super().__init__()
        self.legend = legend
        self.setWidget(legend)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        legend.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.legend and event.type() == QEvent.Type.Resize:
            most = LEGEND_ROWS * (self.legend.fontMetrics().height() + 4) + 4
            self.setFixedHeight(min(self.legend.height(), most))
        return False


class _Plot(pg.PlotWidget):
    """One plot, named by its y axis (a title would cost a line of a short dock), with a crosshair that reads
    out x and the value of the first curve under the pointer."""

    def __init__(self, y_label: str) -> None:
        super().__init__()
        self.setLabel("left", y_label)
        # Set on the plot: PlotItem.addItem hands its own modes to every curve added, overriding the curve's.
        self.setDownsampling(auto=True, mode="peak")
        self.setClipToView(True)
        theme.plain_axes(self)
        self.setMinimumHeight(MIN_PLOT_HEIGHT)
        self.setMinimumWidth(MIN_PLOT_WIDTH)
        # Ignored: the row shares out its width, whatever the plots' size hints ask (a plot never runs off the edge).
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        self.line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((128, 128, 128), width=1))
        self.readout = pg.TextItem(anchor=(0, 0))
        self.addItem(self.line, ignoreBounds=True)
        self.addItem(self.readout, ignoreBounds=True)
        self.line.hide()
        self.scene().sigMouseMoved.connect(self._moved)
        self.reference: pg.PlotDataItem | None = None
        self.x_name = "step"

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """A short plot keeps its height for the data: the x axis's name is in the x axis box above."""
        if event is not None and getattr(self, "plotItem", None) is not None:  # pyqtgraph calls it with None
            self.getAxis("bottom").showLabel(event.size().height() >= LABELLED_HEIGHT)
        super().resizeEvent(event)

    def sizeHint(self) -> QSize:  # noqa: N802
        """Small: the plots take the room left (a page that scrolls grows to its contents' preferred height)."""
        return QSize(MIN_PLOT_WIDTH, MIN_PLOT_HEIGHT)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(MIN_PLOT_WIDTH, MIN_PLOT_HEIGHT)  # not a scroll area's (it never scrolls)

    def _moved(self, pos) -> None:
        if not self.plotItem.vb.sceneBoundingRect().contains(pos) or self.reference is None:
            self.line.hide()
            self.readout.setText("")
            return
        x = self.plotItem.vb.mapSceneToView(pos).x()
        xs, ys = self.reference.getData()
        if xs is None or len(xs) == 0:
            return
        i = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
        self.line.setPos(xs[i])
        self.line.show()
        value = ys[i] if not self.plotItem.ctrl.logYCheck.isChecked() else 10 ** ys[i]
        self.readout.setText(f"{self.x_name} {xs[i]:,.4g} · {value:.4g}")
        top_left = self.plotItem.vb.viewRange()
        self.readout.setPos(top_left[0][0], top_left[1][1])


def _diverged_note(step: int | None) -> str:
    return " (diverged)" if step is not None else ""  # short: one legend line; the step is on the plot


class CurvesPanel(QWidget):
    """Loss (per batch raw and smoothed, per epoch train and validation), accuracy and learning rate."""

    def __init__(self) -> None:
        super().__init__()
        pg.setConfigOptions(antialias=True)
        self.runs: list[RunSeries] = []
        self.items: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.smoothers: dict[tuple[str, str], Smoothed] = {}
        self.drawn: dict[tuple[str, str], tuple] = {}  # what each curve was last given: (points, settings)
        self.plot_of: dict[tuple[str, str], _Plot] = {}
        self.stale: list[_Plot] = []  # plots whose curves have new data, redrawn one per tick
        self.note = ""  # what the last export did
        self.divergence_marks: list[pg.InfiniteLine] = []  # on the loss plot, one per diverged run
        # Fine-tuning runs: where the learned blocks began to train, on the loss and accuracy plots (by run, x).
        self.unfreeze_marks: dict[tuple[str, float], list[pg.InfiniteLine]] = {}
        self.diverged: dict[str, int] = {}  # the shown runs whose loss diverged: the step where it did

        self.smoothing = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=999, value=600)
        self.smoothing_label = QLabel()
        self.x_axis = QComboBox()
        self.x_axis.addItems(list(X_AXES))
        self.log_loss = QCheckBox("log loss")
        self.export_png = QToolButton(text="PNG…", toolTip="Export the plots as a PNG image")
        self.export_csv = QToolButton(text="CSV…", toolTip="Export every point as CSV")
        self.smoothing.setMinimumWidth(60)
        self.export_note = QLabel(wordWrap=True)
        self.export_note.hide()
        # The controls wrap onto a second row in a narrow dock (never cut, never scrolled sideways); each label
        # stays with its control.
        self.controls = QWidget()
        controls = FlowLayout(self.controls)
        for group in (
            (QLabel("Smoothing"), self.smoothing, self.smoothing_label),
            (QLabel("x axis"), self.x_axis),
            (self.log_loss,),
            (self.export_png, self.export_csv),
        ):
            controls.addWidget(together(*group))

        self.loss = _Plot("loss")
        self.accuracy = _Plot("accuracy")
        self.lr = _Plot("learning rate")
        self.plots = QWidget()
        row = QHBoxLayout(self.plots)
        row.setContentsMargins(0, 0, 0, 0)
        for plot in (self.loss, self.accuracy, self.lr):
            row.addWidget(plot, 2 if plot is not self.lr else 1)
        self.legend = Legend()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self.controls)
        layout.addWidget(self.export_note)
        layout.addWidget(LegendArea(self.legend))
        layout.addWidget(self.plots, 1)

        self.smoothing.valueChanged.connect(self._controls_changed)
        self.x_axis.currentIndexChanged.connect(self._controls_changed)
        self.log_loss.toggled.connect(self._log_changed)
        self.export_png.clicked.connect(lambda: self._export("png"))
        self.export_csv.clicked.connect(lambda: self._export("csv"))
        self.timer = QTimer(self, interval=REDRAW_MS)
        self.timer.timeout.connect(self.redraw_if_dirty)
        self.timer.start()
        self.apply_theme()
        self._controls_changed()

    @property
    def weight(self) -> float:
        return self.smoothing.value() / 1000

    @property
    def x_mode(self) -> str:
        return X_AXES[self.x_axis.currentText()]

    def apply_theme(self) -> None:
        """The plots in the current theme's colours: background, axes, labels, title, readout and legend."""
        pal = theme.current()
        self.themed = pal
        for plot in (self.loss, self.accuracy, self.lr):
            plot.setBackground(pal.background)
            for axis in ("left", "bottom"):
                ax = plot.getAxis(axis)
                ax.setTextPen(pal.text)
                ax.setPen(pal.muted)
                ax.label.setDefaultTextColor(pal.text)
            plot.readout.setColor(pal.text)
        self._fill_legend()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        """The theme changed (theme.set_mode sets the application's palette): follow it."""
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            if getattr(self, "themed", None) is not None and self.themed is not theme.current():
                self.apply_theme()
        super().changeEvent(event)

    def _fill_legend(self) -> None:
        pal = theme.current()
        entries: list[tuple[QPen, str | None, str]] = [
            (_pen(run.color, 3), None, run.label + _diverged_note(self.diverged.get(run.name))) for run in self.runs
        ]
        key = QColor(pal.text)
        entries += [
            (_pen(key.name(), 2), None, "smoothed"),
            (_pen(key.name(), 1, 70), None, "raw"),
            (_pen(key.name(), 1.5), "o", "epoch"),
            (_pen(key.name(), 2, dashed=True), "t", "validation"),
        ]
        self.legend.set_entries(entries)

    def _controls_changed(self, *_: object) -> None:
        self.smoothing_label.setText(f"{self.weight:.3f}")
        for plot in (self.loss, self.accuracy, self.lr):
            plot.x_name = self.x_mode if self.x_mode != "time" else "s"
            plot.setLabel("bottom", self.x_axis.currentText(), color=theme.current().text.name())
        self.mark_dirty()

    def _log_changed(self, on: bool) -> None:
        self.loss.setLogMode(y=on)
        self._fit_loss()
        self.mark_dirty()

    def set_runs(self, runs: list[RunSeries]) -> None:
        """Show these runs (the live one and any overlaid), each in its own stable colour."""
        for plot in (self.loss, self.accuracy, self.lr):
            for item in [i for i in plot.listDataItems()]:
                plot.removeItem(item)
            plot.reference = None
        self.items.clear()
        self.smoothers.clear()
        self.drawn.clear()
        self.plot_of.clear()
        self.runs = list(runs)
        distinct_colors(self.runs)
        for run in self.runs:
            self._curve(self.loss, run, "batch_loss_raw", _pen(run.color, 1, 60), None)
            self._curve(self.loss, run, "batch_loss", _pen(run.color), None)
            self._curve(self.loss, run, "train_loss", _pen(run.color, 1.5), None, symbol="o")
            self._curve(self.loss, run, "val_loss", _pen(run.color, 2, dashed=True), None, symbol="t")
            self._curve(self.accuracy, run, "batch_accuracy", _pen(run.color, 1.5, 150), None)
            self._curve(self.accuracy, run, "train_accuracy", _pen(run.color), None, symbol="o")
            self._curve(self.accuracy, run, "val_accuracy", _pen(run.color, 2, dashed=True), None, symbol="t")
            self._curve(self.lr, run, "lr", _pen(run.color, 1.5), None)
        if self.runs:
            first = self.runs[0].name
            for plot, key in ((self.loss, "batch_loss"), (self.accuracy, "batch_accuracy"), (self.lr, "lr")):
                plot.reference = self.items[(first, key)]
        self._fill_legend()
        self.mark_dirty()
        self.redraw()

    def _curve(self, plot: _Plot, run: RunSeries, key: str, pen, name: str | None, symbol: str | None = None) -> None:
        # Per-batch curves are dense (two points a pixel after downsampling): drawn without antialiasing they
        # look the same and paint several times faster; the sparse epoch curves stay antialiased.
        dense = key.startswith("batch_") or key == "lr"
        item = pg.PlotDataItem(
            pen=pen,
            name=name,
            symbol=symbol,
            symbolSize=6,
            antialias=not dense,
            symbolBrush=pen.color(),
            symbolPen=pen.color(),
        )
        plot.addItem(item)
        self.items[(run.name, key)] = item
        self.plot_of[(run.name, key)] = plot

    def mark_dirty(self) -> None:
        self.stale = [self.loss, self.accuracy, self.lr]

    def redraw_if_dirty(self) -> None:
        if self.stale:
            self.redraw(self.stale.pop(0))

    def redraw(self, only: _Plot | None = None) -> None:
        """Hand each curve (of one plot, or of all) whose data changed its data; pyqtgraph downsamples and
        clips to the view."""
        if only is None:
            self.stale = []
        mode = self.x_mode
        refit = False
        for run in self.runs:
            sources: dict[str, tuple[Growing, bool]] = {
                "batch_loss_raw": (run.batch_loss, False),
                "batch_loss": (run.batch_loss, True),
                "train_loss": (run.train_loss, False),
                "val_loss": (run.val_loss, False),
                "batch_accuracy": (run.batch_accuracy, True),
                "train_accuracy": (run.train_accuracy, False),
                "val_accuracy": (run.val_accuracy, False),
                "lr": (run.lr, False),
            }
            for key, (series, smoothed) in sources.items():
                item = self.items.get((run.name, key))
                if item is None or (only is not None and self.plot_of[(run.name, key)] is not only):
                    continue
                # A smoothing change redraws the smoothed curves only.
                version = (series.n, mode, self.weight if smoothed else None)
                if self.drawn.get((run.name, key)) == version:
                    continue  # unchanged: leave it (and its plot's axes) alone
                self.drawn[(run.name, key)] = version
                ys = (
                    self.smoothers.setdefault((run.name, key), Smoothed()).of(series, self.weight)
                    if smoothed
                    else series.y
                )
                item.setData(run.axis(series.x, mode), ys)
                refit |= self.plot_of[(run.name, key)] is self.loss
        if refit:
            self._fit_loss()
            self._mark_unfreezing()

    def _mark_unfreezing(self) -> None:
        """A dotted line where each fine-tuning run unfroze its learned blocks (kept while it stays in place)."""
        wanted = {
            (run.name, float(run.axis(np.array([run.unfreeze_step], dtype=np.float64), self.x_mode)[0])): run
            for run in self.runs
            if run.unfreeze_step is not None
        }
        for key in set(self.unfreeze_marks) - set(wanted):
            for plot, mark in zip((self.loss, self.accuracy), self.unfreeze_marks.pop(key)):
                plot.removeItem(mark)
        for key, run in wanted.items():
            if key in self.unfreeze_marks:
                continue
            marks = [
                pg.InfiniteLine(
                    pos=key[1],
                    angle=90,
                    pen=pg.mkPen(run.color, width=1, style=Qt.PenStyle.DotLine),
                    label="unfrozen" if plot is self.loss else None,
                    labelOpts={"position": 0.95, "color": run.color, "anchors": [(0, 0), (0, 0)]},
                )
                for plot in (self.loss, self.accuracy)
            ]
            for plot, mark in zip((self.loss, self.accuracy), marks):
                plot.addItem(mark, ignoreBounds=True)
            self.unfreeze_marks[key] = marks

    def _fit_loss(self) -> None:
        """A diverged run (a loss of 1e33, or NaN) would flatten every other curve: the loss axis then spans the
        finite values before each run's divergence, and a dashed line marks where each run diverged."""
        for marker in self.divergence_marks:
            self.loss.removeItem(marker)
        self.divergence_marks = []
        kept: list[np.ndarray] = []
        diverged: dict[str, int] = {}
        for run in self.runs:
            at = diverged_at(run.batch_loss)
            end = run.batch_loss.x[at] if at is not None else np.inf
            for series in (run.batch_loss, run.train_loss, run.val_loss):
                kept.append(series.y[series.x < end])
            if at is not None:
                step = diverged[run.name] = int(run.batch_loss.x[at])
                mark = pg.InfiniteLine(
                    pos=float(run.axis(np.array([step], dtype=np.float64), self.x_mode)[0]),
                    angle=90,
                    pen=_pen(run.color, 1.5, dashed=True),
                    label=f"diverged\nat step {step:,}",  # two short lines fit a narrow plot
                    labelOpts={"position": 0.9, "color": run.color, "anchors": [(1, 0), (1, 0)]},
                )
                self.loss.addItem(mark, ignoreBounds=True)
                self.divergence_marks.append(mark)
        if diverged != self.diverged:
            self.diverged = diverged
            self._fill_legend()
        log = self.log_loss.isChecked()
        limits = finite_range(kept, positive=log) if diverged else None
        if limits is None:
            self.loss.enableAutoRange(axis="y")
            return
        low, high = (np.log10(v) for v in limits) if log else limits
        self.loss.setYRange(low, high, padding=0.05)

    def ask_path(self, suffix: str) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(
            self, f"Export {suffix.upper()}", f"curves.{suffix}", f"{suffix.upper()} (*.{suffix})"
        )
        return Path(name).with_suffix(f".{suffix}") if name else None

    def _export(self, suffix: str) -> None:
        path = self.ask_path(suffix)
        if path is None:
            return
        try:
            ok = self.export_image(path) if suffix == "png" else self.export_table(path) is None
        except OSError as e:
            ok, self.note = False, f"Cannot write {path}: {e.strerror or e}."
        else:
            self.note = f"Wrote {path}." if ok else f"Cannot write {path}."
        self.export_note.setText(self.note)
        self.export_note.show()

    def export_image(self, path: Path) -> bool:
        return save_image(self.plots.grab(), path)

    def export_table(self, path: Path) -> None:
        """Every point of every shown run: batch rows, then epoch rows."""
        with text_writer(path, newline="") as f:
            out = csv.writer(f)
            out.writerow(
                ["run", "kind", "step", "epoch", "seconds", "loss", "accuracy", "lr", "val_loss", "val_accuracy"]
            )
            for run in self.runs:
                times = run.axis(run.batch_loss.x, "time")
                for i, step in enumerate(run.batch_loss.x):
                    out.writerow(
                        [
                            run.name,
                            "batch",
                            int(step),
                            f"{step / max(1, run.steps_per_epoch):.4f}",
                            f"{times[i]:.3f}",
                            run.batch_loss.y[i],
                            run.batch_accuracy.y[i],
                            run.lr.y[i],
                            "",
                            "",
                        ]
                    )
                vals = dict(zip(run.val_loss.x, zip(run.val_loss.y, run.val_accuracy.y)))
                for i, step in enumerate(run.train_loss.x):
                    val = vals.get(step, ("", ""))
                    out.writerow(
                        [
                            run.name,
                            "epoch",
                            int(step),
                            int(round(step / max(1, run.steps_per_epoch))),
                            "",
                            run.train_loss.y[i],
                            run.train_accuracy.y[i],
                            "",
                            *val,
                        ]
                    )
