"""The Search tab: a study over the network's search space, run by `netbuilder search --json` in a process of
its own (the window imports neither torch nor Optuna), its trials listed as they end, the best so far, and the
importance of each searched parameter."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QProcess, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from netbuilder.core.atomic import write_text_atomic
from netbuilder.core.document import Document, DocumentError, dumps, parse
from netbuilder.core.search_space import SearchSpace, SpaceError, format_text, parse_text, split
from netbuilder.records.config import TrainConfig, as_saved, settings
from netbuilder.records.search_settings import PRUNERS, SAMPLERS, STORAGE_FILE, check_training
from netbuilder.records.train_error import TrainError
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.undo import set_search
from netbuilder.ui.flow import FlowLayout, together

COLUMNS = ("Trial", "State", "Value", "Params", "Duration", "Note")
STOP_GRACE_MS = 15_000
NICENESS = 10


def _value(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def params_text(params: dict[str, Any]) -> str:
    return "  ".join(f"{k}={_value(v)}" for k, v in params.items())


def bar(share: float, width: int = 12) -> str:
    """A share in [0, 1] as a bar of block characters."""
    return "█" * round(max(0.0, min(1.0, share)) * width)


def search_args(config: TrainConfig) -> list[str]:
    """The settings as `netbuilder search` options (None left out)."""
    out = []
    for setting in settings():
        value = getattr(config, setting.name)
        flag = "--" + setting.name.replace("_", "-")
        if value is None:
            continue
        if setting.kind == "bool":
            out.append(flag if value else "--no-" + flag[2:])
        else:
            out += [flag, str(value)]
    return out


class SearchView(QWidget):
    """Start a study in a child process, follow its trials, and open the best trial's network."""

    open_network = Signal(object)  # the Document of the best trial: the network with its params applied
    trial_done = Signal()  # a trial ended (its run folder is written: the Runs tab may rescan)

    def __init__(self, editor: Editor, runs_root: Path, config: Callable[[], TrainConfig] = TrainConfig) -> None:
        super().__init__()
        self.editor, self.runs_root, self.config = editor, Path(runs_root), config
        self.process: QProcess | None = None
        self.summary: dict[str, Any] | None = None
        self.rows: dict[int, dict[str, Any]] = {}
        self.network: str | None = None  # the searched document's text, for "Open best network"
        self._buffer = b""
        self._errors: list[str] = []
        self._snapshot: Path | None = None  # the network file a running study reads
        self._named_after: str | None = None  # the document name the study's name was made from

        self.study = QLineEdit(objectName="study")
        self.study.setToolTip("The study's name: starting again with the same name adds trials to it")
        self.trials = QSpinBox(objectName="trials", minimum=1, maximum=10_000, value=20)
        self.sampler = QComboBox(objectName="sampler")
        self.sampler.addItems(list(SAMPLERS))
        self.pruner = QComboBox(objectName="pruner")
        self.pruner.addItems(list(PRUNERS))
        self.start_button = QPushButton("Start search", objectName="start_search")
        self.stop_button = QPushButton("Stop", objectName="stop_search", enabled=False)
        self.open_button = QPushButton("Open study…", objectName="open_study")
        self.best_button = QPushButton("Open best network", objectName="open_best", enabled=False)
        self.space = QLabel(wordWrap=True, objectName="space")
        self.setting = QComboBox(objectName="setting")
        self.setting.addItems([s.name for s in settings() if s.searchable])
        self.setting_text = QLineEdit(objectName="setting_text", placeholderText="1e-4 … 1e-1 log  or  sgd, adamw")
        self.setting_button = QPushButton("Search setting", objectName="search_setting")
        self.setting_clear = QPushButton("Stop searching it", objectName="clear_setting")
        self.status = QLabel(wordWrap=True, objectName="search_status")
        self.best = QLabel(wordWrap=True, objectName="best")
        self.best.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, len(COLUMNS), objectName="trials_table")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.importance = QTableWidget(0, 2, objectName="importance")
        self.importance.setHorizontalHeaderLabels(("Parameter", "Importance"))
        self.importance.verticalHeader().setVisible(False)
        self.importance.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.importance.horizontalHeader().setStretchLastSection(True)

        form = QFormLayout()
        line = QWidget()
        flow = FlowLayout(line)  # wraps in a narrow dock rather than scrolling the tab sideways
        for label, w in (("trials", self.trials), ("sampler", self.sampler), ("pruner", self.pruner)):
            flow.addWidget(together(QLabel(label), w))
        actions = QWidget()  # on lines of their own, so that the tab fits the dock's width
        flow = FlowLayout(actions)
        for w in (self.start_button, self.stop_button, self.open_button):
            flow.addWidget(w)
        form.addRow("Study", self.study)
        form.addRow("", line)
        form.addRow("", actions)
        settings_line = QHBoxLayout()
        settings_line.addWidget(self.setting)
        settings_line.addWidget(self.setting_text, 1)
        settings_buttons = QHBoxLayout()
        settings_buttons.addWidget(self.setting_button)
        settings_buttons.addWidget(self.setting_clear)
        settings_buttons.addStretch(1)
        form.addRow("Training", settings_line)
        form.addRow("", settings_buttons)
        form.addRow("Searching", self.space)
        results = QHBoxLayout()
        results.addWidget(self.table, 3)
        results.addWidget(self.importance, 1)
        best_line = QHBoxLayout()
        best_line.addWidget(self.best, 1)
        best_line.addWidget(self.best_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addLayout(best_line)
        layout.addLayout(results, 1)

        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.open_button.clicked.connect(self._open_study)
        self.best_button.clicked.connect(self.open_best)
        self.setting_button.clicked.connect(self._search_setting)
        self.setting_clear.clicked.connect(self._clear_setting)
        self.setting.currentTextChanged.connect(self._show_setting)
        self.setting_text.returnPressed.connect(self._search_setting)
        editor.checked.connect(self._show_space)
        editor.replaced.connect(self._document_replaced)
        self._show_space()

    def _document_replaced(self) -> None:
        """Another document: a study name made from its name, and no trials of a study of the one before (a study
        still running keeps its rows until it ends; its trials train its own snapshot)."""
        if not self.running:
            self.rows, self.summary, self.network = {}, None, None
            self.status.setText("")
            self._fill()
        self._name_study()
        self._show_space()

    def _name_study(self) -> None:
        """A study name made from the document's name (which the name then follows until one is typed)."""
        self.study.setText(self._default_name())
        self.study.setModified(False)
        self._named_after = self.editor.document.name

    # The space -------------------------------------------------------------------------------

    def _show_space(self, *_: object) -> None:
        doc = self.editor.document
        items = doc.search.items(doc.graph)
        self.space.setText(
            " · ".join(f"{key}: {format_text(dim)}" for key, dim in items)
            or 'Nothing yet: mark block parameters "search" in the inspector, or training settings here.'
        )
        if not self.study.text():
            self._name_study()
        self._show_setting(self.setting.currentText())

    def _default_name(self) -> str:
        slug = "".join(c if c.isalnum() else "-" for c in self.editor.document.name).strip("-").lower() or "study"
        return f"{slug[:40]}-{time.strftime('%Y%m%d-%H%M')}"

    def _show_setting(self, name: str) -> None:
        dim = self.editor.document.search.training.get(name)
        if not self.setting_text.hasFocus():
            self.setting_text.setText(format_text(dim) if dim else "")
        self.setting_clear.setEnabled(dim is not None)

    def _search_setting(self) -> None:
        name, doc = self.setting.currentText(), self.editor.document
        try:
            dim = parse_text(self.setting_text.text())
            check_training(SearchSpace(training={name: dim}))
        except (SpaceError, TrainError) as e:
            self.status.setText(f"{name}: {e}")
            return
        if doc.search.training.get(name) != dim:
            self.editor.push(set_search(doc, doc.search.with_setting(name, dim), f"Search {name}"))
        self.status.setText(f"{name} will be searched over {format_text(dim)}.")

    def _clear_setting(self) -> None:
        name, doc = self.setting.currentText(), self.editor.document
        if name in doc.search.training:
            self.editor.push(set_search(doc, doc.search.with_setting(name, None), f"Stop searching {name}"))

    # The child -------------------------------------------------------------------------------

    def storage_url(self) -> str:
        return f"sqlite:///{self.runs_root.resolve() / STORAGE_FILE}"

    def start(self) -> None:
        """Start the study on a snapshot of the open network (edits made meanwhile change the document only)."""
        if self.running:
            return
        doc = self.editor.document
        if not doc.search.items(doc.graph):
            self.status.setText('Mark a block parameter or a training setting "search" first.')
            return
        if not self.editor.result.valid:
            self.status.setText("The network has errors; fix them before a search (see the status bar).")
            return
        if not self.study.isModified() and self._named_after != doc.name:  # saved under another name since
            self._name_study()
        name = self.study.text().strip() or self._default_name()
        try:
            config = self.config()
        except TrainError as e:
            self.status.setText(str(e))
            return
        options = search_args(config)
        # The network the study keeps carries the settings it trains with: its best network opens with them.
        doc = replace(doc, training=as_saved(config))
        self.runs_root.mkdir(parents=True, exist_ok=True)
        snapshot = self.runs_root / f".search-{os.getpid()}-{int(time.time() * 1000)}.json"
        write_text_atomic(snapshot, dumps(doc))
        args = [str(snapshot), "--study", name, "--storage", self.storage_url(), "--runs", str(self.runs_root)]
        args += ["--trials", str(self.trials.value()), "--sampler", self.sampler.currentText()]
        args += ["--pruner", self.pruner.currentText(), *options]
        self.network = dumps(doc)
        self._run(args, f"Study {name!r}: starting {self.trials.value()} trials…", fresh=True)
        self._snapshot = snapshot

    def show_study(self, storage_url: str, name: str = "") -> None:
        """List a stored study's trials (a child reads the storage: the window has no Optuna); without a name,
        the storage's only study."""
        if self.running:
            return
        named = ["--study", name] if name else []
        self._run(
            [*named, "--storage", storage_url, "--trials", "0"], f"Reading study {name or 'the study'}…", fresh=True
        )

    def _open_study(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "A study storage", str(self.runs_root), "SQLite (*.db)")
        if path:  # the name typed, else the storage's only study
            typed = self.study.text().strip() if self.study.isModified() else ""
            self.show_study(f"sqlite:///{Path(path).resolve()}", typed)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning

    def _run(self, args: list[str], note: str, fresh: bool) -> None:
        if fresh:
            self.rows, self.summary = {}, None
            self._fill()
        self._buffer, self._errors = b"", []
        self._snapshot = None
        process = QProcess(self)
        process.readyReadStandardOutput.connect(self._read)
        process.readyReadStandardError.connect(self._read_errors)
        process.finished.connect(self._finished)
        process.errorOccurred.connect(self._failed_to_start)
        self.process = process
        self.status.setText(note)
        self.start_button.setEnabled(False)
        self.open_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        command = [sys.executable, "-m", "netbuilder", "search", *args, "--json"]
        nice = shutil.which("nice")  # the trials yield the CPU to the window, as a training run's child does
        if nice:
            command = [nice, "-n", str(NICENESS), *command]
        process.start(command[0], command[1:])

    def stop(self) -> None:
        """Ask the study to stop after the current step (as Ctrl-C does); kill it if it has not soon after."""
        process = self.process
        if not self.running or process is None:
            return
        pid = process.processId()
        if pid and hasattr(signal, "SIGINT") and sys.platform != "win32":
            os.kill(pid, signal.SIGINT)
        else:
            process.terminate()
        self.status.setText("Stopping after the current step…")
        QTimer.singleShot(STOP_GRACE_MS, lambda p=process: p.state() != QProcess.ProcessState.NotRunning and p.kill())

    def shutdown(self) -> None:
        """End a running study at once (the window is closing); its finished trials are in the storage, and its
        unfinished one is marked failed by the next search on that storage."""
        if self.running and self.process is not None:
            self.process.kill()
            self.process.waitForFinished(3000)

    def _read(self) -> None:
        assert self.process is not None
        self._buffer += bytes(self.process.readAllStandardOutput())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            try:
                self.take(json.loads(line))
            except (ValueError, TypeError, KeyError):
                continue

    def _read_errors(self) -> None:
        assert self.process is not None
        text = bytes(self.process.readAllStandardError()).decode("utf-8", "replace")
        self._errors += [line for line in text.splitlines() if line.strip()]

    def _failed_to_start(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.status.setText(f"Could not start {sys.executable}.")
            self._idle()

    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read()
        self._read_errors()
        if self._snapshot is not None:
            self._snapshot.unlink(missing_ok=True)
        errors = [e.removeprefix("error: ") for e in self._errors if e.startswith("error: ")]
        if code == 0 and status == QProcess.ExitStatus.NormalExit:
            self.status.setText(self._done_text())
        elif code == 130:
            self.status.setText("The search stopped; start it again with the same study name to continue it.")
        else:
            last = errors[-1] if errors else (self._errors[-1] if self._errors else f"exit code {code}")
            self.status.setText(f"The search stopped: {last}")
        self._idle()

    def _idle(self) -> None:
        self.start_button.setEnabled(True)
        self.open_button.setEnabled(True)
        self.stop_button.setEnabled(False)

    def _done_text(self) -> str:
        rows = list(self.rows.values())
        states: dict[str, int] = {}
        for row in rows:
            states[row["state"]] = states.get(row["state"], 0) + 1
        counts = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
        return f"{len(rows)} trials: {counts}." if rows else "The study has no trials yet."

    # Progress --------------------------------------------------------------------------------

    def take(self, data: dict[str, Any]) -> None:
        """One line of `netbuilder search --json`."""
        kind = data["event"]
        if kind == "trial_started":
            self.rows[data["number"]] = {
                "number": data["number"],
                "state": "running",
                "params": data["params"],
                "value": None,
                "seconds": None,
                "run_dir": data["run_dir"],
                "note": "",
                "started": time.monotonic(),
            }
        elif kind == "epoch" and data["number"] in self.rows:
            accuracy = data["val_accuracy"]
            seen = f", validation {accuracy:.3f}" if accuracy is not None else ""
            self.rows[data["number"]]["note"] = f"epoch {data['epoch']}/{data['epochs']}{seen}"
        elif kind == "trial":
            self.rows[data["number"]] = data
            self.trial_done.emit()
        elif kind == "study":
            self.summary = data
            self.study.setText(data["study"])
            self._named_after = self.editor.document.name  # the study shown is the one to continue
            self.rows = {row["number"]: row for row in data["trials"]}
            self.network = data.get("network") or self.network
            self.status.setText(self._done_text())
        self._fill()

    def _fill(self) -> None:
        rows = sorted(self.rows.values(), key=lambda r: r["number"])
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            seconds = row.get("seconds")
            texts = (
                str(row["number"]),
                row["state"],
                f"{row['value']:.4f}" if row.get("value") is not None else "—",
                params_text(row["params"]),
                f"{seconds:.1f} s" if seconds is not None else "",
                row.get("note") or "",
            )
            for c, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setToolTip(row.get("run_dir") or text if c == 0 else text)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        best = self.best_row()
        self.best_button.setEnabled(best is not None and self.network is not None)
        if best is None:
            self.best.setText("Best so far: none yet.")
        else:
            self.best.setText(
                f"Best so far: trial {best['number']}, validation accuracy {best['value']:.4f} · "
                f"{params_text(best['params'])} · {best.get('run_dir') or ''}"
            )
        shares = (self.summary or {}).get("importances") or {}
        self.importance.setRowCount(len(shares))
        for r, (key, share) in enumerate(shares.items()):
            self.importance.setItem(r, 0, QTableWidgetItem(key))
            self.importance.setItem(r, 1, QTableWidgetItem(f"{share:.2f}  {bar(share)}"))
        self.importance.resizeColumnsToContents()

    def best_row(self) -> dict[str, Any] | None:
        done = [r for r in self.rows.values() if r["state"] == "complete" and r.get("value") is not None]
        return max(done, key=lambda r: r["value"]) if done else None

    def best_document(self) -> Document | None:
        """The searched network with the best trial's block values and training settings (its space kept, to
        search on from there)."""
        best = self.best_row()
        if best is None or self.network is None:
            return None
        try:
            searched = parse(self.network, "the study's network")
        except DocumentError as e:
            self.status.setText(str(e))
            return None
        document = searched.with_trial(best["params"], keep_space=True)
        document.training = {**searched.training, **split(best["params"])[1]}
        return document

    def open_best(self) -> None:
        doc = self.best_document()
        if doc is not None:
            self.open_network.emit(doc)
