"""Starting the app: the QApplication, the first window, and the --screenshot mode."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from netbuilder.core.document import DocumentError, load
from netbuilder.core.presets import load_preset
from netbuilder.ui.app.main_window import MainWindow
from netbuilder.ui.gui_gc import collect_on_gui_thread
from netbuilder.ui.image_file import save_image


def application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    collect_on_gui_thread(app)  # never on a worker thread: netbuilder/ui/gui_gc.py
    app.setApplicationName("NetBuilder")
    app.setOrganizationName("NetBuilder")
    app.setStyle("Fusion")
    return app


def open_window(file: str | None) -> MainWindow:
    """A window on the file, or on the VGG-CIFAR preset (as an unsaved copy) when there is none."""
    if file:
        return MainWindow(load(file), Path(file))
    return MainWindow(load_preset(), None)


def run(file: str | None, screenshot: str | None = None) -> int:
    app = application()
    try:
        window = open_window(file)
    except DocumentError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    window.show()
    if screenshot:

        def shoot() -> None:
            app.processEvents()
            try:
                ok = save_image(window.grab(), screenshot)
            except OSError as e:
                ok = False
                print(f"error: {e}", file=sys.stderr)
            else:
                if not ok:
                    print(f"error: cannot write the screenshot to {screenshot}.", file=sys.stderr)
            app.exit(0 if ok else 1)

        QTimer.singleShot(300, shoot)
        return app.exec()
    QTimer.singleShot(0, window.files.offer_recovery)
    return app.exec()
