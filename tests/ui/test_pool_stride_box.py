"""A pooling block whose stride is "= kernel_size" shows the stride it uses (the kernel size), never a stale 1."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from tests.ui.gestures import click_node


def _click_box(check) -> None:
    QTest.mouseClick(check, Qt.MouseButton.LeftButton, pos=QPoint(8, check.height() // 2))


def _pair(value):
    return tuple(value) if isinstance(value, (list, tuple)) else (value, value)


def _shown(window):
    stride = window.inspector.fields["stride"].widget
    return stride, (stride.h.value(), stride.w.value())


def test_the_stride_box_shows_the_kernel_size_while_it_follows_it(make_window, qtbot):
    window = make_window("seed_cnn")
    graph = window.editor.graph
    click_node(window, "pool1")
    assert window.inspector.node_id == "pool1"
    kernel = window.inspector.fields["kernel_size"].widget
    kernel.h.setFocus()
    QTest.keyClick(kernel.h, Qt.Key.Key_Up)  # kernel 3, stride still 2
    assert _pair(graph.nodes["pool1"].params["kernel_size"]) == (3, 3)

    stride, _ = _shown(window)
    _click_box(stride.switch)  # tick "= kernel_size": the block now strides by 3, and the boxes say so
    stride, shown = _shown(window)
    assert stride.switch.isChecked() and graph.nodes["pool1"].params["stride"] is None
    assert shown == (3, 3) and not stride.h.isEnabled()

    kernel = window.inspector.fields["kernel_size"].widget
    kernel.h.setFocus()
    QTest.keyClick(kernel.h, Qt.Key.Key_Up)  # kernel 4: the stride boxes follow
    stride, shown = _shown(window)
    assert shown == (4, 4)

    _click_box(stride.switch)  # untick: an explicit stride, starting at the one in use
    stride, shown = _shown(window)
    assert not stride.switch.isChecked() and stride.h.isEnabled() and shown == (4, 4)
    assert _pair(graph.nodes["pool1"].params["stride"]) == (4, 4)
    stride.h.setFocus()
    QTest.keyClick(stride.h, Qt.Key.Key_Down)
    assert _pair(graph.nodes["pool1"].params["stride"]) == (3, 3)
