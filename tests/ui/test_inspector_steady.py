"""The inspector's fields stay where they are when an edit brings an error and its fix buttons: nothing above
them changes height (the help's "Idea" line follows the values shown, valid or not), no scroll bar comes and
narrows them, and the dock keeps its width."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.ui.gestures import click_node


def _places(window):
    return {
        name: (field.widget.mapTo(window, field.widget.rect().topLeft()).toTuple(), field.widget.width())
        for name, field in window.inspector.fields.items()
    }


@pytest.mark.parametrize("size", [(1500, 950), (1280, 800)], ids=["default", "1280x800"])
def test_an_error_and_its_fixes_leave_the_fields_in_place(make_window, qtbot, size):
    window = make_window("seed_cnn")
    window.resize(*size)
    window.look_inside_dock.show()  # under the inspector: a shorter inspector, which the error makes scroll
    graph = window.editor.graph
    graph.set_params("conv1", {**graph.nodes["conv1"].params, "groups": 3})  # grouped: the help has its idea
    window.editor.recheck()
    click_node(window, "conv1")
    inspector = window.inspector
    qtbot.wait(50)
    assert "Idea:" in inspector.help.text()
    before, dock_width = _places(window), window.inspector_dock.width()

    kernel = inspector.fields["kernel_size"].widget.h
    kernel.setFocus()
    kernel.selectAll()
    QTest.keyClicks(kernel, "99")
    QTest.keyClick(kernel, Qt.Key.Key_Return)
    qtbot.wait(50)
    assert graph.nodes["conv1"].params["kernel_size"] in (99, [99, 99])
    assert inspector.error.isVisible() and inspector.fix_box.count() >= 1
    assert _places(window) == before
    assert window.inspector_dock.width() == dock_width
