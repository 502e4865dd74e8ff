"""A block type is one definition: a type declared here, in a test module only, works through the live
check, build, code export, ONNX and the inspector without any other file knowing it."""

from __future__ import annotations

import pytest
import torch
from helpers import chain, image, load_module

from netbuilder.core.blocks import REGISTRY, BlockType, Layer, Params, Shape, register
from netbuilder.core.params import ParamSpec
from netbuilder.core.problems import ErrorKind
from netbuilder.core.shapes import check
from netbuilder.pytorch import export as ex
from netbuilder.pytorch.build import build
from netbuilder.pytorch.codegen import generate, rename_state_dict

NOT_DIVISIBLE = ErrorKind(
    "pixel_shuffle_channels",
    lambda channels, factor: (
        f"its {channels} input channels are not a multiple of {factor * factor} "
        f"(upscale_factor {factor} squared). Change the channels above it."
    ),
)


def _shape(inputs: list[Shape], p: Params) -> Shape:
    c, h, w = inputs[0]
    r = p["upscale_factor"]
    if c % (r * r):
        raise NOT_DIVISIBLE(channels=c, factor=r)
    return (c // (r * r), h * r, w * r)


PIXEL_SHUFFLE = BlockType(
    name="PixelShuffle",
    category="shape",
    help="Moves channels into space: C×H×W becomes C/r²×rH×rW.",
    params=(ParamSpec("upscale_factor", "int", 2, "r: how much height and width grow", min=1, max=8),),
    output_shape=_shape,
    cost=lambda i, o, p: (0, 0),
    summary=lambda p, i: f"×{p['upscale_factor']}",
    compute=lambda p, i: Layer("PixelShuffle", (p["upscale_factor"],)),
)


@pytest.fixture
def pixel_shuffle():
    register(PIXEL_SHUFFLE)
    yield PIXEL_SHUFFLE
    del REGISTRY[PIXEL_SHUFFLE.name]


def _graph():
    return chain(
        image(3, 8, 8),
        ("conv", "Conv2d", {"out_channels": 12, "kernel_size": 3, "padding": 1}),
        ("up", "PixelShuffle", {"upscale_factor": 2}),
        ("flat", "Flatten", {}),
        ("fc", "Linear", {"out_features": 5}),
    )


def test_check_build_codegen_and_onnx(pixel_shuffle, tmp_path):
    graph = _graph()
    result = check(graph)
    assert result.valid and result.nodes["up"].output_shape == (3, 16, 16)
    net = build(graph).eval()
    x = torch.randn(2, 3, 8, 8)
    assert tuple(net.forward_all(x)["up"].shape) == (2, 3, 16, 16)
    expected = net(x)

    source = tmp_path / "model.py"
    source.write_text(generate(graph), encoding="utf-8")
    assert "nn.PixelShuffle(upscale_factor=2)" in source.read_text(encoding="utf-8")
    generated = load_module(source, "pixel_model").Net().eval()
    generated.load_state_dict(rename_state_dict(net.state_dict()))
    assert torch.equal(generated(x), expected)

    ort = pytest.importorskip("onnxruntime")
    path = tmp_path / "m.onnx"
    ex.export_onnx(graph, path, net.state_dict())
    session = ort.InferenceSession(str(path))
    (got,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    assert torch.allclose(torch.from_numpy(got), expected, atol=1e-5)


def test_its_typed_error_reaches_the_check(pixel_shuffle):
    graph = _graph()
    graph.nodes["conv"].params["out_channels"] = 10
    res = check(graph).nodes["up"]
    assert res.problem is not None and res.problem.kind is NOT_DIVISIBLE
    assert res.problem.data == {"channels": 10, "factor": 2}
    assert res.error == (
        "PixelShuffle 'up': its 10 input channels are not a multiple of 4 (upscale_factor 2 "
        "squared). Change the channels above it."
    )


def test_the_inspector_edits_it(pixel_shuffle, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QSpinBox

    from netbuilder.core.document import Document
    from netbuilder.ui.editor import Editor
    from netbuilder.ui.inspector import Inspector

    editor = Editor(Document(_graph()))
    inspector = Inspector(editor)
    qtbot.addWidget(inspector)
    inspector.show_node("up")
    box = inspector.fields["upscale_factor"].widget
    assert isinstance(box, QSpinBox) and box.value() == 2 and box.maximum() == 8
    box.selectAll()
    qtbot.keyClicks(box, "3")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert editor.graph.nodes["up"].params["upscale_factor"] == 3
    assert "not a multiple of 9" in inspector.error.text()
