"""The actions table: menus, shortcuts and the keyboard-shortcut sheet all come from it."""

from gestures import key
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from shiboken6 import isValid

from netbuilder.ui.app.actions import Action, ShortcutSheet


def menu_texts(menu) -> list[str]:
    """Every action text in a menu and its submenus."""
    texts = []
    for action in menu.actions():
        if action.menu() is not None:
            texts += menu_texts(action.menu())
        elif not action.isSeparator():
            texts.append(action.text())
    return texts


def open_sheet(window, qtbot, sequence: str) -> ShortcutSheet:
    key(window, sequence)
    qtbot.waitUntil(lambda: bool(window.findChildren(ShortcutSheet)))
    return window.findChildren(ShortcutSheet)[-1]


def test_every_action_of_the_table_is_in_the_menus_and_the_sheet(make_window, qtbot):
    window = make_window()
    table = [e for e in window.action_table if isinstance(e, Action)]
    in_menus = [t for a in window.menuBar().actions() for t in menu_texts(a.menu())]
    for entry in table:
        action = window.installed.actions[entry.name]
        assert action.text() in in_menus, entry.name
    assert [m.text() for m in window.menuBar().actions()] == ["&File", "&Edit", "&View", "&Network", "&Help"]
    sheet = open_sheet(window, qtbot, "F1")
    assert sheet.visible_actions() == [e.text.replace("&", "") for e in table]
    rows = {sheet.table.item(r, 0).text(): sheet.table.item(r, 1).text() for r in range(sheet.table.rowCount())}
    assert rows["Save As…"] == "Ctrl+Shift+S" and rows["Redo"] == "Ctrl+Shift+Z, Ctrl+Y"
    assert rows["Delete"] == "Del, Backspace" and rows["Add block…"] == "Tab"
    sheet.close()


def test_the_sheet_filters_as_you_type_and_deletes_itself_on_close(make_window, qtbot):
    window = make_window()
    sheet = open_sheet(window, qtbot, "?")
    assert sheet.testAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    QTest.keyClicks(sheet.search, "zoom")
    assert sheet.visible_actions() == ["Zoom in", "Zoom out"]
    sheet.search.clear()
    QTest.keyClicks(sheet.search, "ctrl+shift")
    assert sheet.visible_actions() == ["Save As…", "Redo", "Ungroup"]
    sheet.close()
    QApplication.sendPostedEvents(None, 0)  # DeferredDelete
    qtbot.waitUntil(lambda: not isValid(sheet))


def test_canvas_actions_are_in_its_context_menu_and_work_only_there(make_window):
    window = make_window()
    context = [a.text() for a in window.view.actions()]
    assert context[:7] == ["Cu&t", "&Copy", "&Paste", "&Duplicate", "&Delete", "Select &All", "&Add block…"]
    assert "Zoom &in" in context and "&Save" not in context
    assert window.installed.actions["edit.copy"].shortcutContext() == Qt.ShortcutContext.WidgetWithChildrenShortcut
    assert window.installed.actions["file.save"].shortcutContext() == Qt.ShortcutContext.WindowShortcut
    window.palette.search.setFocus()
    QTest.keyClicks(window.palette.search, "l")  # typed text, not Auto-arrange
    assert window.palette.search.text() == "l"
