"""Training settings belong to the document: changing one is an undoable edit that makes the document modified,
saving writes them into the file's "training" key, opening the file shows them, and a file without the key
opens with the recipe."""

from __future__ import annotations

import json

from gestures import key
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from netbuilder.core.document import save
from netbuilder.core.presets import load_preset
from netbuilder.records.config import recommend


def type_into(widget, text: str) -> None:
    """Select a field's text and type another, then Enter, as a person does."""
    widget.setFocus()
    QTest.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)


def choose(combo, text: str) -> None:
    """Pick an item of a list with the keyboard: focus it, Home for the first item, then Down until it shows text."""
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if combo.currentText() == text:
            return
        QTest.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText() == text


def test_settings_are_saved_with_the_file_and_shown_when_it_opens(make_window, tmp_path):
    window = make_window()  # seed_cnn: the recipe is AdamW at 0.003 for 10 epochs
    form = window.training.settings
    assert not window.isWindowModified()
    type_into(form.fields["lr"].widget, "0.0125")
    assert form.fields["lr"].widget.value() == 0.0125
    assert window.isWindowModified()  # a setting changed is a change to the document
    choose(form.fields["optimizer"].widget, "sgd")
    type_into(form.fields["epochs"].widget, "3")
    path = tmp_path / "tuned.json"
    window.questions.ask_path = lambda saving, start: path
    key(window, "Ctrl+Shift+S")
    saved = json.loads(path.read_text())["training"]
    assert saved["lr"] == 0.0125 and saved["optimizer"] == "sgd" and saved["epochs"] == 3

    key(window, "Ctrl+N")  # another document: the recipe again
    assert form.fields["lr"].widget.value() == 0.003 and form.fields["optimizer"].widget.currentText() == "adamw"
    window.questions.ask_path = lambda saving, start: path
    key(window, "Ctrl+O")
    assert form.fields["lr"].widget.value() == 0.0125 and form.fields["optimizer"].widget.currentText() == "sgd"
    assert form.fields["epochs"].widget.value() == 3 and not window.isWindowModified()
    config = form.config()
    assert (config.lr, config.optimizer, config.epochs) == (0.0125, "sgd", 3)


def test_undo_puts_a_setting_back_and_typing_one_value_is_one_step(make_window):
    window = make_window()
    form = window.training.settings
    steps = window.editor.undo_stack.count()
    type_into(form.fields["lr"].widget, "0.0125")
    assert window.editor.undo_stack.count() == steps + 1  # the keystrokes of one value merged
    type_into(form.fields["epochs"].widget, "4")
    key(window, "Ctrl+Z")
    assert form.fields["epochs"].widget.value() == 10 and form.fields["lr"].widget.value() == 0.0125
    key(window, "Ctrl+Z")
    assert form.fields["lr"].widget.value() == 0.003 and window.editor.document.training == {}
    assert not window.isWindowModified()
    key(window, "Ctrl+Shift+Z")
    assert form.fields["lr"].widget.value() == 0.0125 and window.editor.document.training["lr"] == 0.0125


def test_a_file_without_saved_settings_opens_with_the_recipe(make_window, tmp_path):
    window = make_window()
    form = window.training.settings
    type_into(form.fields["lr"].widget, "0.0125")
    old = tmp_path / "vgg.json"
    save(load_preset("vgg_cifar"), old)  # written as every file before the key was
    assert "training" not in json.loads(old.read_text())
    window.questions.ask_path = lambda saving, start: old
    key(window, "Ctrl+O")
    recipe = recommend(window.editor.graph)
    assert form.fields["lr"].widget.value() == recipe.lr
    assert form.fields["optimizer"].widget.currentText() == recipe.optimizer
    assert form.fields["epochs"].widget.value() == recipe.epochs and window.editor.document.training == {}


def test_a_file_naming_an_unknown_setting_is_refused_with_a_sentence(make_window, tmp_path):
    window = make_window()
    before = window.editor.document
    bad = tmp_path / "newer.json"
    doc = load_preset("seed_cnn")
    doc.training = {"lr": 0.01, "warp_drive": True}
    save(doc, bad)
    data = bad.read_text()
    window.questions.ask_path = lambda saving, start: bad
    key(window, "Ctrl+O")
    assert window.editor.document is before
    assert len(window.errors) == 1 and "'warp_drive', which is not a setting" in window.errors[0]
    assert bad.read_text() == data


def test_a_run_s_network_reopens_with_the_settings_it_trained_with(make_window, qtbot):
    from netbuilder.records.config import TrainConfig
    from netbuilder.records.runs import Run

    window = make_window()
    dock = window.training
    Run.create(dock.runs_root / "tuned", load_preset("seed_cnn"), TrainConfig(lr=0.0125, optimizer="sgd", epochs=3))
    dock.runs.refresh()
    qtbot.waitUntil(lambda: dock.runs.table.rowCount() == 1)  # the folder is read in the background
    dock.tabs.setCurrentWidget(dock.runs)
    dock.runs.table.selectRow(0)
    QTest.mouseClick(dock.runs.reopen_button, Qt.MouseButton.LeftButton)
    form = dock.settings
    assert form.fields["lr"].widget.value() == 0.0125 and form.fields["optimizer"].widget.currentText() == "sgd"
    assert form.fields["epochs"].widget.value() == 3 and window.editor.path is None
