"""Marking parameters "search" in the inspector, and the Search tab reading a study from its storage."""

from __future__ import annotations

import optuna
import pytest
from PySide6.QtCore import Qt

from netbuilder.core.document import dumps
from netbuilder.core.presets import load_preset
from netbuilder.core.search_space import Choice, Range
from netbuilder.ui.canvas.editor import Editor
from netbuilder.ui.canvas.inspector import Inspector
from netbuilder.ui.training.search_view import SearchView, search_args


def test_marking_a_parameter_search_in_the_inspector_is_undoable(make_window, qtbot):
    window = make_window("seed_cnn")
    inspector, editor = window.inspector, window.editor
    inspector.show_node("conv1")
    row = inspector.rows["out_channels"]
    assert not row.toggle.isChecked() and not inspector.form.isRowVisible(row.text)

    qtbot.mouseClick(row.toggle, Qt.MouseButton.LeftButton)
    assert editor.document.search.get("conv1", "out_channels") == Choice((6, 12, 24))
    assert row.toggle.isChecked() and inspector.form.isRowVisible(row.text)
    assert row.text.text() == "6, 12, 24" and row.text.hasFocus()

    qtbot.keyClick(row.text, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(row.text, "32, 64, 128")
    qtbot.keyClick(row.text, Qt.Key.Key_Return)
    assert editor.document.search.get("conv1", "out_channels") == Choice((32, 64, 128))
    assert '"out_channels": {"choices": [32, 64, 128]}' in dumps(editor.document)

    p_row = inspector.rows["kernel_size"]
    qtbot.mouseClick(p_row.toggle, Qt.MouseButton.LeftButton)
    qtbot.keyClick(p_row.text, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(p_row.text, "3, 2000")
    qtbot.keyClick(p_row.text, Qt.Key.Key_Return)
    assert inspector.search_note.isVisible()
    assert "kernel_size must be between 1 and 1024; got 2000" in inspector.search_note.text()
    assert editor.document.search.get("conv1", "kernel_size") == Choice((3, 5))  # the mistake changed nothing

    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo marking kernel_size
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the typed list
    assert editor.document.search.get("conv1", "kernel_size") is None
    assert editor.document.search.get("conv1", "out_channels") == Choice((6, 12, 24))
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not editor.document.search
    assert not row.toggle.isChecked() and not inspector.form.isRowVisible(row.text)

    qtbot.mouseClick(row.toggle, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(row.toggle, Qt.MouseButton.LeftButton)  # off again: no longer searched
    assert not editor.document.search


def test_a_dropout_p_gets_a_range_and_the_function_a_list(qtbot):
    editor = Editor(load_preset("seed_cnn"))
    inspector = Inspector(editor)
    qtbot.addWidget(inspector)
    inspector.show()
    inspector.show_node("relu1")
    qtbot.mouseClick(inspector.rows["function"].toggle, Qt.MouseButton.LeftButton)
    assert editor.document.search.get("relu1", "function") == Choice(("relu", "relu6"))
    text = inspector.rows["function"].text
    qtbot.keyClick(text, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(text, "relu, gelu")
    qtbot.keyClick(text, Qt.Key.Key_Return)
    assert editor.document.search.get("relu1", "function") == Choice(("relu", "gelu"))


@pytest.fixture
def stored_study(tmp_path):
    """A finished study of three trials in a SQLite file, made without training (as a search stores one)."""
    doc = load_preset("seed_cnn")
    doc.search = doc.search.with_block("conv1", "out_channels", Choice((8, 16, 32))).with_setting(
        "lr", Range(1e-3, 1e-1, True)
    )
    url = f"sqlite:///{tmp_path}/studies.db"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name="seed", storage=url, direction="maximize")
    study.set_user_attr("network", dumps(doc))
    dists = {
        "lr": optuna.distributions.FloatDistribution(1e-3, 1e-1, log=True),
        "conv1.out_channels": optuna.distributions.CategoricalDistribution((8, 16, 32)),
    }
    for i, (lr, width, value) in enumerate(((0.01, 8, 0.41), (0.003, 32, 0.62), (0.05, 16, 0.55))):
        study.add_trial(
            optuna.trial.create_trial(
                params={"lr": lr, "conv1.out_channels": width},
                distributions=dists,
                value=value,
                user_attrs={"run_dir": str(tmp_path / f"runs/seed-trial{i}")},
            )
        )
    study.add_trial(
        optuna.trial.create_trial(
            state=optuna.trial.TrialState.PRUNED,
            params={"lr": 0.02, "conv1.out_channels": 8},
            distributions=dists,
            user_attrs={"invalid": "Conv2d 'conv1': its kernel is too big."},
        )
    )
    return url


@pytest.mark.slow
def test_the_search_tab_shows_a_stored_studys_trials_and_opens_the_best(qtbot, tmp_path, stored_study):
    editor = Editor(load_preset("seed_cnn"))
    view = SearchView(editor, tmp_path / "runs")
    qtbot.addWidget(view)
    view.resize(1100, 480)
    view.show()
    view.show_study(stored_study)  # its only study
    qtbot.waitUntil(lambda: not view.running and view.summary is not None, timeout=60_000)
    assert view.study.text() == "seed"
    assert view.table.rowCount() == 4
    assert [view.table.item(r, 1).text() for r in range(4)] == ["complete"] * 3 + ["pruned"]
    assert view.table.item(3, 5).text() == "Conv2d 'conv1': its kernel is too big."
    assert "trial 1, validation accuracy 0.6200" in view.best.text()
    assert view.importance.rowCount() == 2  # lr and the conv's width, each with its bar
    with qtbot.waitSignal(view.open_network) as opened:
        qtbot.mouseClick(view.best_button, Qt.MouseButton.LeftButton)
    best = opened.args[0]
    assert best.graph.nodes["conv1"].params["out_channels"] == 32
    assert best.search.get("conv1", "out_channels") == Choice((8, 16, 32))


def test_the_settings_travel_as_options():
    from netbuilder.records.config import TrainConfig

    args = search_args(TrainConfig(epochs=3, flip=True, limit=None))
    assert args[args.index("--epochs") + 1] == "3" and "--flip" in args and "--limit" not in args
    assert "--no-download" in args


def test_the_runs_tab_shows_a_trials_study_and_overlays_them_all(qtbot, tmp_path):
    from netbuilder.records.config import TrainConfig
    from netbuilder.records.runs import Run, TrialTag
    from netbuilder.ui.training.runs_view import COLUMNS, RunsView

    doc = load_preset("seed_cnn")
    for name, tag in (("a", TrialTag("seed", 0, {"lr": 0.01})), ("b", TrialTag("seed", 1, {"lr": 0.02})), ("c", None)):
        run = Run.create(tmp_path / "runs" / name, doc, TrainConfig())
        if tag:
            run.write_trial(tag)
    view = RunsView(tmp_path / "runs")
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.table.rowCount() == 3)
    study = COLUMNS.index("Study")
    shown = {view.table.item(r, 0).text(): view.table.item(r, study).text() for r in range(3)}
    assert shown == {"a": "seed #0", "b": "seed #1", "c": ""}
    view.table.selectRow(next(r for r in range(3) if view.table.item(r, 0).text() == "b"))
    with qtbot.waitSignal(view.overlay) as overlaid:
        qtbot.mouseClick(view.study_button, Qt.MouseButton.LeftButton)
    assert sorted(run.path.name for run in overlaid.args[0]) == ["a", "b"]


def test_the_search_tab_imports_neither_optuna_nor_torch():
    import subprocess
    import sys

    probe = (
        "import sys, netbuilder.ui.training.search_view, netbuilder.cli; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'optuna', 'torch', 'sqlalchemy'}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.slow
def test_the_search_tab_runs_a_study_in_a_child_process(qtbot, tmp_path):
    from netbuilder.records.config import TrainConfig

    doc = load_preset("seed_cnn")
    doc.search = doc.search.with_block("conv1", "out_channels", Choice((4, 8)))
    editor = Editor(doc)
    config = TrainConfig(epochs=1, limit=200, batch_size=50)
    view = SearchView(editor, tmp_path / "runs", lambda: config)
    qtbot.addWidget(view)
    view.show()
    assert "conv1.out_channels: 4, 8" in view.space.text()
    view.trials.setValue(2)
    view.study.setText("live")
    qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    assert view.running and view.stop_button.isEnabled()
    qtbot.waitUntil(lambda: not view.running, timeout=120_000)
    assert view.summary is not None, view.status.text()
    assert view.table.rowCount() == 2 and view.status.text().startswith("2 trials")
    assert (tmp_path / "runs" / "studies.db").is_file()
    assert not list((tmp_path / "runs").glob(".search-*.json"))  # the snapshot is removed
    assert view.best_document() is not None


def test_a_training_setting_is_marked_search_in_the_tab(qtbot, tmp_path):
    editor = Editor(load_preset("seed_cnn"))
    view = SearchView(editor, tmp_path / "runs")
    qtbot.addWidget(view)
    view.show()
    view.setting.setCurrentText("lr")
    view.setting_text.setFocus()
    qtbot.keyClicks(view.setting_text, "1e-4 .. 1e-1 log")
    qtbot.keyClick(view.setting_text, Qt.Key.Key_Return)
    assert editor.document.search.training["lr"] == Range(1e-4, 0.1, True)
    assert "lr: 0.0001 … 0.1 log" in view.space.text()

    view.setting.setCurrentText("momentum")
    view.setting_text.setText("0.5 … 2")
    qtbot.mouseClick(view.setting_button, Qt.MouseButton.LeftButton)
    assert "momentum must be between 0 and 1; got 2." in view.status.text()
    assert "momentum" not in editor.document.search.training

    view.setting.setCurrentText("lr")
    qtbot.mouseClick(view.setting_clear, Qt.MouseButton.LeftButton)
    assert not editor.document.search
    editor.undo_stack.undo()
    assert editor.document.search.training["lr"] == Range(1e-4, 0.1, True)
    editor.undo_stack.undo()
    assert not editor.document.search


def test_the_window_has_the_search_tab_and_opens_its_best_network(make_window):
    from netbuilder.core.presets import load_preset

    window = make_window()
    tabs = window.training.tabs
    assert "Search" in [tabs.tabText(i) for i in range(tabs.count())]
    tabs.setCurrentWidget(window.training.search)
    assert tabs.currentWidget() is window.training.search
    best = load_preset("lenet5")
    window.training.search.open_network.emit(best)
    assert window.editor.document.name == best.name


def test_a_training_setting_is_marked_search_in_the_settings_form(make_window, qtbot):
    from netbuilder.core.search_space import Range

    window = make_window()
    form, editor = window.training.settings, window.editor
    window.training.scroll.ensureWidgetVisible(form.fields["lr"].widget)
    row = form.search_rows["lr"]
    assert row.toggle.isVisible() and not form.form.isRowVisible(row.text)
    assert "batch_size" in form.search_rows and "optimizer" in form.search_rows and "flip" not in form.search_rows

    qtbot.mouseClick(row.toggle, Qt.MouseButton.LeftButton)
    lr = form.fields["lr"].widget.value()
    assert editor.document.search.training["lr"] == Range(float(f"{lr / 10:.3g}"), float(f"{lr * 10:.3g}"), True)
    assert form.form.isRowVisible(row.text) and row.text.hasFocus()
    assert "lr:" in window.training.search.space.text()  # the Search tab shows the same space

    qtbot.keyClick(row.text, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(row.text, "0.5 .. 200")  # QTest types Latin-1 only: ".." for "…"; lr is at most 100
    qtbot.keyClick(row.text, Qt.Key.Key_Return)
    assert form.form.isRowVisible(form.search_note) and "lr:" in form.search_note.text()
    qtbot.keyClick(row.text, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(row.text, "1e-4 .. 1e-1 log")
    qtbot.keyClick(row.text, Qt.Key.Key_Return)
    assert editor.document.search.training["lr"] == Range(1e-4, 1e-1, True)
    assert not form.form.isRowVisible(form.search_note)

    optimizer = form.search_rows["optimizer"]
    qtbot.mouseClick(optimizer.toggle, Qt.MouseButton.LeftButton)
    assert set(editor.document.search.training["optimizer"].values) >= {form.fields["optimizer"].widget.currentText()}

    window.view.setFocus()
    for _ in range(3):
        qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not editor.document.search and not row.toggle.isChecked() and not form.form.isRowVisible(row.text)
