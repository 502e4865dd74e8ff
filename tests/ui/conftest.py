"""Fixtures for the app's tests: a main window on a known document, driven by qtbot."""

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from netbuilder.core.presets import load_preset
from netbuilder.ui.app.app import application
from netbuilder.ui.app.main_window import MainWindow


@pytest.fixture(scope="session", autouse=True)
def _app(qapp):
    """The app's QApplication set-up, its garbage collection on the GUI thread included, for every UI test."""
    return application()


@pytest.fixture
def make_window(qtbot, _isolated_user_state):
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(_isolated_user_state / "config"))
    application()
    windows = []

    def make(preset: str = "seed_cnn", path: Path | None = None) -> MainWindow:
        window = MainWindow(load_preset(preset), path)
        window.questions.ask_save = lambda: QMessageBox.StandardButton.Discard
        window.errors = []
        window.questions.show_error = lambda title, text: window.errors.append(text)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        window.view.fit()
        windows.append(window)
        return window

    yield make
    for w in windows:
        w.editor.undo_stack.setClean()


from xserver import xserver  # noqa: E402, F401  (the real X server fixture of the xdotool tests)
