"""Issue 22 in the window, as a person does it with mouse and keys: File → New from run…, a new head (the last
Linear's out_features typed in the inspector), the body frozen with the inspector's lock, Start — the lock stays,
the status bar counts what trains, and the run records the freeze and fine-tunes the new head first."""

from __future__ import annotations

import json

import pytest
from gestures import click_node, view_point
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from test_dialogs_import import open_menu_item
from test_freezing_window import locked
from test_new_from_run import SMALL

from netbuilder.cli import main
from netbuilder.core.check.summary import short
from netbuilder.records.config import recommend
from netbuilder.records.runs import Run, list_runs
from netbuilder.ui.canvas.badges import LockBadge

RUN_S = 120_000  # ms: the run is a child process that imports torch first


@pytest.mark.slow
def test_new_from_run_new_head_frozen_body_start(make_window, qtbot, tmp_path, capsys):
    network = tmp_path / "small.json"
    network.write_text(json.dumps({**SMALL, "groups": [{"id": "body", "name": "body", "members": ["conv1", "relu1"]}]}))
    first = tmp_path / "run1"
    args = ["--epochs", "1", "--limit", "100", "--device", "cpu", "--health-every", "0"]
    assert main(["train", str(network), "--out", str(first), *args]) == 0
    capsys.readouterr()

    window = make_window()
    window.questions.ask_run_folder = lambda start: first
    open_menu_item(window, ["New from run…"])
    assert window.editor.document.init is not None

    # A new head: five classes, typed into the inspector.
    click_node(window, "fc")
    field = window.inspector.fields["out_features"].widget
    field.setFocus()
    field.selectAll()
    QTest.keyClicks(field, "5")
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert window.editor.graph.nodes["fc"].params["out_features"] == 5

    # The body frozen with the lock: its card clicked, then the inspector's lock.
    window.scene.set_folded("body", True)
    card = window.scene.group_cards["body"]
    QTest.mouseClick(
        window.view.viewport(), Qt.MouseButton.LeftButton, pos=view_point(window, card.sceneBoundingRect().center())
    )
    lock = window.inspector.frozen
    QTest.mouseClick(lock, Qt.MouseButton.LeftButton, pos=lock.rect().center())
    assert window.editor.graph.groups["body"].frozen
    assert any(isinstance(c, LockBadge) and c.isVisible() for c in card.childItems())
    result = window.editor.result
    counted = f"{short(result.trainable_params)} of {short(result.total_params)} trainable"
    assert window.totals.text().startswith(counted)

    dock = window.training
    config = recommend(window.editor.graph).replace(
        classes="0,1,2,3,4", limit=400, epochs=2, batch_size=64, health_every=0, device="cpu"
    )
    dock.settings.show_config(config)
    dock.refresh_checks()
    assert dock.start_button.isEnabled()
    QTest.mouseClick(dock.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.training.runner is None, timeout=RUN_S)
    assert dock.status.text().startswith("Finished after 2 epochs"), dock.status.text()

    assert window.editor.graph.groups["body"].frozen and window.totals.text().startswith(counted)
    assert any(isinstance(c, LockBadge) and c.isVisible() for c in card.childItems())
    run = next(r for r in list_runs(dock.runs_root) if r.path != first)
    assert Run.open(run.path).summary["frozen"] == ["conv1", "relu1"]
    assert run.document.graph.groups["body"].frozen and run.document.init is not None
    assert json.loads((run.path / "init.json").read_text())["fresh"] == {"fc": "10×8 in the weights, 5×8 here"}
    assert run.config.fine_tune == "auto"
    assert locked(window) == []  # the body is folded: its lock is on the card, not on hidden blocks
    assert window.errors == []
