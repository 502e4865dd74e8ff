"""Issue 22 §3 in the window, with real mouse and keys: Ctrl+L freezes the selection (a lock on its card, the
status bar's trainable count), "Freeze up to here" and "Unfreeze all" from the right-click menu, the inspector's
lock and learning-rate multiplier; each one undoable step."""

from gestures import click_node, key, view_point
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from test_first_hour_canvas import center, choose, right_click, texts

from netbuilder.core.check.summary import short
from netbuilder.ui.canvas.badges import LockBadge


def locked(window) -> list[str]:
    """The blocks whose card shows a lock badge, in document order."""
    return [
        nid
        for nid, item in window.scene.node_items.items()
        if any(isinstance(c, LockBadge) and c.isVisible() for c in item.childItems())
    ]


def test_ctrl_l_locks_the_selected_block_counts_it_in_the_status_bar_and_undoes(make_window):
    window = make_window()
    total = window.editor.result.total_params
    assert window.totals.text().startswith(f"{short(total)} params")
    click_node(window, "fc1")
    key(window, "Ctrl+L")
    assert window.editor.graph.nodes["fc1"].frozen and locked(window) == ["fc1"]
    trained = total - window.editor.result.nodes["fc1"].params
    assert window.editor.result.trainable_params == trained
    assert window.totals.text().startswith(f"{short(trained)} of {short(total)} trainable")
    assert window.inspector.frozen.isChecked()
    key(window, "Ctrl+L")  # again: unfrozen
    assert not window.editor.graph.nodes["fc1"].frozen and locked(window) == []
    key(window, "Ctrl+Z")
    assert locked(window) == ["fc1"]
    key(window, "Ctrl+Z")
    assert locked(window) == [] and window.totals.text().startswith(f"{short(total)} params")
    assert not window.editor.undo_stack.canUndo()


def test_freeze_up_to_here_and_unfreeze_all_from_the_right_click_menu(make_window):
    window = make_window()
    menu = right_click(window, center(window, "pool1"))
    assert "Freeze up to here" in texts(menu) and "Unfreeze all" not in texts(menu)  # nothing is frozen yet
    choose(menu, "Freeze up to here")
    assert locked(window) == ["input", "conv1", "relu1", "pool1"]
    assert window.editor.result.trainable_params == window.editor.result.nodes["fc1"].params
    assert window.editor.undo_stack.undoText() == "Freeze up to 'pool1'"
    menu = right_click(window, window.view.mapToScene(window.view.viewport().rect().bottomRight()) - QPointF(5, 5))
    assert texts(menu)[-1] == "Unfreeze all"  # on the empty canvas too
    choose(menu, "Unfreeze all")
    assert locked(window) == []
    key(window, "Ctrl+Z")
    assert locked(window) == ["input", "conv1", "relu1", "pool1"]
    key(window, "Ctrl+Z")
    assert locked(window) == []


def test_a_frozen_group_shows_a_lock_on_its_card_and_the_inspector_sets_the_multiplier(make_window):
    window = make_window()
    click_node(window, "conv1")
    click_node(window, "relu1", Qt.KeyboardModifier.ControlModifier)
    key(window, "Ctrl+G")
    gid = next(iter(window.editor.graph.groups))
    key(window, "Ctrl+L")  # the new group is selected: the group freezes
    assert window.editor.graph.groups[gid].frozen and not window.editor.graph.nodes["conv1"].frozen
    frame = window.scene.group_frames[gid]
    assert any(isinstance(c, LockBadge) for c in frame.childItems())
    window.scene.set_folded(gid, True)
    card = window.scene.group_cards[gid]
    assert any(isinstance(c, LockBadge) and c.isVisible() for c in card.childItems())
    QTest.mouseClick(
        window.view.viewport(), Qt.MouseButton.LeftButton, pos=view_point(window, card.sceneBoundingRect().center())
    )
    assert window.inspector.frozen.isChecked()  # the group is shown
    field = window.inspector.lr_mult
    field.setFocus()
    QTest.keyClicks(field, "-1")
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert window.inspector.learn_note.isVisibleTo(window.inspector)
    assert window.inspector.learn_note.text().startswith("A learning-rate multiplier is a number from 0 to 1000")
    assert window.inspector.learn_note.text().endswith("got -1.")
    assert window.editor.graph.groups[gid].lr_mult is None
    field.clear()
    QTest.keyClicks(field, "0.1")
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert window.editor.graph.groups[gid].lr_mult == 0.1
    assert not window.inspector.learn_note.isVisibleTo(window.inspector)
    key(window, "Ctrl+Z")
    assert window.editor.graph.groups[gid].lr_mult is None and window.editor.graph.groups[gid].frozen


def test_the_keyboard_sheet_lists_ctrl_l(make_window, qtbot):
    window = make_window()
    sheet = window.show_shortcuts()
    qtbot.addWidget(sheet)
    rows = {sheet.table.item(r, 0).text(): sheet.table.item(r, 1).text() for r in range(sheet.table.rowCount())}
    assert rows["Freeze or unfreeze"] == "Ctrl+L"
    assert "Freeze up to here" in rows and "Unfreeze all" in rows
    sheet.close()
