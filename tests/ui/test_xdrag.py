"""The whole drag gesture once, with a real pointer: xdotool drags a palette block onto the canvas
of a real window under Xvfb (QTest cannot drive a QDrag)."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from netbuilder.ui.canvas.items import NODE_H, NODE_W

HERE = Path(__file__).parent


@pytest.mark.slow
def test_drag_from_palette_to_canvas_with_a_real_pointer(xserver):
    env = xserver
    app = subprocess.Popen(
        [sys.executable, str(HERE / "xdrag_app.py")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        first = app.stdout.readline()
        assert first, app.stderr.read()
        targets = json.loads(first)
        (x0, y0), (x1, y1) = targets["from"], targets["to"]

        def xdo(*args: object) -> None:
            subprocess.run(["xdotool", *map(str, args)], env=env, check=True)

        xdo("mousemove", x0, y0)
        time.sleep(0.2)
        xdo("mousedown", 1)
        for i in range(1, 21):
            xdo("mousemove", x0 + (x1 - x0) * i // 20, y0 + (y1 - y0) * i // 20)
            time.sleep(0.03)
        time.sleep(0.2)
        xdo("mouseup", 1)
        line = app.stdout.readline()
        assert line, app.stderr.read()
        landed = json.loads(line)
        assert landed["type"] == "Dropout"
        sx, sy = targets["scene"]
        assert abs(landed["position"][0] + NODE_W / 2 - sx) <= 3 and abs(landed["position"][1] + NODE_H / 2 - sy) <= 3
        assert app.wait(10) == 0
    finally:
        app.kill()
        app.communicate()  # reaps it and closes its pipes
