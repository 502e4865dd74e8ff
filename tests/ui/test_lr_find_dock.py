"""Find learning rate: the button, the search in a child process, the curve, and Use … into the settings."""

import math
import os
import signal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from netbuilder.records.config import recommend
from netbuilder.records.lr_results import LRFound
from netbuilder.train.lr_find import sweep
from netbuilder.ui.training.lr_find_view import LRFindView, fmt_lr, rounded

SEARCH_MS = 90_000  # the child imports torch first


def click(widget):
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def quick(window, **changes):
    """seed_cnn's recipe on 1,500 shapes10 images, the learning rate far from any suggestion."""
    config = recommend(window.editor.graph).replace(limit=1500, batch_size=64, lr=0.5, **changes)
    window.training.settings.show_config(config)
    window.training.refresh_checks()
    return config


def found(steepest=3.2e-3, tenth=1.1e-3) -> LRFound:
    lrs = sweep(1e-7, 10.0, 60)
    losses = [2.3 - 1.5 / (1 + math.exp(-(math.log10(lr) + 2.5) * 3)) for lr in lrs]
    return LRFound(lrs, losses, losses, steepest, tenth, steepest, True, "cpu", "bf16", "adamw", 64)


def test_fmt_lr():
    assert [fmt_lr(x) for x in (3.2e-3, 0.05, 1.0, 0.001234)] == ["3.2e-3", "5e-2", "1e0", "1.2e-3"]
    assert rounded(0.0031622) == 0.0032


def test_the_view_marks_both_suggestions_and_offers_them(qtbot):
    view = LRFindView()
    qtbot.addWidget(view)
    view.resize(700, 360)
    assert not view.use_suggested.isEnabled()
    view.show_result(found())
    assert view.use_suggested.text() == "Use 3.2e-3" and view.use_other.text() == "Use 1.1e-3 (minimum / 10)"
    assert 10 ** view.points["steepest"].getData()[0][0] == pytest.approx(3.2e-3)  # drawn in log10
    assert view.plot.plotItem.ctrl.logXCheck.isChecked()
    with qtbot.waitSignal(view.use) as used:
        click(view.use_other)
    assert used.args == [1.1e-3]
    view.clear("failed.")
    assert view.summary.text() == "failed." and not view.use_suggested.isEnabled()


@pytest.mark.slow
def test_find_learning_rate_then_use_it(make_window, qtbot):
    window = make_window()
    dock = window.training
    quick(window)
    assert dock.find_lr_button.isEnabled()
    click(dock.find_lr_button)
    assert not dock.find_lr_button.isEnabled() and not dock.start_button.isEnabled()
    assert dock.tabs.currentWidget() is dock.lr_find
    qtbot.waitUntil(lambda: dock.runner is None, timeout=SEARCH_MS)
    result = dock.lr_find.result
    assert result is not None, dock.status.text()
    assert dock.lr_find.curve.getData()[0] is not None and len(result.lrs) >= 3
    assert dock.status.text().startswith(f"Suggested learning rate {fmt_lr(result.suggested)}")
    assert dock.find_lr_button.isEnabled() and dock.start_button.isEnabled()
    button = dock.lr_find.use_suggested
    assert button.text() == f"Use {fmt_lr(result.suggested)}"
    if os.environ.get("NETBUILDER_SCREENSHOT"):
        dock.resize(1100, 420)
        dock.grab().save(os.environ["NETBUILDER_SCREENSHOT"])
    click(button)
    assert dock.settings.config().lr == pytest.approx(rounded(result.suggested), rel=1e-3)
    assert dock.settings.config().lr != 0.5


@pytest.mark.slow
def test_a_search_whose_process_dies_says_so_in_one_sentence(make_window, qtbot):
    window = make_window()
    dock = window.training
    quick(window)
    click(dock.find_lr_button)
    qtbot.waitUntil(lambda: dock.runner is not None and dock.runner.pid is not None, timeout=5000)
    os.kill(dock.runner.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: dock.runner is None, timeout=SEARCH_MS)
    assert dock.status.text().startswith("The learning-rate search's process was killed by signal 9")
    assert "\n" not in dock.status.text() and dock.find_lr_button.isEnabled()
    assert dock.lr_find.result is None


def test_the_device_line_names_what_auto_precision_becomes(make_window):
    dock = make_window().training
    dock.probe.stop()
    dock.probe.info = {"cuda": [], "mps": False, "precision": "bf16"}
    dock._device_found(dock.probe.describe())
    assert dock.settings.device_info.text() == "CPU (no GPU found) · precision auto: bf16"


def test_the_progress_bar_follows_the_sweep_and_ends_full(make_window):
    """The sweep's steps fill the bar; a sweep that stops early (the loss diverged at step 43 of 100) still ends
    at 100%, not back at 0%."""
    from netbuilder.records.lr_results import LRProgress

    window = make_window()
    dock = window.training
    quick(window)
    dock.controller.find_lr = lambda document, config, force=False: None  # the events come from the test
    click(dock.find_lr_button)
    bar = dock.progress
    for step in range(5, 45, 5):
        dock.controller.lr_progress.emit(LRProgress(step, 100, 1e-4 * step, 2.0))
        assert (bar.value(), bar.maximum()) == (step, 100)
        assert f"step {step}/100" in bar.text()
    dock.controller.lr_found.emit(found())
    assert bar.maximum() > 0 and bar.value() == bar.maximum() and bar.text() == "100%"
    assert dock.find_lr_button.isEnabled()


def test_a_narrow_plot_labels_whole_decades_alike_and_keeps_its_point_labels_inside(qtbot):
    from netbuilder.ui.training.lr_find_view import DecadeAxis

    assert DecadeAxis("bottom").logTickStrings([-6.0, -5.5, -4.0, 0.0], 1.0, 1.0) == ["1e-6", "", "1e-4", "1e0"]
    view = LRFindView()
    qtbot.addWidget(view)
    view.resize(260, 300)  # the Learning rate tab in a narrow dock (1280×800)
    view.show()
    view.show_result(found())
    qtbot.wait(50)
    box = view.plot.getViewBox().sceneBoundingRect()
    for label in view.labels.values():
        assert box.contains(label.sceneBoundingRect()), label.toPlainText()
