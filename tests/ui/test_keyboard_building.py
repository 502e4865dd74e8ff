"""Issue 20, section 6: the article's CNN built and set with the keyboard alone — Tab quick-add, typing, Enter,
the arrow keys along the wires, Ctrl+Z, Edit → Properties (Enter) into the inspector's fields and Escape back."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QCheckBox, QSpinBox, QWidget

from netbuilder.core.check.shapes import check
from netbuilder.core.presets import load_preset


def press(window, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A key press where the keyboard is (the canvas, the quick-add field, an inspector field)."""
    target = QApplication.focusWidget() or window
    QTest.keyClick(target, key, modifier)


def type_text(text: str) -> None:
    QTest.keyClicks(QApplication.focusWidget(), text)


def quick_add(window, label: str) -> None:
    press(window, Qt.Key.Key_Tab)
    assert window.canvas.quick_add.isVisible()
    type_text(label)
    press(window, Qt.Key.Key_Return)
    assert not window.canvas.quick_add.isVisible()


def selected(window) -> list[str]:
    return window.canvas.selected_ids()


def within(widget: QWidget | None, host: QWidget) -> bool:
    while widget is not None:
        if widget is host:
            return True
        widget = widget.parentWidget()
    return False


def tab_to(window, field: str) -> None:
    """Tab through the inspector until the keyboard is in a field, as a user watching the focus would."""
    host = window.inspector.fields[field].widget
    for _ in range(30):
        if within(QApplication.focusWidget(), host):
            return
        press(window, Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {field}")


def set_field(window, value: str) -> None:
    """Type over the focused field's value and commit it with Enter."""
    press(window, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(value)
    press(window, Qt.Key.Key_Return)


def chain(graph) -> list[str]:
    """The blocks from the Input down the wires (the article's CNN is one chain)."""
    order = [next(nid for nid, n in graph.nodes.items() if n.type == "Input")]
    while outs := graph.out_edges(order[-1]):
        assert len(outs) == 1
        order.append(outs[0].dst)
    assert len(order) == len(graph.nodes) and len(graph.edges) == len(order) - 1
    return order


def test_the_articles_cnn_built_and_set_with_the_keyboard_alone(make_window):
    window = make_window("vgg_cifar")
    window.view.setFocus()
    press(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # File → New: an Input 3×32×32
    graph = window.editor.graph
    assert list(graph.nodes) == ["input"]
    window.view.setFocus()
    press(window, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert selected(window) == ["input"]
    quick_add(window, "Conv2d")
    conv = selected(window)[0]
    # Edit → Properties (Enter): the keyboard is in the first field, out_channels.
    press(window, Qt.Key.Key_Return)
    assert within(QApplication.focusWidget(), window.inspector.fields["out_channels"].widget)
    set_field(window, "12")
    tab_to(window, "padding")
    set_field(window, "1")
    press(window, Qt.Key.Key_Escape)  # back to the canvas, the block still selected
    assert QApplication.focusWidget() is window.view and selected(window) == [conv]
    quick_add(window, "ReLU")
    relu = selected(window)[0]
    quick_add(window, "Dropout")  # a slip: undone, the selection is back on the ReLU the Dropout hung from
    press(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert selected(window) == [relu] and len(graph.nodes) == 3
    quick_add(window, "MaxPool2d")
    pool = selected(window)[0]
    # The seed's pool states its stride: untick "= kernel_size" with Space, then type the stride.
    press(window, Qt.Key.Key_Return)
    tab_to(window, "stride")
    while not isinstance(QApplication.focusWidget(), QCheckBox):
        press(window, Qt.Key.Key_Tab)
    assert within(QApplication.focusWidget(), window.inspector.fields["stride"].widget)
    press(window, Qt.Key.Key_Space)
    for _ in range(3):  # its sizes sit above the switch: back to them
        press(window, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
        if isinstance(QApplication.focusWidget(), QSpinBox):
            break
    assert within(QApplication.focusWidget(), window.inspector.fields["stride"].widget)
    set_field(window, "2")
    press(window, Qt.Key.Key_Escape)
    # The arrows walk the wires: up to what feeds a block, down to what it feeds.
    press(window, Qt.Key.Key_Up)
    assert selected(window) == [relu]
    press(window, Qt.Key.Key_Up)
    assert selected(window) == [conv]
    press(window, Qt.Key.Key_Down)
    press(window, Qt.Key.Key_Down)
    assert selected(window) == [pool]
    quick_add(window, "Linear")
    press(window, Qt.Key.Key_Return)
    set_field(window, "10")
    press(window, Qt.Key.Key_Escape)

    seed = load_preset("seed_cnn").graph
    mine, theirs = check(graph), check(seed)
    assert mine.valid
    built, expected = chain(graph), chain(seed)
    assert [graph.nodes[n].type for n in built] == [seed.nodes[n].type for n in expected]
    assert [mine.nodes[n].values for n in built] == [theirs.nodes[n].values for n in expected]
    assert [mine.nodes[n].output_shape for n in built] == [theirs.nodes[n].output_shape for n in expected]
    assert mine.total_params == theirs.total_params


def test_arrows_scroll_when_nothing_is_selected_and_step_among_branches(make_window):
    window = make_window("resnet_cifar")
    window.scene.clearSelection()
    bar = window.view.verticalScrollBar()
    bar.setValue(bar.minimum())
    window.view.setFocus()
    press(window, Qt.Key.Key_Down)
    assert bar.value() > bar.minimum() and not window.scene.selectedItems()
    # Left/Right move between the blocks that share a feeder (a residual unit's two paths).
    graph = window.editor.graph
    for group in graph.groups.values():
        group.folded = False
    window.scene.sync()
    fork = next(nid for nid in graph.nodes if len(graph.out_edges(nid)) == 2)
    left, right = sorted(
        (e.dst for e in graph.out_edges(fork)), key=lambda n: window.scene.node_items[n].scenePos().x()
    )
    window.scene.select_units([left])
    press(window, Qt.Key.Key_Right)
    assert selected(window) == [right]
    press(window, Qt.Key.Key_Left)
    assert selected(window) == [left]
    press(window, Qt.Key.Key_Up)
    assert selected(window) == [fork]
