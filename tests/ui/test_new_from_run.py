"""File → New from run…, the way a person takes it: the File menu opened with Alt+F, the item chosen with its key,
the run folder answered; the run's network opens starting from its trained weights, and once the weights' report
has come back (a process of its own: the window never loads torch) each block that takes them shows its badge and
the inspector says from where."""

from __future__ import annotations

import json

import pytest
from helpers import small_file
from PySide6.QtTest import QTest
from test_dialogs_import import open_menu_item

from netbuilder.cli import main
from netbuilder.core.document import save
from netbuilder.ui.app.app import open_window
from netbuilder.ui.app.interop import ImportDialog
from netbuilder.ui.canvas.badges import WeightsBadge

SMALL = small_file()


def badged(window) -> set[str]:
    return {nid for nid, item in window.scene.node_items.items() if any(
        isinstance(c, WeightsBadge) and c.isVisible() for c in item.childItems())}  # fmt: skip


@pytest.mark.slow
def test_new_from_run_opens_the_network_with_its_blocks_badged(make_window, qtbot, tmp_path, capsys):
    network = tmp_path / "small.json"
    network.write_text(json.dumps(SMALL))
    run = tmp_path / "run1"
    args = ["--epochs", "1", "--limit", "100", "--device", "cpu", "--health-every", "0"]
    assert main(["train", str(network), "--out", str(run), *args]) == 0
    capsys.readouterr()

    window = make_window()
    asked = []
    window.questions.ask_run_folder = lambda start: asked.append(start) or run
    open_menu_item(window, ["New from run…"])
    assert asked and window.editor.document.init is not None
    assert window.editor.document.init.path == str(run / "best.pt")
    qtbot.waitUntil(lambda: badged(window) == {"conv1", "fc"}, timeout=90_000)

    window.scene.clearSelection()
    window.scene.node_items["fc"].setSelected(True)
    qtbot.waitUntil(lambda: "Starts from learned weights" in window.inspector.facts.text(), timeout=5_000)
    assert str(run / "best.pt") in window.inspector.facts.text()
    assert window.errors == []

    # Saved and opened again: the badges come back with no edit to ask for them.
    saved = tmp_path / "from-run.json"
    save(window.editor.document, saved)
    again = open_window(str(saved))
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(lambda: badged(again) == {"conv1", "fc"}, timeout=90_000)
    again.editor.undo_stack.setClean()


def test_the_import_dialog_passes_the_weights_typed_into_it(qtbot):
    dialog = ImportDialog(torchvision_only=True)
    qtbot.addWidget(dialog)
    assert "--weights" not in dialog.args()
    QTest.keyClicks(dialog.weights.lineEdit(), "DEFAULT")
    assert dialog.args()[-2:] == ["--weights", "DEFAULT"]
