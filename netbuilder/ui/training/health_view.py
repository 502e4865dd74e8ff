"""The Health tab and the canvas's health marks: a run's per-layer health records (records.events.Health) as a table of
the latest numbers, a plot of one number over time per block, the tripped rules' sentences (core.health), and an
ok / watch / problem mark on each block of the canvas."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from netbuilder.core.check.health import OK, Finding, judge, states
from netbuilder.records.events import Event, Health, Started
from netbuilder.records.runs import Run
from netbuilder.records.train_error import TrainError
from netbuilder.ui import theme
from netbuilder.ui.canvas.items import HEALTH_MARKS
from netbuilder.ui.training.run_series import SeriesCache
from netbuilder.ui.training.series import SERIES_COLORS

# record key → (column and plot title, log scale, format)
METRICS: dict[str, tuple[str, bool, str]] = {
    "grad_norm": ("Gradient norm", True, "{:.2e}"),
    "update_ratio": ("Update / weight", True, "{:.1e}"),
    "mean": ("Output mean", False, "{:.3g}"),
    "std": ("Output std", False, "{:.3g}"),
    "dead": ("Dead units", False, "{:.0%}"),
    "saturated": ("Saturated", False, "{:.0%}"),
}


class HealthHistory:
    """One run's health records, and what the latest says: findings, and a mark per block."""

    def __init__(self, records: Iterable[Health] = ()) -> None:
        self.records: list[Health] = list(records)

    def add(self, record: Health) -> None:
        self.records.append(record)

    @property
    def latest(self) -> Health | None:
        return self.records[-1] if self.records else None

    def findings(self) -> list[Finding]:
        r = self.latest
        return [] if r is None else judge(r.blocks, r.window, r.lr, r.peak_lr, r.global_step)

    def marks(self) -> dict[str, tuple[str, str]]:
        """Every block of the latest record: (state, the sentences of the rules it tripped)."""
        r = self.latest
        if r is None:
            return {}
        findings = self.findings()
        worst = states(findings)
        return {
            nid: (worst.get(nid, OK), "\n".join(f.sentence for f in findings if f.block == nid)) for nid in r.blocks
        }

    def block_text(self, nid: str) -> str:
        """What the inspector says of one block: its mark and sentences, and its numbers at the first and the
        latest record ("" when the run recorded nothing for it)."""
        r = self.latest
        if r is None or nid not in r.blocks:
            return ""
        state, sentences = self.marks()[nid]
        first = next(rec for rec in self.records if nid in rec.blocks)
        lines = [f"Training health at step {r.global_step}: {state_text(state)}", *filter(None, [sentences])]
        for metric, (label, _, fmt) in METRICS.items():
            if metric in r.blocks[nid]:
                now = fmt.format(r.blocks[nid][metric])
                was = fmt.format(first.blocks[nid][metric]) if metric in first.blocks[nid] else None
                since = f" (step {first.global_step}: {was})" if first is not r and was is not None else ""
                lines.append(f"{label}: {now}{since}")
        return "\n".join(lines)

    def series(self, metric: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """metric over the run per block that has it: (global steps, values)."""
        points: dict[str, tuple[list[float], list[float]]] = {}
        for r in self.records:
            for nid, numbers in r.blocks.items():
                if metric in numbers:
                    xs, ys = points.setdefault(nid, ([], []))
                    xs.append(r.global_step)
                    ys.append(numbers[metric])
        return {nid: (np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)) for nid, (xs, ys) in points.items()}


def state_text(state: str) -> str:
    """✓ ok, ! watch, ✕ problem."""
    return f"{HEALTH_MARKS[state][2]} {state}"


class HealthView(QWidget):
    """The latest record as a table (one row a block), the tripped rules' sentences, and one number over time."""

    def __init__(self) -> None:
        super().__init__()
        self.history = HealthHistory()
        self.note = QLabel(
            "Per-layer health appears here while a run trains (every 'Health every' steps), or when a run is chosen "
            "on the Runs tab.",
            wordWrap=True,
        )
        self.findings = QLabel(wordWrap=True, objectName="findings")
        self.findings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, 2 + len(METRICS))
        self.table.setHorizontalHeaderLabels(["Block", "Health", *(m[0] for m in METRICS.values())])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setMinimumHeight(120)
        self.metric_box = QComboBox()
        for key, (title, _, _) in METRICS.items():
            self.metric_box.addItem(title, key)
        self.metric_box.setCurrentIndex(1)  # update / weight: the number a learning rate is tuned by
        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(140)
        self.plot.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        self.plot.addLegend(offset=(-10, 10))
        self.plot.setLabel("bottom", "step")
        pal = theme.current()
        self.plot.setBackground(pal.background)
        choose = QHBoxLayout()
        choose.addWidget(QLabel("Plot"))
        choose.addWidget(self.metric_box, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.findings)
        layout.addWidget(self.table, 1)
        layout.addLayout(choose)
        layout.addWidget(self.plot, 1)
        self.metric_box.currentIndexChanged.connect(self._draw)
        self.show_history(self.history)

    def show_history(self, history: HealthHistory) -> None:
        self.history = history
        latest = history.latest
        self.note.setVisible(latest is None)
        findings = history.findings()
        if latest is not None:
            head = f"Step {latest.global_step:,} (epoch {latest.epoch}), over the last {latest.window:,} steps: "
            if findings:
                lines = [f"{HEALTH_MARKS[f.state][2]} {f.sentence}" for f in findings]
                self.findings.setText(
                    head + f"{len(findings)} rule{'s' * (len(findings) != 1)} tripped.\n" + "\n".join(lines)
                )
            else:
                self.findings.setText(head + "every block looks healthy.")
        else:
            self.findings.setText("")
        marks = history.marks()
        rows = list(latest.blocks.items()) if latest is not None else []
        self.table.setRowCount(len(rows))
        for row, (nid, numbers) in enumerate(rows):
            state = marks[nid][0]
            cells = [nid, state_text(state)]
            cells += [fmt.format(numbers[key]) if key in numbers else "" for key, (_, _, fmt) in METRICS.items()]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 1:
                    item.setForeground(QColor(HEALTH_MARKS[state][0]))
                    item.setToolTip(marks[nid][1] or "No rule tripped.")
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self._draw()

    def _draw(self, *_: Any) -> None:
        key = self.metric_box.currentData()
        title, log, _ = METRICS[key]
        self.plot.clear()
        self.plot.setLogMode(y=log)
        self.plot.setTitle(title)
        for i, (nid, (xs, ys)) in enumerate(self.history.series(key).items()):
            if log:
                keep = ys > 0
                xs, ys = xs[keep], ys[keep]
            self.plot.plot(
                xs, ys, pen=pg.mkPen(SERIES_COLORS[i % len(SERIES_COLORS)], width=2), name=nid, symbol="o", symbolSize=4
            )


class HealthFeed(QObject):
    """Feeds the Health tab and the canvas marks: from a running job's events (handle), or from a past run's
    metrics.jsonl (show_run). scene is the canvas (ui.scene.CanvasScene) whose blocks get the marks; changed
    tells the inspector to read block_text again. The health shown belongs to the open document: opening another
    clears it, and a run started from a document no longer open (run_document: the document the running job was
    started from; None for the open one) marks nothing."""

    changed = Signal()

    def __init__(
        self,
        scene: Any,
        view: HealthView | None = None,
        cache: SeriesCache | None = None,
        run_document: Callable[[], Any] | None = None,
    ) -> None:
        super().__init__(scene)
        self.scene, self.editor = scene, scene.editor
        self.view = view or HealthView()
        self.cache = cache or SeriesCache()
        self.run_document = run_document or (lambda: self.editor.document)
        self.history = HealthHistory()
        self.editor.replaced.connect(self.clear)  # another document: no health of the one before

    def handle(self, event: Event) -> None:
        """One event of the running job: Started begins a new history, Health adds to it (when the job trains
        the open document)."""
        if self.run_document() is not self.editor.document:
            return
        if isinstance(event, Started):
            self.show_records([])
        elif isinstance(event, Health):
            self.history.add(event)
            self._refresh()

    def show_run(self, run: Run) -> None:
        """A past run's health, as its metrics log holds it; on the canvas only when the run trained these blocks
        (the same ids and types as the open network)."""
        self.show_records(self.cache.health(run) if same_blocks(run, self.editor.graph) else [])

    def show_records(self, records: Iterable[Health]) -> None:
        self.history = HealthHistory(records)
        self._refresh()

    def clear(self) -> None:
        """No health shown: the Health tab, the canvas marks and the inspector's lines are empty."""
        self.show_records([])

    def block_text(self, nid: str) -> str:
        return self.history.block_text(nid)

    def _refresh(self) -> None:
        self.view.show_history(self.history)
        self.scene.set_health(self.history.marks())
        self.changed.emit()


def same_blocks(run: Run, graph: Any) -> bool:
    """Whether a run trained a network with the blocks of graph (ids and types; the parameters may differ, as a
    search trial's do)."""
    try:
        trained = run.document.graph
    except TrainError:
        return False
    return {(n.id, n.type) for n in trained.nodes.values()} == {(n.id, n.type) for n in graph.nodes.values()}


def attach(dock: Any, scene: Any) -> HealthFeed:
    """A Health tab in the training dock (ui.training_dock.TrainingDock), fed by its running job's events and by
    the run chosen on its Runs tab, marking the blocks of scene (the canvas)."""
    feed = HealthFeed(scene, cache=dock.series, run_document=lambda: dock.run_document)
    dock.tabs.add(feed.view, "Health")
    dock.controller.event.connect(feed.handle)
    dock.runs.chosen.connect(feed.show_run)
    return feed
