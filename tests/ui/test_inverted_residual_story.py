"""Issue 15's 'done when', as a person does it: drag a MobileNetV2 inverted residual with squeeze-and-excitation
together from the palette (real drops, real wiring with the mouse, parameters typed in the inspector), save it,
and train it with `netbuilder train`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from gestures import click_node, drop_from_palette, key, mouse_drag
from PySide6.QtCore import QPointF
from test_canvas import set_spin
from test_modern_palette import SE, double_click_entry

from netbuilder.core.check.shapes import check

STEP = 110  # one row of the canvas between drops


def _drop_under(window, label, above):
    """Drop a palette entry just under `above` (which connects it) and return the new block's id."""
    graph = window.editor.graph
    x, y = graph.nodes[above].position
    before = set(graph.nodes)
    drop_from_palette(window, label, QPointF(x + 20, y + STEP))
    (new,) = set(graph.nodes) - before
    assert any(e.src == above and e.dst == new for e in graph.edges), f"{label} was not connected to {above}"
    return new


def _set(window, node, **values):
    click_node(window, node)
    for name, value in values.items():
        field = window.inspector.fields[name].widget
        if hasattr(field, "h"):  # a pair: height and width
            set_spin(field.h, value)
            set_spin(field.w, value)
        elif hasattr(field, "setCurrentText"):
            field.setCurrentText(str(value))
        else:
            set_spin(field, value)


@pytest.mark.slow
def test_drag_an_inverted_residual_with_squeeze_excitation_together_and_train_it(make_window, tmp_path):
    window = make_window()
    key(window, "Ctrl+N")
    graph = window.editor.graph

    stem = _drop_under(window, "Conv2d", "input")
    _set(window, stem, out_channels=16, padding=1)
    expand = _drop_under(window, "Conv2d", stem)
    _set(window, expand, out_channels=64, kernel_size=1)
    act1 = _drop_under(window, "ReLU6", _drop_under(window, "BatchNorm", expand))
    dw = _drop_under(window, "Conv2d", act1)
    _set(window, dw, out_channels=64, padding=1, groups=64)
    act2 = _drop_under(window, "Hardswish", _drop_under(window, "BatchNorm", dw))

    click_node(window, act2)
    double_click_entry(window, SE)
    mul = next(n for n in graph.nodes.values() if n.type == "Multiply").id

    project = _drop_under(window, "Conv2d", mul)
    _set(window, project, out_channels=16, kernel_size=1)
    bn3 = _drop_under(window, "BatchNorm", project)
    add = _drop_under(window, "Add", bn3)
    # The residual: the stem's output into the Add's second input, dragged with the mouse.
    mouse_drag(window, window.scene.node_items[stem].output_pos(), window.scene.node_items[add].input_pos(1))
    pool = _drop_under(window, "AdaptiveAvgPool2d", add)
    fc = _drop_under(window, "Linear", pool)
    _set(window, fc, out_features=10)

    result = window.editor.result
    assert result.valid, result.errors
    assert result.nodes[mul].output_shape == (64, 32, 32) and result.nodes[add].output_shape == (16, 32, 32)
    assert window.scene.node_items[fc].view.volume == "10"

    path = tmp_path / "mbconv_se.json"
    window.questions.ask_path = lambda save, start: path
    key(window, "Ctrl+S")
    assert check(window.editor.graph).total_params == result.total_params

    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "netbuilder", "train", str(path), "--dataset", "shapes10", "--limit", "512",
         "--epochs", "4", "--batch-size", "32", "--out", str(out), "--workers", "0"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    history = [json.loads(line) for line in (out / "metrics.jsonl").read_text(encoding="utf-8").splitlines()]
    losses = [r["loss"] for r in history if r.get("event") == "batch"]  # the mean of each epoch's last steps
    assert summary["status"] == "completed" and len(losses) == 4 and losses[-1] < losses[0]
