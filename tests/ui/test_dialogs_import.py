"""File → Import PyTorch model… and Presets → Import from torchvision…, the way a user takes them: the menu opened
with Alt+F, the item chosen with its key, the dialog's fields typed into, Enter; the network then on the canvas."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from netbuilder.ui.app.interop import ImportDialog
from netbuilder.ui.app.jobs import CommandJob


def when_modal(kind: type, then: Callable[[QWidget], None]) -> QTimer:
    """Call `then` with the modal dialog of that kind once it is up (exec() blocks the test until it closes); a
    failure in `then` closes the dialog, so that the test fails instead of waiting forever."""
    timer = QTimer()

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if not (isinstance(dialog, kind) and dialog.isVisible()):
            return
        if not dialog.isActiveWindow():  # keys go to the active window: wait until the dialog is
            dialog.activateWindow()
            return
        timer.stop()
        try:
            then(dialog)
        except BaseException:
            dialog.reject()
            raise

    timer.timeout.connect(poll)
    timer.start(20)
    return timer


def open_menu_item(window, path: list[str]) -> None:
    """Alt+<mnemonic> opens the top menu; each further mnemonic key opens a submenu or triggers the item."""
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.AltModifier)
    for text in path:
        menu = QApplication.activePopupWidget()
        assert isinstance(menu, QMenu), f"no menu open before {text!r}"
        action = next(a for a in menu.actions() if a.text().replace("&", "") == text)
        if "&" in action.text():
            letter = action.text()[action.text().index("&") + 1]
            QTest.keyClick(menu, letter.lower())
        else:  # no mnemonic: arrow down to it and press Enter, as a user without the mouse does
            menu.setActiveAction(menu.actions()[0])
            while menu.activeAction() is not action:
                QTest.keyClick(menu, Qt.Key.Key_Down)
            QTest.keyClick(menu, Qt.Key.Key_Return)


def wait_imported(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.interop.jobs, timeout=120_000)
    QApplication.sendPostedEvents(None, 0)  # DeferredDelete
    assert window.findChildren(CommandJob) == []


@pytest.mark.slow
def test_file_import_typed_into_the_dialog_puts_the_network_on_the_canvas(make_window, qtbot):
    window = make_window()
    typed = []

    def fill(dialog: ImportDialog) -> None:
        QTest.keyClicks(dialog.source.lineEdit(), "torchvision:resnet18")
        QTest.keyClick(dialog.source.lineEdit(), Qt.Key.Key_Tab)
        assert dialog.focusWidget() is dialog.input
        dialog.input.selectAll()
        QTest.keyClicks(dialog.input, "3,32,32")
        typed.append(dialog.args())
        QTest.keyClick(dialog.input, Qt.Key.Key_Return)

    timer = when_modal(ImportDialog, fill)
    open_menu_item(window, ["Import PyTorch model…"])
    timer.stop()
    assert typed == [["torchvision:resnet18", "--input", "3,32,32"]]
    wait_imported(qtbot, window)
    assert window.errors == []
    graph = window.editor.graph
    assert sum(n.type == "Add" for n in graph.nodes.values()) == 8 and window.editor.result.valid
    assert set(window.scene.node_items) == set(graph.nodes)  # on the canvas, not only in the document
    assert window.findChildren(ImportDialog) == []  # the dialog was deleted once read


@pytest.mark.slow
def test_presets_import_from_torchvision_takes_the_chosen_model(make_window, qtbot):
    window = make_window()

    def choose(dialog: ImportDialog) -> None:
        combo = dialog.source
        combo.setFocus()
        start = combo.findText("torchvision:resnet18")
        QTest.keyClick(combo, Qt.Key.Key_Home)
        for _ in range(start):
            QTest.keyClick(combo, Qt.Key.Key_Down)
        assert combo.currentText() == "torchvision:resnet18" and dialog.input.text() == "3,224,224"
        dialog.input.setFocus()
        dialog.input.selectAll()
        QTest.keyClicks(dialog.input, "3,32,32")
        QTest.keyClick(dialog.input, Qt.Key.Key_Enter)

    timer = when_modal(ImportDialog, choose)
    open_menu_item(window, ["Presets", "Import from torchvision…"])
    timer.stop()
    wait_imported(qtbot, window)
    assert window.errors == [] and len(window.scene.node_items) == len(window.editor.graph.nodes) > 60


def test_escape_cancels_the_import_and_changes_nothing(make_window, qtbot):
    window = make_window()
    nodes = set(window.editor.graph.nodes)

    def cancel(dialog: ImportDialog) -> None:
        QTest.keyClicks(dialog.source.lineEdit(), "torchvision:resnet18")
        QTest.keyClick(dialog.source.lineEdit(), Qt.Key.Key_Escape)

    timer = when_modal(ImportDialog, cancel)
    open_menu_item(window, ["Import PyTorch model…"])
    timer.stop()
    assert window.interop.jobs == [] and set(window.editor.graph.nodes) == nodes
