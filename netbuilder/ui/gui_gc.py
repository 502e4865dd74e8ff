"""Python's cyclic garbage collector runs on the GUI thread only.

Left automatic, the collector runs in whichever thread happens to allocate when a threshold is passed: often a
worker (the runs scan, the inspect and close threads). A widget caught in a reference cycle is then destroyed
on that thread while the GUI thread is inside a Qt call (connecting or emitting a signal), which crashes
PySide6 6.11 (a segfault in its signal manager) or hangs it on Qt's signal-slot lock.
So automatic collection is off, and a GUI-thread timer collects instead, generation by generation at the
interpreter's own thresholds: the same collections, always on the thread that owns the widgets.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QTimer

CHECK_MS = 100  # how often the GUI thread looks at the allocation counts (a look costs microseconds)


def collect_due() -> None:
    """Collect the generations whose counts passed their thresholds, as the interpreter itself would."""
    thresholds, counts = gc.get_threshold(), gc.get_count()
    if not thresholds[0] or counts[0] <= thresholds[0]:
        return
    generation = 0
    while generation < 2 and counts[generation + 1] > thresholds[generation + 1]:
        generation += 1
    gc.collect(generation)


def collect_on_gui_thread(app: QCoreApplication) -> QTimer:
    """Turn automatic collection off and collect from `app`'s event loop from now on; the timer, once per app."""
    timer = app.findChild(QTimer, "gui-thread-gc")
    if timer is None:
        timer = QTimer(app, objectName="gui-thread-gc", interval=CHECK_MS)
        timer.timeout.connect(collect_due)
        timer.start()
    gc.disable()
    return timer
