"""File → Import PyTorch model… with real key presses on a real X server (Xvfb): xdotool opens the File menu with
Alt+F, chooses Import with I, types the model and its input size into the dialog and presses Enter; the imported
network is then on the canvas."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.mark.slow
def test_file_import_with_real_key_presses(xserver):
    env = xserver
    app = subprocess.Popen(
        [sys.executable, str(HERE / "ximport_app.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )

    def xdo(*args: object) -> None:
        subprocess.run(["xdotool", *map(str, args)], env=env, check=True)

    def next_report() -> dict:
        line = app.stdout.readline()
        assert line, app.stderr.read()
        return json.loads(line)

    try:
        window = next_report()["window"]
        xdo("windowfocus", "--sync", window)
        xdo("key", "--delay", 100, "alt+f", "i")
        dialog = next_report()["dialog"]
        xdo("windowfocus", "--sync", dialog)
        time.sleep(0.2)
        xdo("type", "--delay", 20, "torchvision:resnet18")
        xdo("key", "Tab", "ctrl+a")
        xdo("type", "--delay", 20, "3,32,32")
        xdo("key", "Return")
        imported = next_report()
        assert "error" not in imported, imported["error"]
        assert imported == {"adds": 8, "on_canvas": True, "valid": True, "title": imported["title"]}, imported
        assert imported["title"].startswith("resnet")
        assert app.wait(10) == 0
    finally:
        app.kill()
        app.communicate()
