"""A window's temporary folder (for export and import jobs) is made only when needed and never left behind."""

import gc
import os
import subprocess
import sys

import pytest
import shiboken6

WINDOW_WITH_SCRATCH = """
from netbuilder.ui.app.app import application, open_window
app = application()
window = open_window(None)
window.show()
app.processEvents()
(window.interop.scratch / "network.json").write_text("{}")  # as an export does
window.hide()
"""


@pytest.mark.parametrize(
    "args",
    [["-m", "netbuilder", "--screenshot", "shot.png"], ["-c", WINDOW_WITH_SCRATCH]],
    ids=["screenshot", "export-scratch"],
)
def test_no_scratch_folder_is_left(tmp_path, args):
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = os.environ | {"TMPDIR": str(temp), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in temp.glob("netbuilder-*")] == []


def test_the_scratch_folder_goes_with_its_window(make_window):
    window = make_window()
    scratch = window.interop.scratch
    assert scratch.is_dir() and scratch.name.startswith("netbuilder-")
    # What deleting the window does to all that holds its interop: Qt deletes the weights' report (a child of the
    # window) and the window's objects let go of it.
    window.inspector.weights_text = lambda node_id: ""
    shiboken6.delete(window.weights)
    window.interop = window.weights = None
    gc.collect()
    assert not scratch.exists()
