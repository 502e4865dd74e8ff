"""A window's temporary folder (for export and import jobs) is made only when needed and never left behind."""

import os
import subprocess
import sys

import pytest

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
    window.interop = None  # what closing and deleting the window does to it
    assert not scratch.exists()
