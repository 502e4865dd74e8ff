"""`netbuilder render` and `netbuilder --screenshot`, run as a user runs them."""

import os
import subprocess
import sys

from PySide6.QtGui import QImage

from netbuilder.core.presets import PRESETS_DIR

VGG = str(PRESETS_DIR / "vgg_cifar.json")


def run(*args, **kw):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "netbuilder", *args], capture_output=True, text=True, env=env, timeout=60, **kw
    )


def test_render_png_and_svg(tmp_path):
    png, svg = tmp_path / "vgg.png", tmp_path / "vgg.svg"
    assert run("render", VGG, "-o", str(png)).returncode == 0
    image = QImage(str(png))
    assert image.height() > image.width() > 300  # the whole column of blocks, top to bottom
    assert run("render", VGG, "-o", str(svg)).returncode == 0
    text = svg.read_text()
    assert text.startswith("<?xml") and "<svg" in text and "512×1×1" in text


def test_render_refuses_bad_input_with_a_sentence(tmp_path):
    proc = run("render", str(tmp_path / "missing.json"), "-o", str(tmp_path / "x.png"))
    assert proc.returncode == 2 and "cannot be read" in proc.stderr and "Traceback" not in proc.stderr
    proc = run("render", VGG, "-o", str(tmp_path / "x.gif"))
    assert proc.returncode == 2 and "must end in .png or .svg" in proc.stderr


def test_screenshot_opens_the_window_paints_and_exits(tmp_path):
    out = tmp_path / "shot.png"
    proc = run("--screenshot", str(out))
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(out))
    # Qt's offscreen screen is 800×800 unless configured: the whole window, fitted inside it
    assert 600 <= image.width() <= 800 and 500 <= image.height() <= 800
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 17) for y in range(0, image.height(), 17)}
    assert "#335588" in colours  # a Conv2d header is painted


def test_a_malformed_file_on_the_command_line_is_a_sentence(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2")
    proc = run(str(bad), "--screenshot", str(tmp_path / "x.png"))
    assert proc.returncode == 2 and "is not valid JSON" in proc.stderr and "Traceback" not in proc.stderr
