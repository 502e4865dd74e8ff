"""Every dialog of the window, walked: a dialog run with exec() is read after exec() returns, so it must not delete
itself on close (its fields would be gone: "Internal C++ object already deleted"); a dialog that deletes itself
on close is shown with show() or open() and nothing reads it afterwards."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog
from shiboken6 import isValid

import netbuilder.ui
from netbuilder.ui.app import actions, help, interop
from netbuilder.ui.inside import summary_dialog

UI = Path(netbuilder.ui.__file__).parent


def dialog_classes() -> dict[str, type[QDialog]]:
    """Every QDialog subclass defined in netbuilder.ui, by name."""
    for info in pkgutil.walk_packages([str(UI)], prefix="netbuilder.ui."):
        importlib.import_module(info.name)
    found, todo = {}, [QDialog]
    while todo:
        for cls in todo.pop().__subclasses__():
            todo.append(cls)
            if cls.__module__.startswith("netbuilder.ui."):
                found[cls.__name__] = cls
    return found


def factories(window) -> dict[str, object]:
    """How to make each dialog class as the window does."""
    rows = actions.shortcut_rows(window.action_table, window.installed)
    return {
        "ImportDialog": lambda: interop.ImportDialog(window, torchvision_only=True),
        "SummaryDialog": lambda: summary_dialog.SummaryDialog(window.editor.document, window.editor.result, window),
        "ShortcutSheet": lambda: actions.ShortcutSheet(rows, window),
        "GettingStarted": lambda: help.GettingStarted(window),
        "ReadmeSection": lambda: help.ReadmeSection("The file format", "# Text", window),
        "About": lambda: help.About(window, None),
        "QDialog": lambda: QDialog(window),
    }


def executed_dialogs() -> set[str]:
    """The dialog classes that some code in netbuilder/ui runs with exec(): `Cls(...).exec()`, or `x.exec()` where
    x was assigned `Cls(...)` (or a function returning one) in the same function."""
    names = set()
    for path in UI.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            made = {
                target.id: node.value.func
                for node in ast.walk(function)
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                for target in node.targets
                if isinstance(target, ast.Name)
            }
            for node in ast.walk(function):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                if node.func.attr != "exec":
                    continue
                owner = node.func.value
                call = owner.func if isinstance(owner, ast.Call) else made.get(getattr(owner, "id", None))
                if call is not None:
                    names.add(call.attr if isinstance(call, ast.Attribute) else getattr(call, "id", ""))
    return names


def test_the_walk_knows_every_dialog_class(make_window):
    window = make_window()
    assert set(dialog_classes()) | {"QDialog"} == set(factories(window))


def test_no_dialog_run_with_exec_deletes_itself_on_close(make_window):
    window = make_window()
    made = factories(window)
    executed = executed_dialogs()
    assert "ImportDialog" in executed  # the walk sees the import dialog's exec() in interop.ask_import
    for name in executed & set(made):
        dialog = made[name]()
        assert not dialog.testAttribute(Qt.WidgetAttribute.WA_DeleteOnClose), f"{name} is read after exec()"
        dialog.deleteLater()


def test_every_dialog_accepted_with_enter_can_still_be_read_unless_it_deletes_itself(make_window):
    """Run each dialog modally, press Enter (or Escape where it has no default button), let Qt delete what it
    deletes; a dialog still alive answers every one of its own readers."""
    window = make_window()
    for name, make in factories(window).items():
        dialog = make()
        deletes_itself = dialog.testAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def close(dialog=dialog, name=name) -> None:
            QTest.keyClick(dialog.focusWidget() or dialog, Qt.Key.Key_Escape)
            if dialog.isVisible():  # Escape did not close it: fail rather than wait in exec() forever
                dialog.reject()
                pytest.fail(f"Escape does not close {name}")

        QTimer.singleShot(50, close)
        dialog.exec()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        if deletes_itself:
            assert not isValid(dialog), f"{name} was expected to delete itself"
            continue
        assert isValid(dialog), name
        readers = [
            member
            for attr, member in vars(type(dialog)).items()
            if inspect.isfunction(member)
            and not attr.startswith("_")
            and len(inspect.signature(member).parameters) == 1
            and attr[0].islower()
        ]
        for reader in readers:
            reader(dialog)  # no "already deleted"
        dialog.deleteLater()


def test_ctrl_i_opens_the_summary_window_modal_and_escape_deletes_it(make_window, qtbot):
    window = make_window()
    QTest.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    dialog = window.findChildren(summary_dialog.SummaryDialog)[-1]
    qtbot.waitExposed(dialog)
    assert dialog.isModal() and dialog.table.rowCount() == len(window.editor.graph.nodes)
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    assert not isValid(dialog) and window.findChildren(summary_dialog.SummaryDialog) == []
