"""The Health tab and the canvas marks: fed by a running job's events, restored from a past run's metrics.jsonl."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QGraphicsView

from netbuilder.core.presets import load_preset
from netbuilder.records.config import TrainConfig
from netbuilder.records.events import Health, Started
from netbuilder.records.runs import Run
from netbuilder.ui.app.app import application
from netbuilder.ui.canvas import items
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.scene import CanvasScene
from netbuilder.ui.training.health_view import HealthFeed
from netbuilder.ui.training.series import RunSeries


def record(step: int, dead: float) -> Health:
    return Health(
        epoch=1,
        step=step,
        global_step=step,
        window=200,
        lr=1e-3,
        peak_lr=1e-3,
        blocks={
            "conv1": {"params": 336.0, "grad_norm": 0.9, "update_ratio": 1e-3, "mean": 0.0, "std": 0.5},
            "relu1": {"mean": 0.1, "std": 0.2, "dead": dead},
            "fc1": {"params": 30730.0, "grad_norm": 2.0, "update_ratio": 2e-3, "mean": 0.3, "std": 1.5},
        },
    )


def started() -> Started:
    return Started(None, "cpu", "fp32", 1, 0, 10, 64, 1, 900, 100, 4000, ["a"], 1, 1, [])


def canvas() -> CanvasScene:
    application()
    return CanvasScene(Editor(load_preset("seed_cnn")))


def test_a_running_job_s_records_mark_the_right_block_with_its_sentence():
    scene = canvas()
    feed = HealthFeed(scene)
    feed.handle(started())
    assert all(item.health is None for item in scene.node_items.values())
    feed.handle(record(200, 0.02))
    assert {nid: item.health and item.health[0] for nid, item in scene.node_items.items()} == {
        "input": None,
        "conv1": "ok",
        "relu1": "ok",
        "pool1": None,
        "fc1": "ok",
    }
    feed.handle(record(400, 0.71))
    relu = scene.node_items["relu1"]
    assert relu.health is not None and relu.health[0] == "problem"
    sentence = "relu1: 71% of its ReLU outputs have been zero for the last 200 steps (dying ReLU)"
    assert sentence in relu.tooltip() and relu.tooltip().startswith(relu.view.tooltip)
    assert scene.node_items["conv1"].health == ("ok", "")

    view = feed.view
    assert view.table.rowCount() == 3 and view.table.item(1, 0).text() == "relu1"
    assert view.table.item(1, 1).text() == "✕ problem" and sentence in view.table.item(1, 1).toolTip()
    assert sentence in view.findings.text() and "1 rule tripped" in view.findings.text()
    assert set(view.history.series("dead")) == {"relu1"} and list(view.history.series("dead")["relu1"][1]) == [
        0.02,
        0.71,
    ]

    items.DRAWN = []  # the mark is painted on the block: its glyph among the texts drawn
    try:
        image = QImage(900, 700, QImage.Format.Format_ARGB32)
        image.fill(0)
        painter = QPainter(image)
        scene.render(painter, source=scene.itemsBoundingRect())
        painter.end()
        glyphs = [text for text, _ in items.DRAWN if text in ("✓", "!", "✕")]
    finally:
        items.DRAWN = None
    assert sorted(glyphs) == ["✓", "✓", "✕"]

    feed.handle(started())  # a new run starts clean
    assert all(item.health is None for item in scene.node_items.values()) and view.table.rowCount() == 0


def test_reopening_a_past_run_s_metrics_log_restores_the_marks(tmp_path):
    run = Run.create(tmp_path / "r", load_preset("seed_cnn"), TrainConfig())
    run.log(record(200, 0.02))
    run.log(record(400, 0.71))
    scene = canvas()
    feed = HealthFeed(scene)
    feed.show_run(Run.open(tmp_path / "r"))
    assert scene.node_items["relu1"].health[0] == "problem" and scene.node_items["fc1"].health[0] == "ok"
    scene.editor.replace(load_preset("seed_cnn"), None)  # another document (the same blocks): its marks are its own
    assert all(item.health is None for item in scene.node_items.values())
    if os.environ.get("NETBUILDER_SCREENSHOTS"):
        _screenshots(scene, feed)


def _screenshots(scene: CanvasScene, feed: HealthFeed) -> None:
    view = QGraphicsView(scene)
    view.resize(500, 700)
    view.show()
    view.fitInView(scene.itemsBoundingRect(), Qt.AspectRatioMode.KeepAspectRatio)
    view.grab().save("/tmp/health_canvas.png")
    feed.view.resize(900, 600)
    feed.view.show()
    feed.view.grab().save("/tmp/health_tab.png")


def test_attached_to_the_window_the_dock_s_events_and_chosen_runs_feed_the_marks(make_window, tmp_path):
    window = make_window()
    feed = window.health  # the window attaches it
    tabs = window.training.tabs
    assert [tabs.tabText(i) for i in range(tabs.count())].count("Health") == 1
    window.training.live = RunSeries("run", "#0072B2")  # as the dock's own start sets them
    window.training.run_document = window.editor.document
    window.training.controller.event.emit(started())
    window.training.controller.event.emit(record(400, 0.71))
    assert window.scene.node_items["relu1"].health[0] == "problem"
    tabs.setCurrentWidget(feed.view)
    assert tabs.currentWidget() is feed.view

    run = Run.create(tmp_path / "past", load_preset("seed_cnn"), TrainConfig())
    run.log(record(200, 0.0))
    window.training.runs.chosen.emit(run)
    assert window.scene.node_items["relu1"].health == ("ok", "")


def test_the_inspector_gives_the_selected_block_s_health_over_time(make_window):
    from gestures import click_node

    window = make_window()
    window.training.live = RunSeries("run", "#0072B2")
    window.training.run_document = window.editor.document
    click_node(window, "relu1")
    assert not window.inspector.health.isVisible()
    window.training.controller.event.emit(started())
    window.training.controller.event.emit(record(200, 0.1))
    window.training.controller.event.emit(record(400, 0.71))
    text = window.inspector.health.text()
    assert window.inspector.health.isVisible()
    assert text.startswith("Training health at step 400: ✕ problem")
    assert "relu1: 71% of its ReLU outputs" in text and "Dead units: 71% (step 200: 10%)" in text
    click_node(window, "pool1")  # no weights, no activation: nothing recorded
    assert not window.inspector.health.isVisible()
