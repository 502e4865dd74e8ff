"""The learning-rate search's result: smoothed loss against learning rate (log x axis), its two suggestions
marked, and a button that applies the suggested rate (or the other) to the settings."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from netbuilder.records.lr_results import LRFound, fmt_lr, rounded
from netbuilder.ui import theme

STEEPEST_COLOR, TENTH_COLOR = "#E69F00", "#0072B2"  # Okabe–Ito orange and blue
HINT = (
    "Find learning rate trains the network for up to 100 steps while the learning rate rises from 1e-7 to 10, "
    "and suggests where the loss falls fastest. The weights are not kept."
)


class LRFindView(QWidget):
    """Shows an LRFound; `use` carries the learning rate a person chose to apply (rounded as shown)."""

    use = Signal(float)

    def __init__(self) -> None:
        super().__init__()
        self.result: LRFound | None = None
        self.summary = QLabel(HINT, wordWrap=True)
        self.plot = pg.PlotWidget(axisItems={"bottom": DecadeAxis("bottom")})
        self.plot.setLogMode(x=True)
        self.plot.setLabel("bottom", "learning rate")
        self.plot.setLabel("left", "loss (smoothed)")
        theme.plain_axes(self.plot)
        self.plot.setMinimumHeight(140)
        self.plot.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)  # takes what is left
        self.raw = self.plot.plot([], [])
        self.curve = self.plot.plot([], [])
        self.points = {
            name: self.plot.plot([], [], pen=None, symbol="o", symbolSize=11, symbolBrush=color, symbolPen="w")
            for name, color in (("steepest", STEEPEST_COLOR), ("tenth", TENTH_COLOR))
        }
        self.labels = {name: pg.TextItem(anchor=(0, 1)) for name in self.points}
        for label in self.labels.values():
            self.plot.addItem(label, ignoreBounds=True)
        self.use_suggested = QPushButton("Use …")
        self.use_other = QPushButton("Use …")
        for button in (self.use_suggested, self.use_other):
            button.setEnabled(False)
        self.use_suggested.clicked.connect(lambda: self._use(self.result and self.result.suggested))
        self.use_other.clicked.connect(lambda: self._use(self.result and self.result.min_tenth))
        buttons = QHBoxLayout()
        buttons.addWidget(self.use_suggested)
        buttons.addWidget(self.use_other)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)  # above the plot: seen without scrolling in a short dock
        layout.addWidget(self.plot, 1)
        self.apply_theme()

    def _use(self, lr: float | None) -> None:
        if lr is not None:
            self.use.emit(rounded(lr))

    def clear(self, text: str = HINT) -> None:
        """No curve; text says why (searching, failed, or what the button does)."""
        self.result = None
        self.summary.setText(text)
        for item in (self.raw, self.curve, *self.points.values()):
            item.setData([], [])
        for label in self.labels.values():
            label.setText("")
        for button in (self.use_suggested, self.use_other):
            button.setText("Use …")
            button.setEnabled(False)

    def show_result(self, found: LRFound) -> None:
        self.result = found
        pal = theme.current()
        muted = QColor(pal.text)
        muted.setAlpha(60)
        self.raw.setData(found.lrs, found.raw_losses, pen=pg.mkPen(muted, width=1))
        self.curve.setData(found.lrs, found.losses, pen=pg.mkPen(pal.selection, width=2))
        # From the lowest loss to a little above the first: the descent fills the plot, the divergence leaves it.
        low, first = min(found.losses), found.losses[0]
        high = min(max(found.losses), first + max(2 * (first - low), 0.1 * first))
        margin = 0.05 * (high - low or 1.0)
        self.plot.setYRange(low - margin, high + margin, padding=0)
        self.plot.setXRange(math.log10(found.lrs[0]), math.log10(found.lrs[-1]), padding=0.02)
        for name, lr in (("steepest", found.steepest), ("tenth", found.min_tenth)):
            loss = _loss_at(found, lr)
            self.points[name].setData([lr], [loss])
            # The rate alone: the summary above says which is which (orange, blue); a longer label left a narrow plot.
            self.labels[name].setText(fmt_lr(lr), color=pal.text)
            self.labels[name].setPos(math.log10(lr), loss)
            # On the side with more room, so that the label stays inside a narrow plot.
            right = math.log10(lr / found.lrs[0]) > 0.5 * math.log10(found.lrs[-1] / found.lrs[0])
            self.labels[name].setAnchor((1.05, 1) if right else (-0.05, 1))
        self.use_suggested.setText(f"Use {fmt_lr(found.suggested)}")
        self.use_suggested.setToolTip("Set the learning rate to the suggestion: the steepest descent of the loss")
        self.use_other.setText(f"Use {fmt_lr(found.min_tenth)} (minimum / 10)")
        self.use_other.setToolTip("Set the learning rate to a tenth of the rate at the lowest loss: more cautious")
        for button in (self.use_suggested, self.use_other):
            button.setEnabled(True)
        end = "the loss diverged" if found.diverged else "the sweep ended"
        self.summary.setText(
            f"Suggested learning rate {fmt_lr(found.suggested)}: the steepest descent of the smoothed loss "
            f"(orange); a tenth of the rate at its minimum is {fmt_lr(found.min_tenth)} (blue). {len(found.lrs)} "
            f"steps of {found.optimizer}, batch {found.batch_size}, on {found.device} ({found.precision}) until "
            f"{end} at {fmt_lr(found.lrs[-1])}; the weights were restored."
        )

    def apply_theme(self) -> None:
        pal = theme.current()
        self.themed = pal
        self.plot.setBackground(pal.background)
        for axis in ("left", "bottom"):
            ax = self.plot.getAxis(axis)
            ax.setTextPen(pal.text)
            ax.setPen(pal.muted)
            ax.label.setDefaultTextColor(pal.text)
        if self.result is not None:
            self.show_result(self.result)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            if getattr(self, "themed", None) is not None and self.themed is not theme.current():
                self.apply_theme()
        super().changeEvent(event)


class DecadeAxis(pg.AxisItem):
    """A log axis labelled at whole decades the way learning rates are written everywhere else (1e-6, 1e-4, 1e0),
    not pyqtgraph's mix of 10⁻⁶ and 0.0001."""

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        return [f"1e{round(v)}" if abs(v - round(v)) < 1e-6 else "" for v in values]


def _loss_at(found: LRFound, lr: float) -> float:
    """The smoothed loss at the curve's point nearest lr (in log scale)."""
    i = min(range(len(found.lrs)), key=lambda k: abs(math.log(found.lrs[k] / lr)))
    return found.losses[i]
