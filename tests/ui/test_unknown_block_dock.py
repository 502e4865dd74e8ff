"""A file from a newer NetBuilder (a block type this version does not know) opens in the window, and the training
dock refuses to train it with the block's sentence (recommend raised KeyError before the window showed)."""

import json

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from netbuilder.core.document import load
from netbuilder.core.presets import PRESETS_DIR
from netbuilder.ui.app.app import application
from netbuilder.ui.app.main_window import MainWindow


def test_the_training_dock_refuses_a_network_with_an_unknown_block_with_its_sentence(qtbot, tmp_path):
    data = json.loads((PRESETS_DIR / "seed_cnn.json").read_text())
    data["nodes"][2].update(type="FancyAct", params={"slope": 1})
    path = tmp_path / "future.json"
    path.write_text(json.dumps(data))
    application()
    window = MainWindow(load(path), path)
    window.questions.ask_save = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    dock = window.training
    QTest.mouseClick(dock.start_button, Qt.MouseButton.LeftButton)  # disabled: nothing starts
    QTest.mouseClick(dock.find_lr_button, Qt.MouseButton.LeftButton)
    assert not dock.start_button.isEnabled() and not dock.find_lr_button.isEnabled() and dock.runner is None
    assert "Block 'relu1': its type 'FancyAct' is unknown" in dock.settings.memory.text()
    window.editor.undo_stack.setClean()
