"""What belongs to one document or one run stays with it: opening another file (File → Open, Search's Open best
network) leaves no health marks, evaluation or learning-rate curve of the one before, the study name follows the
new file, and Look inside lists a run's weights as soon as the run ends."""

from __future__ import annotations

import json
from pathlib import Path

from gestures import click_node, key
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from netbuilder.core.document import dumps, save
from netbuilder.core.presets import load_preset
from netbuilder.core.search_space import Choice, Range, SearchSpace
from netbuilder.records.config import TrainConfig
from netbuilder.records.events import Finished, Health, Started
from netbuilder.records.lr_results import LRFound
from netbuilder.records.runs import Run
from netbuilder.ui.app.main_window import MainWindow
from netbuilder.ui.training.series import RunSeries


def started() -> Started:
    return Started(None, "cpu", "fp32", 1, 0, 10, 64, 1, 900, 100, 4000, ["a"], 1, 1, [])


def sick_relu(step: int = 400) -> Health:
    """A health record in which relu1 (of seed_cnn) is dying: a problem mark."""
    weights = {"params": 336.0, "grad_norm": 0.9, "update_ratio": 1e-3, "mean": 0.0, "std": 0.5}
    blocks = {"conv1": weights, "relu1": {"mean": 0.1, "std": 0.2, "dead": 0.71}, "fc1": dict(weights)}
    return Health(epoch=1, step=step, global_step=step, window=200, lr=1e-3, peak_lr=1e-3, blocks=blocks)


def start_run(window: MainWindow) -> None:
    """What Start does before the run's events arrive: the live curve and the document the run trains."""
    window.training.live = RunSeries("run", "#0072B2")
    window.training.run_document = window.editor.document


def marks(window: MainWindow) -> dict[str, str]:
    return {nid: item.health[0] for nid, item in window.scene.node_items.items() if item.health is not None}


def marked_run(window: MainWindow) -> None:
    start_run(window)
    window.training.controller.event.emit(started())
    window.training.controller.event.emit(sick_relu())
    assert marks(window)["relu1"] == "problem"
    click_node(window, "relu1")
    assert "Training health" in window.inspector.health.text()


def assert_no_health(window: MainWindow) -> None:
    assert marks(window) == {}
    assert window.health.view.table.rowCount() == 0 and window.health.view.findings.text() == ""
    assert all(window.health.block_text(nid) == "" for nid in window.editor.graph.nodes)


class GoingRun:
    """A run in progress as the controller holds it (its events are emitted by the test)."""

    def poll(self) -> list:
        return []

    def stop(self) -> None: ...

    def close(self, grace: float) -> None: ...


def test_file_open_clears_the_health_marks_and_a_run_of_the_file_before_marks_nothing(make_window, tmp_path):
    window = make_window()
    marked_run(window)
    window.training.controller.runner = GoingRun()
    # Should the test fail before the run ends, the window still closes.
    window.questions.ask_stop_training = lambda: True
    other = tmp_path / "other.json"
    save(load_preset("seed_cnn"), other)  # the same block ids: marks that leaked would land on them
    window.questions.ask_path = lambda saving, start: other
    key(window, "Ctrl+O")
    assert window.editor.path == other
    assert_no_health(window)
    click_node(window, "relu1")
    assert not window.inspector.health.isVisible() or window.inspector.health.text() == ""
    window.training.controller.event.emit(sick_relu(600))  # the run of the file before goes on
    assert_no_health(window)
    assert window.training.live is not None  # its own curve goes on too
    window.training.controller.runner = None


def test_a_past_run_of_another_network_marks_nothing_but_one_of_these_blocks_does(make_window, tmp_path):
    window = make_window()
    foreign = Run.create(tmp_path / "mlp", load_preset("mlp_2hidden"), TrainConfig())
    foreign.log(sick_relu())
    window.training.runs.chosen.emit(Run.open(foreign.path))
    assert_no_health(window)
    own = Run.create(tmp_path / "own", load_preset("seed_cnn"), TrainConfig())
    own.log(sick_relu())
    window.training.runs.chosen.emit(Run.open(own.path))
    assert marks(window)["relu1"] == "problem"


def study_event(window: MainWindow) -> dict:
    """The summary `netbuilder search --json` prints: the searched network (with the settings it trained
    with), and a best trial that changed conv1's width, the learning rate and the optimizer."""
    doc = load_preset("seed_cnn")
    doc.search = SearchSpace(
        training={"lr": Range(1e-4, 1e-1, log=True), "optimizer": Choice(("adamw", "sgd"))},
        blocks={"conv1": {"out_channels": Choice((8, 16))}},
    )
    doc.training = {"epochs": 2, "lr": 0.003, "optimizer": "adamw", "batch_size": 64, "momentum": 0.8}
    best = {"lr": 0.0123, "optimizer": "sgd", "conv1.out_channels": 16}
    trials = [
        {"number": 0, "state": "complete", "value": 0.4, "params": {**best, "lr": 0.002}, "run_dir": "r0"},
        {"number": 1, "state": "complete", "value": 0.8, "params": best, "run_dir": "r1"},
    ]
    return {"event": "study", "study": "seed-cnn-study", "trials": trials, "importances": {}, "network": dumps(doc)}


def test_open_best_network_clears_the_marks_and_brings_the_trial_s_training_values(make_window):
    window = make_window()
    marked_run(window)
    search = window.training.search
    search.take(study_event(window))
    QTest.mouseClick(search.best_button, Qt.MouseButton.LeftButton)
    assert window.editor.graph.nodes["conv1"].params["out_channels"] == 16
    assert_no_health(window)
    form = window.training.settings
    assert form.fields["lr"].widget.value() == 0.0123 and form.fields["optimizer"].widget.currentText() == "sgd"
    # the study's own:
    assert form.fields["epochs"].widget.value() == 2 and form.fields["batch_size"].widget.value() == 64
    assert form.config().lr == 0.0123 and form.config().momentum == 0.8  # a setting the form does not show
    form.fields["epochs"].widget.setFocus()
    QTest.keyClick(form.fields["epochs"].widget, Qt.Key.Key_Up)
    assert window.editor.document.training["epochs"] == 3 and window.editor.document.training["momentum"] == 0.8


def test_opening_a_file_clears_the_run_s_evaluation_lr_curve_and_finished_curve(make_window, tmp_path):
    window = make_window()
    dock = window.training
    start_run(window)
    run = Run.create(tmp_path / "runs" / "seed", load_preset("seed_cnn"), TrainConfig())
    dock.controller.out = run.path
    run.checkpoint_path("last").write_bytes(b"weights")
    dock.controller.finished.emit(Finished(False, 1, 0.5, 0.5, 3.0))
    assert dock.evaluation.run_path == run.path and dock.evaluation.predict_button.isEnabled()
    curve = ([1e-5, 1e-4, 1e-3], [2.0, 1.5, 3.0], [2.0, 1.6, 2.5])
    dock.lr_find.show_result(LRFound(*curve, 1e-4, 1e-5, 1e-4, True, "cpu", "fp32", "adamw", 64))
    assert dock.lr_find.use_suggested.isEnabled()
    other = tmp_path / "other.json"
    save(load_preset("mlp_2hidden"), other)
    window.questions.ask_path = lambda saving, start: other
    key(window, "Ctrl+O")
    assert window.editor.path == other
    assert dock.evaluation.run_path is None and not dock.evaluation.predict_button.isEnabled()
    assert dock.lr_find.result is None and not dock.lr_find.use_suggested.isEnabled()
    assert dock.live is None and dock.status.text() == "Ready."


def test_the_study_name_follows_the_file_opened(make_window, tmp_path, monkeypatch):
    window = make_window()  # the seed_cnn preset at launch
    search = window.training.search
    assert search.study.text().startswith("seed-cnn-")
    doc = load_preset("seed_cnn")
    doc.name = "wide net"
    doc.search = SearchSpace(training={"lr": Range(1e-4, 1e-1, log=True)})
    other = tmp_path / "wide.json"
    save(doc, other)
    window.questions.ask_path = lambda saving, start: other
    key(window, "Ctrl+O")
    assert search.study.text().startswith("wide-net-")
    started_with: list[list[str]] = []
    monkeypatch.setattr(search, "_run", lambda args, note, fresh: started_with.append(args))
    QTest.mouseClick(search.start_button, Qt.MouseButton.LeftButton)
    (args,) = started_with
    assert args[args.index("--study") + 1].startswith("wide-net-")  # the trials' run folders are named after it
    snapshot = json.loads(Path(args[0]).read_text())
    assert snapshot["name"] == "wide net" and snapshot["training"]["lr"] == window.training.settings.config().lr

    window.questions.ask_path = lambda saving, start: tmp_path / "renamed.json"
    key(window, "Ctrl+Shift+S")  # the document takes the file's name: so does a study named after it
    QTest.mouseClick(search.start_button, Qt.MouseButton.LeftButton)
    assert started_with[1][started_with[1].index("--study") + 1].startswith("renamed-")
    search.study.selectAll()
    QTest.keyClicks(search.study, "mine")  # a name typed is kept
    QTest.mouseClick(search.start_button, Qt.MouseButton.LeftButton)
    assert started_with[2][started_with[2].index("--study") + 1] == "mine"


def test_look_inside_lists_a_finished_run_s_weights_without_reopening(make_window, tmp_path):
    window = make_window()
    window.look_inside_dock.show()
    look = window.look_inside
    look.runs_root = window.training.runs_root
    look.refresh_runs()
    before = [look.weights.itemText(i) for i in range(look.weights.count())]
    dock = window.training
    start_run(window)
    run = Run.create(dock.runs_root / "seed-new", window.editor.document, TrainConfig())
    run.checkpoint_path("last").write_bytes(b"weights")
    dock.controller.out = run.path
    dock.controller.finished.emit(Finished(False, 1, 0.5, 0.5, 3.0))
    after = [look.weights.itemText(i) for i in range(look.weights.count())]
    assert "seed-new: last" in after and "seed-new: last" not in before

    window.look_inside_dock.hide()  # hidden, a search trial's run is listed when the panel shows again
    trial = Run.create(dock.runs_root / "seed-trial0", window.editor.document, TrainConfig())
    trial.checkpoint_path("best").write_bytes(b"weights")
    dock.search.trial_done.emit()
    window.look_inside_dock.show()
    assert "seed-trial0: best" in [look.weights.itemText(i) for i in range(look.weights.count())]
