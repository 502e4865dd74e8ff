"""Helper for test_xdrag: a real window on an X server; prints where to drag, then what landed."""

import json
import sys

from PySide6.QtCore import QPoint, QTimer

from netbuilder.core.presets import load_preset
from netbuilder.ui.app.app import application
from netbuilder.ui.app.main_window import MainWindow

app = application()
window = MainWindow(load_preset("seed_cnn"))
window.move(0, 0)
window.resize(1400, 900)
window.show()
known = set(window.editor.graph.nodes)


def report_targets() -> None:
    tree = window.palette.tree
    item = next(
        tree.topLevelItem(i).child(j)
        for i in range(tree.topLevelItemCount())
        for j in range(tree.topLevelItem(i).childCount())
        if tree.topLevelItem(i).child(j).text(0) == "Dropout"
    )
    source = tree.viewport().mapToGlobal(tree.visualItemRect(item).center())
    viewport = window.view.viewport()
    drop_local = QPoint(viewport.width() - 150, 120)
    drop = viewport.mapToGlobal(drop_local)
    scene = window.view.mapToScene(drop_local)
    print(
        json.dumps({"from": [source.x(), source.y()], "to": [drop.x(), drop.y()], "scene": [scene.x(), scene.y()]}),
        flush=True,
    )


def poll() -> None:
    added = set(window.editor.graph.nodes) - known
    if added:
        node = window.editor.graph.nodes[added.pop()]
        print(json.dumps({"type": node.type, "position": node.position}), flush=True)
        window.editor.undo_stack.setClean()
        app.exit(0)


QTimer.singleShot(1500, report_targets)
timer = QTimer()
timer.timeout.connect(poll)
timer.start(50)
QTimer.singleShot(30000, lambda: app.exit(1))
sys.exit(app.exec())
