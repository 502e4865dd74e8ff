"""Helper for test_ximport: a real window on an X server. It prints its window id, then the import dialog's
when the menu opens it, then what the import put on the canvas (or the error it showed)."""

import json
import sys
import traceback

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from netbuilder.core.presets import load_preset
from netbuilder.ui.app.app import application
from netbuilder.ui.app.interop import ImportDialog
from netbuilder.ui.app.main_window import MainWindow


def say(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


app = application()
sys.excepthook = lambda *error: (traceback.print_exception(*error), app.exit(1))  # fail now, not at the timeout
window = MainWindow(load_preset("seed_cnn"))
window.questions.show_error = lambda title, text: (say(error=text), app.exit(1))
window.move(0, 0)
window.resize(1400, 900)
window.show()
known = set(window.editor.graph.nodes)
seen_dialog = []


def poll() -> None:
    dialog = QApplication.activeModalWidget()
    if isinstance(dialog, ImportDialog) and dialog.isVisible() and not seen_dialog:
        seen_dialog.append(dialog)
        say(dialog=int(dialog.winId()))
    graph = window.editor.graph
    if set(graph.nodes) != known and not window.interop.jobs:
        say(
            adds=sum(n.type == "Add" for n in graph.nodes.values()),
            on_canvas=set(window.scene.node_items) == set(graph.nodes),
            valid=window.editor.result.valid,
            title=window.windowTitle(),
        )
        window.editor.undo_stack.setClean()
        app.exit(0)


QTimer.singleShot(1000, lambda: (window.activateWindow(), say(window=int(window.winId()))))
timer = QTimer()
timer.timeout.connect(poll)
timer.start(50)
QTimer.singleShot(90_000, lambda: app.exit(1))
sys.exit(app.exec())
