"""The runs list: every run with its date, dataset, key settings and result; pick runs to overlay their
curves, compare two, or reopen one's network."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from netbuilder.records.runs import Run, list_runs
from netbuilder.records.train_error import TrainError
from netbuilder.ui.flow import FlowLayout

# The most useful first: which run, how well it did, whether it finished, on what, then its settings.
COLUMNS = ("Run", "Test accuracy", "Status", "Dataset", "lr", "Epochs", "Batch", "Optimizer", "Date", "Study")
RUN_WIDTH = 220  # the run column's most (its full name is in the tooltip), so the results stay in view


def number(value: float) -> str:
    """A number that keeps its value in a narrow column: 0.1, 30, 3e-3, 1.5e-4, 2e+05."""
    if value == 0 or 1e-2 <= abs(value) < 1e4:
        return f"{value:.4g}"
    mantissa, exponent = f"{value:.3e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def row_of(run: Run) -> tuple[str, ...]:
    """What the table shows of a run; a damaged folder still gets a row that says so."""
    date = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.path.stat().st_mtime))
    try:
        config = run.config
    except TrainError:
        return (run.path.name, "", "unreadable", "?", "", "", "", "", date, "")
    summary = run.summary or {}
    accuracy = (summary.get("test") or {}).get("accuracy")
    status = summary.get("status", "running or interrupted")
    if summary.get("search") == "pruned":
        status = "pruned"
    return (
        run.path.name,
        f"{accuracy:.1%}" if accuracy is not None else "—",
        status,
        config.dataset,
        number(config.lr),
        str(config.epochs),
        str(config.batch_size),
        config.optimizer,
        date,
        study_of(run),
    )


def study_of(run: Run) -> str:
    """A search's run as "STUDY #TRIAL"; empty for a run of its own."""
    tag = run.trial
    return f"{tag.study} #{tag.number}" if tag else ""


def scan(root: Path, extra: list[Run]) -> list[tuple[Run, tuple[str, ...]]]:
    """The runs to list (those opened from elsewhere first) with their rows: file reads, off the UI thread."""
    runs = extra + [r for r in list_runs(root) if r.path not in {e.path for e in extra}]
    return [(run, row_of(run)) for run in runs]


# One worker for every runs list: it reads files only and never touches a Qt object, so a view closed while a
# scan is under way leaves nothing behind that could be called on a deleted object.
_SCANS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="runs-scan")
POLL_MS = 30  # how often the view looks whether its scan is done


def scan_or_empty(root: Path, extra: list[Run]) -> list[tuple[Run, tuple[str, ...]]]:
    """`scan`, with an unreadable runs folder listed as empty."""
    try:
        return scan(root, extra)
    except OSError:
        return []


class RunsView(QWidget):
    """Checked runs are overlaid on the curves (signal `overlay`); two selected can be compared."""

    overlay = Signal(list)  # the checked Runs
    compare = Signal(object, object)  # two Runs
    reopen = Signal(object)  # a Run whose network to open
    chosen = Signal(object)  # the Run selected in the table (its evaluation is shown)
    predict = Signal(object)  # a Run whose network is to classify images the user chooses

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self.runs: list[Run] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a long run name keeps its time stamp
        self.compare_button = QPushButton("Compare two…")
        self.reopen_button = QPushButton("Open its network")
        self.refresh_button = QPushButton("Refresh")
        self.open_button = QPushButton("Open folder…")
        self.predict_button = QPushButton("Predict…")
        self.predict_button.setToolTip("Classify image files of your own with the selected run's network")
        self.study_button = QPushButton("Overlay its study")
        self.study_button.setToolTip("Tick every trial of the selected run's search study, to overlay their curves")
        self.extra: list[Run] = []  # runs opened from folders elsewhere
        self.pending_checks: set[Path] = set()  # runs to tick when the next scan lists them
        # One line (the folder, which can be long, in its tooltip) over the buttons, which wrap onto a second
        # row in a narrow dock rather than being cut.
        self.note = QLabel("Tick runs to overlay their curves.", toolTip=f"Runs in {root}", wordWrap=True)
        header = QWidget()
        buttons = FlowLayout(header)
        for w in (
            self.refresh_button,
            self.open_button,
            self.compare_button,
            self.reopen_button,
            self.predict_button,
            self.study_button,
        ):
            buttons.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(header)
        layout.addWidget(self.table)
        self.table.itemChanged.connect(self._item_changed)
        self.refresh_button.clicked.connect(self.refresh)
        self.compare_button.clicked.connect(self._compare)
        self.reopen_button.clicked.connect(self._reopen)
        self.predict_button.clicked.connect(self._predict)
        self.study_button.clicked.connect(self.overlay_study)
        self.open_button.clicked.connect(self._open_folder)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.scan: Future[list[tuple[Run, tuple[str, ...]]]] | None = None
        self.poll = QTimer(self, interval=POLL_MS)
        self.poll.timeout.connect(self._poll)
        self.refresh()

    def refresh(self) -> None:
        """Rescan the runs folder in the background; the table updates when the scan is done."""
        self.scan = _SCANS.submit(scan_or_empty, self.root, list(self.extra))  # a newer scan replaces the last
        self.poll.start()

    def _poll(self) -> None:
        if self.scan is not None and self.scan.done():
            self.poll.stop()
            self._show(self.scan.result())

    def _show(self, rows: list[tuple[Run, tuple[str, ...]]]) -> None:
        before = {r.path for r in self.checked()}
        checked = before | self.pending_checks
        self.table.blockSignals(True)
        self.runs = [run for run, _ in rows]
        self.table.setRowCount(len(self.runs))
        for r, (run, texts) in enumerate(rows):
            for c, text in enumerate(texts):
                item = QTableWidgetItem(text)
                if c == 0:
                    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                    item.setCheckState(Qt.CheckState.Checked if run.path in checked else Qt.CheckState.Unchecked)
                    item.setToolTip(str(run.path))
                else:
                    item.setToolTip(f"{COLUMNS[c]}: {text}")
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        if self.table.columnWidth(0) > RUN_WIDTH:
            self.table.setColumnWidth(0, RUN_WIDTH)
        self.table.blockSignals(False)
        self.pending_checks -= {run.path for run in self.runs}
        if {r.path for r in self.checked()} != before:
            self.overlay.emit(self.checked())

    def checked(self) -> list[Run]:
        return [
            run
            for r, run in enumerate(self.runs)
            if self.table.item(r, 0) is not None and self.table.item(r, 0).checkState() == Qt.CheckState.Checked
        ]

    def selected(self) -> list[Run]:
        rows = sorted({i.row() for i in self.table.selectedItems()})
        return [self.runs[r] for r in rows]

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() == 0:
            self.overlay.emit(self.checked())

    def _compare(self) -> None:
        picked = self.selected() or self.checked()
        if len(picked) == 2:
            self.compare.emit(picked[0], picked[1])
        else:
            self.note.setText("Select (or tick) exactly two runs to compare them.")

    def add(self, run: Run) -> None:
        """Show a run from another folder too, ticked (once the rescan has listed it)."""
        if run.path not in {r.path for r in self.runs}:
            self.extra.insert(0, run)
        self.pending_checks.add(run.path)
        self.refresh()

    def _open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "A run folder (with config.json)", str(self.root))
        if not folder:
            return
        try:
            self.add(Run.open(folder))
        except TrainError as e:
            self.note.setText(str(e))

    def _selection_changed(self) -> None:
        picked = self.selected()
        if len(picked) == 1:
            self.chosen.emit(picked[0])

    def _reopen(self) -> None:
        picked = self.selected()
        if picked:
            self.reopen.emit(picked[0])

    def _predict(self) -> None:
        picked = self.selected()
        if len(picked) == 1:
            self.predict.emit(picked[0])
        else:
            self.note.setText("Select one run to classify images with its network.")

    def overlay_study(self) -> None:
        """Tick every run of the selected run's study (its trials), so their curves are overlaid."""
        picked = self.selected()
        tag = picked[0].trial if len(picked) == 1 else None
        if tag is None:
            self.note.setText("Select one run of a search study to overlay all its trials.")
            return
        self.table.blockSignals(True)
        for r, run in enumerate(self.runs):
            other = run.trial
            if other is not None and other.study == tag.study and self.table.item(r, 0) is not None:
                self.table.item(r, 0).setCheckState(Qt.CheckState.Checked)
        self.table.blockSignals(False)
        self.overlay.emit(self.checked())
