"""The runs list reads run folders off the UI thread; dialogs free themselves when closed."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from netbuilder.ui.training import runs_view
from netbuilder.ui.training.runs_view import RunsView


def test_the_folder_is_scanned_off_the_ui_thread(qtbot, tmp_path, monkeypatch):
    (tmp_path / "runs").mkdir()
    threads = []
    real = runs_view.list_runs

    def spy(root):
        threads.append(threading.current_thread())
        return real(root)

    monkeypatch.setattr(runs_view, "list_runs", spy)
    view = RunsView(tmp_path / "runs")
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: bool(threads))
    assert threads[0] is not threading.main_thread()
    qtbot.wait(50)  # the rows arrive through a queued signal; none here
    assert view.table.rowCount() == 0


def test_a_stale_scan_never_overwrites_a_newer_one(qtbot, tmp_path, monkeypatch):
    release = threading.Event()
    calls = []
    row = ("old",) * len(runs_view.COLUMNS)

    def scan(root, extra):
        calls.append(root)
        if len(calls) == 1:  # the first scan is slow and finds a run that the second no longer lists
            release.wait(5)
            return [(object(), row)]
        return []

    monkeypatch.setattr(runs_view, "scan", scan)
    view = RunsView(tmp_path)
    qtbot.addWidget(view)
    view.refresh_button.click()
    release.set()
    qtbot.waitUntil(lambda: len(calls) == 2 and view.scan.done())
    qtbot.waitUntil(lambda: not view.poll.isActive())
    assert view.table.rowCount() == 0


def test_a_view_closed_during_its_scan_is_never_called_from_the_worker(qtbot, tmp_path, monkeypatch):
    """The CI run that segfaulted: the worker signalled a view the test had already deleted."""
    from shiboken6 import isValid

    release = threading.Event()
    finished = threading.Event()
    failures = []
    monkeypatch.setattr(threading, "excepthook", lambda args: failures.append(args.exc_value))

    def scan(root, extra):
        release.wait(5)
        finished.set()
        return []

    monkeypatch.setattr(runs_view, "scan", scan)
    for _ in range(5):
        finished.clear()
        view = RunsView(tmp_path)
        view.deleteLater()
        QApplication.sendPostedEvents(None, 0)  # DeferredDelete
        qtbot.waitUntil(lambda v=view: not isValid(v))
        release.set()
        assert finished.wait(5)
        release.clear()
        qtbot.wait(100)  # longer than the view polls its scan
    assert failures == []


def test_summary_and_comparison_dialogs_delete_themselves_on_close(make_window, qtbot):
    from shiboken6 import isValid

    from netbuilder.ui.inside.summary_dialog import SummaryDialog

    window = make_window()
    dialog = SummaryDialog(window.editor.document, window.editor.result, window)
    assert dialog.testAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.close()
    QApplication.sendPostedEvents(None, 0)  # DeferredDelete
    qtbot.waitUntil(lambda: not isValid(dialog))
