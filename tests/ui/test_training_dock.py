"""The training dock, driven through its widgets: start, watch, stop, evaluate, fail, survive, compare."""

import os
import signal

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from test_canvas import set_spin

from netbuilder.core.document import to_dict
from netbuilder.records.config import TrainConfig, recommend
from netbuilder.records.runs import list_runs
from netbuilder.train.job import execute

pytestmark = pytest.mark.slow

RUN_S = 90_000  # ms to wait for a run (a child process imports torch first)


def quick(window, **changes):
    """The recommended settings on a 1,500-image slice of shapes10, shown in the form."""
    config = recommend(window.editor.graph).replace(limit=1500, log_every=4, batch_size=64, **changes)
    window.training.settings.show_config(config)
    window.training.refresh_checks()
    return config


def click(widget):
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def idle(window):
    return window.training.runner is None


def test_start_watch_and_stop_a_run(make_window, qtbot):
    window = make_window()
    dock = window.training
    quick(window)
    set_spin(dock.settings.fields["epochs"].widget, 50)
    assert dock.settings.config().epochs == 50 and dock.start_button.isEnabled()
    click(dock.start_button)
    assert not dock.start_button.isEnabled() and dock.stop_button.isEnabled()
    assert dock.snapshot_note.isVisible() and "snapshot" in dock.snapshot_note.text()
    qtbot.waitUntil(lambda: dock.live.batch_loss.n >= 3 and dock.progress.value() > 0, timeout=RUN_S)
    text = dock.progress.text()  # the fullest form that fits the bar
    assert text.startswith("epoch 1/50 · ") and " · ETA " in text, text
    assert dock.progress.fontMetrics().horizontalAdvance(text) < dock.progress.width()
    qtbot.waitUntil(lambda: dock.curves.items[(dock.live.name, "batch_loss")].getData()[0] is not None, timeout=5000)
    # Editing the network while it trains changes the document, not the running model.
    window.editor.graph.set_params("fc1", {"out_features": 10, "bias": False})
    click(dock.stop_button)
    qtbot.waitUntil(lambda: idle(window), timeout=RUN_S)
    assert dock.status.text().startswith("Stopped after")
    assert dock.progress.value() < dock.progress.maximum() == 50  # the share of the epochs run, not 100%
    assert dock.start_button.isEnabled() and not dock.stop_button.isEnabled()
    assert not dock.snapshot_note.isVisible()
    run = list_runs(dock.runs_root)[0]
    assert run.document.graph.nodes["fc1"].params == {"out_features": 10}  # the snapshot that trained


def test_a_finished_run_fills_the_evaluation_and_the_runs_list(make_window, qtbot):
    window = make_window()
    dock = window.training
    quick(window, epochs=2)
    click(dock.start_button)
    qtbot.waitUntil(lambda: idle(window), timeout=RUN_S)
    assert dock.status.text().startswith("Finished after 2 epochs; test accuracy ")
    matrix = dock.evaluation.matrix
    assert matrix.counts.shape == (10, 10) and matrix.counts.sum() == 4000
    assert dock.evaluation.summary.text().startswith("Test accuracy ")
    assert dock.evaluation.grid.count() > 0  # the most confidently wrong test images
    dock.tabs.setCurrentWidget(dock.evaluation)
    matrix.resize(500, 460)
    x, y = matrix.cell_center(0, 0)
    QTest.mouseClick(matrix, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(int(x), int(y)))
    assert "recognised correctly" in dock.evaluation.caption.text()
    assert 0 < dock.evaluation.grid.count() <= 8
    qtbot.waitUntil(lambda: dock.runs.table.rowCount() == 1)  # the runs folder is scanned in the background
    column = next(
        c
        for c in range(dock.runs.table.columnCount())
        if "accuracy" in dock.runs.table.horizontalHeaderItem(c).text().lower()
    )
    assert dock.runs.table.item(0, column).text().endswith("%")


def test_a_failing_run_shows_its_sentence_and_changes_nothing(make_window, qtbot, tmp_path):
    window = make_window()
    dock = window.training
    before = to_dict(window.editor.document)
    quick(window, dataset="cifar10", data_dir=str(tmp_path / "nothing-here"))
    assert dock.start_button.isEnabled()
    click(dock.start_button)
    qtbot.waitUntil(lambda: idle(window), timeout=RUN_S)
    assert "CIFAR-10" in dock.status.text() and str(tmp_path / "nothing-here") in dock.status.text()
    assert "Traceback" not in dock.status.text()
    assert to_dict(window.editor.document) == before
    assert list_runs(dock.runs_root) == []  # a mistake leaves no run folder


def test_the_training_process_killed_is_reported_and_the_app_lives_on(make_window, qtbot):
    window = make_window()
    dock = window.training
    quick(window, epochs=50)
    click(dock.start_button)
    qtbot.waitUntil(lambda: dock.live.batch_loss.n >= 1, timeout=RUN_S)
    os.kill(dock.runner.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: idle(window), timeout=20_000)
    assert "killed by signal 9" in dock.status.text()
    assert dock.start_button.isEnabled()
    window.scene.drop_block("Dropout", window.view.mapToScene(QPoint(50, 50)))  # the app still works
    assert any(n.type == "Dropout" for n in window.editor.graph.nodes.values())


def test_overlaying_two_runs_and_comparing_them(make_window, qtbot):
    window = make_window()
    dock = window.training
    config = TrainConfig(limit=600, epochs=1, batch_size=64, log_every=2)
    execute(window.editor.document, config, dock.runs_root / "first")
    other = window.editor.document
    other.graph.set_params("conv1", {"out_channels": 8, "kernel_size": 3, "padding": 1})
    execute(other, config.replace(lr=0.01), dock.runs_root / "second")
    dock.runs.refresh()
    qtbot.waitUntil(lambda: dock.runs.table.rowCount() == 2)
    for row in range(2):
        dock.runs.table.item(row, 0).setCheckState(Qt.CheckState.Checked)
    names = {name for name, key in dock.curves.items if key == "batch_loss"}
    assert names == {"first", "second"}
    colours = {dock.curves.items[(n, "batch_loss")].opts["pen"].color().name() for n in names}
    assert len(colours) == 2
    from netbuilder.ui.training.run_compare import comparison

    text = comparison(*list_runs(dock.runs_root)[::-1])
    assert "lr: 0.003 → 0.01" in text and "'conv1' out_channels: 12 → 8" in text


def test_the_input_is_checked_against_the_dataset_with_a_fix(make_window):
    window = make_window("mlp_2hidden")
    dock = window.training
    quick(window)  # shapes10 (3×32×32) into a 1×28×28 network: shapes10 converts itself
    assert dock.settings.fit.text().endswith("fits the Input block (1×28×28).") and dock.start_button.isEnabled()
    assert not dock.settings.fix_input.isVisibleTo(dock)
    dock.settings.dataset.setCurrentIndex(dock.settings.dataset.findData("cifar10"))
    dock.refresh_checks()
    assert "CIFAR-10 images are 3×32×32 but the network's Input is 1×28×28" in dock.settings.fit.text()
    assert (
        dock.settings.fix_input.isVisibleTo(dock) and dock.settings.fix_input.text() == "Set the Input to [3, 32, 32]"
    )
    assert not dock.start_button.isEnabled()
    click(dock.settings.fix_input)
    assert window.editor.graph.nodes["input"].params["shape"] == [3, 32, 32]
    assert dock.start_button.isEnabled() and not dock.settings.fix_input.isVisibleTo(dock)
    window.editor.undo_stack.undo()
    assert window.editor.graph.nodes["input"].params["shape"] == [1, 28, 28]


def test_closing_during_a_run_asks_then_stops_the_child(make_window, qtbot):
    window = make_window()
    dock = window.training
    quick(window, epochs=50)
    click(dock.start_button)
    qtbot.waitUntil(lambda: dock.live.batch_loss.n >= 1, timeout=RUN_S)
    process = dock.runner
    window.questions.ask_stop_training = lambda: False
    assert not window.close() and dock.running()
    window.questions.ask_stop_training = lambda: True
    window.questions.ask_save = lambda: QMessageBox.StandardButton.Discard
    assert window.close() and not dock.running()
    assert dock.controller.closing.is_alive()  # the window did not wait for the child: a thread sees it end
    qtbot.waitUntil(lambda: not process.running, timeout=20_000)  # it stops after its step, or is killed
    dock.controller.closing.join(5)
    assert process.done and process.exitcode is not None


def test_the_device_probe_starts_after_the_first_paint_and_never_after_close(make_window, qtbot, monkeypatch):
    from netbuilder.ui.training.device_probe import DeviceProbe

    monkeypatch.setattr(DeviceProbe, "start", lambda self: pytest.fail("the probe started"))
    window = make_window()
    probe = window.training.probe
    qtbot.waitUntil(probe.timer.isActive)  # make_window waited for the window to be shown, so painted
    assert probe.watched is None and probe.timer.interval() == 1500
    window.close()
    assert not probe.timer.isActive()


def test_start_refuses_a_run_bigger_than_free_memory_then_starts_it_anyway(make_window, monkeypatch):
    from netbuilder.ui.training import run_controller, training_dock

    started = []

    class FakeRunner:
        def __init__(self, document, config, out, resume=False, force=False):
            started.append(force)

        def start(self):
            pass

        def poll(self):
            return []

        def close(self, grace):
            pass

    monkeypatch.setattr(training_dock, "available_ram", lambda: 1000)
    monkeypatch.setattr(run_controller, "Runner", FakeRunner)
    window = make_window()
    dock = window.training
    quick(window, device="cpu")
    click(dock.start_button)
    assert dock.runner is None and not started
    assert dock.status.text().startswith("This run needs about ") and "the computer has 1 kB free" in dock.status.text()
    assert dock.status.text().endswith("or click Start anyway.")
    assert dock.start_button.text() == "Start anyway"
    click(dock.start_button)
    assert started == [True] and dock.start_button.text() == "Start"
    dock.controller.shutdown()
