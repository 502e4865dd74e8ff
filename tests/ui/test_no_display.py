"""`netbuilder` where Qt cannot show a window: one sentence and exit 2, never Qt's abort (exit 134, a core dump)."""

from __future__ import annotations

import os
import subprocess
import sys

from netbuilder.cli import _commands, _subcommands
from netbuilder.ui.app import display
from netbuilder.ui.app.display import window_problem

HEADLESS = list(_commands(_subcommands()))


def run_app(env: dict[str, str], code: str = "from netbuilder.cli import main; sys.exit(main([]))"):
    return subprocess.run(
        [sys.executable, "-c", f"import sys; {code}"], env=env, capture_output=True, text=True, timeout=60
    )


def bare_env(**extra: str) -> dict[str, str]:
    gone = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE")
    return {k: v for k, v in os.environ.items() if k not in gone} | extra


def test_no_display_says_how_to_get_one_and_which_commands_work():
    proc = run_app(bare_env())
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: No display was found")
    for hint in ("ssh -X", "desktop session", "xvfb-run"):
        assert hint in lines[0]
    for command in HEADLESS:
        assert f"netbuilder {command}" in lines[0]
    assert "qt.qpa" not in proc.stderr  # Qt was never asked


def test_a_display_that_does_not_answer_is_said_too():
    proc = run_app(bare_env(DISPLAY=":97"))  # no X server there
    assert proc.returncode == 2 and "The display :97 does not answer" in proc.stderr
    assert "xvfb-run" in proc.stderr


def test_a_missing_system_library_is_named_with_its_package():
    hide = (
        "import ctypes; real = ctypes.CDLL\n"
        "def cdll(name, *a, **k):\n"
        "    if name == 'libxcb-cursor.so.0': raise OSError(name + ': cannot open shared object file')\n"
        "    return real(name, *a, **k)\n"
        "ctypes.CDLL = cdll\n"
        "from netbuilder.cli import main; sys.exit(main([]))"
    )
    proc = run_app(bare_env(DISPLAY=":97"), hide)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == (
        "error: Qt cannot load its xcb platform plugin: the system library libxcb-cursor.so.0 is missing "
        "(on Debian or Ubuntu: sudo apt install libxcb-cursor0)."
    )


def test_headless_platforms_need_no_display(monkeypatch):
    assert window_problem({"QT_QPA_PLATFORM": "offscreen"}, HEADLESS) is None
    assert window_problem({"QT_QPA_PLATFORM": "minimal"}, HEADLESS) is None
    assert window_problem({"QT_QPA_PLATFORM": "xcb"}, HEADLESS).startswith("No display was found")
    monkeypatch.setattr(display, "GUI_LIBRARIES", display.GUI_LIBRARIES | {"libEGL-missing.so.9": "libegl-nowhere"})
    assert "sudo apt install libegl-nowhere" in window_problem({"QT_QPA_PLATFORM": "offscreen"}, HEADLESS)


def test_the_sentence_names_the_variables_qt_looks_at():
    assert "(DISPLAY is not set)" in window_problem({"WAYLAND_DISPLAY": "wayland-0"}, HEADLESS)  # Qt tries X11
    wayland_session = window_problem({"XDG_SESSION_TYPE": "wayland"}, HEADLESS)
    assert "(WAYLAND_DISPLAY and DISPLAY are not set)" in wayland_session
