"""The runs list reads run folders off the UI thread; dialogs free themselves when closed."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from netbuilder.ui import runs_view
from netbuilder.ui.runs_view import RunsView


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


def test_a_stale_scan_never_overwrites_a_newer_one(qtbot, tmp_path):
    view = RunsView(tmp_path)
    qtbot.addWidget(view)
    # The wait starts before the scan it waits for (the first one, from __init__, may be done already).
    with qtbot.waitSignal(view.scanner.scanned, check_params_cb=lambda generation, _: generation == view.generation):
        view.refresh_button.click()
    assert view.table.rowCount() == 0  # the newest scan: an empty folder
    view.scanner.scanned.emit(view.generation - 1, [(object(), ("x",) * len(runs_view.COLUMNS))])  # a slow old one
    assert view.table.rowCount() == 0


def test_summary_and_comparison_dialogs_delete_themselves_on_close(make_window, qtbot):
    from shiboken6 import isValid

    from netbuilder.ui.summary_dialog import SummaryDialog

    window = make_window()
    dialog = SummaryDialog(window.editor.document, window.editor.result, window)
    assert dialog.testAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.close()
    QApplication.sendPostedEvents(None, 0)  # DeferredDelete
    qtbot.waitUntil(lambda: not isValid(dialog))
