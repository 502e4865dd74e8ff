"""The Look inside panel: maps from the worker, following the canvas selection, arrow keys, bad images, a screenshot."""

import os
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QEvent, QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QKeyEvent
from PySide6.QtWidgets import QApplication

from netbuilder.records import datasets
from netbuilder.records.config import TrainConfig
from netbuilder.train import data_loading
from netbuilder.ui.inside.look_inside import LookInside

SHOT = Path(os.environ.get("NB13_SHOT_DIR", "/tmp/nb13")) / "look_inside.png"


def _wait_result(qtbot, panel: LookInside, timeout: int = 120_000) -> None:
    with qtbot.waitSignal(panel.computed, timeout=timeout):
        pass


def test_the_panel_switches_with_the_canvas_selection_and_steps_with_arrows(make_window, qtbot):
    window = make_window("seed_cnn")
    window.training.settings.config = lambda: TrainConfig(limit=1000)
    window.installed.actions["view.dock.look inside"].trigger()
    panel = window.look_inside
    assert window.look_inside_dock.isVisible()
    qtbot.waitUntil(lambda: panel.worker.alive, timeout=10_000)
    panel.choose_sample(5)
    _wait_result(qtbot, panel)
    assert panel.result is not None, panel.status.text()
    assert panel.prepared.text().startswith("Test image 5 of shapes10")
    assert "normalised with the shapes10 mean/std" in panel.prepared.text()
    # a click on another block switches the panel
    window.scene.reveal("conv1")
    assert panel.block == "conv1"
    assert panel.heading.text() == "conv1 · Conv2d · 12×32×32: 12 channels"
    assert "zeros" in panel.stats.text() and not panel.grid.pixmap().isNull()
    assert panel.filters_heading.text().startswith("conv1's 12 learned filters (3×3")
    window.scene.reveal("pool1")
    assert panel.heading.text().startswith("pool1 · Pool2d · 12×16×16")
    # the arrow keys step through the blocks in order, and the canvas follows
    panel.setFocus()
    qtbot.keyClick(panel, Qt.Key.Key_Right)
    assert panel.block == "fc1" and window.canvas.selected_ids() == ["fc1"]
    assert panel.heading.text().startswith("fc1 · Linear · 10: 10 values")
    qtbot.keyClick(panel, Qt.Key.Key_Left)
    qtbot.keyClick(panel, Qt.Key.Key_Left)
    assert panel.block == "relu1" and window.canvas.selected_ids() == ["relu1"]
    # sorting by mean activation redraws the same tiles in another order
    panel.sort.setChecked(True)
    assert not panel.grid.pixmap().isNull()
    window.look_inside_dock.hide()
    qtbot.waitUntil(lambda: not panel.worker.alive, timeout=10_000)


def test_a_dropped_bad_image_is_one_sentence_and_a_good_one_is_prepared(qtbot, make_window, tmp_path):
    window = make_window("seed_cnn")
    window.training.settings.config = lambda: TrainConfig(limit=1000)
    panel = window.look_inside
    window.look_inside_dock.show()
    bad = tmp_path / "bad.png"
    bad.write_text("no picture here")
    _drop(panel, bad)
    _wait_result(qtbot, panel)
    assert panel.status.text() == ("bad.png is not an image that can be read (PNG, JPEG, BMP, GIF, TIFF, WebP).")
    good = tmp_path / "grey.png"
    Image.new("L", (64, 48), 200).save(good)
    _drop(panel, good)
    _wait_result(qtbot, panel)
    assert panel.prepared.text() == (
        "Resized 64×48 → 32×32, converted grey → colour, normalised with the shapes10 mean/std."
    )
    window.look_inside_dock.hide()


def _drop(panel: LookInside, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    )
    panel.dropEvent(event)


def test_a_worker_killed_mid_request_is_a_sentence_and_the_next_image_a_new_worker(qtbot, make_window):
    window = make_window("seed_cnn")
    window.training.settings.config = lambda: TrainConfig(limit=1000)
    panel = window.look_inside
    window.look_inside_dock.show()
    qtbot.waitUntil(lambda: panel.worker.alive, timeout=10_000)
    panel._asked = panel.worker.request({"op": "wait", "seconds": 30})
    panel.timer.start()
    panel.worker.kill()
    _wait_result(qtbot, panel, 10_000)
    assert panel.status.text().startswith("The feature-map worker was killed by signal 9 before answering")
    panel.choose_sample(1)
    _wait_result(qtbot, panel)
    assert panel.result is not None and panel.worker.starts == 2
    window.look_inside_dock.hide()


def test_screenshot_of_conv1s_maps(qtbot, make_window, tmp_path):
    """The panel showing conv1's 12 maps for the seed CNN on a shapes10 image, saved for people to look at."""
    window = make_window("seed_cnn")
    window.training.settings.config = lambda: TrainConfig(limit=1000)
    panel = window.look_inside
    window.look_inside_dock.show()
    data = data_loading.load("shapes10", datasets.data_dir(None))
    path = tmp_path / "shape.png"
    Image.fromarray(np.asarray(data.test_x[3]).transpose(1, 2, 0)).save(path)
    window.scene.reveal("conv1")
    panel.choose_file(path)
    _wait_result(qtbot, panel)
    assert panel.heading.text().startswith("conv1 · Conv2d · 12×32×32")
    panel.resize(560, 720)
    panel.setParent(None)
    panel.show()
    QApplication.processEvents()
    image = panel.grab().toImage()
    SHOT.parent.mkdir(parents=True, exist_ok=True)
    assert image.save(str(SHOT))
    panel.hide()
    panel.setParent(window.look_inside_dock)
    window.look_inside_dock.setWidget(panel)
    assert QEvent.Type.KeyPress and QKeyEvent  # imported for keyClick's events


def test_a_prediction_opens_its_image_in_look_inside(qtbot, make_window, tmp_path):
    window = make_window("seed_cnn")
    window.training.settings.config = lambda: TrainConfig(limit=1000)
    path = tmp_path / "mine.png"
    Image.new("RGB", (40, 40), "orange").save(path)
    window.training.look_inside.emit(str(path))
    assert window.look_inside_dock.isVisible() and window.look_inside.image == {"path": str(path)}
    _wait_result(qtbot, window.look_inside)
    assert window.look_inside.prepared.text().startswith("Resized 40×40 → 32×32")
    window.look_inside_dock.hide()


def test_an_edit_asks_for_the_maps_again(make_window, qtbot):
    from netbuilder.ui.canvas.undo import set_params

    window = make_window("seed_cnn")
    window.training.settings.config = lambda: TrainConfig(limit=1000)
    window.installed.actions["view.dock.look inside"].trigger()
    panel = window.look_inside
    qtbot.waitUntil(lambda: panel.worker.alive, timeout=10_000)
    panel.choose_sample(3)
    _wait_result(qtbot, panel)
    window.scene.reveal("conv1")
    assert panel.heading.text().startswith("conv1 · Conv2d · 12×32×32")
    graph = window.editor.graph
    with qtbot.waitSignal(panel.computed, timeout=120_000):
        window.editor.push(set_params(graph, "conv1", {**graph.nodes["conv1"].params, "out_channels": 8}))
    assert panel.heading.text().startswith("conv1 · Conv2d · 8×32×32"), panel.heading.text()
    window.look_inside_dock.hide()
    qtbot.waitUntil(lambda: not panel.worker.alive, timeout=10_000)
