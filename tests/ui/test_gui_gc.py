"""Python's cyclic collector frees the app's widgets on the GUI thread only, never on a worker thread."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

from netbuilder.ui.app.app import application


def litter(n: int) -> list[weakref.ref]:
    """Widgets (with a child each) that only the cyclic collector can free: each holds itself."""
    refs = []
    for _ in range(n):
        w = QWidget()
        QPushButton("x", w)
        w.me = w
        refs.append(weakref.ref(w))
    return refs


def test_a_worker_that_allocates_never_collects_and_the_gui_thread_frees_the_cycles(qtbot):
    application()
    threads: list[str] = []

    def record(phase: str, info: dict) -> None:
        if phase == "start":
            threads.append(threading.current_thread().name)

    gc.callbacks.append(record)
    try:
        refs = litter(50)
        # Far more allocations than the youngest generation's threshold, on a worker (as the runs scan makes).
        kept: list[list[int]] = []
        worker = threading.Thread(
            target=lambda: kept.extend([i] for i in range(20 * gc.get_threshold()[0])), name="worker"
        )
        worker.start()
        worker.join()
        assert "worker" not in threads
        qtbot.waitUntil(lambda: all(r() is None for r in refs), timeout=5000)  # freed from the event loop
    finally:
        gc.callbacks.remove(record)
    assert threads and set(threads) == {threading.main_thread().name}
    assert not gc.isenabled()  # automatic collection would run in whichever thread allocates
    assert QApplication.instance().findChild(QTimer, "gui-thread-gc").isActive()
