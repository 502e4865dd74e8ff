"""`netbuilder train` writes its runs where the window's Runs tab looks: one default runs folder."""

import subprocess
import sys

from netbuilder.core.presets import PRESETS_DIR
from netbuilder.records.runs import default_root
from netbuilder.ui import paths
from netbuilder.ui.app.app import application


def test_the_window_and_the_command_line_default_to_the_same_runs_folder(monkeypatch, tmp_path):
    application()  # the organisation and application names Qt's data folder is made of
    monkeypatch.delenv("NETBUILDER_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.runs_dir() == default_root() == paths.app_dir() / "runs"  # as Qt finds the app's data folder


def test_a_run_trained_on_the_command_line_is_in_the_windows_runs_folder(tmp_path, qtbot):
    from netbuilder.ui.training.runs_view import RunsView

    argv = [str(PRESETS_DIR / "seed_cnn.json"), "--epochs", "1", "--limit", "200", "--batch-size", "50"]
    subprocess.run([sys.executable, "-m", "netbuilder", "train", *argv], cwd=tmp_path, check=True, capture_output=True)
    assert not (tmp_path / "runs").exists()
    view = RunsView(paths.runs_dir())  # as the window makes it
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: len(view.runs) == 1, timeout=10_000)
    assert view.runs[0].path.parent == paths.runs_dir() and view.runs[0].path.name.startswith("seed_cnn-")
